"""Breakout from pixels: the rules, actions, rewards, termination and log of breakout.py,
observed as grayscale frames instead of the vector.

Observation: Box(0, 255, (stack, 84, 84), uint8): the last `stack` frames (4 by default),
  oldest first; at a game's start every slot holds its first frame. The field (576x330 by
  default) is scaled to 84x84: the bricks by row from 230 (top) down to 130 in steps of 20,
  the paddle 255, the ball 255, the rest 0; an object covers every pixel it touches.
  `make_game(stack=k)` makes the game with k frames.
Action, Reward, Termination, Log: as breakout (its params too).
View: breakout's.
"""
import numpy as np
from numba import njit

from numbapuffer.engine import pixels
from numbapuffer.core import Game
from numbapuffer.envs import breakout

f32 = breakout.f32
ROWS, COLS = breakout.ROWS, breakout.COLS
SHOT = 4  # what a frame shows besides the bricks: paddle x, paddle width, ball x, ball y


@njit
def snapshot(s, k):
    s.shots[k, 0] = s.paddle_x
    s.shots[k, 1] = s.paddle_width
    s.shots[k, 2] = s.ball_x
    s.shots[k, 3] = s.ball_y
    for r in range(ROWS):
        for c in range(COLS):
            s.shot_bricks[k, r, c] = s.bricks[r, c]


@njit
def paint(s, p, k, frame):
    sx, sy = f32(pixels.SIZE) / p.width, f32(pixels.SIZE) / p.height
    pixels.clear(frame)
    bw = p.width / f32(COLS)
    for r in range(ROWS):
        top = p.brick_top + f32(r) * p.brick_height
        for c in range(COLS):
            if s.shot_bricks[k, r, c]:
                pixels.rect(frame, f32(c) * bw * sx, top * sy, f32(c + 1) * bw * sx, (top + p.brick_height) * sy,
                            230 - 20 * r)
    paddle_x, paddle_width, x, y = s.shots[k, 0], s.shots[k, 1], s.shots[k, 2], s.shots[k, 3]
    paddle_y = p.height - p.paddle_gap - p.paddle_height
    pixels.rect(frame, paddle_x * sx, paddle_y * sy, (paddle_x + paddle_width) * sx, (paddle_y + p.paddle_height) * sy,
                255)
    pixels.rect(frame, x * sx, y * sy, (x + p.ball_width) * sx, (y + p.ball_height) * sy, 255)


@njit
def observe(s, p, obs):
    stack = obs.shape[0]
    for k in range(stack):
        paint(s, p, pixels.slot(s, k, stack), obs[k])


@njit
def reset(s, p, buf, a):
    breakout.start(s, p)
    s.newest = 0
    for k in range(s.shots.shape[0]):
        snapshot(s, k)
    observe(s, p, buf.observations[a])


@njit
def step(s, p, buf, a):
    breakout.advance(s, p, buf, a)
    s.newest = (s.newest + 1) % s.shots.shape[0]
    snapshot(s, s.newest)
    observe(s, p, buf.observations[a])


def make_game(stack=4):
    snapshot_fields = [("shots", f32, (SHOT,)), ("shot_bricks", np.int8, (ROWS, COLS))]
    return Game("breakout_pixels", pixels.state(breakout.STATE, stack, snapshot_fields), reset, step,
                observation_space=pixels.space(stack), action_space=breakout.game.action_space,
                params=breakout.PARAMS, check=breakout.check, log=("score", "walls"), view=breakout.VIEW)


game = make_game()
