"""Pendulum: gymnasium's Pendulum-v1, step for step (the inverted pendulum swing-up).

A pendulum hangs from a frictionless pivot; apply torque to swing it up and hold it upright.

Observation: Box([-1, -1, -8], [1, 1, 8], (3,), float32): cos(th), sin(th), thdot, as gymnasium
  (th = 0 is upright).
Action: Box(-2, 2, (1,), float32): the torque; values outside [-2, 2] are clipped, as gymnasium
  clips them (NaN is rejected by the engine before the step).
Reward: -(normalized th^2 + 0.1 thdot^2 + 0.001 torque^2), the cost of the state before the
  step, at most 0, at least about -16.27.
Termination: never; truncation after 200 steps, as Pendulum-v1's time limit.
Start: th uniform in [-pi, pi), thdot uniform in [-1, 1), drawn from the game's stream.
The state (`th`, `thdot`, gymnasium's `state`) is float64 and stepped with gymnasium's
arithmetic: the torque terms in float32 as numpy computes them for a float32 action. Over
whole episodes the two agree to within 1e-5 unless a last-bit difference of `sin` between
numpy and Numba grows (the swing-up amplifies it); see tests/test_classic_control.py.
Log: episode_return, episode_length.
View: 500x500 pixels. Play: left/right arrows apply -2 / +2 torque; no key: no torque.
"""
import math

import numpy as np
from gymnasium import spaces
from numba import njit

from numbapuffer.engine.checks import check_range
from numbapuffer.core import Game, rand_float
from numbapuffer.engine.render import COLORS, View, text

MAX_SPEED = 8.0
MAX_TORQUE = np.float32(2.0)
DT = 0.05
G = 10.0
MASS = 1.0
LENGTH = 1.0
HIGH = np.array([1.0, 1.0, MAX_SPEED], np.float32)

# t is int64 so that every record, with the engine's uint64 stream after it, stays 8-byte aligned.
STATE = np.dtype([("th", np.float64), ("thdot", np.float64), ("last_u", np.float32), ("pushed", np.int32),
                  ("t", np.int64)])


def check(p):
    check_range("pendulum", p, ("max_steps",), low=1)  # the step count is int64, as the param


@njit
def observe(s, obs):
    obs[0] = math.cos(s.th)
    obs[1] = math.sin(s.th)
    obs[2] = s.thdot


@njit
def angle_normalize(x):
    return ((x + math.pi) % (2 * math.pi)) - math.pi


@njit
def reset(s, p, buf, a):
    s.th = -math.pi + 2 * math.pi * np.float64(rand_float(s))
    s.thdot = -1.0 + 2.0 * np.float64(rand_float(s))
    s.last_u = 0
    s.pushed = 0
    s.t = 0
    observe(s, buf.observations[a])


@njit
def step(s, p, buf, a):
    u = min(max(buf.actions[a, 0], -MAX_TORQUE), MAX_TORQUE)
    # numpy's rules for a float32 torque: u**2 and the Python-float products stay float32.
    costs = angle_normalize(s.th) ** 2 + 0.1 * s.thdot ** 2 + np.float64(np.float32(0.001) * (u * u))
    push = np.float64(np.float32(3.0 / (MASS * LENGTH ** 2)) * u)
    newthdot = s.thdot + (3 * G / (2 * LENGTH) * math.sin(s.th) + push) * DT
    newthdot = min(max(newthdot, -MAX_SPEED), MAX_SPEED)
    s.th = s.th + newthdot * DT
    s.thdot = newthdot
    s.last_u = u
    s.pushed = 1
    s.t += 1
    buf.rewards[a] = -costs
    buf.truncations[a] = s.t >= p.max_steps
    observe(s, buf.observations[a])


SIZE = 500
SCALE = SIZE / 4.4  # pixels a metre: the rod (1 m) and its swing fit with a margin


def draw(surface, s, p):
    import pygame
    import pygame.gfxdraw
    surface.fill(COLORS["field"])
    text(surface, f"step {s.t}", (12, 12), 28)
    text(surface, f"torque {s.last_u:+.2f}" if s.pushed else "torque -", (SIZE - 12, 12), 28, COLORS["dim"],
         "topright")
    cx, cy = SIZE / 2, SIZE / 2
    ux, uy = math.sin(s.th), -math.cos(s.th)  # th = 0 points up; the screen's y grows downward
    ex, ey = cx + ux * LENGTH * SCALE, cy + uy * LENGTH * SCALE
    half = 0.1 * SCALE
    corners = [(cx - uy * half, cy + ux * half), (cx + uy * half, cy - ux * half),
               (ex + uy * half, ey - ux * half), (ex - uy * half, ey + ux * half)]
    pygame.gfxdraw.filled_polygon(surface, corners, COLORS["red"])
    pygame.gfxdraw.aapolygon(surface, corners, COLORS["red"])
    pygame.draw.circle(surface, COLORS["red"], (round(ex), round(ey)), round(half))
    if s.pushed and s.last_u != 0:  # an arc around the pivot, as long as the torque is strong
        sweep = math.pi * abs(float(s.last_u)) / float(MAX_TORQUE)
        start = math.pi / 2 - (sweep if s.last_u < 0 else 0)
        r = 0.35 * SCALE
        pygame.draw.arc(surface, COLORS["yellow"], (cx - r, cy - r, 2 * r, 2 * r), start, start + sweep, 5)
    pygame.draw.circle(surface, COLORS["line"], (round(cx), round(cy)), round(0.05 * SCALE) + 2)


VIEW = View(draw, size=(SIZE, SIZE), fps=20, keys={"left": -2.0, "right": 2.0}, idle=0.0,
            help="Left/Right: torque -2 / +2")

game = Game("pendulum", STATE, reset, step,
            observation_space=spaces.Box(-HIGH, HIGH, dtype=np.float32),
            action_space=spaces.Box(-float(MAX_TORQUE), float(MAX_TORQUE), (1,), np.float32),
            params=dict(max_steps=200), check=check, view=VIEW)
