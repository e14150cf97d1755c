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
from numbapuffer import cli
from numbapuffer.envs import ENVS

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NAMES = npf.list_envs()
N = 64  # games: enough for one chunk per thread, few enough to be quick
SEED = 7


def make(name, **kw):
    return npf.make(name, num_envs=N, seed=SEED, report_interval=0, **kw)


def random_actions(env, steps, seed=0):
    space = env.action_space
    space.seed(seed)
    return np.stack([space.sample() for _ in range(steps)])


def play(env, at_least, until=lambda: True):
    """Yields random actions for at least `at_least` steps, then (checked every 500 steps)
    until `until()`: some envs, like Pong, need a couple of thousand random steps to finish
    an episode."""
    steps = 0
    while steps < at_least or not until():
        assert steps < 20000, f"{env.game.name}: no episode finished in 20000 random steps"
        for a in random_actions(env, 500, seed=steps):
            yield a
            steps += 1


def outputs(env):
    return [b.copy() for b in (env.observations, env.rewards, env.terminals, env.truncations, env.masks)]


def assert_same(a, b):
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)


def by_game(env, agent_values):
    return agent_values.reshape(env.num_envs, env.agents_per_game)


@pytest.fixture(params=NAMES)
def name(request):
    return request.param


def test_declaration_spaces_and_buffers(name):
    module = importlib.import_module(f"numbapuffer.envs.{name}")
    for word in ("observation", "action", "reward", "termination"):
        assert word in module.__doc__.lower(), f"{name}'s docstring must state its {word}"
    assert ENVS[name][0].isupper() and module.game.name == name
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
    out = env.step(random_actions(env, 1)[0])
    assert out[0] is env.observations and out[1] is env.rewards and out[2] is env.terminals
    assert out[3] is env.truncations and out[4] == []
    env.close()


def test_random_play_stays_in_the_space_and_logs_every_episode(name):
    """1000 random steps: observations inside the space, finite rewards; then, once episodes
    have finished, log() reports exactly the episodes the buffers showed."""
    env = make(name)
    obs, _ = env.reset(seed=SEED)
    space = env.single_observation_space
    low, high = space.low.astype(space.dtype), space.high.astype(space.dtype)
    returns, lengths = np.zeros(env.num_agents), np.zeros(env.num_agents)
    finished_returns, finished_lengths = [], []
    assert ((obs >= low) & (obs <= high)).all()
    for step, a in enumerate(play(env, 1000, lambda: finished_lengths)):
        obs, rew, term, trunc, _ = env.step(a)
        if step < 1000:
            inside = (obs >= low) & (obs <= high)  # False for NaN too
            assert inside.all(), f"{name}: observation outside {space} at step {step}: {obs[~inside][:5]}"
            assert np.isfinite(rew).all()
        returns += rew
        lengths += 1
        done = term | trunc
        finished_returns += list(returns[done])
        finished_lengths += list(lengths[done])
        returns[done] = 0
        lengths[done] = 0
    log = env.log()
    assert set(log) == set(env.game.log_fields) | {"n"}
    assert log["n"] == len(finished_lengths)
    assert log["episode_return"] == pytest.approx(np.mean(finished_returns), rel=1e-5, abs=1e-6)
    assert log["episode_length"] == pytest.approx(np.mean(finished_lengths), rel=1e-9)
    assert all(np.isfinite(v) for v in log.values())
    assert env.log() == {}


def test_every_observation_is_written_by_reset_and_every_live_ones_by_step(name):
    """Two envs whose observation buffers are filled with 0 and 1 before every call agree
    afterwards: nothing is left unwritten (and no game reads its observations back)."""
    zeros, ones = make(name), make(name)
    zeros.observations[:] = 0
    ones.observations[:] = 1
    for e in (zeros, ones):
        e.reset(seed=SEED)
    np.testing.assert_array_equal(zeros.observations, ones.observations)
    for a in random_actions(zeros, 200):
        zeros.observations[:] = 0
        ones.observations[:] = 1
        zeros.step(a)
        ones.step(a)
        live = zeros.masks
        np.testing.assert_array_equal(zeros.observations[live], ones.observations[live])
        np.testing.assert_array_equal(zeros.state, ones.state)


def test_autoreset_restarts_a_finished_game_as_a_fresh_one(name):
    """same_step autoreset == stepping without autoreset, then resetting the finished games;
    and a restarted game equals a brand-new game drawn from the same stream, so reset sets
    every field of the state."""
    env = make(name)
    manual = make(name, autoreset="disabled")
    fresh = make(name)
    for e in (env, manual):
        e.reset(seed=SEED)
    restarted = agents_done = 0
    for a in play(env, 300, lambda: agents_done and (restarted or env.agents_per_game > 1)):
        env.step(a)
        after = outputs(env)
        manual.step(a)
        before_reset = outputs(manual)
        ended = by_game(manual, manual.terminals | manual.truncations).all(1)
        running = ~np.repeat(ended, env.agents_per_game)
        np.testing.assert_array_equal(after[0][running], before_reset[0][running])
        assert_same(after[1:4], before_reset[1:4])  # rewards, terminals, truncations
        agents_done += (manual.terminals | manual.truncations).sum()
        if ended.any():
            restarted += ended.sum()
            fresh.state[ended] = np.zeros(1, fresh.state.dtype)
            fresh.state["rng"][ended] = manual.state["rng"][ended]
            fresh.reset(mask=ended)
            manual.reset(mask=ended)
            new = np.repeat(ended, env.agents_per_game)
            np.testing.assert_array_equal(fresh.state[ended], env.state[ended])
            np.testing.assert_array_equal(fresh.observations[new], env.observations[new])
            np.testing.assert_array_equal(fresh.masks[new], env.masks[new])
            assert (env.episodes[new]["episode_length"] == 0).all()
        np.testing.assert_array_equal(manual.observations, env.observations)
        np.testing.assert_array_equal(manual.masks, env.masks)
        np.testing.assert_array_equal(manual.state, env.state)
    assert agents_done > 0
    if env.agents_per_game == 1:
        assert restarted > 0


def test_serial_and_parallel_kernels_agree(name):
    serial, parallel = make(name), make(name)
    serial.use_serial(True)
    parallel.use_serial(False)
    for e in (serial, parallel):
        e.reset(seed=SEED)
    # Few steps: on a machine whose cores are busy, each parallel launch can wait a time slice.
    for a in random_actions(serial, 200):
        serial.step(a)
        parallel.step(a)
        assert_same(outputs(serial), outputs(parallel))
    np.testing.assert_array_equal(serial.state, parallel.state)
    assert serial.log() == parallel.log()


THREADS_SCRIPT = textwrap.dedent("""
    import hashlib, sys, numpy as np, numbapuffer as npf
    for name in sys.argv[1:]:
        env = npf.make(name, num_envs=64, seed=3, report_interval=0)
        env.use_serial(False)
        env.reset(seed=3)
        env.action_space.seed(0)
        h = hashlib.sha256()
        for _ in range(300):
            env.step(env.action_space.sample())
            for b in (env.observations, env.rewards, env.terminals, env.truncations, env.masks):
                h.update(b.tobytes())
        h.update(env.state.tobytes())
        print(name, h.hexdigest(), env.log())
""")


@pytest.fixture(scope="module")
def hashes_by_threads():
    """Each env's hash of 300 random steps with the parallel kernel, on 1 and on 2 threads."""
    out = {}
    for threads in (1, 2):
        run = subprocess.run([sys.executable, "-c", THREADS_SCRIPT, *NAMES], capture_output=True, text=True,
                             cwd=ROOT, env=dict(os.environ, NUMBA_NUM_THREADS=str(threads)))
        assert run.returncode == 0, run.stderr
        out[threads] = {line.split()[0]: line for line in run.stdout.splitlines()}
    return out


def test_identical_on_one_and_two_threads(name, hashes_by_threads):
    one, two = hashes_by_threads[1][name], hashes_by_threads[2][name]
    assert one == two and len(one) > 64


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
    acts = random_actions(env, 60)
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
