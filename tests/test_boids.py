"""Boids' rules from hand-set states: flying, the field's clips, margin and crowding rewards,
the boids' order within a step, the observation, the time limit, and reward per step beside
PufferLib's C."""
import numpy as np
import pytest

import numbapuffer as npf
from numbapuffer.envs import boids

f32 = np.float32
STAY = (2, 2)


def flock(n=2, **params):
    params.setdefault("max_steps", 0)
    env = npf.Env(boids.make_game(n), num_envs=1, seed=0, report_interval=0, **params)
    env.reset(seed=0)
    return env


def put(env, **fields):
    for k, v in fields.items():
        env.state[k][0] = v


def step(env, *actions):
    obs, rew, term, trunc, _ = env.step(np.array(actions, np.int64))
    return env.state[0], obs.copy(), rew.copy(), term.copy(), trunc.copy()


def test_start_inside_the_margins_at_rest():
    env = npf.Env(boids.make_game(8), num_envs=500, seed=1)
    env.reset(seed=1)
    s = env.state
    assert s["x"].min() >= 50 and s["x"].max() <= 1030 and s["y"].min() >= 50 and s["y"].max() <= 670
    assert (s["vx"] == 0).all() and (s["vy"] == 0).all()
    assert 520 < s["x"].mean() < 560 and 340 < s["y"].mean() < 380


@pytest.mark.parametrize("action, dv", [(0, -1), (1, -0.5), (2, 0), (3, 0.5), (4, 1)])
def test_actions_change_velocity(action, dv):
    env = flock(1)
    put(env, x=500, y=300, vx=1, vy=-1)
    s, *_ = step(env, (action, 4 - action))
    assert (s["vx"][0], s["vy"][0]) == (1 + dv, -1 - dv)
    assert (s["x"][0], s["y"][0]) == (501 + dv, 299 - dv)


def test_velocity_and_position_are_clipped():
    env = flock(1)
    put(env, x=1047, y=1, vx=4.5, vy=-4.5)
    s, *_ = step(env, (4, 0))
    assert (s["vx"][0], s["vy"][0]) == (5, -5) and (s["x"][0], s["y"][0]) == (1048, 0)


@pytest.mark.parametrize("x, y, reward", [(500, 300, 1), (20, 300, 0), (500, 680, 0), (1040, 10, -1)])
def test_margins(x, y, reward):
    env = flock(1, margin_turn_factor=1.0)
    put(env, x=x, y=y)
    assert step(env, STAY)[2][0] == reward


FAR = [(100, 100), (300, 100), (700, 100), (900, 100), (100, 600), (300, 600), (700, 600), (900, 600)]


@pytest.mark.parametrize("n, reward", [(2, -0.1), (4, -0.3), (6, -0.5), (8, -0.5)])
def test_crowding_costs_up_to_a_half(n, reward):
    env = flock(8, margin_turn_factor=0.0, avoid_factor=1.0)
    x, y = np.array(FAR, np.float32).T  # the other boids far from any
    x[:n], y[:n] = 500 + 10 * np.arange(n), 350  # n boids within 100 pixels of each other
    put(env, x=x, y=y)
    rew = step(env, *[STAY] * 8)[2]
    np.testing.assert_allclose(rew[:n], reward, rtol=1e-6)
    assert (rew[n:] == 0).all()


def test_boids_move_one_after_another():
    env = flock(2, margin_turn_factor=0.0, avoid_factor=1.0)
    put(env, x=(100, 199.5), y=300)
    s, _, rew, *_ = step(env, STAY, (4, 2))  # boid 1 moves away after boid 0 was rewarded
    assert s["x"][1] == 200.5
    np.testing.assert_allclose(rew, [-0.1, 0])


def test_observation_is_relative_to_each_boid():
    env = flock(2)
    put(env, x=(100, 200), y=(100, 50), vx=0, vy=0)
    s, obs, *_ = step(env, STAY, (4, 2))
    view = obs.reshape(2, 2, 4)
    np.testing.assert_array_equal(view[[0, 1], [0, 1]], 0)
    np.testing.assert_allclose(view[0, 1], [(201 - 100) / f32(1080), (50 - 100) / f32(720), 1 / f32(5), 0])
    np.testing.assert_allclose(view[1, 0], -view[0, 1])


def test_max_steps_truncates_every_boid():
    env = flock(2, max_steps=2)
    assert not step(env, STAY, STAY)[4].any()
    s, _, _, term, trunc = step(env, STAY, STAY)
    assert trunc.all() and not term.any() and s["t"] == 0
    log = env.log()
    assert log["n"] == 2 and log["episode_length"] == 2


def test_params_check():
    with pytest.raises(ValueError, match="max_steps=-1"):
        npf.make("boids", max_steps=-1)
    with pytest.raises(ValueError, match="num_boids"):
        boids.make_game(0)
    assert npf.make("boids").num_agents == 1


@pytest.mark.slow
@pytest.mark.parametrize("num_boids, params, games", [
    (1, {}, 1024),
    (64, dict(margin_turn_factor=0.0, avoid_factor=1.0, matching_factor=1.0), 16)])  # PufferLib's config
def test_reward_per_step_matches_the_c(num_boids, params, games, tmp_path, monkeypatch):
    pytest.importorskip("pufferlib.ocean", reason="PufferLib's C envs: ../shared/tools/build_pufferlib.sh VENV all")
    monkeypatch.chdir(tmp_path)  # `import pufferlib` makes a `resources` symlink in the current folder
    from benchmarks.ocean import random_play
    from pufferlib.ocean.boids.boids import Boids
    c = Boids(num_envs=games, num_boids=num_boids, **params)
    c.reset(seed=0)
    ours = npf.Env(boids.make_game(num_boids), num_envs=games, seed=0, max_steps=0, **params)
    ours.reset(seed=0)
    a, b = random_play(ours, 1000), random_play(c, 1000)
    assert a["ends"] == b["ends"] == 0
    assert a["reward"] / a["agent_steps"] == pytest.approx(b["reward"] / b["agent_steps"], rel=0.02)
