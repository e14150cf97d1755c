"""Boids: `num_boids` boids (each an agent) fly in a 1080x720 field, rewarded for keeping
away from the field's margins and from each other, in the rules of PufferLib 3.0.0's native
Boids.

A step moves the boids one after another, boid 0 first: each changes its velocity by its
action (each axis clipped to [-5, 5] pixels a step), moves (its top-left corner clipped to
[0, 1048] x [0, 688]) and is rewarded against the others as they stand then (those before it
have moved). Boids start anywhere in [50, 1030] x [50, 670], at rest.

Observation: Box(-1000, 1000, (4*num_boids,), float32): for every boid j (itself included, as
  zeros): (x_j - x) / 1080, (y_j - y) / 720, (vx_j - vx) / 5, (vy_j - vy) / 5.
Action: MultiDiscrete([5, 5]): the change of vx and of vy, (a - 2) / 2 pixels a step each
  (-1, -0.5, 0, 0.5, 1).
Reward: half the sum of: `margin_turn_factor` for each axis on which the boid is inside the
  50-pixel margins (x in [50, 1030], y in [50, 670]) and minus it for each it is not; minus
  `avoid_factor` times min(1, n / 5), n the boids closer than 100 pixels (corner to corner);
  for the boids between 100 and 20 pixels, minus `matching_factor` times the gap between
  the boid's velocity and theirs and `centering_factor` times the gap between its corner and
  their mean, per axis (the C's ranges: no boid is ever there, so these two never count).
Termination: none, as the C. Truncation: after `max_steps` steps (0: never; the C's games
  never end, and an episode must end to be logged and checked).
Log: episode_return, episode_length (per boid: all boids' episodes end together).
View: the field at half size (540x360), boids as darts pointing along their velocity, the
  margins as a frame, the step count.
  Play: arrows steer every boid.

Sizes fix the state record and the number of agents: `make_game(num_boids)`; `game` has
PufferLib's default, 1 boid (its config file trains 64, with avoid_factor and
matching_factor 1 and margin_turn_factor 0).

Deviation from PufferLib's C: its log adds boid 0's reward every `report_interval` steps and
nothing per episode (there are none), so it is not ported; `max_steps` is ours.
"""
import math

import numpy as np
from gymnasium import spaces
from numba import njit

from numbapuffer.engine.checks import INT32_MAX, check_count, check_range
from numbapuffer.core import Game, rand_float
from numbapuffer.engine.pickling import factory
from numbapuffer.engine.render import COLORS, View, text

f32 = np.float32
WIDTH, HEIGHT, MARGIN = 1080, 720, 50
BOID = 32  # a boid's size: its corner stays within WIDTH - BOID, HEIGHT - BOID
VELOCITY_CAP = f32(5)
VISUAL_RANGE, PROTECTED_RANGE = f32(20), f32(100)
PARAMS = dict(margin_turn_factor=f32(1), centering_factor=f32(0), avoid_factor=f32(0), matching_factor=f32(0),
              max_steps=1000)


@njit
def observe(s, obs, i):
    n = s.x.shape[0]
    for j in range(n):
        obs[4 * j] = (s.x[j] - s.x[i]) / f32(WIDTH)
        obs[4 * j + 1] = (s.y[j] - s.y[i]) / f32(HEIGHT)
        obs[4 * j + 2] = (s.vx[j] - s.vx[i]) / VELOCITY_CAP
        obs[4 * j + 3] = (s.vy[j] - s.vy[i]) / VELOCITY_CAP


@njit
def reset(s, p, buf, a):
    n = s.x.shape[0]
    for i in range(n):
        s.x[i] = f32(MARGIN) + rand_float(s) * f32(WIDTH - 2 * MARGIN)
        s.y[i] = f32(MARGIN) + rand_float(s) * f32(HEIGHT - 2 * MARGIN)
        s.vx[i] = 0
        s.vy[i] = 0
    s.t = 0
    for i in range(n):
        observe(s, buf.observations[a + i], i)


@njit
def fly(s, p, buf, a, i):
    """Boid i's move and reward."""
    n = s.x.shape[0]
    act = buf.actions[a + i]
    s.vx[i] = min(max(s.vx[i] + f32(act[0] - 2) * f32(0.5), -VELOCITY_CAP), VELOCITY_CAP)
    s.vy[i] = min(max(s.vy[i] + f32(act[1] - 2) * f32(0.5), -VELOCITY_CAP), VELOCITY_CAP)
    x = min(max(s.x[i] + s.vx[i], f32(0)), f32(WIDTH - BOID))
    y = min(max(s.y[i] + s.vy[i], f32(0)), f32(HEIGHT - BOID))
    s.x[i] = x
    s.y[i] = y
    near, seen = 0, 0
    sx, sy, svx, svy = f32(0), f32(0), f32(0), f32(0)
    for j in range(n):
        if j == i:
            continue
        dx, dy = x - s.x[j], y - s.y[j]
        dist = f32(math.sqrt(dx * dx + dy * dy))  # as float32's sqrt (one rounding); CUDA has no np.sqrt
        if dist < PROTECTED_RANGE:
            near += 1
        elif dist < VISUAL_RANGE:  # never, with the C's ranges
            sx += s.x[j]
            sy += s.y[j]
            svx += s.vx[j]
            svy += s.vy[j]
            seen += 1
    reward = f32(0)
    if near > 0:
        reward -= f32(min(near / 5.0, 1.0)) * p.avoid_factor
    if seen > 0:
        k = f32(seen)
        reward -= abs(svx / k - s.vx[i]) * p.matching_factor
        reward -= abs(svy / k - s.vy[i]) * p.matching_factor
        reward -= abs(sx / k - x) * p.centering_factor
        reward -= abs(sy / k - y) * p.centering_factor
    if y < MARGIN or y > HEIGHT - MARGIN:
        reward -= p.margin_turn_factor
    else:
        reward += p.margin_turn_factor
    if x < MARGIN or x > WIDTH - MARGIN:
        reward -= p.margin_turn_factor
    else:
        reward += p.margin_turn_factor
    buf.rewards[a + i] = reward / f32(2)


@njit
def step(s, p, buf, a):
    n = s.x.shape[0]
    for i in range(n):
        fly(s, p, buf, a, i)
    s.t += 1
    if p.max_steps > 0 and s.t >= p.max_steps:
        for i in range(n):
            buf.truncations[a + i] = True
    for i in range(n):
        observe(s, buf.observations[a + i], i)


SCALE = 0.5


def draw(surface, s, p):
    import pygame
    surface.fill(COLORS["field"])
    w, h, m = WIDTH * SCALE, HEIGHT * SCALE, MARGIN * SCALE
    pygame.draw.rect(surface, COLORS["line"], (m, m, w - 2 * m, h - 2 * m), width=1)
    text(surface, f"step {s.t}", (6, 4), 18, COLORS["dim"])
    for i in range(s.x.shape[0]):
        cx, cy = (float(s.x[i]) + BOID / 2) * SCALE, (float(s.y[i]) + BOID / 2) * SCALE
        vx, vy = float(s.vx[i]), float(s.vy[i])
        speed = (vx * vx + vy * vy) ** 0.5
        ux, uy = (vx / speed, vy / speed) if speed > 0 else (1.0, 0.0)
        r = BOID * SCALE / 2
        tip = (cx + ux * r, cy + uy * r)
        left = (cx - ux * r * 0.6 - uy * r * 0.5, cy - uy * r * 0.6 + ux * r * 0.5)
        right = (cx - ux * r * 0.6 + uy * r * 0.5, cy - uy * r * 0.6 - ux * r * 0.5)
        pygame.draw.polygon(surface, COLORS["teal"], [tip, left, right])


@factory  # its games pickle as this call
def make_game(num_boids=1):
    """A boids Game of `num_boids` boids, each an agent (see the module docstring)."""
    num_boids = check_count(num_boids, "num_boids", "boids: ", high=4096)
    state = np.dtype([("x", np.float32, (num_boids,)), ("y", np.float32, (num_boids,)),
                      ("vx", np.float32, (num_boids,)), ("vy", np.float32, (num_boids,)), ("t", np.int32)])

    def check(p):
        # rewards stay finite and float32 sums exact enough
        check_range("boids", p, ("margin_turn_factor", "centering_factor", "avoid_factor", "matching_factor"),
                    low=-1e6, high=1e6)
        check_range("boids", p, ("max_steps",), low=0, high=INT32_MAX)

    view = View(draw, size=(round(WIDTH * SCALE), round(HEIGHT * SCALE)), fps=30,
                keys={"up": (2, 0), "down": (2, 4), "left": (0, 2), "right": (4, 2)}, idle=(2, 2),
                help="arrows: steer the boids")
    return Game("boids", state, reset, step, observation_space=spaces.Box(-1000, 1000, (4 * num_boids,), np.float32),
                action_space=spaces.MultiDiscrete([5, 5]), agents=num_boids, params=PARAMS, check=check, view=view)


game = make_game()
