"""Rware's rules from hand-set states: turning and driving, what a load may enter, the three
rewards and the round trip that ends a robot's episode, chains, loops and head-on pairs, and
the observation of the neighbourhood."""
import numpy as np
import pytest

import numbapuffer as npf
from numbapuffer.envs import rware
from numbapuffer.envs.rware import (CARRYING_EMPTY, CARRYING_REQUESTED, FLOOR, FORWARD, GOAL, LEFT, NOOP, REQUESTED,
                                    RIGHT, SHELF, TOGGLE, UNLOADED)

from handset import put

R_, D_, L_, U_ = 0, 1, 2, 3  # headings: right, down, left, up
COLS = 10
TINY = rware.LAYOUT_1


def cell(x, y):
    return x + y * COLS


def warehouse(robots, requested=(), **fields):
    """One tiny-map game: `robots` = [(x, y, heading, load), ...] for robots 0-3 (the rest are
    parked along the top row), `requested` the shelf cells (x, y) requested."""
    env = npf.make("rware", num_envs=1, seed=0, report_interval=0)
    env.reset(seed=0)
    robots = list(robots) + [(9 - k, 0, L_, UNLOADED) for k in range(4 - len(robots))]
    cells = TINY.copy()
    for x, y in requested:
        cells[cell(x, y)] = REQUESTED
    put(env, cells=cells, loc=[cell(x, y) for x, y, _, _ in robots], heading=[h for _, _, h, _ in robots],
        load=[load for *_, load in robots], target=[-1] * 4, cycle=[-1] * 4, weight=[0] * 4, num_cycles=0, **fields)
    return env


def step(env, *actions):
    actions = list(actions) + [NOOP] * (4 - len(actions))
    obs, rew, term, trunc, _ = env.step(np.array(actions))
    return env.state[0], obs.copy(), rew.copy(), term.copy(), trunc.copy()


def where(s, k):
    return int(s["loc"][k] % COLS), int(s["loc"][k] // COLS)


def test_start():
    env = npf.make("rware", num_envs=200, seed=3)
    env.reset(seed=3)
    s = env.state
    assert ((s["cells"] == REQUESTED).sum(1) == 4).all()
    unrequested = np.where(s["cells"] == REQUESTED, SHELF, s["cells"])
    np.testing.assert_array_equal(unrequested, np.broadcast_to(TINY, (200, 110)))
    for g in range(200):
        assert len(set(s["loc"][g])) == 4 and (TINY[s["loc"][g]] == FLOOR).all()
    assert (s["load"] == UNLOADED).all() and set(s["heading"].ravel()) == {0, 1, 2, 3}
    assert env.num_agents == 800 and env.observations.shape == (800, 27)


def test_turns_do_not_move():
    s, *_ = step(warehouse([(3, 3, R_, 0)]), LEFT)
    assert where(s, 0) == (3, 3) and s["heading"][0] == U_
    s, *_ = step(warehouse([(3, 3, R_, 0)]), RIGHT)
    assert where(s, 0) == (3, 3) and s["heading"][0] == D_


def test_an_empty_robot_drives_under_shelves_but_not_off_the_map():
    s, *_ = step(warehouse([(3, 3, L_, 0)]), FORWARD)
    assert where(s, 0) == (2, 3) and s["cells"][cell(2, 3)] == SHELF
    s, *_ = step(warehouse([(0, 3, L_, 0)]), FORWARD)
    assert where(s, 0) == (0, 3)


def test_a_loaded_robot_keeps_off_shelves_and_an_emptied_one_off_the_goal():
    s, *_ = step(warehouse([(3, 3, L_, CARRYING_REQUESTED)]), FORWARD)
    assert where(s, 0) == (3, 3)
    s, *_ = step(warehouse([(4, 9, D_, CARRYING_EMPTY)]), FORWARD)
    assert where(s, 0) == (4, 9)
    s, *_ = step(warehouse([(4, 9, D_, UNLOADED)]), FORWARD)
    assert where(s, 0) == (4, 10)


def test_a_round_trip():
    env = warehouse([(2, 3, R_, UNLOADED)], requested=[(2, 3)])
    s, obs, rew, term, trunc = step(env, TOGGLE)  # lift the requested shelf
    assert rew[0] == 0.5 and s["load"][0] == CARRYING_REQUESTED and obs[0, 2] == 1 and not trunc.any()
    step(env, FORWARD)  # the shelf goes along
    assert s["cells"][cell(2, 3)] == FLOOR and s["cells"][cell(3, 3)] == REQUESTED
    put(env, loc=[cell(4, 9), *s["loc"][1:]], heading=[D_, *s["heading"][1:]])
    s["cells"][cell(3, 3)] = FLOOR
    s, obs, rew, *_ = step(env, FORWARD)  # into the goal: the shelf is on the goal cell with it
    assert where(s, 0) == (4, 10) and s["cells"][cell(4, 10)] == GOAL
    s, obs, rew, *_ = step(env, TOGGLE)  # unload: another shelf is requested
    assert rew[0] == 0.5 and s["load"][0] == CARRYING_EMPTY and (s["cells"] == REQUESTED).sum() == 1
    assert obs[0, 2] == 2
    s, *_ = step(env, LEFT)
    s, *_ = step(env, LEFT)  # facing up
    s, *_ = step(env, FORWARD)
    assert where(s, 0) == (4, 9) and s["cells"][cell(4, 9)] == SHELF and s["cells"][cell(4, 10)] == GOAL
    s, _, rew, *_ = step(env, TOGGLE)  # not a shelf's cell: nothing
    assert rew[0] == 0 and s["load"][0] == CARRYING_EMPTY
    put(env, loc=[cell(2, 3), *s["loc"][1:]])  # a free shelf cell (its shelf is away)
    s["cells"][cell(4, 9)] = FLOOR
    s["cells"][cell(2, 3)] = SHELF
    s, _, rew, term, trunc = step(env, TOGGLE)
    assert rew[0] == 1 and trunc[0] and not trunc[1:].any() and not term.any() and s["load"][0] == UNLOADED
    log = env.log()
    assert log["n"] == 1 and log["episode_return"] == 2 and log["score"] == 1 and log["episode_length"] == 9
    assert log["perf"] == pytest.approx(0.91)


def test_toggle_on_a_plain_shelf_does_nothing():
    s, _, rew, *_ = step(warehouse([(2, 3, R_, UNLOADED)]), TOGGLE)
    assert rew[0] == 0 and s["load"][0] == UNLOADED


def test_a_chain_follows_its_head():
    s, *_ = step(warehouse([(3, 3, R_, 0), (4, 3, R_, 0), (5, 3, R_, 0)]), FORWARD, FORWARD, FORWARD)
    assert [where(s, k) for k in range(3)] == [(4, 3), (5, 3), (6, 3)]


def test_blocked_by_a_robot_that_stays():
    s, *_ = step(warehouse([(3, 3, R_, 0), (4, 3, R_, 0)]), FORWARD, NOOP)
    assert where(s, 0) == (3, 3)


def test_head_on_robots_stay():
    s, *_ = step(warehouse([(3, 3, R_, 0), (4, 3, L_, 0)]), FORWARD, FORWARD)
    assert where(s, 0) == (3, 3) and where(s, 1) == (4, 3)


def test_a_loop_of_four_turns_round():
    robots = [(3, 3, R_, 0), (4, 3, D_, 0), (4, 4, L_, 0), (3, 4, U_, 0)]
    s, *_ = step(warehouse(robots), FORWARD, FORWARD, FORWARD, FORWARD)
    assert [where(s, k) for k in range(4)] == [(4, 3), (4, 4), (3, 4), (3, 3)]


def test_observation():
    env = warehouse([(3, 3, R_, 0), (4, 2, D_, 0), (2, 4, L_, 0)], requested=[(2, 3)])
    obs = step(env, NOOP)[1][0]
    np.testing.assert_allclose(obs[:3], [33 / 110, 0.25, 0], rtol=1e-6)
    around = obs[3:].reshape(8, 3)  # N, NE, E, SE, S, SW, W, NW
    np.testing.assert_allclose(around[:, 0], [0, 1, 0, 0, 0, 1, 0, 0])
    np.testing.assert_allclose(around[:, 1], [0, 0.5, 0, 0, 0, 0.75, 0, 0])
    np.testing.assert_allclose(around[:, 2], [0.25, 0.25, 0.25, 0.25, 0.25, 0.5, 0.75, 0.5])
    corner = step(warehouse([(0, 0, U_, 0)]), NOOP)[1][0, 3:].reshape(8, 3)
    assert (corner[[0, 1, 5, 6, 7]] == 0).all() and corner[2, 2] == 0.25


@pytest.mark.parametrize("bad", [0, 28])
def test_params_check(bad):
    with pytest.raises(ValueError):
        npf.make("rware", num_envs=1, num_requested_shelves=bad)


def test_sizes():
    with pytest.raises(ValueError):
        rware.make_game(map_choice=4)
    for choice, cells, shelves in ((2, 200, 80), (3, 320, 144)):
        env = npf.Env(rware.make_game(num_agents=8, map_choice=choice), num_envs=3, seed=0)
        env.reset(seed=0)
        assert env.state["cells"].shape == (3, cells) and len(rware.SHELVES[choice - 1]) == shelves
        env.step(np.random.default_rng(0).integers(0, 5, 24))


@pytest.mark.slow
def test_logged_round_trips_match_the_c(tmp_path, monkeypatch):
    """Round trips as logged (return, length, perf) beside the C's own log, same random play."""
    pytest.importorskip("pufferlib.ocean", reason="PufferLib's C envs: ../shared/tools/build_pufferlib.sh VENV all")
    from pufferlib.ocean.rware import binding
    from benchmarks.ocean import PAIRS, c_env, our_env, random_play
    monkeypatch.chdir(tmp_path)  # `import pufferlib` makes a `resources` symlink in the current folder
    pair = PAIRS["rware"]
    ours = our_env("rware", pair.parity_games)
    ours.reset(seed=0)
    ours.log()
    random_play(ours, pair.parity_steps)
    c = c_env("rware", pair.parity_games)  # its step never reads the log (report_interval)
    random_play(c, pair.parity_steps)
    ours_log, c_log = ours.log(), binding.vec_log(c.c_envs)
    assert ours_log["n"] > 3000
    assert ours_log["episode_return"] == pytest.approx(c_log["episode_return"], rel=0.01), (ours_log, c_log)
    assert ours_log["score"] == c_log["score"] == 1
    assert ours_log["episode_length"] == pytest.approx(c_log["episode_length"], rel=0.05), (ours_log, c_log)
    assert ours_log["perf"] == pytest.approx(c_log["perf"], rel=0.1, abs=0.01), (ours_log, c_log)
