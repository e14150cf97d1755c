"""CartPole against gymnasium's own CartPole-v1: same state in, same observations, rewards,
terminations and truncations out, over whole episodes; and its start distribution."""
import os
import subprocess
import sys

import gymnasium
import numpy as np
import pytest

import numbapuffer as npf

FIELDS = ("x", "x_dot", "theta", "theta_dot")


def state_of(env, i=0):
    return np.array([env.state[f][i] for f in FIELDS])


def balancing(s, noise):
    """Push toward where the pole falls: keeps it up for the whole 500 steps."""
    return int(s[2] + 0.5 * s[3] + noise > 0)


@pytest.mark.parametrize("policy", ["random", "balancing"])
def test_parity_with_gymnasium_over_whole_episodes(policy):
    env = npf.make("cartpole", num_envs=1, seed=0, autoreset="disabled", report_interval=0)
    env.reset(seed=0)
    ref = gymnasium.make("CartPole-v1")
    rng = np.random.default_rng(1)
    lengths = []
    for episode in range(40):
        ref.reset(seed=episode)  # restarts the TimeLimit count; the state is then set to ours
        if episode:
            env.reset(mask=np.array([True]))
        ref.unwrapped.state = state_of(env)
        np.testing.assert_array_equal(env.observations[0], state_of(env).astype(np.float32))
        for t in range(1, 501):
            a = int(rng.integers(2)) if policy == "random" else balancing(state_of(env), 0.02 * rng.standard_normal())
            obs, rew, term, trunc, _ = ref.step(a)
            nobs, nrew, nterm, ntrunc, _ = env.step(np.array([a]))
            np.testing.assert_allclose(nobs[0], obs, rtol=0, atol=1e-5)
            assert (nrew[0], nterm[0], ntrunc[0]) == (rew, term, trunc), (episode, t)
            if term or trunc:
                break
        assert term or trunc
        lengths.append(t)
    if policy == "random":
        assert 15 < np.mean(lengths) < 35
    else:
        assert lengths.count(500) > 30  # the 500-step truncation is exercised


def test_parity_with_gymnasiums_vector_cartpole_next_step_autoreset():
    """numbapuffer's next_step autoreset equals gymnasium's CartPoleVectorEnv step for step,
    once every game restarted by both is set to numbapuffer's fresh state."""
    n = 256
    env = npf.make("cartpole", num_envs=n, seed=2, autoreset="next_step", report_interval=0)
    env.reset(seed=2)
    ref = gymnasium.make_vec("CartPole-v1", num_envs=n, vectorization_mode="vector_entry_point")
    ref.reset(seed=2)
    ref.unwrapped.state = np.stack([env.state[f].copy() for f in FIELDS])
    rng = np.random.default_rng(3)
    ended = 0
    for _ in range(1500):
        s = ref.unwrapped.state
        a = np.where(rng.random(n) < 0.5, rng.integers(0, 2, n), (s[2] + 0.5 * s[3] > 0).astype(int))
        restarting = ref.unwrapped.prev_done.copy()
        obs, rew, term, trunc, _ = ref.step(a)
        nobs, nrew, nterm, ntrunc, _ = env.step(a)
        ref.unwrapped.state[:, restarting] = np.stack([env.state[f][restarting] for f in FIELDS])
        obs[restarting] = nobs[restarting]
        np.testing.assert_allclose(nobs, obs, rtol=0, atol=1e-5)
        np.testing.assert_array_equal(nrew, rew)
        np.testing.assert_array_equal(nterm, term)
        np.testing.assert_array_equal(ntrunc, trunc)
        ended += (term | trunc).sum()
    assert ended > 1000 and env.log()["n"] == ended


def test_spaces_match_gymnasium():
    env = npf.make("cartpole")
    ref = gymnasium.make("CartPole-v1")
    assert env.single_observation_space == ref.observation_space
    assert env.single_action_space == ref.action_space
    assert env.state.dtype["x"] == np.float64 and env.observations.dtype == np.float32


def test_start_state_uniform_in_the_gymnasium_range():
    env = npf.make("cartpole", num_envs=20000, seed=5)
    env.reset(seed=5)
    for f in FIELDS:
        v = env.state[f]
        assert -0.05 <= v.min() and v.max() < 0.05
        assert abs(v.mean()) < 0.002 and abs(v.std() - 0.1 / np.sqrt(12)) < 0.001
        assert np.histogram(v, 10, (-0.05, 0.05))[0].min() > 1800
    assert np.corrcoef([env.state[f] for f in FIELDS])[np.triu_indices(4, 1)].max() < 0.05


def test_same_step_autoreset_and_truncation_at_500():
    env = npf.make("cartpole", num_envs=1, seed=0, report_interval=0)
    env.reset(seed=0)
    for t in range(1, 501):
        obs, rew, term, trunc, _ = env.step(np.array([balancing(state_of(env), 0.0)]))
        if term[0] or trunc[0]:
            break
    assert t == 500 and trunc[0] and not term[0] and rew[0] == 1
    assert env.state[0]["t"] == 0  # a new game began in the same step and its start is returned
    np.testing.assert_array_equal(obs[0], state_of(env).astype(np.float32))
    assert np.abs(obs[0]).max() < 0.05
    assert env.log() == {"episode_return": 500.0, "episode_length": 500.0, "n": 1}


def test_max_steps_param():
    env = npf.make("cartpole", num_envs=1, seed=0, max_steps=10)
    env.reset(seed=0)
    truncs = [env.step(np.array([balancing(state_of(env), 0.0)]))[3][0] for _ in range(10)]
    assert truncs == [False] * 9 + [True]
    with pytest.raises(ValueError, match="max_steps=0 must be >= 1"):
        npf.make("cartpole", max_steps=0)


def test_benchmark_script_runs():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = subprocess.run([sys.executable, os.path.join(root, "benchmarks", "cartpole_vs_gymnasium.py"),
                          "--num-envs", "64", "--rounds", "1", "--seconds", "0.01"],
                         capture_output=True, text=True, check=True).stdout
    assert "gymnasium vectorized" in out and "numbapuffer 1 thread" in out
    assert float(out.splitlines()[3].split()[-1]) > 0  # numbapuffer's ratio to gymnasium


def test_pufferlib_preset_gives_reward_0_on_the_last_step():
    env = npf.make("cartpole", num_envs=1, seed=0, report_interval=0, preset="pufferlib")
    env.reset(seed=0)
    assert env.param_values()["max_steps"] == 200
    env.state["theta"][0] = 0.2094  # just inside 12 degrees, falling
    env.state["theta_dot"][0] = 1.0
    _, rew, term, trunc, _ = env.step(np.array([0]))
    assert term[0] and rew[0] == 0
    _, rew, term, trunc, _ = env.step(np.array([0]))
    assert rew[0] == 1 and not term[0]
    env.state["t"][0] = 199
    _, rew, term, trunc, _ = env.step(np.array([1]))
    assert trunc[0] and rew[0] == 0
    with pytest.raises(ValueError, match="reward_last"):
        npf.make("cartpole", reward_last=float("nan"))
