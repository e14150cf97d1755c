"""Acrobot: gymnasium's Acrobot-v1, step for step (Sutton's two-link underactuated pendulum).

Two links hang in a chain from a fixed joint; torque on the joint between them only. Swing
the free end above the line one link length over the fixed joint.

Observation: Box((6,), float32) in [-1, 1] x4, [-4 pi, 4 pi], [-9 pi, 9 pi]: cos(theta1),
  sin(theta1), cos(theta2), sin(theta2), dtheta1, dtheta2, as gymnasium (theta1 = 0 hangs
  straight down; theta2 is relative to the first link).
Action: Discrete(3): torque -1, 0 or +1 on the joint between the links.
Reward: -1 every step, 0 on the terminating step.
Termination: -cos(theta1) - cos(theta1 + theta2) > 1 (the free end above the line);
  truncation after 500 steps, as Acrobot-v1's time limit.
Start: theta1, theta2, dtheta1, dtheta2 each uniform in [-0.1, 0.1), rounded to float32 as
  gymnasium's start is, drawn from the game's stream.
The state (`theta1, theta2, dtheta1, dtheta2`, gymnasium's `state`) is float64 and integrated
with gymnasium's RK4 step ("book" dynamics, dt = 0.2) in its order of operations. The
swing amplifies last-bit differences of `sin`/`cos` between numpy and Numba, so long
episodes drift apart; see tests/test_classic_control.py for how far they agree.
Log: episode_return, episode_length.
View: 500x500 pixels. Play: left/right arrows apply torque -1 / +1; no key: none.
"""
import math

import numpy as np
from gymnasium import spaces
from numba import njit

from numbapuffer.engine.checks import check_range
from numbapuffer.core import Game, rand_float
from numbapuffer.engine.render import COLORS, View, text

DT = 0.2
LINK_LENGTH_1 = 1.0
LINK_LENGTH_2 = 1.0
LINK_MASS_1 = 1.0
LINK_MASS_2 = 1.0
LINK_COM_POS_1 = 0.5
LINK_COM_POS_2 = 0.5
LINK_MOI = 1.0
MAX_VEL_1 = 4 * math.pi
MAX_VEL_2 = 9 * math.pi
HIGH = np.array([1.0, 1.0, 1.0, 1.0, MAX_VEL_1, MAX_VEL_2], np.float32)

STATE = np.dtype([("theta1", np.float64), ("theta2", np.float64), ("dtheta1", np.float64), ("dtheta2", np.float64),
                  ("t", np.int64)])


def check(p):
    check_range("acrobot", p, ("max_steps",), low=1)  # the step count is int64, as the param


@njit
def observe(s, obs):
    obs[0] = math.cos(s.theta1)
    obs[1] = math.sin(s.theta1)
    obs[2] = math.cos(s.theta2)
    obs[3] = math.sin(s.theta2)
    obs[4] = s.dtheta1
    obs[5] = s.dtheta2


@njit
def start(s):
    return np.float64(np.float32(-0.1 + 0.2 * np.float64(rand_float(s))))


@njit
def reset(s, p, buf, a):
    s.theta1 = start(s)
    s.theta2 = start(s)
    s.dtheta1 = start(s)
    s.dtheta2 = start(s)
    s.t = 0
    observe(s, buf.observations[a])


@njit
def dsdt(a, theta1, theta2, dtheta1, dtheta2):
    """gymnasium's _dsdt, written as it is (the same operations in the same order)."""
    m1, m2, l1 = LINK_MASS_1, LINK_MASS_2, LINK_LENGTH_1
    lc1, lc2 = LINK_COM_POS_1, LINK_COM_POS_2
    I1 = I2 = LINK_MOI
    g = 9.8
    pi = math.pi
    d1 = m1 * lc1**2 + m2 * (l1**2 + lc2**2 + 2 * l1 * lc2 * math.cos(theta2)) + I1 + I2
    d2 = m2 * (lc2**2 + l1 * lc2 * math.cos(theta2)) + I2
    phi2 = m2 * lc2 * g * math.cos(theta1 + theta2 - pi / 2.0)
    phi1 = (-m2 * l1 * lc2 * dtheta2**2 * math.sin(theta2) - 2 * m2 * l1 * lc2 * dtheta2 * dtheta1 * math.sin(theta2)
            + (m1 * lc1 + m2 * l1) * g * math.cos(theta1 - pi / 2) + phi2)
    ddtheta2 = (a + d2 / d1 * phi1 - m2 * l1 * lc2 * dtheta1**2 * math.sin(theta2) - phi2) / (
        m2 * lc2**2 + I2 - d2**2 / d1)
    ddtheta1 = -(d2 * ddtheta2 + phi1) / d1
    return dtheta1, dtheta2, ddtheta1, ddtheta2


@njit
def wrap(x):
    while x > math.pi:
        x = x - 2 * math.pi
    while x < -math.pi:
        x = x + 2 * math.pi
    return x


@njit
def step(s, p, buf, a):
    torque = np.float64(buf.actions[a] - 1)
    y0, y1, y2, y3 = s.theta1, s.theta2, s.dtheta1, s.dtheta2
    h = DT / 2.0
    k10, k11, k12, k13 = dsdt(torque, y0, y1, y2, y3)
    k20, k21, k22, k23 = dsdt(torque, y0 + h * k10, y1 + h * k11, y2 + h * k12, y3 + h * k13)
    k30, k31, k32, k33 = dsdt(torque, y0 + h * k20, y1 + h * k21, y2 + h * k22, y3 + h * k23)
    k40, k41, k42, k43 = dsdt(torque, y0 + DT * k30, y1 + DT * k31, y2 + DT * k32, y3 + DT * k33)
    w = DT / 6.0
    s.theta1 = wrap(y0 + w * (k10 + 2 * k20 + 2 * k30 + k40))
    s.theta2 = wrap(y1 + w * (k11 + 2 * k21 + 2 * k31 + k41))
    s.dtheta1 = min(max(y2 + w * (k12 + 2 * k22 + 2 * k32 + k42), -MAX_VEL_1), MAX_VEL_1)
    s.dtheta2 = min(max(y3 + w * (k13 + 2 * k23 + 2 * k33 + k43), -MAX_VEL_2), MAX_VEL_2)
    s.t += 1
    done = -math.cos(s.theta1) - math.cos(s.theta2 + s.theta1) > 1.0
    buf.rewards[a] = 0 if done else -1
    buf.terminals[a] = done
    buf.truncations[a] = s.t >= p.max_steps
    observe(s, buf.observations[a])


SIZE = 500
SCALE = SIZE / (2 * (LINK_LENGTH_1 + LINK_LENGTH_2 + 0.2))  # pixels a metre, as gymnasium draws it


def draw(surface, s, p):
    import pygame
    surface.fill(COLORS["field"])
    text(surface, f"step {s.t}", (12, 12), 28)
    cx, cy = SIZE / 2, SIZE / 2
    goal = cy - LINK_LENGTH_1 * SCALE  # the line the free end must rise above
    for x in range(0, SIZE, 16):
        surface.fill(COLORS["dim"], (x, round(goal) - 1, 8, 2))
    # theta1 = 0 hangs down; the screen's y grows downward
    x1 = cx + LINK_LENGTH_1 * SCALE * math.sin(s.theta1)
    y1 = cy + LINK_LENGTH_1 * SCALE * math.cos(s.theta1)
    x2 = x1 + LINK_LENGTH_2 * SCALE * math.sin(s.theta1 + s.theta2)
    y2 = y1 + LINK_LENGTH_2 * SCALE * math.cos(s.theta1 + s.theta2)
    for (ax, ay), (bx, by), color in (((cx, cy), (x1, y1), COLORS["blue"]), ((x1, y1), (x2, y2), COLORS["teal"])):
        pygame.draw.line(surface, color, (ax, ay), (bx, by), 12)
        pygame.draw.circle(surface, COLORS["yellow"], (round(ax), round(ay)), 8)
    pygame.draw.circle(surface, COLORS["orange"], (round(x2), round(y2)), 7)


VIEW = View(draw, size=(SIZE, SIZE), fps=15, keys={"left": 0, "right": 2}, idle=1,
            help="Left/Right: torque -1 / +1")

game = Game("acrobot", STATE, reset, step,
            observation_space=spaces.Box(-HIGH, HIGH, dtype=np.float32), action_space=spaces.Discrete(3),
            params=dict(max_steps=500), check=check, view=VIEW)
