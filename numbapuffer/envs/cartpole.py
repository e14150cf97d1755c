"""CartPole: gymnasium's CartPole-v1, step for step (Barto, Sutton and Anderson's cart-pole).

A pole is hinged on a cart that moves along a frictionless track; push the cart left or
right to keep the pole upright.

Observation: Box(-high, high, (4,), float32) with high = [4.8, inf, 0.4189, inf]:
  cart position, cart velocity, pole angle (rad), pole angular velocity, as gymnasium.
Action: Discrete(2): 0 push left, 1 push right (a force of 10 N).
Reward: +1 every step, the terminating step included; param reward_last sets the reward of
  the step that ends an episode (terminal or truncated), 1 by default.
Termination: |x| > 2.4 or |theta| > 12 degrees; truncation after 500 steps, as CartPole-v1's
  time limit (a step may be both).
Start: x, x_dot, theta, theta_dot each uniform in [-0.05, 0.05), drawn from the game's stream.
The state is float64 and integrated with explicit Euler in gymnasium's order of operations,
so a gymnasium env set to the same state steps to the same observations.
Log: episode_return, episode_length.
Preset "pufferlib" (make("cartpole", preset="pufferlib")): PufferLib 3.0.0's Cartpole,
  whose rules are these but for reward 0 on the step that ends an episode (reward_last 0)
  and its time limit of 200 steps (max_steps 200). Its C integrates in float32 (ours float64, as gymnasium), and it never
  sets truncations (its time-limited episodes end unseen in the buffers): here they are
  truncated, as gymnasium's.
View: 600x320 pixels (width x height), the track between the termination lines +-2.4 m.
  Play: left/right arrows push the cart; with no key held the pushes alternate left and
  right.
"""
import math

import numpy as np
from gymnasium import spaces
from numba import njit

from numbapuffer.engine.checks import check_range
from numbapuffer.core import Game, rand_float
from numbapuffer.engine.render import COLORS, View, text

GRAVITY = 9.8
MASS_CART = 1.0
MASS_POLE = 0.1
TOTAL_MASS = MASS_POLE + MASS_CART
LENGTH = 0.5  # half the pole's length
POLE_MASS_LENGTH = MASS_POLE * LENGTH
FORCE_MAG = 10.0
TAU = 0.02  # seconds per step
THETA_THRESHOLD = 12 * 2 * math.pi / 360
X_THRESHOLD = 2.4
INIT_LOW, INIT_HIGH = -0.05, 0.05
# Twice the termination thresholds, so that a final observation is still inside the space.
HIGH = np.array([X_THRESHOLD * 2, np.inf, THETA_THRESHOLD * 2, np.inf], np.float32)

# t is int64 so that every record, with the engine's uint64 stream after it, stays 8-byte aligned.
STATE = np.dtype([("x", np.float64), ("x_dot", np.float64), ("theta", np.float64), ("theta_dot", np.float64),
                  ("t", np.int64)])


def check(p):
    check_range("cartpole", p, ("max_steps",), low=1)  # the step count is int64, as the param
    check_range("cartpole", p, ("reward_last",), low=-1e30, high=1e30)


@njit
def observe(s, obs):
    obs[0] = s.x
    obs[1] = s.x_dot
    obs[2] = s.theta
    obs[3] = s.theta_dot


@njit
def uniform(s):
    return INIT_LOW + (INIT_HIGH - INIT_LOW) * np.float64(rand_float(s))


@njit
def reset(s, p, buf, a):
    s.x = uniform(s)
    s.x_dot = uniform(s)
    s.theta = uniform(s)
    s.theta_dot = uniform(s)
    s.t = 0
    observe(s, buf.observations[a])


@njit
def step(s, p, buf, a):
    force = FORCE_MAG if buf.actions[a] == 1 else -FORCE_MAG
    costheta = math.cos(s.theta)
    sintheta = math.sin(s.theta)
    temp = (force + POLE_MASS_LENGTH * (s.theta_dot * s.theta_dot) * sintheta) / TOTAL_MASS
    thetaacc = (GRAVITY * sintheta - costheta * temp) / (
        LENGTH * (4.0 / 3.0 - MASS_POLE * (costheta * costheta) / TOTAL_MASS))
    xacc = temp - POLE_MASS_LENGTH * thetaacc * costheta / TOTAL_MASS
    s.x = s.x + TAU * s.x_dot
    s.x_dot = s.x_dot + TAU * xacc
    s.theta = s.theta + TAU * s.theta_dot
    s.theta_dot = s.theta_dot + TAU * thetaacc
    s.t += 1
    buf.terminals[a] = (s.x < -X_THRESHOLD) | (s.x > X_THRESHOLD) | (s.theta < -THETA_THRESHOLD) | (
        s.theta > THETA_THRESHOLD)
    buf.truncations[a] = s.t >= p.max_steps
    buf.rewards[a] = p.reward_last if buf.terminals[a] or buf.truncations[a] else np.float32(1)
    observe(s, buf.observations[a])


WIDTH, HEIGHT, TRACK_Y = 600, 320, 250
SCALE = WIDTH / (2.4 * X_THRESHOLD)  # pixels a metre: the track shows +-1.2 times the termination line


def draw(surface, s, p):
    import pygame
    import pygame.gfxdraw
    surface.fill(COLORS["field"])
    text(surface, f"step {s.t}", (12, 12), 28)
    text(surface, f"angle {math.degrees(s.theta):+5.1f} deg", (WIDTH - 12, 12), 28, COLORS["dim"], "topright")
    surface.fill(COLORS["line"], (0, TRACK_Y, WIDTH, 3))
    for side in (-1, 1):  # the termination lines
        x = round(WIDTH / 2 + side * X_THRESHOLD * SCALE)
        for y in range(TRACK_Y - 60, TRACK_Y + 40, 12):
            surface.fill(COLORS["red"], (x - 1, y, 3, 6))
    cx, cy = WIDTH / 2 + s.x * SCALE, TRACK_Y - 14
    pygame.draw.rect(surface, COLORS["blue"], (round(cx - 30), round(cy - 16), 60, 32), border_radius=6)
    for dx in (-18, 18):
        pygame.draw.circle(surface, COLORS["line"], (round(cx + dx), TRACK_Y + 2), 6)
    length, half = 2 * LENGTH * SCALE, 5  # the pole, from the axle on top of the cart
    ux, uy = math.sin(s.theta), -math.cos(s.theta)
    ax, ay = cx, cy - 8
    corners = [(ax - uy * half, ay + ux * half), (ax + uy * half, ay - ux * half),
               (ax + uy * half + ux * length, ay - ux * half + uy * length),
               (ax - uy * half + ux * length, ay + ux * half + uy * length)]
    pygame.gfxdraw.filled_polygon(surface, corners, COLORS["yellow"])
    pygame.gfxdraw.aapolygon(surface, corners, COLORS["yellow"])
    pygame.draw.circle(surface, COLORS["yellow"], (round(ax + ux * length), round(ay + uy * length)), half)
    pygame.draw.circle(surface, COLORS["orange"], (round(ax), round(ay)), 7)


VIEW = View(draw, size=(WIDTH, HEIGHT), fps=50, keys={"left": 0, "right": 1}, idle=lambda s, p, last: int(s.t % 2),
            help="Left/Right: push the cart")

game = Game("cartpole", STATE, reset, step,
            observation_space=spaces.Box(-HIGH, HIGH, dtype=np.float32), action_space=spaces.Discrete(2),
            params=dict(max_steps=500, reward_last=np.float32(1)), check=check, view=VIEW,
            presets={"pufferlib": dict(reward_last=np.float32(0), max_steps=200)})
