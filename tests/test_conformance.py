"""What every first-party env must satisfy, run over `npf.list_envs()`, so a new env is
covered by being registered. Single- and multi-agent alike: every check works per agent
(num_agents = num_envs * agents per game) and per game.

Random actions are drawn from the env's batched action space with a seeded generator.
"""
import importlib
import io
import os
import subprocess
import sys
import textwrap
from contextlib import redirect_stdout

import numpy as np
import pytest
from gymnasium import spaces
from gymnasium.vector.utils import batch_space

import numbapuffer as npf
from numbapuffer.tools import cli
from numbapuffer.tools.bench import action_sets
from numbapuffer.envs import ENVS

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NAMES = npf.list_envs()
N = 64  # games: enough for one chunk per thread, few enough to be quick
SEED = 7


def make(name, **kw):
    return npf.make(name, num_envs=N, seed=SEED, report_interval=0, **kw)


def outputs(env):
    return [b.copy() for b in (env.observations, env.rewards, env.terminals, env.truncations, env.masks)]


def assert_same(a, b):
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)


@pytest.fixture(params=NAMES)
def name(request):
    return request.param


def test_declaration_spaces_and_buffers(name):
    module = importlib.import_module(f"numbapuffer.envs.{name}")
    for word in ("observation", "action", "reward", "termination"):
        assert word in module.__doc__.lower(), f"{name}'s docstring must state its {word}"
    assert module.game.name == name
    # a gymnasium name exactly for single-agent games (multi-agent ones have no gymnasium id)
    assert ENVS[name][0].isupper() if module.game.agents == 1 else ENVS[name] is None
    env = make(name)
    game = env.game
    obs_space, act_space = env.single_observation_space, env.single_action_space
    assert isinstance(obs_space, spaces.Box)
    assert isinstance(act_space, (spaces.Discrete, spaces.MultiDiscrete, spaces.Box))
    assert env.num_envs == N and env.num_agents == N * game.agents == N * env.agents_per_game
    assert env.observation_space == batch_space(obs_space, env.num_agents)
    assert env.action_space == batch_space(act_space, env.num_agents)
    n = env.num_agents
    action_dtype = np.float32 if isinstance(act_space, spaces.Box) else np.int32
    for buf, shape, dtype in ((env.observations, (n, *obs_space.shape), obs_space.dtype),
                              (env.actions, (n, *act_space.shape), action_dtype),
                              (env.rewards, (n,), np.float32), (env.terminals, (n,), np.bool_),
                              (env.truncations, (n,), np.bool_), (env.masks, (n,), np.bool_)):
        assert buf.shape == shape and buf.dtype == dtype and buf.flags.c_contiguous
    assert env.state.shape == (N,) and env.state.dtype.names[-1] == "rng"
    obs, infos = env.reset(seed=SEED)
    assert obs is env.observations and infos == []
    out = env.step(action_sets(env.action_space, 1)[0])
    assert out[0] is env.observations and out[1] is env.rewards and out[2] is env.terminals
    assert out[3] is env.truncations and out[4] == []
    env.close()


def test_check_env_finds_no_problem(name):
    """npf.check_env: observations written in full and inside the space (and representable in
    its dtype), finite rewards, log() == the episodes seen, autoreset == resetting the finished
    games by hand == a brand-new game, same results twice, serial == parallel kernel, 1 == all
    threads, bad actions rejected."""
    assert npf.check_env(name, num_envs=N, seed=SEED) == []


THREADS_SCRIPT = textwrap.dedent("""
    import hashlib, sys, numpy as np, numbapuffer as npf
    games, steps = int(sys.argv[1]), int(sys.argv[2])
    for name in sys.argv[3:]:
        env = npf.make(name, num_envs=games, seed=3, report_interval=0)
        env.use_serial(False)
        env.reset(seed=3)
        env.action_space.seed(0)
        h = hashlib.sha256()
        for _ in range(steps):
            env.step(env.action_space.sample())
            for b in (env.observations, env.rewards, env.terminals, env.truncations, env.masks):
                h.update(b.tobytes())
        h.update(env.state.tobytes())
        print(name, h.hexdigest(), env.log())
""")


def run_hashes(games, steps, **environ):
    run = subprocess.run([sys.executable, "-c", THREADS_SCRIPT, str(games), str(steps), *NAMES], capture_output=True,
                         text=True, cwd=ROOT, env=dict(os.environ, **environ))
    assert run.returncode == 0, run.stderr
    return {line.split()[0]: line for line in run.stdout.splitlines()}


@pytest.fixture(scope="module")
def hashes_by_threads():
    """Each env's hash of 300 random steps with the parallel kernel, on 1 and on 2 threads."""
    return {threads: run_hashes(64, 300, NUMBA_NUM_THREADS=str(threads)) for threads in (1, 2)}


def test_identical_on_one_and_two_threads(name, hashes_by_threads):
    one, two = hashes_by_threads[1][name], hashes_by_threads[2][name]
    assert one == two and len(one) > 64


@pytest.fixture(scope="module")
def hashes_with_and_without_jit():
    """Each env's hash of 60 random steps of 8 games compiled, and run as plain Python."""
    return {jit: run_hashes(8, 60, NUMBA_DISABLE_JIT="0" if jit else "1") for jit in (True, False)}


def test_identical_as_plain_python(name, hashes_with_and_without_jit):
    """NUMBA_DISABLE_JIT=1 runs the same game code by the interpreter (to debug it with pdb
    or print): bit-identical to the compiled kernels."""
    compiled, plain = hashes_with_and_without_jit[True][name], hashes_with_and_without_jit[False][name]
    assert compiled == plain and len(compiled) > 64


def bad_actions(env):
    """(actions, error) pairs that step must reject: wrong shape, dtype and range."""
    space, n = env.single_action_space, env.num_agents
    good = np.zeros((n, *space.shape), env.actions.dtype)
    out = [(None, TypeError), (good[:-1], ValueError), (np.zeros((n + 1, *space.shape), good.dtype), ValueError),
           (good.reshape(n, -1, 1), ValueError), ("left", ValueError)]
    if isinstance(space, spaces.Box):
        nan = good.copy()
        nan.reshape(-1)[-1] = np.nan
        return out + [(good.astype(bool), TypeError), (nan, ValueError)]
    if isinstance(space, spaces.Discrete):
        lo, hi = space.start, space.start + space.n - 1
    else:
        lo = 0 if getattr(space, "start", None) is None else space.start
        hi = lo + space.nvec - 1
    above, below = good + lo, good + lo
    above.reshape(-1)[n // 2] = np.max(hi) + 1
    below.reshape(-1)[-1] = np.min(lo) - 1
    return out + [(good.astype(np.float32), TypeError), (good.astype(bool), TypeError),
                  (above, ValueError), (below, ValueError)]


def test_bad_actions_rejected_and_env_keeps_working(name):
    env, ref = make(name), make(name)
    for e in (env, ref):
        e.reset(seed=SEED)
    acts = action_sets(env.action_space, 60)
    for k, (bad, error) in enumerate(bad_actions(env)):
        env.step(acts[k])
        ref.step(acts[k])
        state = env.state.copy()
        with pytest.raises(error):
            env.step(bad)
        np.testing.assert_array_equal(env.state, state)  # nothing was stepped
    for a in acts[20:]:
        env.step(a)
        ref.step(a)
        assert_same(outputs(env), outputs(ref))


def test_bench_command_runs(name):
    out = io.StringIO()
    with redirect_stdout(out):
        assert cli.main(["bench", name, "--num-envs", "8", "--seconds", "0.02", "--rounds", "1"]) == 0
    row = out.getvalue().splitlines()[2].split()
    assert row[0] == "8" and float(row[1].replace(",", "")) > 0
