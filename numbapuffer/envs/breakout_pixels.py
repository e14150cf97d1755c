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
from numba import njit

from numbapuffer import pixels
from numbapuffer.core import Game
from numbapuffer.envs import breakout

f32 = breakout.f32
ROWS, COLS = breakout.ROWS, breakout.COLS


@njit
def paint(s, p, frame):
    sx, sy = f32(pixels.SIZE) / p.width, f32(pixels.SIZE) / p.height
    bw = p.width / f32(COLS)
    for r in range(ROWS):
        top = p.brick_top + f32(r) * p.brick_height
        for c in range(COLS):
            if s.bricks[r, c]:
                pixels.rect(frame, f32(c) * bw * sx, top * sy, f32(c + 1) * bw * sx, (top + p.brick_height) * sy,
                            230 - 20 * r)
    paddle_y = p.height - p.paddle_gap - p.paddle_height
    pixels.rect(frame, s.paddle_x * sx, paddle_y * sy, (s.paddle_x + s.paddle_width) * sx,
                (paddle_y + p.paddle_height) * sy, 255)
    pixels.rect(frame, s.ball_x * sx, s.ball_y * sy, (s.ball_x + p.ball_width) * sx, (s.ball_y + p.ball_height) * sy,
                255)


@njit
def reset(s, p, buf, a):
    breakout.start(s, p)
    pixels.first_frame(s)
    paint(s, p, s.frames[s.newest])
    pixels.fill_history(s)
    pixels.observe(s, buf.observations[a])


@njit
def step(s, p, buf, a):
    breakout.advance(s, p, buf, a)
    pixels.next_frame(s)
    paint(s, p, s.frames[s.newest])
    pixels.observe(s, buf.observations[a])


def make_game(stack=4):
    return Game("breakout_pixels", pixels.state(breakout.STATE, stack), reset, step,
                observation_space=pixels.space(stack), action_space=breakout.game.action_space,
                params=breakout.PARAMS, check=breakout.check, log=("score", "walls"), view=breakout.VIEW)


game = make_game()
