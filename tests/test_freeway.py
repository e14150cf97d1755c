"""Freeway's rules from hand-set states (frameskip 4, the default, unless a test says
otherwise), the episode's fixed length and its log, and its logged stats beside PufferLib's C."""
import numpy as np
import pytest

import numbapuffer as npf
from numbapuffer.envs.freeway import SPEEDS, START_SPEED, START_X, TICK, VEHICLES

from handset import one_game, put, step

f32 = np.float32
STAY, UP, DOWN = 0, 1, 2
BOTTOM = f32(720 - 32)
MOVE = f32(1) / f32(3.5) * f32(720) * TICK  # pixels a tick
CLEAR = np.full((10, 3), 900, np.float32)  # every vehicle far right of the chicken (x = 304)


def freeway(**params):
    params.setdefault("env_randomization", False)
    env = one_game("freeway", **params)
    put(env, x=CLEAR)
    return env


def test_start_and_observation():
    env = freeway(level=1)
    env.reset(seed=0)
    s, obs = env.state[0], env.observations[0]
    assert (s["player_y"], s["best_lane"], s["stun"], s["score"], s["tick"]) == (BOTTOM, 0, 0, 0, 0)
    np.testing.assert_array_equal(obs[:4], [BOTTOM / f32(720), 0, 0, 0])
    want = np.where(np.arange(3) < VEHICLES[1][:, None], START_X[1], 0).astype(np.float32)
    want[5:] = np.where(np.arange(3) < VEHICLES[1][5:, None], 1 - want[5:], 0)
    np.testing.assert_allclose(obs[4:].reshape(10, 3), want, atol=1e-6)
    assert (s["speed"] == START_SPEED[1]).all()
    np.testing.assert_allclose(s["vx"][:5], SPEEDS[START_SPEED[1][:5]] * TICK * 1216, rtol=1e-6)
    assert (s["vx"][5:] < 0).all()


def test_randomized_start_shifts_each_lane():
    env = npf.make("freeway", num_envs=2000, seed=3)
    env.reset(seed=3)
    shift = env.state["x"][:, :5, 0] / 1216  # level 0's right lanes start at 0, then shifted
    assert shift.min() >= 0 and shift.max() < 1 and 0.45 < shift.mean() < 0.55


@pytest.mark.parametrize("action, dy", [(STAY, 0), (UP, -4), (DOWN, 4)])
def test_moves(action, dy):
    env = freeway()
    put(env, player_y=400, best_lane=5)  # lanes 0-4 already reached
    s, obs, rew, term, _ = step(env, action)
    assert s["player_y"] == pytest.approx(400 + dy * MOVE, abs=1e-3) and rew == 0 and not term
    assert obs[0] == s["player_y"] / f32(720)


def test_edges_clip():
    env = freeway()
    s, *_ = step(env, DOWN)
    assert s["player_y"] == BOTTOM
    put(env, player_y=34)
    s, *_ = step(env, UP)
    assert s["player_y"] == 32


def test_each_new_lane_pays_a_tenth_once():
    env = freeway()
    put(env, player_y=620)
    s, obs, rew, *_ = step(env, UP)  # y <= 680 - 64: lane 0 reached in the second tick
    assert s["best_lane"] == 1 and rew == pytest.approx(0.1) and obs[1] == f32(0.1)
    put(env, player_y=620)
    s, _, rew, *_ = step(env, UP)  # the same lane again pays nothing
    assert s["best_lane"] == 1 and rew == 0


def test_a_crossing_pays_one_more_and_restarts_at_the_bottom():
    env = freeway()
    put(env, player_y=45, best_lane=9)
    s, obs, rew, term, _ = step(env, UP)
    assert rew == pytest.approx(1.1) and not term
    assert (s["score"], s["best_lane"]) == (1, 0)
    assert s["player_y"] == pytest.approx(BOTTOM - 2 * MOVE, abs=1e-3)  # 2 ticks of up after the crossing
    assert obs[2] == f32(1) / f32(25)  # crossings / level 0's human high score


def test_sparse_rewards_pay_two_per_crossing_only():
    env = freeway(use_dense_rewards=False)
    put(env, player_y=620)
    assert step(env, UP)[2] == 0
    put(env, player_y=45, best_lane=9)
    assert step(env, UP)[2] == 2
    put(env, player_y=BOTTOM, x=np.full((10, 3), 300, np.float32))
    s, _, rew, *_ = step(env)
    assert s["hits"] == 1 and rew == 0


def test_a_hit_stuns_and_pushes_down():
    env = freeway()
    x = CLEAR.copy()
    x[2, 0] = 304  # lane 2: y = 680 - 128 - 32 = 520
    put(env, player_y=530, x=x, best_lane=3)
    s, obs, rew, *_ = step(env, UP)
    assert (s["hits"], s["stun"]) == (1, 40 - 3) and rew == pytest.approx(-0.01) and obs[3] == 1
    # one tick up, hit, then pushed down the next three ticks
    assert s["player_y"] == pytest.approx(530 - MOVE + 3 * f32(1.5 * 64 / 40), abs=1e-3)
    for _ in range(9):
        s, _, rew, *_ = step(env, UP)
    assert s["stun"] == 1 and s["hits"] == 1 and rew == 0
    s, obs, *_ = step(env, STAY)
    assert s["stun"] == 0 and obs[3] == 0


def test_a_hit_sends_back_to_the_bottom_at_difficulty_1():
    env = freeway(difficulty=1)
    x = CLEAR.copy()
    x[2, 0] = 304
    put(env, player_y=530, x=x)
    s, _, rew, *_ = step(env, STAY)
    assert (s["hits"], s["stun"], s["player_y"]) == (1, 0, BOTTOM) and rew == pytest.approx(-0.01)


def test_a_truck_is_two_cars_wide():
    env = freeway(level=3)  # every lane trucks
    x = CLEAR.copy()
    x[0, 0] = 304 + 32 + 64 - 1  # the truck's left end (x - 64) just inside the chicken's right (336)
    put(env, x=x)
    assert step(env)[0]["hits"] == 1
    env = freeway(level=0)
    put(env, x=x)
    assert step(env)[0]["hits"] == 0


def test_traffic_wraps_around():
    env = freeway()
    x = CLEAR.copy()
    x[0, 0] = 1247  # right-bound, past 1216 + 32 it wraps
    x[9, 0] = -31   # left-bound, past -32 it wraps
    put(env, x=x)
    s, *_ = step(env)
    vx0, vx9 = s["vx"][0], s["vx"][9]
    assert s["x"][0, 0] == pytest.approx(1247 + 4 * vx0 - 1216, abs=1e-3)
    assert s["x"][9, 0] == pytest.approx(-31 + 4 * vx9 + 1216, abs=1e-3)


@pytest.mark.parametrize("level, changes", [(0, False), (4, True)])
def test_speeds_change_every_6_seconds_on_levels_4_to_7(level, changes):
    env = npf.make("freeway", num_envs=200, seed=1, level=level, env_randomization=False)
    env.reset(seed=1)
    start = env.state["speed"].copy()
    for _ in range(89):
        env.step(np.zeros(200, np.int32))
    assert (env.state["speed"] == start).all()  # tick 356
    env.step(np.zeros(200, np.int32))  # tick 360
    moved = env.state["speed"] - start
    assert moved.any() == changes and np.abs(moved).max() <= 1
    np.testing.assert_allclose(np.abs(env.state["vx"]), SPEEDS[env.state["speed"]] * TICK * 1216, rtol=1e-6)


def test_an_episode_is_136_seconds_and_logs_its_stats():
    env = freeway()
    env.reset(seed=0)
    ups = [UP if t % 2 else STAY for t in range(2040)]
    for t, a in enumerate(ups):
        s, _, _, term, trunc = step(env, a)
        assert term == (t == 2039) and not trunc
    log = env.log()
    assert log["n"] == 1 and log["episode_length"] == 2040 and log["up_action_frac"] == 0.5
    assert log["score"] >= 1 and log["perf"] == log["score"] / 25
    assert env.state[0]["tick"] == 0


def test_params_check():
    for bad, match in ((dict(level=8), "level=8 must be <= 7"), (dict(level=-2), "level=-2 must be >= -1"),
                       (dict(frameskip=0), "frameskip=0 must be >= 1"), (dict(difficulty=2), "difficulty=2"),
                       (dict(car_width=700), "truck"), (dict(lane_size=70), "ten lanes"),
                       (dict(width=0), "width=0")):
        with pytest.raises(ValueError, match=match):
            npf.make("freeway", **bad)
    env = npf.make("freeway", num_envs=64, preset="pufferlib", seed=0)
    env.reset(seed=0)
    assert len(set(env.state["level"])) == 8


@pytest.mark.slow
def test_logged_stats_match_the_c(tmp_path, monkeypatch):
    pytest.importorskip("pufferlib.ocean", reason="PufferLib's C envs: ../shared/tools/build_pufferlib.sh VENV all")
    monkeypatch.chdir(tmp_path)  # `import pufferlib` makes a `resources` symlink in the current folder
    from benchmarks.ocean import c_env, our_env, random_play
    from pufferlib.ocean.freeway import binding
    ours, c = our_env("freeway", 2048), c_env("freeway", 2048)
    ours.reset(seed=0)
    random_play(ours, 2040)
    random_play(c, 2040)
    a, b = ours.log(), binding.vec_log(c.c_envs)
    assert a["n"] == b["n"] == 2048
    for k in ("episode_return", "hits", "up_action_frac"):
        assert a[k] == pytest.approx(b[k], rel=0.03), (k, a, b)
    assert a["score"] < 0.05 and b["score"] < 0.05  # random play rarely crosses
