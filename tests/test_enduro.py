"""Enduro's rules from hand-set states, and (slow, where PufferLib's C is importable) its
logged stats beside the C's under random play."""
import numpy as np
import pytest

import numbapuffer as npf
from numbapuffer.envs import enduro as E

from handset import one_game, put, step

NOOP, FIRE, RIGHT, LEFT, DOWN = range(5)
EMPTY_LANE = 0.05


def game(**fields):
    env = one_game("enduro")
    put(env, **fields)
    return env


def cars(env, **fields):
    """Put cars in slots 0.. of the game: fields are lists (lane, y, last_y, ...)."""
    n = len(next(iter(fields.values())))
    for k, v in fields.items():
        env.state["car_" + k][0, :n] = v
    env.state["num_enemies"][0] = n
    env.state["car_x"][0, :n] = 80


def test_start():
    env = one_game("enduro")
    s, obs = env.state[0], env.observations[0]
    assert (s["player_x"], s["player_y"], s["speed"], s["day"], s["cars_to_pass"]) == (69, 143, -2.5, 1, 200)
    assert s["elapsed"] == 0 and s["num_enemies"] == 0
    assert obs.shape == (68,) and obs[2] == 0 and obs[63] == 1 and obs[62] == 0
    np.testing.assert_array_equal(obs[64:67], 1)  # no car ahead in any lane
    np.testing.assert_array_equal(obs[8:58].reshape(10, 5), [[0.5, 0.5, 0, 0, 0]] * 10)


def test_accelerate_brake_and_steer():
    env = game()
    s, *_ = step(env, FIRE)
    assert s["speed"] == pytest.approx(-2.5 + 4 * E.GEAR_RATES[0])
    put(env, speed=1.0)
    s, *_ = step(env, DOWN)
    assert s["speed"] == pytest.approx(0.99)
    put(env, speed=-2.5, player_x=69)
    s, *_ = step(env, RIGHT)  # by (speed + 2.5) / 10 + 0.3 pixels
    assert s["player_x"] == pytest.approx(69.3)
    s, *_ = step(env, LEFT)
    assert s["player_x"] == pytest.approx(69.0)


def test_gears_cap_the_speed_until_the_next_gear():
    env = game(speed=E.GEAR_TOPS[0] - 0.01)
    s, *_ = step(env, FIRE)
    assert s["gear"] == 0 and s["speed"] == pytest.approx(E.GEAR_TOPS[0])
    s, *_ = step(env, FIRE)
    assert s["gear"] == 1 and s["speed"] == pytest.approx(E.GEAR_TOPS[0] + 2 * E.GEAR_RATES[1])


def test_empty_lane_reward():
    env = game()
    *_, rew, term, trunc = step(env, NOOP)
    assert rew == pytest.approx(EMPTY_LANE) and not term and not trunc
    cars(env, lane=[1], y=[100], last_y=[100])  # ahead in the player's lane
    *_, rew, _, _ = step(env, NOOP)
    assert rew == 0


def test_road_edge_crash_then_controls_off_and_a_lasting_penalty():
    env = game()
    for _ in range(500):  # steer right into the road's edge
        s, obs, rew, *_ = step(env, RIGHT)
        if s["road_collisions"]:
            break
    assert s["road_collisions"] == 1 and s["road_cooldown"] == 20 and rew == pytest.approx(EMPTY_LANE - 0.5)
    assert s["speed"] == -2.5 and s["player_x"] == pytest.approx(s["last_road_right"] - 1)
    x = s["player_x"]
    s, _, rew, *_ = step(env, FIRE)  # ignored: the car drifts toward the middle instead
    assert s["speed"] == -2.5 and s["road_cooldown"] == 19 and s["drift"] == -1 and s["player_x"] < x
    assert rew == pytest.approx(EMPTY_LANE - 0.01)
    put(env, road_cooldown=0)
    *_, rew, _, _ = step(env, NOOP)
    assert rew == pytest.approx(EMPTY_LANE - 0.01)  # the C never clears its crash penalty


def test_overtaking_a_car():
    env = game(speed=5.0)  # player_y 136.25: a car passes it at y 147.25
    cars(env, lane=[0], y=[146.9], last_y=[146.9])
    s, obs, rew, *_ = step(env, NOOP)
    assert s["cars_to_pass"] == 199 and s["passed_cars"] == 1 and s["car_passed"][0] == 1
    assert rew == pytest.approx(1 + EMPTY_LANE + 0.001)  # and 0.001 a step from now on
    *_, rew, _, _ = step(env, NOOP)
    assert rew == pytest.approx(EMPTY_LANE + 0.001)


@pytest.mark.parametrize("cars_to_pass, after, penalty", [(150, 151, -0.1), (200, 200, 0)])
def test_overtaken_by_a_car(cars_to_pass, after, penalty):
    env = game(speed=-2.0, cars_to_pass=cars_to_pass)  # player_y 142.55
    cars(env, lane=[0], y=[143.0], last_y=[143.0])
    s, obs, rew, *_ = step(env, NOOP)
    assert s["passed_by_enemy"] == 1 and s["cars_to_pass"] == after
    assert rew == pytest.approx(EMPTY_LANE + penalty)


def test_hitting_a_car():
    env = game()
    cars(env, lane=[1], y=[140.0], last_y=[138.0])
    s, obs, rew, *_ = step(env, NOOP)
    assert s["car_collisions"] == 1 and s["car_cooldown"] == 90 and s["speed"] == -1.5
    assert s["passed_active"] == 0 and s["pass_bonus"] == 0
    assert rew == pytest.approx(-0.5)  # the car was ahead in the player's lane: no empty-lane reward


def test_a_day_missed_ends_the_episode():
    env = game(elapsed=E.DAY_LENGTH - 0.01, time_index=15, day_phase=15, cars_to_pass=5, score=100)
    s, obs, rew, term, trunc = step(env, NOOP)
    assert term and not trunc
    assert s["elapsed"] == 0 and s["day"] == 1 and s["cars_to_pass"] == 200  # a new game from dawn
    log = env.log()
    assert log["n"] == 1 and log["cars_to_pass"] == 5 and log["days_completed"] == 0 and log["score"] == 100


def test_a_day_won_goes_on():
    env = game(elapsed=E.DAY_LENGTH - 0.01, time_index=15, day_phase=15, cars_to_pass=0)
    s, obs, rew, term, _ = step(env, NOOP)
    assert not term and s["day"] == 2 and s["cars_to_pass"] == 300 and s["days_completed"] == 1
    assert rew == pytest.approx(1 + EMPTY_LANE) and obs[63] == 1.5
    assert s["elapsed"] < 0.02 and env.log() == {}


def test_a_day_is_13921_steps():  # 232 s of 60 steps, and float32 rounding of the clock (as the C's)
    env = npf.make("enduro", num_envs=4, seed=3, report_interval=0)
    env.reset(seed=3)
    ends = []
    for t in range(14000):
        _, _, term, _, _ = env.step(np.full(4, NOOP))
        if term.any():
            ends.append(t + 1)
            assert term.all()
    assert ends == [13921]


def test_no_params():
    with pytest.raises((TypeError, ValueError)):
        npf.make("enduro", width=100)


@pytest.mark.slow
def test_logged_stats_match_the_c(tmp_path, monkeypatch):
    """Per step of play (the C's first episodes start at random times of day, ours at dawn, so
    per-episode sums differ; rates do not): random play's logged counts beside the C's.
    1024 games: the rarest count (collisions with cars, ~4 an episode) has a standard error of
    ~2% a run at 256 games (the C's runs drew 0.000318-0.000332 a step), ~0.8% at 1024."""
    pytest.importorskip("pufferlib.ocean", reason="PufferLib's C envs")
    monkeypatch.chdir(tmp_path)
    from benchmarks.ocean import c_env, our_env, random_actions
    fields = ["score", "passed_cars", "passed_by_enemy", "collisions_player_vs_car", "collisions_player_vs_road"]
    games, steps = 1024, 4 * 13920 + 80
    rates = []
    for make in (our_env, c_env):
        env = make("enduro", games, 0)
        if make is our_env:
            env.reset(seed=0)
        acts = random_actions(env.single_action_space, games, 64, 0).astype(env.actions.dtype)
        total = dict.fromkeys(fields + ["episode_length", "n"], 0.0)
        logs = []
        for t in range(steps):
            infos = env.step(acts[t % 64])[4]
            if make is c_env:
                logs += infos
        if make is our_env:
            logs.append(env.log())
        else:  # what the C logged after its last report
            from pufferlib.ocean.enduro import binding
            logs.append(binding.vec_log(env.c_envs))
        for d in logs:
            if d:
                for f in total:
                    total[f] += d[f] * (1 if f == "n" else d["n"])
        env.close()
        assert total["n"] >= 1000
        rates.append({f: total[f] / total["episode_length"] for f in fields})
    for f in fields:
        assert rates[0][f] == pytest.approx(rates[1][f], rel=0.05), (f, rates)
