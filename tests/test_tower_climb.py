"""Tower Climb's rules from hand-set worlds, its level bank, and (slow, where PufferLib's C is
importable) its logged stats beside the C's under random play."""
import numpy as np
import pytest

import numbapuffer as npf
from numbapuffer.envs import tower_climb_levels as L

from handset import one_game, put, step

RIGHT, DOWN, LEFT, UP, GRAB, DROP = range(6)
FAR = 999  # a goal cell out of the way


def cell(x, z, y):
    return x + 10 * z + 100 * y


def has(s, c):
    """Whether game record `s` has a cube in cell c (cubes are bits)."""
    return bool((s["blocks"][c >> 3] >> (c & 7)) & 1)


def world(cubes=(), ground=range(1, 9), pos=cell(3, 3, 2), facing=RIGHT, hanging=0, held=-1, goal=FAR, **params):
    """One game: floor 1 filled over x in `ground` (z 1-8), plus `cubes`; the robot at `pos`."""
    env = one_game("tower_climb", **params)
    b = np.zeros(1000, np.uint8)
    for x in ground:
        for z in range(1, 9):
            b[cell(x, z, 1)] = 1
    for c in cubes:
        b[c] = 1
    put(env, blocks=np.packbits(b, bitorder="little"), robot=[pos, facing, hanging, held, 0, 0], goal=goal, t=0, score=0)
    return env


def test_turn_then_walk():
    env = world(facing=UP)
    s, obs, rew, term, trunc = step(env, RIGHT)
    assert s["robot"][0] == cell(3, 3, 2) and s["robot"][1] == RIGHT and rew == 0 and not term and not trunc
    s, obs, rew, *_ = step(env, RIGHT)
    assert s["robot"][0] == cell(4, 3, 2) and rew == 0


def test_climb_rewards_each_new_height_once():
    env = world(cubes=[cell(4, 3, 2), cell(6, 3, 2)])
    s, obs, rew, *_ = step(env, RIGHT)
    assert s["robot"][0] == cell(4, 3, 3) and rew == pytest.approx(0.25) and s["score"] == 1
    step(env, RIGHT)  # off the cube: hangs from its edge
    put(env, robot=[cell(5, 3, 2), RIGHT, 0, -1, 0, 0])
    s, obs, rew, *_ = step(env, RIGHT)  # the same height again
    assert s["robot"][0] == cell(6, 3, 3) and rew == 0 and s["score"] == 1


def test_blocked_climb_is_illegal():
    env = world(cubes=[cell(4, 3, 2), cell(4, 3, 3)])
    s, obs, rew, *_ = step(env, RIGHT)
    assert s["robot"][0] == cell(3, 3, 2) and rew == pytest.approx(-0.01)


def test_step_down_or_hang_from_the_edge():
    env = world(ground=range(1, 4), cubes=[cell(4, 3, 0)], reward_fall_row=np.float32(-0.5))
    s, obs, rew, *_ = step(env, RIGHT)  # a cube two below the next cell: step down onto it
    assert s["robot"][0] == cell(4, 3, 1) and s["robot"][2] == 0 and rew == pytest.approx(-0.5)
    env = world(ground=range(1, 4))
    s, obs, rew, *_ = step(env, RIGHT)
    assert s["robot"][0] == cell(4, 3, 1) and s["robot"][2] == 1 and s["robot"][1] == LEFT


def test_drop_from_a_hang_lands_or_dies():
    env = world(pos=cell(4, 3, 3), hanging=1, facing=LEFT)
    s, obs, rew, term, _ = step(env, DROP)
    assert s["robot"][0] == cell(4, 3, 2) and s["robot"][2] == 0 and rew == 0 and not term
    env = world(ground=(), pos=cell(4, 3, 1), hanging=1, facing=LEFT)
    s, obs, rew, term, trunc = step(env, DROP)
    assert rew == -1 and term and not trunc
    assert env.log()["perf"] == 0


def test_hanging_climbs_back_up_and_shimmies():
    env = world(ground=range(1, 4), pos=cell(4, 3, 1), hanging=1, facing=LEFT)
    s, obs, rew, *_ = step(env, RIGHT)  # its right, facing -x, is -z: along the edge of (3, 2, 1)
    assert s["robot"][0] == cell(4, 2, 1) and s["robot"][1] == LEFT and s["robot"][2] == 1
    s, obs, rew, *_ = step(env, UP)
    assert s["robot"][0] == cell(3, 2, 2) and s["robot"][2] == 0
    env = world(ground=range(1, 4), pos=cell(4, 3, 1), hanging=1, facing=LEFT)
    assert step(env, DOWN)[2] == pytest.approx(-0.01)


def test_grab_and_push():
    env = world(cubes=[cell(4, 3, 2)])
    s, obs, rew, *_ = step(env, GRAB)
    assert s["robot"][3] == cell(4, 3, 2) and obs[227] == 1 and rew == 0
    s, obs, rew, *_ = step(env, RIGHT)
    assert not has(s, cell(4, 3, 2)) and has(s, cell(5, 3, 2)) and s["robot"][3] == -1
    assert s["robot"][0] == cell(3, 3, 2) and rew == pytest.approx(0.2)


def test_a_pushed_cube_without_support_falls_out():
    env = world(ground=range(1, 4), cubes=[cell(4, 3, 2)], held=cell(4, 3, 2))
    s, *_ = step(env, RIGHT)
    assert not has(s, cell(5, 3, 2)) and not has(s, cell(5, 3, 1))  # nothing below floor 1 holds it


def test_pull():
    env = world(cubes=[cell(4, 3, 2)], held=cell(4, 3, 2))
    s, obs, rew, *_ = step(env, LEFT)
    assert has(s, cell(3, 3, 2)) and not has(s, cell(4, 3, 2))
    assert s["robot"][0] == cell(2, 3, 2) and s["robot"][3] == cell(3, 3, 2) and rew == pytest.approx(0.2)


def test_a_cube_falling_on_the_robot_kills_it():
    env = world(cubes=[cell(4, 3, 2), cell(4, 3, 3), cell(3, 3, 3)], held=cell(4, 3, 2))
    s, obs, rew, term, _ = step(env, RIGHT)
    assert rew == -1 and term


def test_standing_on_the_goal_wins():
    env = world(goal=cell(4, 3, 2))
    s, obs, rew, term, trunc = step(env, RIGHT)  # climbs the goal (its 0.25 replaced by the goal's 1)
    assert rew == 1 and term and not trunc
    log = env.log()
    assert log["perf"] == 1 and log["score"] == 1 and log["episode_return"] == 1


def test_time_limit_truncates():
    env = world()
    results = [step(env, GRAB)[2:] for _ in range(60)]  # nothing to grab: illegal each time
    assert all(r[0] == pytest.approx(-0.01) for r in results)
    assert [r[2] for r in results] == [False] * 59 + [True] and not any(r[1] for r in results)
    assert env.log()["episode_length"] == 60


def test_observation_window():
    env = world(goal=cell(5, 3, 3))
    step(env, GRAB)
    obs = env.observations[0]
    # robot (3, 3) on floor 2: windows x 0-8, z 1-5, floors 1-5
    assert obs[3 + 9 * 2 + 45 * 1] == 3 and obs[5 + 9 * 2 + 45 * 2] == 2 and obs[3 + 9 * 2] == 1
    assert obs[9 * 5 * 5 + 0] == RIGHT and obs[226] == 0 and obs[227] == 0
    assert obs[:225].max() == 3 and set(np.unique(obs[:225])) <= {0, 1, 2, 3}


def test_resets_draw_levels_of_the_bank():
    env = npf.make("tower_climb", num_envs=300, seed=1, num_maps=3)
    env.reset(seed=1)
    s = env.state
    assert set(s["level"]) == {0, 1, 2}
    for k in range(3):
        games = s["level"] == k
        assert (s["robot"][games, 0] == L.LEVEL_SPAWN[k]).all() and (s["goal"][games] == L.LEVEL_GOAL[k]).all()
        np.testing.assert_array_equal(s["blocks"][games], np.broadcast_to(L.LEVEL_BITS[k], (games.sum(), 125)))


def test_bank_levels_are_the_generators():
    assert L.LEVEL_BLOCKS.shape == (50, 1000)
    assert ((L.LEVEL_SPAWN // 100) == 2).all() and (L.LEVEL_BLOCKS[np.arange(50), L.LEVEL_SPAWN - 100] == 1).all()
    assert ((L.LEVEL_GOAL // 100 >= 5) & (L.LEVEL_GOAL // 100 <= 8)).all()


@pytest.mark.slow  # compiling the solver takes ~20-50 s
def test_bank_levels_take_10_to_15_moves():
    for k in range(3):
        assert L.solve(L.LEVEL_BLOCKS[k], L.LEVEL_SPAWN[k], L.LEVEL_GOAL[k], 10, 15, 10_000_000) == 1
        assert L.solve(L.LEVEL_BLOCKS[k], L.LEVEL_SPAWN[k], L.LEVEL_GOAL[k], 0, 9, 10_000_000) == 0


def test_params_checks():
    for bad, match in ((dict(num_maps=0), "num_maps=0 must be >= 1"), (dict(num_maps=51), "num_maps=51 must be <= 50"),
                       (dict(max_steps=0), "max_steps=0 must be >= 1")):
        with pytest.raises(ValueError, match=match):
            npf.make("tower_climb", **bad)


@pytest.mark.slow
def test_make_bank_makes_the_stored_bank():
    blocks, spawns, goals = L.make_bank(seed=0)
    np.testing.assert_array_equal(blocks, L.LEVEL_BLOCKS)
    np.testing.assert_array_equal(spawns, L.LEVEL_SPAWN)
    np.testing.assert_array_equal(goals, L.LEVEL_GOAL)


@pytest.mark.slow
def test_logged_stats_match_the_c(tmp_path, monkeypatch):
    """score and perf per episode under random play, beside the C's on the same levels
    (benchmarks.ocean.c_tower_climb writes ours into it); episode_length within the C's extra
    step after a timeout (it logs 61 for one)."""
    pytest.importorskip("pufferlib.ocean", reason="PufferLib's C envs")
    monkeypatch.chdir(tmp_path)
    from benchmarks.ocean import c_env, our_env, random_play
    ours = our_env("tower_climb", 512, 0)
    ours.reset(seed=0)
    random_play(ours, 2000, 0)
    mine = ours.log()
    c = c_env("tower_climb", 512, 0)
    random_play(c, 2000, 0)
    theirs = {k: v / c.totals["n"] for k, v in c.totals.items() if k != "n"}
    assert mine["n"] > 30000 and c.totals["n"] > 30000
    assert mine["score"] == pytest.approx(theirs["score"], rel=0.05)
    assert mine["episode_length"] == pytest.approx(theirs["episode_length"], rel=0.03)
    assert mine["perf"] < 0.002 and theirs["perf"] < 0.002  # random play hardly ever wins
