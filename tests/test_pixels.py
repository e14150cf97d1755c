"""Pixel observations of Pong and Breakout: frames equal a reference drawing (numpy, from the
state record), stacked oldest first, and the rules exactly those of the vector games."""
import numpy as np
import pytest

import numbapuffer as npf
from numbapuffer.tools.bench import action_sets
from numbapuffer.envs import breakout_pixels, pong_pixels

SIZE = 84


def box(frame, x0, y0, x1, y1, value):
    """Reference: the pixels a rectangle in frame units touches, drawn with numpy slices."""
    rows = slice(max(int(np.floor(y0)), 0), max(int(np.ceil(y1)), 0))
    frame[rows, max(int(np.floor(x0)), 0):max(int(np.ceil(x1)), 0)] = value


def pong_reference(s, p):
    f = np.zeros((SIZE, SIZE), np.uint8)
    sx, sy = np.float32(SIZE) / p["width"], np.float32(SIZE) / p["height"]
    h, ph = p["height"], p["paddle_height"]
    box(f, 0, (h - s["paddle_yl"] - ph) * sy, p["paddle_width"] * sx, (h - s["paddle_yl"]) * sy, 128)
    box(f, (p["width"] - p["paddle_width"]) * sx, (h - s["paddle_yr"] - ph) * sy, p["width"] * sx,
        (h - s["paddle_yr"]) * sy, 255)
    box(f, s["ball_x"] * sx, (h - s["ball_y"] - p["ball_height"]) * sy, (s["ball_x"] + p["ball_width"]) * sx,
        (h - s["ball_y"]) * sy, 200)
    return f


def breakout_reference(s, p):
    f = np.zeros((SIZE, SIZE), np.uint8)
    sx, sy = np.float32(SIZE) / p["width"], np.float32(SIZE) / p["height"]
    bw = p["width"] / np.float32(18)
    for r, c in zip(*np.nonzero(s["bricks"])):
        top = p["brick_top"] + np.float32(r) * p["brick_height"]
        box(f, np.float32(c) * bw * sx, top * sy, np.float32(c + 1) * bw * sx, (top + p["brick_height"]) * sy,
            230 - 20 * r)
    y = p["height"] - p["paddle_gap"] - p["paddle_height"]
    box(f, s["paddle_x"] * sx, y * sy, (s["paddle_x"] + s["paddle_width"]) * sx, (y + p["paddle_height"]) * sy, 255)
    box(f, s["ball_x"] * sx, s["ball_y"] * sy, (s["ball_x"] + p["ball_width"]) * sx,
        (s["ball_y"] + p["ball_height"]) * sy, 255)
    return f


REFERENCE = {"pong_pixels": pong_reference, "breakout_pixels": breakout_reference}


@pytest.mark.parametrize("name", ["pong_pixels", "breakout_pixels"])
def test_frames_equal_the_reference_drawing_and_stack_oldest_first(name):
    env = npf.make(name, num_envs=16, seed=4, report_interval=0)
    assert env.single_observation_space.shape == (4, SIZE, SIZE) and env.observations.dtype == np.uint8
    obs = env.reset(seed=4)[0].copy()
    p = env.params[0]
    for g in range(16):  # a fresh game: every slot holds its first frame
        for k in range(4):
            np.testing.assert_array_equal(obs[g, k], REFERENCE[name](env.state[g], p))
    ended = 0
    for actions in action_sets(env.action_space, 300, seed=1):
        previous = obs
        obs = env.step(actions)[0].copy()
        done = env.terminals | env.truncations
        ended += done.sum()
        for g in range(16):
            np.testing.assert_array_equal(obs[g, 3], REFERENCE[name](env.state[g], p))
            if not done[g]:
                np.testing.assert_array_equal(obs[g, :3], previous[g, 1:])
    assert obs[:, 3].any(axis=(1, 2)).all()


def test_a_hand_set_ball_lands_on_its_pixels():
    env = npf.make("pong_pixels", num_envs=1, seed=0, report_interval=0)
    env.reset(seed=0)
    env.state["ball_x"][0], env.state["ball_y"][0] = 250.0, 320.0  # 32x32 at the middle of 500x640
    env.state["ball_vx"][0] = env.state["ball_vy"][0] = 0.0
    frame = env.step(np.array([0]))[0][0, 3]
    rows, cols = np.nonzero(frame == 200)
    # x: 250..282 of 500 -> 42.0..47.4 px; y (upward): 320..352 of 640 -> rows 37.8..42.0
    assert (cols.min(), cols.max(), rows.min(), rows.max()) == (42, 47, 37, 41)


@pytest.mark.parametrize("pixel, vector", [("pong_pixels", "pong"), ("breakout_pixels", "breakout")])
def test_rules_rewards_and_logs_are_the_vector_games(pixel, vector):
    a = npf.make(pixel, num_envs=32, seed=9, report_interval=0)
    b = npf.make(vector, num_envs=32, seed=9, report_interval=0)
    a.reset(seed=9)
    b.reset(seed=9)
    fields = b.state.dtype.names
    for actions in action_sets(b.action_space, 400, seed=2):
        a.step(actions)
        b.step(actions)
        np.testing.assert_array_equal(a.rewards, b.rewards)
        np.testing.assert_array_equal(a.terminals, b.terminals)
        for f in fields:
            np.testing.assert_array_equal(a.state[f], b.state[f])
    assert a.log() == b.log()


def test_stack_is_a_param_of_make_game():
    game = breakout_pixels.make_game(stack=2)
    env = npf.make(game, num_envs=2, seed=0)
    env.reset(seed=0)
    assert env.observations.shape == (2, 2, SIZE, SIZE)
    env.step(np.array([1, 2]))
    np.testing.assert_array_equal(env.observations[:, 1], [breakout_reference(s, env.params[0]) for s in env.state])
    assert pong_pixels.make_game(stack=1).observation_space.shape == (1, SIZE, SIZE)
    for bad in (0, 17, 2.0, True):
        with pytest.raises(ValueError, match="stack="):
            pong_pixels.make_game(stack=bad)
