"""Acrobot, MountainCar, MountainCarContinuous and Pendulum against gymnasium's own envs: the
same state in, the same observations, rewards, terminations and truncations out.

MountainCar and MountainCarContinuous agree to 1e-5 over whole episodes. Acrobot and
Pendulum integrate `sin`/`cos`, whose last bits may differ between numpy and Numba, and
their swings amplify a difference: they are held to 1e-5 for the first AMPLIFIED steps of
every episode, and to rewards, terminations and truncations while the observations agree.
(Measured: of 150 random Acrobot episodes, 75,000 steps, one drifted past 1e-5, at its step
493; 600 Pendulum episodes and 150 goal-reaching Acrobot episodes agreed throughout.)
"""
import gymnasium
import numpy as np
import pytest

import numbapuffer as npf
from numbapuffer.envs import MAX_EPISODE_STEPS

FIELDS = {"acrobot": ("theta1", "theta2", "dtheta1", "dtheta2"), "mountaincar": ("position", "velocity"),
          "mountaincar_continuous": ("position", "velocity"), "pendulum": ("th", "thdot")}
GYM = {"acrobot": "Acrobot-v1", "mountaincar": "MountainCar-v0", "mountaincar_continuous": "MountainCarContinuous-v0",
       "pendulum": "Pendulum-v1"}
AMPLIFIED = 100  # steps of Acrobot and Pendulum episodes held to 1e-5


def state_of(env, name):
    s = np.array([env.state[f][0] for f in FIELDS[name]])
    # gymnasium keeps MountainCarContinuous's state in float32 after its first step
    return s.astype(np.float32) if name == "mountaincar_continuous" else s


def policy(name, kind, obs, rng):
    """An action for gymnasium and numbapuffer alike: random (Box actions beyond the bounds
    too, to exercise the clipping), or one that reaches the goal (pumping energy)."""
    if name in ("mountaincar", "acrobot"):
        if kind == "random":
            return int(rng.integers(3))
        if name == "acrobot":  # torque against the first link's swing
            return 0 if obs[4] > 0 else 2
        return 2 if obs[1] > 0 else 0
    if kind == "random":
        return np.array([rng.uniform(-1.5, 1.5) * (2 if name == "pendulum" else 1)], np.float32)
    if name == "pendulum":  # push along the swing
        return np.array([2.0 if obs[2] > 0 else -2.0], np.float32)
    return np.array([1.0 if obs[1] >= 0 else -1.0], np.float32)


def run_episodes(name, kind, episodes, seed=0):
    """Steps both side by side; returns per episode (length, first step whose observation
    differs by more than 1e-5 or None, how it ended)."""
    env = npf.make(name, num_envs=1, seed=seed, autoreset="disabled", report_interval=0)
    env.reset(seed=seed)
    ref = gymnasium.make(GYM[name])
    rng = np.random.default_rng(seed + 1)
    out = []
    for episode in range(episodes):
        ref.reset(seed=episode)  # restarts the TimeLimit count; the state is then set to ours
        if episode:
            env.reset(mask=np.array([True]))
        ref.unwrapped.state = state_of(env, name)
        obs, differs = env.observations[0].copy(), None
        for t in range(1, 10_000):
            a = policy(name, kind, obs, rng)
            robs, rrew, rterm, rtrunc, _ = ref.step(a)
            nobs, nrew, nterm, ntrunc, _ = env.step(np.array([a]))
            obs = nobs[0].copy()
            if differs is None and np.abs(obs - robs).max() > 1e-5:
                differs = t
            if differs is None:
                assert abs(nrew[0] - rrew) <= 1e-5 * max(1, abs(rrew)), (name, episode, t, nrew[0], rrew)
                assert (nterm[0], ntrunc[0]) == (rterm, rtrunc), (name, episode, t)
            if nterm[0] or ntrunc[0] or rterm or rtrunc:
                break
        out.append((t, differs, "terminated" if nterm[0] else "truncated"))
    return out


@pytest.mark.parametrize("name", ["mountaincar", "mountaincar_continuous"])
@pytest.mark.parametrize("kind", ["random", "goal"])
def test_mountain_cars_agree_over_whole_episodes(name, kind):
    results = run_episodes(name, kind, 12 if kind == "random" else 30)
    assert all(differs is None for _, differs, _ in results), results
    ends = [end for _, _, end in results]
    if kind == "goal":
        assert ends.count("terminated") == len(ends)
    elif name == "mountaincar":
        assert ends.count("truncated") == len(ends)  # 200 random steps never reach the flag


@pytest.mark.parametrize("name", ["acrobot", "pendulum"])
@pytest.mark.parametrize("kind", ["random", "goal"])
def test_amplifying_envs_agree_for_the_first_100_steps_of_every_episode(name, kind):
    results = run_episodes(name, kind, 8)
    for length, differs, _ in results:
        assert differs is None or differs > min(AMPLIFIED, length), results
    if name == "acrobot" and kind == "goal":
        assert all(end == "terminated" for _, _, end in results)


def test_spaces_limits_and_state_dtypes_match_gymnasium():
    for name, gym_id in GYM.items():
        env = npf.make(name)
        ref = gymnasium.make(gym_id)
        assert env.single_observation_space == ref.observation_space, name
        assert env.single_action_space == ref.action_space, name
        assert all(env.state.dtype[f] == np.float64 for f in FIELDS[name])
        assert env.game.defaults["max_steps"] == ref.spec.max_episode_steps == MAX_EPISODE_STEPS[name]
    assert npf.make("cartpole").game.defaults["max_steps"] == MAX_EPISODE_STEPS["cartpole"]


def test_gymnasium_specs_carry_the_time_limit():
    for name, gym_id in GYM.items():
        spec = gymnasium.spec(f"numbapuffer/{gym_id.split('-')[0]}-v0")
        assert spec.max_episode_steps == MAX_EPISODE_STEPS[name]
    assert gymnasium.spec("numbapuffer/CartPole-v0").max_episode_steps == 500
    assert gymnasium.spec("numbapuffer/Pong-v0").max_episode_steps is None
    vec = gymnasium.make_vec("numbapuffer/Pendulum-v0", num_envs=2)
    assert vec.env.params["max_steps"][0] == 200
    vec = gymnasium.make_vec("numbapuffer/Pendulum-v0", num_envs=2, max_episode_steps=7)
    assert vec.env.params["max_steps"][0] == 7
    vec.reset(seed=0)
    truncs = [vec.step(np.zeros((2, 1), np.float32))[3][0] for _ in range(7)]
    assert truncs == [False] * 6 + [True]
    one = gymnasium.make("numbapuffer/MountainCar-v0")
    one.reset(seed=0)
    steps = 1
    while not any(one.step(1)[2:4]):
        steps += 1
    assert steps == 200


def test_box_actions_are_clipped_as_gymnasium_and_nan_rejected():
    for name, bounds in (("pendulum", 2.0), ("mountaincar_continuous", 1.0)):
        env = npf.make(name, num_envs=1, seed=0, report_interval=0)
        env.reset(seed=0)
        ref = gymnasium.make(GYM[name]).unwrapped
        ref.reset(seed=0)
        for value in (5.0, -5.0, np.inf, -np.inf, bounds, -bounds, 0.3):
            ref.state = state_of(env, name)
            a = np.array([value], np.float32)
            robs, rrew = ref.step(a)[:2]
            nobs, nrew = env.step(a[None])[:2]
            np.testing.assert_allclose(nobs[0], robs, rtol=0, atol=1e-6, err_msg=f"{name} {value}")
            assert nrew[0] == np.float32(rrew), (name, value)
        before = env.state.copy()
        with pytest.raises(ValueError, match="NaN"):
            env.step(np.array([[np.nan]], np.float32))
        assert env.state.tobytes() == before.tobytes()
        env.step(np.zeros((1, 1), np.float32))  # still works


def test_start_states_in_gymnasiums_ranges():
    ranges = {"acrobot": [(-0.1, 0.1)] * 4, "mountaincar": [(-0.6, -0.4), (0, 0)],
              "mountaincar_continuous": [(-0.6, -0.4), (0, 0)], "pendulum": [(-np.pi, np.pi), (-1, 1)]}
    for name, rows in ranges.items():
        env = npf.make(name, num_envs=5000, seed=3)
        env.reset(seed=3)
        for f, (lo, hi) in zip(FIELDS[name], rows):
            v = env.state[f]
            assert lo <= v.min() and v.max() <= hi, (name, f)
            if hi > lo:
                assert v.max() - v.min() > 0.95 * (hi - lo) and abs(v.mean() - (lo + hi) / 2) < 0.03 * (hi - lo)
    acro = npf.make("acrobot", num_envs=16, seed=0)
    acro.reset(seed=0)
    assert np.array_equal(acro.state["theta1"], acro.state["theta1"].astype(np.float32))  # gymnasium's rounding
