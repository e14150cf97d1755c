"""The command line's errors: one line on stderr naming the problem and the valid choices,
exit status 2, whatever the command."""
import os
import subprocess
import sys

import pytest

import numbapuffer as npf
from numbapuffer.tools import cli

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENVS = ", ".join(npf.list_envs())

# argv, what the line must say
ERRORS = [
    (["bench", "nosuch"], f"numbapuffer bench: error: unknown env 'nosuch': choose from {ENVS}"),
    (["bench", "pong", "--num-envs", "0"], "numbapuffer bench: error: argument --num-envs: must be > 0, got '0'"),
    (["bench", "pong", "--seconds", "x"], "argument --seconds: expected a float > 0, got 'x'"),
    (["bench", "pong", "--threads", "99"], "numbapuffer bench: error: argument --threads: must be 1.."),
    (["bench-vec", "nosuch"], "numbapuffer bench-vec: error: unknown env 'nosuch'"),
    (["train", "nosuch"], f"numbapuffer train: error: unknown env 'nosuch': choose from {ENVS}, or a Game of "
                          "yours: my_env.py:game or my_package.my_env:game, or a registered gymnasium id"),
    (["check", "nofile.py:game"], "numbapuffer check: error: nofile.py:game: no file nofile.py"),
    (["train", "numbapuffer.envs.pong:np"], "error: numbapuffer.envs.pong:np: numbapuffer.envs.pong.np is a module, "
                                            "not a numbapuffer Game"),
    (["bench", "no_such_module_x:game"], "numbapuffer bench: error: no_such_module_x:game: no module named "
                                         "'no_such_module_x'"),
    (["eval", "nosuch", "--random"], f"numbapuffer eval: error: unknown env 'nosuch': choose from {ENVS}"),
    (["eval", "pong"], "numbapuffer eval: error: one of the arguments --policy --random is required"),
    (["eval", "pong", "--random", "--episodes", "0"], "argument --episodes: must be > 0"),
    (["play", "pongg"], f"numbapuffer play: error: unknown env 'pongg': choose from {ENVS}"),
    (["play", "pong", "--fps", "-1"], "argument --fps: must be >= 0"),
    (["nosuch"], "numbapuffer: error: argument command: invalid choice: 'nosuch' (choose from"),
    ([], "numbapuffer: error: the following arguments are required: command"),
]


@pytest.mark.parametrize("argv, line", ERRORS, ids=[" ".join(a) or "nothing" for a, _ in ERRORS])
def test_every_cli_error_is_one_line_with_exit_status_2(argv, line, capsys):
    with pytest.raises(SystemExit) as e:
        cli.main(argv)
    out, err = capsys.readouterr()
    assert e.value.code == 2
    assert len(err.splitlines()) == 1 and line in err, err
    assert out == ""


def test_cli_errors_from_a_fresh_process():
    """As a person meets them: `python -m numbapuffer` with no traceback."""
    for argv, line in (ERRORS[0], ERRORS[1], ERRORS[6]):
        done = subprocess.run([sys.executable, "-m", "numbapuffer", *argv], capture_output=True, text=True,
                              timeout=120, cwd=ROOT)
        assert done.returncode == 2 and done.stderr.splitlines() == [done.stderr.strip()], done.stderr
        assert line in done.stderr and "Traceback" not in done.stderr


GAME_FILE = """
import numpy as np
from gymnasium import spaces
from numba import njit
from numbapuffer import Game

STATE = np.dtype([("t", np.int32)])


@njit
def reset(s, p, buf, a):
    s.t = 0
    buf.observations[a, 0] = 0.0


@njit
def step(s, p, buf, a):
    s.t += 1
    buf.rewards[a] = 1.0 if buf.actions[a] == 1 else 0.0
    buf.observations[a, 0] = s.t / 8
    buf.terminals[a] = s.t >= 8


game = Game("mine", STATE, reset, step, observation_space=spaces.Box(0, 1, (1,), np.float32),
            action_space=spaces.Discrete(2))
"""


@pytest.mark.slow
def test_the_cli_trains_evaluates_checks_and_benches_a_game_of_yours(tmp_path):
    """By file and by module: only the file named is imported (a second file beside it, which
    would fail on import, is never touched), and eval takes the checkpoint of that same env."""
    (tmp_path / "my_env.py").write_text(GAME_FILE)
    (tmp_path / "other.py").write_text("raise SystemExit('imported what was not named')\n")

    def cli_run(*argv, cwd=tmp_path):
        done = subprocess.run([sys.executable, "-m", "numbapuffer", *argv], capture_output=True, text=True,
                              timeout=300, cwd=cwd, env={**os.environ, "PYTHONPATH": ROOT})
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout

    out = cli_run("train", "my_env.py:game", "--total-steps", "2048", "--quiet")
    assert "-> mine.pt" in out and (tmp_path / "mine.pt").exists()
    assert "n=" in cli_run("eval", "my_env.py:game", "--policy", "mine.pt", "--episodes", "4")
    assert "no problems found" in cli_run("check", str(tmp_path / "my_env.py") + ":game", "--steps", "100",
                                          cwd=ROOT)
    assert "steps/s" in cli_run("bench", "my_env:game", "--num-envs", "64", "--seconds", "0.1", "--rounds", "1")
