"""Pong's rules (../shared/design/pong.md) from hand-set states, parity with the C loop, and
the statistics of a random policy."""
import shutil

import numpy as np
import pytest

import numbapuffer as npf
from handset import one_game, put, step

f32 = np.float32
STAY, UP, DOWN = 0, 1, 2


def pong(**params):
    return one_game("pong", **params)


def expected_obs(s, width=500, height=640, paddle_height=70, vx0=10, vy_max=13, max_score=21):
    lo, hi = f32(-paddle_height / 2), f32(height - paddle_height / 2)
    return np.array([(s["paddle_yl"] - lo) / (hi - lo), (s["paddle_yr"] - lo) / (hi - lo), s["ball_x"] / f32(width),
                     s["ball_y"] / f32(height), (s["ball_vx"] + f32(vx0)) / f32(2 * vx0),
                     (s["ball_vy"] + f32(vy_max)) / f32(2 * vy_max), f32(s["score_l"]) / f32(max_score),
                     f32(s["score_r"]) / f32(max_score)], np.float32)


def test_reset_state_and_observation():
    env = pong()
    s = env.state[0]
    assert s["paddle_yl"] == s["paddle_yr"] == 320 - 35
    assert (s["ball_x"], s["ball_y"], s["ball_vx"]) == (100, 320 - 16, 10)
    assert abs(s["ball_vy"]) == 1 and s["score_l"] == s["score_r"] == 0
    np.testing.assert_array_equal(env.observations[0], expected_obs(s))


def test_serve_direction_drawn_from_the_games_stream():
    env = npf.make("pong", num_envs=2000, seed=1)
    env.reset(seed=1)
    vy = env.state["ball_vy"]
    assert set(np.unique(vy)) == {-1, 1} and 900 < (vy > 0).sum() < 1100


def test_ball_moves_and_paddles_follow_rules():
    env = pong()
    put(env, ball_x=200, ball_y=300, ball_vx=10, ball_vy=2, paddle_yl=100, paddle_yr=200)
    s, obs, rew, term, _ = step(env, UP)
    assert (s["ball_x"], s["ball_y"]) == (210, 302)
    assert s["paddle_yr"] == 208  # up is +y
    assert s["paddle_yl"] == 108  # opponent tracks the ball, at most paddle_speed
    assert rew == 0 and not term
    np.testing.assert_array_equal(obs, expected_obs(s))
    s, *_ = step(env, DOWN)
    assert s["paddle_yr"] == 200


def test_opponent_moves_exactly_onto_a_near_ball():
    env = pong()
    put(env, ball_x=200, ball_y=300, ball_vx=10, ball_vy=0, paddle_yl=300 - 35 - 3)
    s, *_ = step(env, STAY)
    assert s["paddle_yl"] == 300 - 35 + 3 - 3  # delta 3 < paddle_speed: moves by the delta


@pytest.mark.parametrize("y, vy, new_y, new_vy", [(2, -5, 0, 5), (640 - 32 - 2, 5, 640 - 32, -5)])
def test_wall_bounce_and_ball_clip(y, vy, new_y, new_vy):
    env = pong()
    put(env, ball_x=250, ball_y=y, ball_vx=10, ball_vy=vy)
    s, obs, rew, _, _ = step(env, STAY)
    assert s["ball_vy"] == new_vy and s["ball_y"] == new_y and rew == 0


@pytest.mark.parametrize("action, vy, new_vy", [
    (STAY, 2, 2),      # no spin when the paddle stays
    (UP, 2, 5),        # spin: vy += increment * dir
    (DOWN, 2, -1),
    (UP, 12, 13),      # clipped to ball_max_speed_y
    (DOWN, -12, -13),
    (UP, -3, 3),       # a flat ball is not allowed: vy = increment
])
def test_right_paddle_bounce_reward_and_spin(action, vy, new_vy):
    env = pong()
    put(env, ball_x=460, ball_y=300, ball_vx=10, ball_vy=vy, paddle_yr=290, paddle_yl=300)
    s, obs, rew, term, _ = step(env, action)
    assert rew == 1 and not term
    assert s["ball_vx"] == -10 and s["ball_vy"] == new_vy and s["n_bounces"] == 1
    assert s["ball_x"] == 500 - 32  # clipped back inside the field
    np.testing.assert_array_equal(obs, expected_obs(s))
    assert env.episodes[0]["episode_return"] == 1


def test_left_paddle_bounce_no_reward():
    env = pong()
    put(env, ball_x=5, ball_y=300, ball_vx=-10, ball_vy=1, paddle_yl=280, paddle_yr=0)
    s, obs, rew, term, _ = step(env, STAY)
    assert s["ball_vx"] == 10 and s["ball_x"] == 0 and rew == 0 and s["n_bounces"] == 1


def test_point_won():
    env = pong()
    put(env, ball_x=5, ball_y=100, ball_vx=-10, ball_vy=-2, paddle_yl=500, paddle_yr=30, score_r=3, score_l=2)
    s, obs, rew, term, _ = step(env, STAY)
    assert rew == 10 and not term
    assert s["score_r"] == 4 and s["score_l"] == 2
    assert (s["ball_x"], s["ball_y"], s["ball_vx"], abs(s["ball_vy"])) == (100, 304, 10, 1)  # round reset
    assert s["paddle_yl"] == s["paddle_yr"] == 285
    np.testing.assert_array_equal(obs, expected_obs(s))
    assert env.episodes[0]["score"] == 1


def test_point_lost():
    env = pong()
    put(env, ball_x=460, ball_y=400, ball_vx=10, ball_vy=2, paddle_yr=0, paddle_yl=380, score_l=5)
    s, obs, rew, term, _ = step(env, STAY)
    assert rew == 0 and not term
    assert s["score_l"] == 6 and s["score_r"] == 0 and s["ball_x"] == 100
    np.testing.assert_array_equal(obs, expected_obs(s))


def test_last_reward_of_a_step_counts_with_frameskip():
    """Frame 1 returns the ball (+1); ~45 frames later the slow opponent misses it (+10)."""
    env = pong(frameskip=60, paddle_speed=1)
    put(env, ball_x=460, ball_y=300, ball_vx=10, ball_vy=0, paddle_yr=290, paddle_yl=-35)
    s, obs, rew, term, _ = step(env, STAY)
    assert rew == 10 and s["score_r"] == 1 and s["ball_x"] == 100  # the step ended at the point
    assert env.episodes[0]["episode_return"] == 10


@pytest.mark.parametrize("won", [True, False])
def test_game_end_terminal_and_same_step_reset(won):
    env = pong(max_score=3)
    put(env, score_r=2, score_l=2)
    for _ in range(3):  # three quiet steps of history for the log
        put(env, ball_x=250, ball_y=300, ball_vx=10, ball_vy=0)
        step(env, STAY)
    env.episodes[0]["score"] = 1  # as if the agent won a point earlier in this episode
    if won:
        put(env, ball_x=5, ball_y=100, ball_vx=-10, ball_vy=0, paddle_yl=500, paddle_yr=30)
    else:
        put(env, ball_x=460, ball_y=400, ball_vx=10, ball_vy=2, paddle_yr=0, paddle_yl=380)
    s, obs, rew, term, _ = step(env, STAY)
    assert term and rew == (10 if won else 0)
    assert s["score_l"] == s["score_r"] == 0  # a new game started in the same step
    np.testing.assert_array_equal(obs, expected_obs(s))  # ...and its first observation is returned
    log = env.log()
    assert log["n"] == 1 and log["episode_length"] == 4
    assert log["episode_return"] == (10 if won else 0) and log["score"] == (2 if won else 1)
    assert env.episodes[0]["episode_length"] == 0
    _, _, _, term, _ = step(env, STAY)
    assert not term


def test_paddle_clipping():
    env = pong()
    put(env, ball_x=250, ball_y=300, ball_vx=10, ball_vy=0, paddle_yr=640 - 35 - 4, paddle_yl=700)
    s, *_ = step(env, UP)
    assert s["paddle_yr"] == 640 - 35 and s["paddle_yl"] == 640 - 35
    put(env, paddle_yr=-35 + 3, paddle_yl=-80)
    s, *_ = step(env, DOWN)
    assert s["paddle_yr"] == -35 and s["paddle_yl"] == -35


def test_frameskip_repeats_the_frame():
    env = pong(frameskip=4)
    put(env, ball_x=200, ball_y=300, ball_vx=10, ball_vy=2, paddle_yr=200, paddle_yl=265)
    s, *_ = step(env, UP)
    assert (s["ball_x"], s["ball_y"], s["paddle_yr"], s["tick"]) == (240, 308, 232, 4)


def test_params_change_the_game():
    env = pong(width=300, height=400, paddle_speed=4)
    s = env.state[0]
    assert s["ball_x"] == 60 and s["paddle_yr"] == 165
    put(env, ball_x=100, ball_y=100, ball_vx=10, ball_vy=0)
    s, obs, *_ = step(env, UP)
    assert s["paddle_yr"] == 169
    np.testing.assert_array_equal(obs, expected_obs(s, width=300, height=400))


def test_random_policy_statistics_are_stable():
    logs = []
    for seed in (0, 1):
        env = npf.make("pong", num_envs=512, seed=seed, report_interval=0)
        env.reset(seed=seed)
        rng = np.random.default_rng(seed)
        for _ in range(6000):
            env.step(rng.integers(0, 3, 512))
        logs.append(env.log())
    for log in logs:
        assert log["n"] > 1000
        assert 13.0 < log["episode_return"] < 14.4 and 2000 < log["episode_length"] < 2120
        assert log["score"] < 0.01  # a random paddle almost never beats the tracking opponent
    assert abs(logs[0]["episode_length"] / logs[1]["episode_length"] - 1) < 0.02
    assert abs(logs[0]["episode_return"] / logs[1]["episode_return"] - 1) < 0.03


@pytest.mark.skipif(not (shutil.which("cc") or shutil.which("gcc")), reason="needs a C compiler")
@pytest.mark.parametrize("serial", [True, False])
def test_identical_to_the_c_loop(serial):
    from benchmarks.cpong import CPong
    n = 256
    c = CPong(n, seed=7)
    env = npf.make("pong", num_envs=n, seed=7, report_interval=0)
    env.use_serial(serial)
    env.reset(seed=7)
    np.testing.assert_array_equal(c.observations, env.observations)
    rng = np.random.default_rng(0)
    games = 0
    for _ in range(5000):
        a = rng.integers(0, 3, n)
        co, cr, ct = c.step(a)
        obs, rew, term, _, _ = env.step(a)
        np.testing.assert_array_equal(co, obs)
        np.testing.assert_array_equal(cr, rew)
        np.testing.assert_array_equal(ct.astype(bool), term)
        games += term.sum()
    assert games > 300
    cl, log = c.log(), env.log()
    assert cl["n"] == log["n"] == games
    for k in ("episode_return", "episode_length", "score"):
        assert cl[k] == pytest.approx(log[k])
    c.close()


PUFFERLIB_REWARDS = dict(reward_return=0.1, reward_point_won=1.0, reward_point_lost=-1.0)


def test_pufferlib_rewards_as_params():
    """PufferLib 3.0's Pong: +0.1 a return, +1 a point won, -1 a point lost; the rules unchanged."""
    cases = [  # (hand-set state, PufferLib's reward, ours)
        (dict(ball_x=460, ball_y=300, ball_vx=10, ball_vy=0, paddle_yr=290, paddle_yl=300), 0.1, 1),
        (dict(ball_x=5, ball_y=100, ball_vx=-10, ball_vy=-2, paddle_yl=500, paddle_yr=30), 1, 10),
        (dict(ball_x=460, ball_y=400, ball_vx=10, ball_vy=2, paddle_yr=0, paddle_yl=380), -1, 0),
        (dict(ball_x=200, ball_y=300, ball_vx=10, ball_vy=2, paddle_yl=100, paddle_yr=200), 0, 0),
    ]
    for fields, theirs, ours in cases:
        puffer, default = pong(**PUFFERLIB_REWARDS), pong()
        put(puffer, **fields)
        put(default, **fields)
        s1, obs1, rew1, term1, _ = step(puffer, STAY)
        s2, obs2, rew2, term2, _ = step(default, STAY)
        assert rew1 == np.float32(theirs) and rew2 == ours, fields
        assert s1.tobytes() == s2.tobytes() and np.array_equal(obs1, obs2) and term1 == term2
    env = pong(max_score=1, **PUFFERLIB_REWARDS)  # a lost game ends with -1
    put(env, ball_x=460, ball_y=400, ball_vx=10, ball_vy=2, paddle_yr=0, paddle_yl=380)
    assert step(env, STAY)[2:4] == (-1.0, True)
    assert env.log()["episode_return"] == -1.0
    with pytest.raises(ValueError, match="paddle_speed=0"):
        pong(reward_point_lost=-1.0, paddle_speed=0.0)


def test_pufferlib_rewards_pass_check_env():
    env = npf.make("pong", num_envs=4, seed=0, **PUFFERLIB_REWARDS)
    assert npf.check_env(env, num_envs=16, steps=300) == []


def test_pufferlib_preset_serves_flat_or_down():
    """PufferLib's serve: vertical speed 0 or -ball_initial_speed_y, half the time each."""
    env = npf.make("pong", num_envs=2000, seed=1, preset="pufferlib")
    env.reset(seed=1)
    vy = env.state["ball_vy"]
    assert set(np.unique(vy)) == {-1, 0} and 900 < (vy == 0).sum() < 1100
    assert env.param_values()["reward_return"] == f32(0.1)
    s, obs, *_ = step(one_game("pong", preset="pufferlib"))
    np.testing.assert_array_equal(obs, expected_obs(s))  # the C's layout and scaling


def test_pufferlib_preset_rewards_and_a_flat_ball_returned_still_gets_vertical_speed():
    env = pong(preset="pufferlib")
    put(env, ball_x=460, ball_y=300, ball_vx=10, ball_vy=0, paddle_yr=290, paddle_yl=300)
    s, _, rew, term, _ = step(env, STAY)
    assert rew == f32(0.1) and not term and s["ball_vx"] == -10 and s["ball_vy"] == 3
    put(env, ball_x=5, ball_y=100, ball_vx=-10, ball_vy=0, paddle_yl=500, paddle_yr=30)
    s, _, rew, *_ = step(env, STAY)  # a point won: the next serve is flat or down
    assert rew == 1 and s["score_r"] == 1 and s["ball_vy"] in (0, -1)
    put(env, ball_x=460, ball_y=400, ball_vx=10, ball_vy=2, paddle_yr=0, paddle_yl=380)
    assert step(env, STAY)[2] == -1


def test_pufferlib_preset_passes_check_env():
    env = npf.make("pong", num_envs=4, seed=0, preset="pufferlib")
    assert npf.check_env(env, num_envs=16, steps=300) == []
