"""Pacman's rules from hand-set states: moves, walls and the tunnel, pickups and pellets,
ghost modes, targets and catches, the three ways an episode ends, and the observation."""
import numpy as np
import pytest

import numbapuffer as npf
from numbapuffer.envs import pacman as pm
from numbapuffer.envs.pacman import DOWN, LEFT, RIGHT, UP

from handset import one_game, put, step

PARKED = dict(timeout=[10**6] * 4)  # ghosts that stay in their house


def pac(**fields):
    env = one_game("pacman")
    put(env, **{**PARKED, **fields})
    return env


def pickup(x, y):
    return pm.PICKUP_INDEX[y, x]


def test_start():
    env = npf.make("pacman", num_envs=500, seed=1)
    env.reset(seed=1)
    s = env.state
    assert (s["x"] == 13).all() and (s["y"] == 23).all() and (s["direction"] == RIGHT).all()
    assert (s["gx"] == [14, 13, 12, 15]).all() and (s["gy"] == 11).all() and (s["gdir"] == UP).all()
    assert s["timeout"].min() == 0 and s["timeout"].max() == 48
    obs = env.observations[0]
    np.testing.assert_allclose(obs[:11], [13 / 28, 23 / 31, 0, 0, 0, 1, 0, 0, 1, 1, 0], rtol=1e-6)
    np.testing.assert_allclose(obs[11:20], [14 / 28, 11 / 31, 1, 0, 0, 0, 1, 0, 0], rtol=1e-6)
    assert (obs[47:] == 1).all() and obs.shape == (291,) and pm.NUM_PICKUPS == 244


def test_random_start_on_a_dot():
    env = npf.make("pacman", num_envs=500, seed=1, randomize_starting_position=True)
    env.reset(seed=1)
    s = env.state
    assert all(pm.MAZE[y][x] == "." for x, y in zip(s["x"], s["y"]))
    assert len(set(zip(s["x"], s["y"]))) > 100


def test_eat_a_dot():
    env = pac()
    s, obs, rew, term, _ = step(env, LEFT)  # (12, 23) holds a dot
    assert (s["x"], s["y"], s["direction"]) == (12, 23, LEFT) and rew == 1 and s["score"] == 1 and not term
    assert s["remaining"] == 243 and obs[47 + pickup(12, 23)] == 0 and obs[47:].sum() == 243
    s, obs, rew, *_ = step(env, RIGHT)  # back: already eaten
    assert s["x"] == 13 and rew == 0


def test_a_wall_keeps_the_direction():
    s, _, rew, *_ = step(pac(), UP)  # a wall above the start: go on right
    assert (s["x"], s["y"], s["direction"]) == (14, 23, RIGHT) and rew == 0
    s, *_ = step(pac(x=1, y=1, direction=UP), LEFT)  # walls both ways: stay
    assert (s["x"], s["y"], s["direction"]) == (1, 1, UP)


def test_the_tunnel_wraps():
    s, *_ = step(pac(x=0, y=14, direction=LEFT), LEFT)
    assert (s["x"], s["y"]) == (27, 14)
    s, obs, *_ = step(pac(x=27, y=14, direction=RIGHT), RIGHT)
    assert (s["x"], s["y"]) == (0, 14) and obs[8] == 1 and obs[9] == 1  # can go both ways through the tunnel


def test_a_power_pellet_frightens_and_turns_the_ghosts():
    env = pac(x=1, y=4, direction=UP, gdir=[RIGHT, LEFT, UP, UP], returning=[0, 0, 1, 0])
    s, obs, rew, *_ = step(env, UP)  # (1, 3) holds a pellet
    assert rew == 1 and s["frightened_left"] == 35 and list(s["frightened"]) == [1, 1, 0, 1]
    assert list(s["gdir"][:2]) == [LEFT, RIGHT]  # turned round
    assert obs[10] == 1 and obs[11 + 7] == 1 and obs[11 + 9 * 2 + 7] == 0  # ghost 2 was going home
    for _ in range(35):
        s, *_ = step(env, DOWN)
    assert s["frightened_left"] == 0 and s["frightened"].any()
    s, *_ = step(env, DOWN)
    assert not s["frightened"].any()


def test_a_frightened_ghost_moves_every_other_step_at_random():
    env = npf.make("pacman", num_envs=300, seed=0, report_interval=0)
    env.reset(seed=0)
    for k, v in dict(x=1, y=29, gx=[6, 1, 1, 1], gy=[5, 1, 1, 1], gdir=[RIGHT, UP, UP, UP], frightened=[1, 0, 0, 0],
                     half_move=[0, 0, 0, 0], frightened_left=20, timeout=[0, 10**6, 10**6, 10**6],
                     mode_left=100, mode_changes=1, scatter=True).items():
        env.state[k][:] = v
    env.step(np.zeros(300, np.int32))
    s = env.state
    moved = set(zip(s["gx"][:, 0], s["gy"][:, 0]))
    assert moved == {(7, 5), (6, 6), (6, 4)} and (s["half_move"][:, 0] == 1).all()  # (6, 5) is a crossing
    before = s["gx"][:, 0].copy(), s["gy"][:, 0].copy()
    env.step(np.zeros(300, np.int32))
    assert (s["gx"][:, 0] == before[0]).all() and (s["gy"][:, 0] == before[1]).all()


def test_catching_a_frightened_ghost_pays_and_sends_it_home():
    env = pac(x=6, y=5, direction=LEFT, gx=[8, 13, 12, 15], gy=[5, 11, 11, 11], gdir=[LEFT, UP, UP, UP],
              frightened=[1, 0, 0, 0], half_move=[1, 0, 0, 0], frightened_left=10, mode_left=100, mode_changes=1,
              scatter=True)
    s, obs, rew, term, _ = step(env, RIGHT)  # onto (7, 5): a dot, and next to the ghost
    assert rew == 2 and not term and s["returning"][0] == 1 and s["frightened"][0] == 0
    assert obs[11 + 8] == 1 and obs[11 + 6] == 0


def test_a_ghost_next_to_the_player_ends_the_episode():
    env = pac(x=6, y=5, direction=LEFT, gx=[9, 13, 12, 15], gy=[5, 11, 11, 11], gdir=[LEFT, UP, UP, UP],
              timeout=[0, 10**6, 10**6, 10**6], score=17, mode_left=100, mode_changes=1, scatter=True)
    s, obs, rew, term, _ = step(env, RIGHT)
    assert term and rew == 1 and s["score"] == 0  # reset in the same step
    assert env.log()["score"] == 18


def test_eating_everything_ends_the_episode():
    env = pac(remaining=1)
    assert step(env, LEFT)[3]


def test_max_steps_ends_the_episode():
    env = pac(steps=pm.MAX_STEPS - 2)
    assert not step(env, LEFT)[3]
    assert step(env, RIGHT)[3]


def test_modes_scatter_then_chase():
    env = pac(gdir=[RIGHT, LEFT, UP, UP])
    s, *_ = step(env)
    assert s["scatter"] and s["mode_left"] == 70 and s["mode_changes"] == 1
    assert list(s["tx"]) == [3, 24, 27, 0] and list(s["ty"]) == [-3, -3, 31, 31]
    assert list(s["gdir"][:2]) == [LEFT, RIGHT]  # every mode change turns them round
    put(env, mode_left=1)
    x, y = s["x"], s["y"]
    assert s["direction"] == RIGHT
    s, *_ = step(env, LEFT)  # targets are set before the player moves: from (x, y), facing right
    assert not s["scatter"] and s["mode_left"] == 140 and s["mode_changes"] == 2 and s["x"] == x - 1
    assert (s["tx"][0], s["ty"][0]) == (x + 4, y) and (s["tx"][1], s["ty"][1]) == (x, y)
    assert (s["tx"][2], s["ty"][2]) == (2 * (x + 2) - s["gx"][1], 2 * y - s["gy"][1])
    assert (s["tx"][3], s["ty"][3]) == (x, y)  # clyde far away: the player


def test_modes_stop_changing():
    env = pac(mode_changes=7, mode_left=1, scatter=True)
    s, *_ = step(env)
    assert s["scatter"] and s["mode_changes"] == 7


def test_a_ghost_takes_the_open_tile_nearest_its_target():
    # Blinky at the (6, 5) crossing going right, target the player at (1, 5): up, down and right
    # are open (left is back); up and down are equally near, right is farther.
    env = pac(x=1, y=5, direction=UP, gx=[14, 6, 12, 15], gy=[11, 5, 11, 11], gdir=[UP, RIGHT, UP, UP],
              timeout=[10**6, 0, 10**6, 10**6], mode_left=100, mode_changes=1, scatter=False)
    s, *_ = step(env, UP)
    # the target is the player before it moved, (1, 5): from (6, 4) 25 + 1, (6, 6) 25 + 1, (7, 5) 36
    assert (s["gx"][1], s["gy"][1], s["gdir"][1]) == (6, 6, DOWN)  # DOWN comes first among equals


def test_params_check():
    for bad in (dict(frightened_time=0), dict(min_start_timeout=10, max_start_timeout=5), dict(chase_mode_length=-1)):
        with pytest.raises(ValueError):
            npf.make("pacman", num_envs=1, **bad)
    env = npf.make("pacman", num_envs=50, seed=0, min_start_timeout=7, max_start_timeout=7)
    env.reset(seed=0)
    assert (env.state["timeout"] == 7).all()


@pytest.mark.slow
def test_logged_score_matches_the_c(tmp_path, monkeypatch):
    """Pickups eaten per episode, as logged, beside the C's log under the same random play
    (its episode_return is that score too; its episode_length is the last episode's only)."""
    pytest.importorskip("pufferlib.ocean", reason="PufferLib's C envs: ../shared/tools/build_pufferlib.sh VENV all")
    from pufferlib.ocean.pacman import binding
    from benchmarks.ocean import PAIRS, c_env, our_env, random_play
    monkeypatch.chdir(tmp_path)  # `import pufferlib` makes a `resources` symlink in the current folder
    pair = PAIRS["pacman"]
    ours = our_env("pacman", pair.parity_games)
    ours.reset(seed=0)
    ours.log()
    random_play(ours, pair.parity_steps)
    c = c_env("pacman", pair.parity_games)
    c.log_interval = 10**9  # its step reads (and clears) the log only at tick 0
    random_play(c, pair.parity_steps)
    ours_log, c_log = ours.log(), binding.vec_log(c.c_envs)
    assert ours_log["n"] > 10000
    assert ours_log["score"] == pytest.approx(c_log["score"], rel=0.03), (ours_log, c_log)
    assert ours_log["score"] == pytest.approx(c_log["episode_return"], rel=0.03), (ours_log, c_log)
