"""Blastar's rules from hand-set states: moves, shots, hits, bombs, collisions, explosions,
the reward's terms and the two ways a game ends."""
import numpy as np
import pytest

import numbapuffer as npf
from numbapuffer.envs.blastar import DOWN, FIRE, LEFT, NOTHING, RIGHT, UP

from handset import one_game, put, step

f32 = np.float32
# The player low on the left, the enemy high in the middle: far apart, the player below it.
CALM = dict(player_x=100, player_y=300, enemy_x=400, enemy_y=100, bullet=False, bomb=False, attacking=False,
            stuck=False, enemy_active=True, player_explosion=0, enemy_explosion=0, tick=0, score=0, kill_streak=0)


def blastar(**fields):
    env = one_game("blastar")
    put(env, **{**CALM, **fields})
    return env


def closeness(player_y, enemy_y):
    return f32(0.01) * (f32(2) - (f32(player_y) - f32(enemy_y)) / f32(480))


def test_start():
    env = npf.make("blastar", num_envs=2000, seed=3)
    env.reset(seed=3)
    s = env.state
    assert (s["player_x"] % 1 == 0).all() and s["player_x"].min() >= 0 and s["player_x"].max() < 623
    assert s["player_y"].min() >= 0 and s["player_y"].max() < 463 and s["player_x"].max() > 600
    assert (s["enemy_x"] == -30).all() and (s["enemy_y"] == 50).all() and (s["lives"] == 10).all()
    np.testing.assert_allclose(env.observations[:, 2], -30 / 640)
    assert (env.observations[:, 4:] == 0).all()


@pytest.mark.parametrize("action, x, y", [(NOTHING, 100, 300), (LEFT, 92, 300), (RIGHT, 108, 300), (UP, 100, 292),
                                          (DOWN, 100, 308)])
def test_moves_and_the_enemy_flies_right(action, x, y):
    s, obs, rew, term, _ = step(blastar(), action)
    assert (s["player_x"], s["player_y"], s["enemy_x"], s["enemy_y"], s["tick"]) == (x, y, 404, 100, 1)
    np.testing.assert_allclose(obs[:4], [x / 640, y / 480, 404 / 640, 100 / 480], rtol=1e-6)
    assert rew == pytest.approx(closeness(y, 100), rel=1e-6) and not term


@pytest.mark.parametrize("x, y, action, after", [(0, 300, LEFT, (0, 300)), (3, 300, LEFT, (-5, 300)),
                                                 (623, 300, RIGHT, (623, 300)), (100, 0, UP, (100, 0)),
                                                 (100, 463, DOWN, (100, 463))])
def test_edges_stop_a_ship_only_once_it_is_past_them(x, y, action, after):
    s, *_ = step(blastar(player_x=x, player_y=y), action)
    assert (s["player_x"], s["player_y"]) == after


def test_a_stuck_ship_does_not_move():
    s, *_ = step(blastar(stuck=True), LEFT)
    assert s["player_x"] == 100


def test_fire_starts_a_bullet_from_the_ship_and_pays_a_little():
    s, obs, rew, *_ = step(blastar(), FIRE)
    assert s["bullet"] and (s["bullet_x"], s["bullet_y"]) == (100, 288)
    np.testing.assert_allclose(obs[4:7], [100 / 640, 288 / 480, 1], rtol=1e-6)
    assert rew == pytest.approx(0.0005 + closeness(300, 100), rel=1e-6)
    # firing again restarts it (no new pay); the bullet leaves at the top
    s, _, rew, *_ = step(blastar(bullet=True, bullet_x=5, bullet_y=50), FIRE)
    assert (s["bullet_x"], s["bullet_y"]) == (100, 288) and rew == pytest.approx(closeness(300, 100), rel=1e-6)
    s, obs, *_ = step(blastar(bullet=True, bullet_x=5, bullet_y=10))
    assert not s["bullet"] and (obs[4:7] == 0).all()


def test_no_fire_while_a_bomb_falls():
    s, *_ = step(blastar(bomb=True, bomb_x=500, bomb_y=10, attacking=True), FIRE)
    assert not s["bullet"]


@pytest.mark.parametrize("fields", [dict(player_x=400), dict(player_y=110), dict(player_x=396)],
                         ids=["right half", "not below", "centres close"])
def test_no_reward(fields):
    assert step(blastar(**fields), FIRE)[2] == 0


def test_hit_scores_and_explodes_the_enemy():
    env = blastar(player_x=200, enemy_x=100, bullet=True, bullet_x=100, bullet_y=112, tick=9, kill_streak=2)
    s, obs, rew, term, _ = step(env)
    assert s["score"] == 1 and s["kill_streak"] == 3 and not s["enemy_active"] and not s["bullet"]
    assert s["enemy_explosion"] == 30
    expected = (f32(1.5) + closeness(300, 100) + f32(4.5) * (1 - f32(104) / 640) + f32(1) / 11) * f32(1.3)
    assert rew == pytest.approx(expected, rel=1e-6) and not term
    for t in range(29):  # the explosion: nothing moves, no reward
        s, _, rew, *_ = step(env, LEFT)
        assert rew == 0 and s["player_x"] == 200 and s["enemy_explosion"] == 29 - t
    assert not s["enemy_active"]
    s, *_ = step(env)
    assert s["enemy_active"] and s["enemy_explosion"] == 0
    assert s["enemy_x"] == -16 or s["enemy_x"] == 104  # respawned at the left, or (chance 0.1) where it was


def test_a_hit_needs_the_player_below():
    s, *_ = step(blastar(player_x=200, player_y=110, enemy_x=100, bullet=True, bullet_x=100, bullet_y=112))
    assert s["score"] == 0 and s["enemy_active"]


def test_a_hit_on_a_wrapped_enemy_pays_less():
    env = blastar(player_x=200, enemy_x=638, bullet=True, bullet_x=-16, bullet_y=112)
    s, _, rew, *_ = step(env)
    assert s["score"] == 1 and s["enemy_x"] == -16
    expected = (f32(1.5) + closeness(300, 100) + f32(3.5) * (1 + f32(16) / 640) + f32(1) / 2) * f32(1.1)
    assert rew == pytest.approx(expected, rel=1e-6)


def test_aligned_enemy_bombs_or_jumps_on():
    env = npf.make("blastar", num_envs=400, seed=0, report_interval=0)
    env.reset(seed=0)
    for k, v in {**CALM, "player_x": 400}.items():
        env.state[k][:] = v
    env.step(np.zeros(400, np.int32))
    s = env.state
    bombs = s["attacking"]
    assert 150 < bombs.sum() < 250
    assert (s["enemy_x"][bombs] == 404).all() and (s["enemy_x"][~bombs] == 408).all()
    assert s["stuck"][bombs].all() and (s["bomb_x"][bombs] == 407).all() and (s["bomb_y"][bombs] == 129).all()
    assert not s["bomb"][~bombs].any()


def test_bomb_costs_a_life():
    env = blastar(attacking=True, stuck=True, bomb=True, bomb_x=100, bomb_y=280)
    s, _, rew, term, _ = step(env, LEFT)
    assert s["player_x"] == 100 and s["lives"] == 9 and not s["bomb"] and not s["stuck"] and not s["attacking"]
    assert s["player_explosion"] == 30 and s["enemy_x"] == -16 and not term
    s, *_ = step(env)
    assert s["player_explosion"] == 29 and s["kill_streak"] == 0


def test_a_bomb_that_leaves_frees_the_player():
    s, *_ = step(blastar(attacking=True, stuck=True, bomb=True, bomb_x=300, bomb_y=470), LEFT)
    assert not s["bomb"] and not s["stuck"] and not s["attacking"] and s["player_x"] == 100  # moved before it left


def test_collision_costs_a_life_and_explodes_both():
    s, _, rew, term, _ = step(blastar(enemy_x=90, enemy_y=290, player_y=300))
    assert s["lives"] == 9 and s["player_explosion"] == 30 and s["enemy_explosion"] == 30
    assert not s["enemy_active"] and s["enemy_x"] == -16 and rew == 0 and not term


def test_last_life_ends_the_game_and_logs_it():
    env = blastar(lives=1, score=7, kill_streak=2, bomb=True, attacking=True, bomb_x=100, bomb_y=280)
    s, obs, rew, term, _ = step(env)
    assert term and s["lives"] == 10 and s["score"] == 0  # reset in the same step
    log = env.log()
    assert log["score"] == 7 and log["lives"] == 0 and log["kill_streak"] == 2 and log["perf"] == pytest.approx(7 / 50)


def test_more_than_fifty_points_ends_the_game():
    env = blastar(player_x=200, enemy_x=100, bullet=True, bullet_x=100, bullet_y=112, score=50)
    assert step(env)[3]
    assert env.log()["score"] == 51
    assert not step(blastar(player_x=200, enemy_x=100, bullet=True, bullet_x=100, bullet_y=112, score=49))[3]
