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
    (["train", "nosuch"], f"numbapuffer train: error: unknown env 'nosuch': choose from {ENVS}, or a registered "
                          "gymnasium id"),
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
