"""Grid's rules from hand-set states: turning and stepping, walls, the goal, the horizon, the
observation window, and the maze pool (perfect mazes, the same map for the same index)."""
import numpy as np
import pytest

import numbapuffer as npf
from numbapuffer.envs import grid
from numbapuffer.envs.grid import AGENT, BACK, EMPTY, FORWARD, GOAL, PASS, TURN_LEFT, TURN_RIGHT, WALL

from handset import one_game, put, step

# A hand-made 7x7 room (walls around an empty 5x5), the agent at (x, y) = (2, 3).
ROOM = np.full((9, 9), WALL, np.uint8)
ROOM[1:6, 1:6] = EMPTY


def room(x=2, y=3, heading=0, goal=(5, 5), tick=0):
    env = one_game("grid")
    g = ROOM.copy()
    g[y, x] = AGENT
    g[goal[1], goal[0]] = GOAL
    put(env, grid=g, x=x, y=y, heading=heading, side=7, tick=tick)
    return env


def reachable(g, start):
    seen, todo = {start}, [start]
    while todo:
        y, x = todo.pop()
        for dy, dx in ((1, 0), (-1, 0), (0, 1), (0, -1)):
            n = (y + dy, x + dx)
            if g[n] != WALL and n not in seen:
                seen.add(n)
                todo.append(n)
    return seen


def test_start_on_a_perfect_maze():
    env = npf.make("grid", num_envs=300, seed=2)
    env.reset(seed=2)
    s = env.state
    assert set(np.unique(s["side"])) == {5, 7}
    for k in range(300):
        g, side = s["grid"][k], s["side"][k]
        assert (s["x"][k], s["y"][k], s["heading"][k], s["tick"][k]) == (1, 1, 0, 0)
        assert g[1, 1] == AGENT and g[side - 2, side - 2] == GOAL
        assert (g[side:, :] == WALL).all() and (g[:, side:] == WALL).all()
        assert (g[0, :] == WALL).all() and (g[:, 0] == WALL).all()
        open_cells = {tuple(c) for c in np.argwhere(g != WALL)}
        assert all(y % 2 or x % 2 for y, x in open_cells)  # no (even, even) cell is ever carved
        cells = ((side - 1) // 2) ** 2
        assert len(open_cells) == 2 * cells - 1  # a tree: every odd cell, joined by cells - 1 passages
        assert reachable(g, (1, 1)) == open_cells
    assert env.observations[0].reshape(11, 11)[5, 5] == AGENT


def test_the_pool_maps_an_index_to_one_maze():
    env = npf.make("grid", num_envs=50, seed=0, num_maps=1)
    env.reset(seed=0)
    assert (env.state["grid"] == env.state["grid"][0]).all()
    other = npf.make("grid", num_envs=50, seed=9, num_maps=1)
    other.reset(seed=9)
    assert (other.state["grid"] == env.state["grid"][0]).all()
    many = npf.make("grid", num_envs=200, seed=0, num_maps=1000)
    many.reset(seed=0)
    assert len({g.tobytes() for g in many.state["grid"]}) > 20


def test_map_size_fixes_the_side():
    for size, side in ((5, 5), (6, 5), (9, 9)):
        env = npf.make("grid", num_envs=20, seed=0, map_size=size)
        env.reset(seed=0)
        assert (env.state["side"] == side).all()


@pytest.mark.parametrize("heading, action, x, y, new_heading", [
    (0, FORWARD, 3, 3, 0), (0, TURN_LEFT, 2, 2, 3), (0, TURN_RIGHT, 2, 4, 1), (0, BACK, 1, 3, 2),
    (3, TURN_LEFT, 1, 3, 2), (1, FORWARD, 2, 4, 1), (2, TURN_RIGHT, 2, 2, 3), (0, PASS, 2, 3, 0)])
def test_turn_then_step(heading, action, x, y, new_heading):
    s, obs, rew, term, trunc = step(room(heading=heading), action)
    assert (s["x"], s["y"], s["heading"], s["tick"]) == (x, y, new_heading, 1)
    assert s["grid"][y, x] == AGENT and (s["grid"] == AGENT).sum() == 1 and rew == 0 and not term and not trunc
    assert obs.reshape(11, 11)[5, 5] == AGENT


def test_a_wall_stops_the_step_but_not_the_turn():
    s, *_ = step(room(x=1, y=3), TURN_RIGHT + 1)  # BACK: face west, into the wall
    assert (s["x"], s["y"], s["heading"]) == (1, 3, 2) and s["grid"][3, 1] == AGENT


def test_the_goal_ends_the_episode():
    env = room(x=4, y=5)
    s, obs, rew, term, trunc = step(env, FORWARD)
    assert rew == 1 and term and not trunc
    assert obs.reshape(11, 11)[5, 5] == AGENT  # the final observation: the agent on the goal
    assert (s["x"], s["y"], s["tick"]) == (1, 1, 0)  # a new maze
    log = env.log()
    assert log["score"] == 1 and log["perf"] == 1 and log["episode_return"] == 1 and log["episode_length"] == 1


def test_the_horizon_truncates():
    env = room(tick=2 * 7 * 7 - 2)
    assert not step(env, PASS)[4]
    s, obs, rew, term, trunc = step(env, PASS)
    assert trunc and not term and rew == 0
    log = env.log()
    assert log["score"] == 0 and log["episode_length"] == 2


def test_observation_window():
    env = room(x=2, y=3)
    obs = step(env, PASS)[1].reshape(11, 11)
    expected = np.zeros((11, 11), np.uint8)
    g = env.state["grid"][0]
    expected[2:11, 3:11] = g[0:9, 0:8]  # grid row r, column c at window (r - 3 + 5, c - 2 + 5)
    np.testing.assert_array_equal(obs, expected)
    assert obs[5, 5] == AGENT and obs[7, 8] == GOAL and obs[0, 0] == 0


@pytest.mark.parametrize("params", [dict(num_maps=0), dict(map_size=4), dict(map_size=10), dict(map_size=-2)])
def test_params_check(params):
    with pytest.raises(ValueError):
        npf.make("grid", num_envs=1, **params)


def test_sizes_check():
    with pytest.raises(ValueError):
        grid.make_game(max_size=5)
    g = grid.make_game(max_size=15, vision=3)
    env = npf.Env(g, num_envs=4, seed=0)
    env.reset(seed=0)
    assert env.observations.shape == (4, 49) and env.observations[0].reshape(7, 7)[3, 3] == AGENT
    assert env.state["side"].max() <= 13


@pytest.mark.slow
def test_logged_stats_match_the_c(tmp_path, monkeypatch):
    """Success rate and episode length, as logged, beside the C's own log (its means since the
    last vec_log), under the same random play."""
    pytest.importorskip("pufferlib.ocean", reason="PufferLib's C envs: ../shared/tools/build_pufferlib.sh VENV all")
    from pufferlib.ocean.grid import binding
    from benchmarks.ocean import PAIRS, c_env, our_env, random_play
    monkeypatch.chdir(tmp_path)  # `import pufferlib` makes a `resources` symlink in the current folder
    pair = PAIRS["grid"]
    ours = our_env("grid", pair.parity_games)
    ours.reset(seed=0)
    ours.log()
    random_play(ours, pair.parity_steps)
    c = c_env("grid", pair.parity_games)
    c.report_interval = 10**9  # its step reads (and clears) the log only at tick 0
    random_play(c, pair.parity_steps)
    ours_log, c_log = ours.log(), binding.vec_log(c.c_envs)
    assert ours_log["n"] > 50000
    for k in ("score", "perf", "episode_return"):
        assert ours_log[k] == pytest.approx(c_log[k], rel=0.03), (k, ours_log, c_log)
    assert ours_log["episode_length"] == pytest.approx(c_log["episode_length"], rel=0.02), (ours_log, c_log)
