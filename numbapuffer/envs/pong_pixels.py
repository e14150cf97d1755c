"""Pong from pixels: the rules, actions, rewards, termination and log of pong.py, observed
as grayscale frames instead of the vector.

Observation: Box(0, 255, (stack, 84, 84), uint8): the last `stack` frames (4 by default),
  oldest first; at a game's start every slot holds its first frame. The field (500x640 by
  default) is scaled to 84x84, +y upward as pong's view draws it: the agent's paddle
  (right) 255, the opponent's (left) 128, the ball 200, the rest 0; an object covers every
  pixel it touches. `make_game(stack=k)` makes the game with k frames.
Action, Reward, Termination, Log: as pong (its params too, reward params included).
View: pong's.
"""
from numba import njit

from numbapuffer.engine import pixels
from numbapuffer.core import Game
from numbapuffer.envs import pong

f32 = pong.f32
SHOT = 4  # what a frame shows: left paddle y, right paddle y, ball x, ball y


@njit
def snapshot(s, k):
    s.shots[k, 0] = s.paddle_yl
    s.shots[k, 1] = s.paddle_yr
    s.shots[k, 2] = s.ball_x
    s.shots[k, 3] = s.ball_y


@njit
def paint(s, p, k, frame):
    sx, sy = f32(pixels.SIZE) / p.width, f32(pixels.SIZE) / p.height
    left, right, x, y = s.shots[k, 0], s.shots[k, 1], s.shots[k, 2], s.shots[k, 3]
    pixels.clear(frame)
    pixels.rect(frame, f32(0), (p.height - left - p.paddle_height) * sy, p.paddle_width * sx, (p.height - left) * sy,
                128)
    pixels.rect(frame, (p.width - p.paddle_width) * sx, (p.height - right - p.paddle_height) * sy, p.width * sx,
                (p.height - right) * sy, 255)
    pixels.rect(frame, x * sx, (p.height - y - p.ball_height) * sy, (x + p.ball_width) * sx, (p.height - y) * sy, 200)


@njit
def observe(s, p, obs):
    stack = obs.shape[0]
    for k in range(stack):
        paint(s, p, pixels.slot(s, k, stack), obs[k])


@njit
def reset(s, p, buf, a):
    pong.start(s, p)
    s.newest = 0
    for k in range(s.shots.shape[0]):
        snapshot(s, k)
    observe(s, p, buf.observations[a])


@njit
def step(s, p, buf, a):
    pong.advance(s, p, buf, a)
    s.newest = (s.newest + 1) % s.shots.shape[0]
    snapshot(s, s.newest)
    observe(s, p, buf.observations[a])


def make_game(stack=4):
    return Game("pong_pixels", pixels.state(pong.STATE, stack, [("shots", f32, (SHOT,))]), reset, step,
                observation_space=pixels.space(stack), action_space=pong.game.action_space, params=pong.PARAMS,
                check=pong.check, log=("score",), view=pong.VIEW)


game = make_game()
