"""A corpus of an author's mistakes, each one line away from a correct game (GAME below).

Each variant is written to its own module file and made into an env. A compile mistake must
raise a short GameCompileError naming the file and the changed line; a memory mistake must
raise a GameStepError with the line in debug mode, and come back from check_env as a
problem with the line, the test process alive.
"""
import importlib
import re
import sys

import numpy as np
import pytest

import numbapuffer as npf
from numbapuffer.engine.debug import GameStepError
from numbapuffer.engine.errors import GameCompileError

GAME = '''\
import numpy as np
from gymnasium import spaces
from numba import njit

from numbapuffer import Game, rand_int

STATE = np.dtype([("pos", np.int32), ("target", np.int32), ("t", np.int32), ("seen", np.int8, (4,))])


def plain_clamp(x, lo, hi):
    return min(max(x, lo), hi)


@njit
def clamp(x, lo, hi):
    return min(max(x, lo), hi)


@njit
def observe(s, p, obs):
    obs[0] = s.pos / (p.size - 1)
    obs[1] = s.target / (p.size - 1)
    obs[2] = s.seen[s.t % 4]


@njit
def reset(s, p, buf, a):
    s.pos, s.target, s.t = rand_int(s, p.size), rand_int(s, p.size), 0
    s.seen[:] = 0
    observe(s, p, buf.observations[a])


@njit
def step(s, p, buf, a):
    move = buf.actions[a] - 1
    s.pos = clamp(s.pos + move, 0, p.size - 1)
    s.t += 1
    s.seen[s.t % 4] = 1
    bonus = 0
    if s.pos == s.target:
        bonus = 1
        buf.terminals[a] = True
        buf.episode[a].reached = 1
    elif s.t >= p.max_steps:
        buf.truncations[a] = True
    buf.rewards[a] = bonus
    observe(s, p, buf.observations[a])


game = Game("NAME", STATE, reset, step, spaces.Box(0, 1, (3,), np.float32), spaces.Discrete(3),
            params=dict(size=16, max_steps=50), log=("reached",))
'''

# name: (line as in GAME, the mistaken line, words the message must hold)
COMPILE = {
    "state_field_read": ("    if s.pos == s.target:", "    if s.pos == s.targt:",
                         ["the state record has no field 'targt'", "Did you mean 'target'"]),
    "state_field_write": ("    s.t += 1", "    s.tt += 1", ["the state record has no field 'tt'", "'t'"]),
    "param": ("    elif s.t >= p.max_steps:", "    elif s.t >= p.max_stepz:",
              ["the params record has no field 'max_stepz'", "Did you mean 'max_steps'", "size, max_steps"]),
    "buffer": ("        buf.terminals[a] = True", "        buf.terminal[a] = True",
               ["buf has no field 'terminal'", "Did you mean 'terminals'", "observations, actions"]),
    "log_field": ("        buf.episode[a].reached = 1", "        buf.episode[a].reachd = 1",
                  ["no field 'reachd'", "Did you mean 'reached'"]),
    "np_zeros": ("    move = buf.actions[a] - 1", "    move = buf.actions[a] - 1 + np.zeros(2)[0]",
                 ["np.zeros", "must not allocate", "state record"]),
    "list": ("    move = buf.actions[a] - 1", "    move = [buf.actions[a] - 1][0]", ["must not allocate"]),
    "python_helper": ("    s.pos = clamp(s.pos + move, 0, p.size - 1)",
                      "    s.pos = plain_clamp(s.pos + move, 0, p.size - 1)",
                      ["plain_clamp is not an @njit function", "decorate it with @njit"]),
    "two_types": ("        bonus = 1", "        bonus = (1, 2)",
                  ["variable 'bonus' holds a", "on one path and a", "one type", r"bonus = 0\n"]),
    "numpy_function": ("    obs[2] = s.seen[s.t % 4]", "    obs[2] = np.gradient(s.seen)[0]",
                       ["np.gradient is not supported by Numba"]),
    "numpy_attribute": ("    move = buf.actions[a] - 1", "    move = np.random.default_rng(0).integers(3) - 1",
                        ["np.random.default_rng", "no attribute 'default_rng'"]),
    "wrong_arguments": ("    s.pos, s.target, s.t = rand_int(s, p.size), rand_int(s, p.size), 0",
                        "    s.pos, s.target, s.t = rand_int(s), rand_int(s, p.size), 0",
                        [r"the call to rand_int\(s, n\) does not match", "missing a required argument: 'n'"]),
    "undefined_name": ("    s.pos = clamp(s.pos + move, 0, p.size - 1)", "    s.pos = clip(s.pos + move, 0, p.size - 1)",
                       ["name 'clip' is not defined"]),
    "other": ("    s.t += 1", "    s.t += 'one'", ["Numba has no iadd for these types", r"int32, .*str"]),
}

MEMORY = {
    "observation_past_row": ("    obs[2] = s.seen[s.t % 4]", "    obs[3] = s.seen[s.t % 4]",
                             ["index 3 is out of bounds", "only its own agents' rows"]),
    "subarray_past_field": ("    s.seen[s.t % 4] = 1", "    s.seen[s.t % 5] = 1", ["index 4 is out of bounds"]),
    "neighbour_row": ("    move = buf.actions[a] - 1", "    move = buf.actions[a + 1] - 1",
                      ["index 1 is out of bounds for axis 0 with size 1", "only its own agents' rows"]),
    "params_write": ("    s.t += 1", "    s.t = p.max_steps = s.t + 1", ["game code wrote the params"]),
    "nan_observation": ("    obs[1] = s.target / (p.size - 1)", "    obs[1] = np.sqrt(s.target - s.pos)",
                        ["observation of agent \\d+ is nan", "must be finite"]),
}


@pytest.fixture
def planted(tmp_path, monkeypatch):
    """Write GAME with one line changed as a module; return (its game, the changed line's number).
    (The kernel cache is the usual one: a rerun loads the debug-mode kernels from it.)"""
    monkeypatch.syspath_prepend(str(tmp_path))

    def plant(name, old, new):
        assert GAME.count(old + "\n") == 1, old
        source = GAME.replace(old + "\n", new + "\n").replace('"NAME"', f'"{name}"')
        (tmp_path / f"planted_{name}.py").write_text(source)
        module = importlib.import_module(f"planted_{name}")
        line = source.splitlines().index(new) + 1
        return module.game, str(tmp_path / f"planted_{name}.py"), line
    yield plant
    for name in [m for m in sys.modules if m.startswith("planted_")]:
        del sys.modules[name]


def test_the_correct_game_runs(planted):
    game, _, _ = planted("correct", "    s.t += 1", "    s.t += 1")
    env = npf.make(game, num_envs=4, seed=0, debug=True)
    env.reset()
    for _ in range(100):
        env.step(np.ones(4, np.int64))
    assert npf.check_env(game, num_envs=8, steps=200) == []


@pytest.mark.parametrize("name", COMPILE)
def test_compile_mistake_names_the_line(planted, name):
    old, new, words = COMPILE[name]
    game, path, line = planted(name, old, new)
    with pytest.raises(GameCompileError) as caught:
        npf.make(game, num_envs=4)
    e, text = caught.value, str(caught.value)
    assert isinstance(e, TypeError)
    assert e.filename == path and f"{path}:{line}" in text and new.strip() in text, text
    for w in words:
        assert re.search(w, text), f"{w!r} not in:\n{text}"
    assert len(text.splitlines()) <= 15 and len(text) < 1500, text
    assert "npf_" not in text and "engine/template.py" not in text  # never the generated module's lines
    assert e.numba_error is not None and e.__cause__ is None


@pytest.mark.parametrize("name", MEMORY)
def test_memory_mistake_found_in_debug_mode_with_the_line(planted, name):
    old, new, words = MEMORY[name]
    game, path, line = planted(name, old, new)
    env = npf.make(game, num_envs=8, seed=1, debug=True)
    with pytest.raises(GameStepError) as caught:
        env.reset()
        for _ in range(300):
            env.step(np.full(8, 2))
    e, text = caught.value, str(caught.value)
    assert (e.filename, e.lineno) == (path, line), text
    assert e.index is not None and re.search(rf"game {e.index}, (step \d+|reset)", text)
    assert new.strip() in text
    for w in words:
        assert re.search(w, text), f"{w!r} not in:\n{text}"
    assert len(text.splitlines()) <= 8
    # the failed call left the env as it was: params unchanged, the env still usable
    assert env.params["max_steps"][0] == 50 and env.params["size"][0] == 16
    problems = npf.check_env(game, num_envs=8, steps=300)
    assert len(problems) == 1 and f"{path}:{line}" in problems[0], problems


@pytest.mark.parametrize("name", ["pong", "snake"])
def test_debug_steps_like_the_fast_kernels(name):
    fast, checked = npf.make(name, num_envs=6, seed=3), npf.make(name, num_envs=6, seed=3, debug=True)
    fast.reset(), checked.reset()
    rng = np.random.default_rng(0)
    for _ in range(300):
        a = rng.integers(0, 3, fast.num_agents)
        for x, y in zip(fast.step(a)[:4], checked.step(a)[:4]):
            assert x.tobytes() == y.tobytes()
    assert fast.state.tobytes() == checked.state.tobytes() and fast.log() == checked.log()


def test_debug_from_the_environment(monkeypatch):
    monkeypatch.setenv("NUMBAPUFFER_DEBUG", "1")
    assert npf.make("squared", num_envs=2).debug
    monkeypatch.setenv("NUMBAPUFFER_DEBUG", "0")
    assert not npf.make("squared", num_envs=2).debug


def test_check_env_survives_a_game_that_aborts(monkeypatch):
    """A crash in check_env's debug-mode play ends the child process, not the caller."""
    import faulthandler
    import os

    from numbapuffer.tools import check

    def abort():
        faulthandler.disable()  # pytest's crash report of the child would only be noise here
        os.abort()
    monkeypatch.setattr(check, "_in_child", lambda fn, timeout, real=check._in_child: real(abort, timeout))
    problems = npf.check_env("squared", num_envs=4, steps=50)
    assert len(problems) == 1 and "crashed the process (SIGABRT)" in problems[0]
