"""Breakout's rules from hand-set states (one frame per step unless a test says otherwise),
and that the game is playable: a paddle that follows the ball scores hundreds of points."""
import math

import numpy as np
import pytest

import numbapuffer as npf
from numbapuffer.envs.breakout import BOARD_POINTS, COLS, ROWS, SERVE_ANGLE

from handset import one_game, put, step

f32 = np.float32
STAY, LEFT, RIGHT = 0, 1, 2
PADDLE_Y = 330 - 10 - 8  # top of the paddle
OPEN_Y = 200  # between the bricks (y < 122) and the paddle


def breakout(**params):
    params.setdefault("frameskip", 1)
    return one_game("breakout", **params)


def expected_obs(s, lives=5, boards=2, max_speed=7):
    v = f32(max_speed)
    head = [s["paddle_x"] / f32(576), s["paddle_width"] / f32(62), s["ball_x"] / f32(576), s["ball_y"] / f32(330),
            (s["ball_vx"] / v + f32(1)) * f32(0.5), (s["ball_vy"] / v + f32(1)) * f32(0.5),
            f32(s["lives"]) / f32(lives), f32(s["score"]) / f32(BOARD_POINTS * boards)]
    return np.concatenate([np.array(head, np.float32), s["bricks"].reshape(-1).astype(np.float32)])


def serve_state(s):
    return (s["paddle_x"], s["paddle_width"], s["ball_x"], s["ball_y"], s["ball_speed"], s["hits"]) == (
        257, 62, 285, 135, 4, 0)


def test_reset_state_and_observation():
    env = breakout()
    s = env.state[0]
    assert s["bricks"].shape == (ROWS, COLS) and s["bricks"].all() and s["bricks_left"] == ROWS * COLS
    assert (s["lives"], s["score"], s["walls"], s["refill"], s["t"]) == (5, 0, 0, 0, 0)
    assert serve_state(s)
    assert s["ball_vy"] == f32(math.cos(SERVE_ANGLE)) * f32(4) and abs(s["ball_vx"]) == f32(math.sin(SERVE_ANGLE)) * 4
    np.testing.assert_array_equal(env.observations[0], expected_obs(s))


def test_serve_side_drawn_from_the_games_stream():
    env = npf.make("breakout", num_envs=2000, seed=1)
    env.reset(seed=1)
    assert 900 < (env.state["ball_vx"] > 0).sum() < 1100


@pytest.mark.parametrize("x, action, new_x", [(100, LEFT, 90), (100, RIGHT, 110), (100, STAY, 100),
                                              (4, LEFT, 0), (576 - 62 - 3, RIGHT, 576 - 62)])
def test_paddle_moves_and_stops_at_the_walls(x, action, new_x):
    env = breakout()
    put(env, paddle_x=x, ball_x=300, ball_y=OPEN_Y, ball_vx=1, ball_vy=1)
    s, obs, *_ = step(env, action)
    assert s["paddle_x"] == new_x
    np.testing.assert_array_equal(obs, expected_obs(s))


@pytest.mark.parametrize("x, vx, new_x, new_vx", [(2, -3, 0, 3), (576 - 6 - 1, 3, 576 - 6, -3)])
def test_side_wall_bounce(x, vx, new_x, new_vx):
    env = breakout()
    put(env, ball_x=x, ball_y=OPEN_Y, ball_vx=vx, ball_vy=1)
    s, obs, rew, term, _ = step(env)
    assert (s["ball_x"], s["ball_vx"], s["ball_y"], s["ball_vy"]) == (new_x, new_vx, OPEN_Y + 1, 1)
    assert rew == 0 and not term


@pytest.mark.parametrize("shrink, width", [(True, 31), (False, 62)])
def test_top_wall_bounce_shrinks_the_paddle(shrink, width):
    env = breakout(paddle_shrink=shrink)
    put(env, ball_x=300, ball_y=2, ball_vx=1, ball_vy=-3)
    s, obs, *_ = step(env)
    assert (s["ball_y"], s["ball_vy"], s["paddle_width"]) == (0, 3, width)
    np.testing.assert_array_equal(obs, expected_obs(s))
    put(env, ball_x=300, ball_y=318, ball_vx=0, ball_vy=3, paddle_x=0)
    s, *_ = step(env)  # the ball is lost: the new round has the full paddle back
    assert s["paddle_width"] == 62


@pytest.mark.parametrize("ball_x, vx", [
    (100 + 31 - 3, 0),             # the paddle's middle: straight up
    (100 - 3, -math.sin(math.pi / 4)),       # its left end: 45 degrees left
    (100 + 62 - 3, math.sin(math.pi / 4)),   # its right end: 45 degrees right
    (100 - 5, -math.sin(math.pi / 4)),       # overlapping past the end: still 45 degrees
])
def test_paddle_bounce_angle_by_hit_position(ball_x, vx):
    env = breakout()
    put(env, paddle_x=100, ball_x=ball_x, ball_y=PADDLE_Y - 6 - 1, ball_vx=0, ball_vy=3)
    s, obs, rew, term, _ = step(env)
    assert s["ball_y"] == PADDLE_Y - 6 and s["hits"] == 1 and rew == 0
    assert s["ball_vx"] == pytest.approx(4 * vx, abs=1e-6)
    assert s["ball_vy"] == pytest.approx(-4 * math.sqrt(1 - vx * vx), abs=1e-6) and s["ball_vy"] < 0
    np.testing.assert_array_equal(obs, expected_obs(s))


def test_ball_beside_the_paddle_is_lost_and_costs_a_life():
    env = breakout()
    put(env, paddle_x=100, ball_x=100 + 62, ball_y=PADDLE_Y - 6 - 1, ball_vx=0, ball_vy=3, score=12)
    s, *_ = step(env)
    assert s["lives"] == 5 and s["ball_y"] == PADDLE_Y - 4  # passed the paddle's corner
    s, *_ = step(env)
    assert s["ball_y"] == PADDLE_Y - 1
    s, *_ = step(env)
    assert s["ball_y"] == PADDLE_Y + 2
    put(env, ball_y=PADDLE_Y + 5)
    s, obs, rew, term, trunc = step(env)  # its top passes the paddle's bottom: lost
    assert s["lives"] == 4 and not term and not trunc and rew == 0
    assert serve_state(s) and s["score"] == 12 and s["bricks"].all()
    np.testing.assert_array_equal(obs, expected_obs(s))
    assert obs[6] == f32(0.8)


def test_speeds_up_every_fourth_paddle_hit_up_to_the_maximum():
    env = breakout(ball_max_speed=6)
    speeds = []
    for _ in range(12):
        put(env, paddle_x=100, ball_x=128, ball_y=PADDLE_Y - 7, ball_vx=0, ball_vy=3)
        s, *_ = step(env)
        speeds.append(float(s["ball_speed"]))
        assert -s["ball_vy"] == s["ball_speed"]
    assert speeds == [4, 4, 4, 5, 5, 5, 5, 6, 6, 6, 6, 6]


def carve(env, col, below_row):
    """Clear column `col` below `below_row` so the ball can reach that row from the open field."""
    for r in range(below_row + 1, ROWS):
        env.state["bricks"][0][r, col] = 0
    env.state["bricks_left"][0] -= ROWS - 1 - below_row


@pytest.mark.parametrize("row, points, fast", [(0, 7, True), (1, 7, True), (2, 4, True), (3, 4, False),
                                               (4, 1, False), (5, 1, False)])
def test_brick_hit_breaks_it_scores_its_row_and_reflects(row, points, fast):
    env = breakout()
    carve(env, 3, row)
    bottom = 50 + 12 * (row + 1)
    put(env, ball_x=100, ball_y=bottom + 1, ball_vx=0, ball_vy=-4)  # at the serve speed, 4
    s, obs, rew, term, _ = step(env)
    assert rew == points and s["score"] == points and not term
    assert s["bricks"][row, 3] == 0 and s["bricks_left"] == ROWS * COLS - (ROWS - row)
    assert s["bricks"].sum() == s["bricks_left"]
    assert s["ball_y"] == bottom + 1  # the move into the brick is undone...
    assert s["ball_vy"] == (7 if fast else 4)  # ...the ball reflected, at top speed from the top three rows
    assert s["ball_speed"] == (7 if fast else 4)
    assert obs[8 + row * COLS + 3] == 0 and obs[8:].sum() == s["bricks_left"]
    np.testing.assert_array_equal(obs, expected_obs(s))
    assert env.episodes[0]["score"] == points


def test_sideways_brick_hit_reflects_vx():
    env = breakout()
    carve(env, 3, 4)  # a hole at row 5, column 3: x 96..128, y 110..122
    put(env, ball_x=120, ball_y=112, ball_vx=3, ball_vy=0)
    s, obs, rew, *_ = step(env)
    assert rew == 1 and s["bricks"][5, 4] == 0 and s["bricks"][5, 3] == 0
    assert (s["ball_x"], s["ball_vx"], s["ball_y"]) == (120, -3, 112)


def test_ball_straddling_two_bricks_breaks_both():
    env = breakout()
    put(env, ball_x=125, ball_y=123, ball_vx=0, ball_vy=-2)  # x 125..131: columns 3 and 4
    s, obs, rew, *_ = step(env)
    assert rew == 2 and s["bricks"][5, 3] == 0 and s["bricks"][5, 4] == 0 and s["bricks_left"] == 106


def test_rewards_of_a_step_add_up_over_its_frames():
    env = breakout(frameskip=4)
    carve(env, 3, 4)  # a hole at row 5, column 3
    put(env, ball_x=120, ball_y=112, ball_vx=3, ball_vy=-1)
    s, obs, rew, *_ = step(env)
    # frame 1 breaks (5, 4) on its right and turns back; frame 3 breaks (4, 3) above and turns down
    assert rew == 2 and s["bricks"][5, 4] == 0 and s["bricks"][4, 3] == 0 and s["bricks_left"] == 105
    assert (s["ball_x"], s["ball_y"], s["ball_vx"], s["ball_vy"]) == (111, 111, -3, 1)


def test_game_over_is_terminal_and_restarts_in_the_same_step():
    env = breakout()
    for _ in range(3):  # some history for the log
        put(env, ball_x=300, ball_y=OPEN_Y, ball_vx=1, ball_vy=1)
        step(env)
    carve(env, 3, 5)
    put(env, lives=1, score=40, ball_x=100, ball_y=123, ball_vx=0, ball_vy=-2)
    env.episodes[0]["score"] = 40
    s, obs, rew, term, trunc = step(env)  # breaks a brick: +1
    assert rew == 1 and not term
    put(env, ball_x=300, ball_y=PADDLE_Y + 7, ball_vx=0, ball_vy=3, paddle_x=0)
    s, obs, rew, term, trunc = step(env)
    assert term and not trunc and rew == 0
    assert (s["lives"], s["score"], s["bricks_left"], s["t"]) == (5, 0, 108, 0) and s["bricks"].all()
    np.testing.assert_array_equal(obs, expected_obs(s))  # the new game's first observation
    assert env.log() == {"episode_return": 1.0, "episode_length": 5.0, "score": 41.0, "walls": 0.0, "n": 1}
    assert not step(env)[3]


def last_brick(env, walls):
    """Every brick broken but (5, 3), the ball right under it moving up."""
    env.state["bricks"][0][:] = 0
    env.state["bricks"][0][5, 3] = 1
    put(env, bricks_left=1, walls=walls, score=BOARD_POINTS * (walls + 1) - 1, ball_x=100, ball_y=123,
        ball_vx=0, ball_vy=-2)


def test_clearing_a_wall_brings_a_new_one_at_the_next_paddle_hit():
    env = breakout()
    last_brick(env, walls=0)
    s, obs, rew, term, _ = step(env)
    assert rew == 1 and not term and s["bricks_left"] == 0 and s["walls"] == 1 and s["refill"] == 1
    assert s["score"] == BOARD_POINTS and obs[7] == f32(0.5)
    put(env, ball_x=300, ball_y=60, ball_vx=0, ball_vy=-3)  # the empty wall lets the ball through
    s, *_ = step(env)
    assert s["ball_y"] == 57 and s["bricks_left"] == 0
    put(env, paddle_x=270, ball_x=300, ball_y=PADDLE_Y - 7, ball_vx=0, ball_vy=3)
    s, obs, *_ = step(env)
    assert s["bricks"].all() and s["bricks_left"] == 108 and s["refill"] == 0 and s["walls"] == 1
    np.testing.assert_array_equal(obs, expected_obs(s))


@pytest.mark.parametrize("boards", [1, 2])
def test_clearing_the_last_wall_ends_the_game(boards):
    env = breakout(boards=boards)
    last_brick(env, walls=boards - 1)
    env.episodes[0]["walls"] = boards - 1
    s, obs, rew, term, trunc = step(env)
    assert rew == 1 and term and not trunc
    assert s["bricks"].all() and s["score"] == 0  # restarted in the same step
    log = env.log()
    assert log["walls"] == boards and log["score"] == 1


def test_truncation_after_max_steps():
    env = breakout(max_steps=3)
    truncs = []
    for _ in range(3):
        put(env, ball_x=300, ball_y=OPEN_Y, ball_vx=1, ball_vy=1)
        truncs.append(step(env)[4])
    assert truncs == [False, False, True] and env.state[0]["t"] == 0


def test_frameskip_moves_four_frames_and_a_lost_ball_ends_the_step():
    env = breakout(frameskip=4)
    put(env, ball_x=300, ball_y=OPEN_Y, ball_vx=1, ball_vy=2, paddle_x=0)
    s, *_ = step(env, RIGHT)
    assert (s["ball_x"], s["ball_y"], s["paddle_x"]) == (304, OPEN_Y + 8, 40)
    put(env, ball_y=PADDLE_Y + 6, ball_vy=3)
    s, *_ = step(env, RIGHT)
    assert s["lives"] == 4 and serve_state(s)  # frames after the lost ball were not played


@pytest.mark.parametrize("params, match", [
    (dict(width=0), "width=0 must be > 0"),
    (dict(ball_speed=8), "ball_speed must not exceed"),
    (dict(ball_max_speed=12), "ball_max_speed must stay below"),
    (dict(serve_y=100), "serve_y must lie between"),
    (dict(paddle_width=600), "paddle must be narrower"),
])
def test_bad_params_are_named(params, match):
    with pytest.raises(ValueError, match=match):
        npf.make("breakout", **params)


def test_random_paddle_loses_a_following_paddle_scores():
    n = 256
    env = npf.make("breakout", num_envs=n, seed=3, report_interval=0)
    obs, _ = env.reset(seed=3)
    rng = np.random.default_rng(0)
    for _ in range(1000):
        env.step(rng.integers(0, 3, n))
    rand = env.log()
    assert rand["n"] > 1000 and rand["episode_return"] < 2 and 90 < rand["episode_length"] < 140
    for _ in range(6000):
        gap = (obs[:, 2] * 576 + 3) - (obs[:, 0] * 576 + obs[:, 1] * 31)
        obs = env.step(np.where(gap < -4, LEFT, np.where(gap > 4, RIGHT, STAY)))[0]
    follow = env.log()
    assert follow["n"] > 100 and follow["episode_return"] > 150 and follow["score"] == follow["episode_return"]
    assert env.state["score"].max() > 300


def test_final_observation_stays_in_the_space_when_the_ball_falls_off_the_field():
    env = breakout(paddle_gap=1, autoreset="disabled")
    put(env, lives=1, ball_x=300, ball_y=328, ball_vx=0, ball_vy=6.5, paddle_x=0)  # lost from y 329
    s, obs, rew, term, _ = step(env)
    assert term and s["ball_y"] > 330 and obs[3] == 1 and env.single_observation_space.contains(obs)


# PufferLib 3.0's Breakout: make("breakout", preset="pufferlib"), its swept collisions
PUFFER_SPEED, PUFFER_MAX = f32(256 / 60), f32(448 / 60)


def puffer(**params):
    params.setdefault("frameskip", 1)
    return one_game("breakout", preset="pufferlib", **params)


def test_pufferlib_preset_reset_and_the_serve_frame_ignores_the_action():
    env = puffer()
    s = env.state[0]
    assert (s["lives"], s["paddle_x"], s["ball_x"], s["ball_y"], s["ball_speed"], s["served"]) == (
        6, 257, 272, 135, PUFFER_SPEED, 0)
    assert env.param_values()["ball_width"] == 32 and env.param_values()["max_steps"] == 2**31 - 1
    vx, vy = s["ball_vx"], s["ball_vy"]
    s, obs, *_ = step(env, RIGHT)
    assert s["paddle_x"] == 257 and s["served"] == 1 and (s["ball_x"], s["ball_y"]) == (272 + vx, 135 + vy)
    np.testing.assert_array_equal(obs, expected_obs(s, lives=6, max_speed=PUFFER_MAX))
    s, *_ = step(env, RIGHT)
    assert s["paddle_x"] == 257 + f32(620 / 60)


def test_pufferlib_paddle_return_keeps_the_ball_in_place_at_an_unclamped_angle():
    env = puffer()
    put(env, served=1, paddle_x=100, ball_x=152, ball_y=PADDLE_Y - 32 - 2, ball_vx=0, ball_vy=3)
    s, obs, rew, term, _ = step(env)  # centre at 168: 1.1 paddle widths from its left end
    assert (s["ball_x"], s["ball_y"], s["hits"]) == (152, PADDLE_Y - 34, 1) and rew == 0 and not term
    angle = (f32(68 / 62) * 2 - 1) * math.pi / 4
    assert angle > math.pi / 4
    assert s["ball_vx"] == pytest.approx(math.sin(angle) * PUFFER_SPEED, rel=1e-5)
    assert s["ball_vy"] == pytest.approx(-math.cos(angle) * PUFFER_SPEED, rel=1e-5)


def test_pufferlib_speed_up_of_the_fourth_hit_applies_from_the_next():
    env = puffer()
    put(env, served=1, paddle_x=100, ball_x=115, ball_y=PADDLE_Y - 34, ball_vx=0, ball_vy=3, hits=3)
    s, *_ = step(env)
    assert s["hits"] == 4 and -s["ball_vy"] == pytest.approx(PUFFER_SPEED)  # this hit at the old speed
    assert s["ball_speed"] == PUFFER_SPEED + f32(64 / 60)


def test_pufferlib_one_brick_a_frame_the_widest_overlap_first():
    env = puffer()
    put(env, served=1, ball_x=110, ball_y=123, ball_vx=0, ball_vy=-2)  # x 110..142: columns 3 and 4
    s, obs, rew, *_ = step(env)
    assert rew == 1 and s["bricks"][5, 3] == 0 and s["bricks"][5, 4] == 1 and s["bricks_left"] == 107
    assert (s["ball_x"], s["ball_y"], s["ball_vx"], s["ball_vy"]) == (110, 122, 0, 2)  # onto the brick, reflected
    np.testing.assert_array_equal(obs, expected_obs(s, lives=6, max_speed=PUFFER_MAX))


@pytest.mark.parametrize("row, points, fast", [(0, 7, True), (2, 4, True), (3, 4, False), (5, 1, False)])
def test_pufferlib_brick_points_and_top_speed_from_the_next_hit(row, points, fast):
    env = puffer()
    carve(env, 3, row)
    bottom = 50 + 12 * (row + 1)
    put(env, served=1, ball_x=96, ball_y=bottom + 1, ball_vx=0, ball_vy=-2)
    s, obs, rew, *_ = step(env)
    assert rew == points and s["bricks"][row, 3] == 0 and s["ball_vy"] == 2  # the velocity kept...
    assert s["ball_speed"] == (PUFFER_MAX if fast else PUFFER_SPEED)  # ...the speed for the next hit


def test_pufferlib_walls_stop_the_ball_on_them_and_the_top_one_shrinks_the_paddle():
    env = puffer()
    put(env, served=1, ball_x=300, ball_y=2, ball_vx=1, ball_vy=-4)
    s, *_ = step(env)
    assert (s["ball_x"], s["ball_y"], s["ball_vx"], s["ball_vy"], s["paddle_width"]) == (300.5, 0, 1, 4, 31)
    put(env, ball_x=2, ball_y=200, ball_vx=-4, ball_vy=2)
    s, *_ = step(env)
    assert (s["ball_x"], s["ball_y"], s["ball_vx"], s["ball_vy"]) == (0, 201, 4, 2)
    put(env, ball_x=576 - 32 - 1, ball_y=200, ball_vx=4, ball_vy=2)
    s, *_ = step(env)
    assert (s["ball_x"], s["ball_y"], s["ball_vx"]) == (576 - 32, 200.5, -4)


def test_pufferlib_a_lost_ball_does_not_end_the_step_and_the_sixth_ends_the_game():
    env = puffer(frameskip=4)
    put(env, served=1, paddle_x=0, ball_x=300, ball_y=PADDLE_Y + 5, ball_vx=0, ball_vy=4, score=12)
    s, obs, rew, term, _ = step(env, RIGHT)  # lost in frame 1, frame 2 serves, 3 and 4 move the paddle
    assert s["lives"] == 5 and not term and s["score"] == 12 and s["served"] == 1
    assert s["paddle_x"] == pytest.approx(257 + 2 * 620 / 60) and s["ball_y"] == pytest.approx(135 + 3 * s["ball_vy"])
    put(env, lives=1, ball_x=300, ball_y=PADDLE_Y + 5, ball_vx=0, ball_vy=4)
    s, obs, rew, term, _ = step(env)
    assert term and s["lives"] == 6 and s["score"] == 0


def test_pufferlib_clearing_both_walls_ends_the_game():
    env = puffer()
    last_brick(env, walls=0)
    put(env, served=1, ball_x=96)
    s, obs, rew, term, _ = step(env)
    assert rew == 1 and not term and s["walls"] == 1 and s["refill"] == 1
    put(env, paddle_x=100, ball_x=115, ball_y=PADDLE_Y - 34, ball_vx=0, ball_vy=3)
    s, *_ = step(env)
    assert s["bricks"].all() and s["refill"] == 0
    last_brick(env, walls=1)
    put(env, ball_x=96)
    assert step(env)[3]


def test_pufferlib_preset_passes_check_env():
    env = npf.make("breakout", num_envs=4, seed=0, preset="pufferlib")
    assert npf.check_env(env, num_envs=16, steps=500) == []


@pytest.mark.slow
def test_pufferlib_preset_logs_as_the_c(tmp_path, monkeypatch):
    """Random play: the mean score per episode as PufferLib's C logs it (its episode_length
    counts frames: 4 a step)."""
    pytest.importorskip("pufferlib.ocean", reason="PufferLib's C envs: ../shared/tools/build_pufferlib.sh VENV all")
    monkeypatch.chdir(tmp_path)
    from benchmarks.ocean import c_env, our_env, random_actions
    ours, c = our_env("breakout", 4096), c_env("breakout", 4096)
    ours.reset(seed=0)
    acts = random_actions(ours.single_action_space, 4096, 64, 0)
    logs = {"ours": [], "c": []}
    for t in range(1000):
        ours.step(acts[t % 64].astype(ours.actions.dtype))
        *_, info = c.step(acts[t % 64].astype(c.actions.dtype))
        logs["c"] += [i for i in info if i]
    logs["ours"].append(ours.log())
    c.close()

    def mean(key, which):
        items = logs[which]
        return sum(i[key] * i["n"] for i in items) / sum(i["n"] for i in items)
    assert sum(i["n"] for i in logs["c"]) > 20000 and logs["ours"][0]["n"] > 20000
    # a score per episode of ~0.8 with a standard deviation of ~2: 1.5% is one standard error here
    assert mean("score", "ours") == pytest.approx(mean("score", "c"), rel=0.05)
    assert mean("episode_length", "ours") * 4 == pytest.approx(mean("episode_length", "c"), rel=0.02)
