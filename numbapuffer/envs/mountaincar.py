"""MountainCar: gymnasium's MountainCar-v0, step for step (Moore's mountain car).

A car sits in a valley between two hills, its engine too weak to climb the right one
directly: rock back and forth to build momentum and reach the flag on the right hilltop.

Observation: Box([-1.2, -0.07], [0.6, 0.07], (2,), float32): position, velocity, as gymnasium.
Action: Discrete(3): 0 accelerate left, 1 coast, 2 accelerate right.
Reward: -1 every step, the terminating step included.
Termination: position >= 0.5 (the flag) with velocity >= 0; truncation after 200 steps, as
  MountainCar-v0's time limit.
Start: position uniform in [-0.6, -0.4), velocity 0, drawn from the game's stream.
The state (`position`, `velocity`, gymnasium's `state`) is float64 and stepped in
gymnasium's order of operations, so a gymnasium env set to the same state steps to the same
observations over whole episodes.
Log: episode_return, episode_length.
View: 600x400 pixels, as gymnasium's. Play: left/right arrows accelerate; no key: coast.
"""
import math

import numpy as np
from gymnasium import spaces
from numba import njit

from numbapuffer.engine.checks import check_range
from numbapuffer.core import Game, rand_float
from numbapuffer.engine.render import COLORS, View, text

MIN_POSITION, MAX_POSITION = -1.2, 0.6
MAX_SPEED = 0.07
GOAL_POSITION = 0.5
FORCE = 0.001
GRAVITY = 0.0025
LOW = np.array([MIN_POSITION, -MAX_SPEED], np.float32)
HIGH = np.array([MAX_POSITION, MAX_SPEED], np.float32)

# t is int64 so that every record, with the engine's uint64 stream after it, stays 8-byte aligned.
STATE = np.dtype([("position", np.float64), ("velocity", np.float64), ("t", np.int64)])


def check(p):
    check_range("mountaincar", p, ("max_steps",), low=1)  # the step count is int64, as the param


@njit
def observe(s, obs):
    obs[0] = s.position
    obs[1] = s.velocity


@njit
def reset(s, p, buf, a):
    s.position = -0.6 + 0.2 * np.float64(rand_float(s))
    s.velocity = 0.0
    s.t = 0
    observe(s, buf.observations[a])


@njit
def step(s, p, buf, a):
    velocity = s.velocity + ((buf.actions[a] - 1) * FORCE + math.cos(3 * s.position) * (-GRAVITY))
    velocity = min(max(velocity, -MAX_SPEED), MAX_SPEED)
    position = min(max(s.position + velocity, MIN_POSITION), MAX_POSITION)
    if position == MIN_POSITION and velocity < 0:
        velocity = 0.0
    s.position = position
    s.velocity = velocity
    s.t += 1
    buf.rewards[a] = -1
    buf.terminals[a] = (position >= GOAL_POSITION) & (velocity >= 0)
    buf.truncations[a] = s.t >= p.max_steps
    observe(s, buf.observations[a])


WIDTH, HEIGHT = 600, 400
SCALE = WIDTH / (MAX_POSITION - MIN_POSITION)  # pixels a unit of position


def hill(x):
    """Height of the track at position x, as gymnasium draws it."""
    return math.sin(3 * x) * 0.45 + 0.55


def draw_car(surface, position, goal, steps, power):
    """The valley, the flag at `goal` and the car at `position` (shared with
    mountaincar_continuous); `power` in [-1, 1] lights the engine's side."""
    import pygame
    import pygame.gfxdraw

    def screen(x, up=0.0):  # track position (+ pixels above the track) -> screen pixels
        return (x - MIN_POSITION) * SCALE, HEIGHT - (hill(x) * SCALE + up)

    surface.fill(COLORS["field"])
    text(surface, f"step {steps}", (12, 12), 28)
    ground = [screen(MIN_POSITION + i * (MAX_POSITION - MIN_POSITION) / 99) for i in range(100)]
    pygame.draw.polygon(surface, COLORS["line"], ground + [(WIDTH, HEIGHT), (0, HEIGHT)])
    pygame.draw.aalines(surface, COLORS["dim"], False, ground)
    fx, fy = screen(goal)
    pygame.draw.line(surface, COLORS["text"], (fx, fy), (fx, fy - 50), 2)
    pygame.draw.polygon(surface, COLORS["yellow"], [(fx, fy - 50), (fx, fy - 40), (fx + 25, fy - 45)])
    angle = math.atan(3 * 0.45 * math.cos(3 * position))  # the track's slope under the car
    ux, uy = math.cos(angle), -math.sin(angle)  # along the track, on screen
    nx, ny = -uy, ux  # perpendicular, pointing down on screen
    cx, cy = screen(position)
    body = [(cx + ux * dx - nx * up, cy + uy * dx - ny * up) for dx, up in ((-20, 10), (-20, 30), (20, 30), (20, 10))]
    color = COLORS["orange"] if power else COLORS["blue"]
    pygame.gfxdraw.filled_polygon(surface, body, color)
    pygame.gfxdraw.aapolygon(surface, body, color)
    for dx in (-10, 10):
        pygame.draw.circle(surface, COLORS["text"], (round(cx + ux * dx - nx * 6), round(cy + uy * dx - ny * 6)), 6)
    if power:  # exhaust on the side opposite to the push
        side = -20 if power > 0 else 20
        ex, ey = cx + ux * side - nx * 20, cy + uy * side - ny * 20
        pygame.draw.circle(surface, COLORS["yellow"], (round(ex - ux * 6 * power), round(ey - uy * 6 * power)),
                           round(3 + 4 * abs(power)))


def draw(surface, s, p):
    draw_car(surface, s.position, GOAL_POSITION, s.t, 0)


VIEW = View(draw, size=(WIDTH, HEIGHT), fps=30, keys={"left": 0, "right": 2}, idle=1,
            help="Left/Right: accelerate; no key: coast")

game = Game("mountaincar", STATE, reset, step,
            observation_space=spaces.Box(LOW, HIGH, dtype=np.float32), action_space=spaces.Discrete(3),
            params=dict(max_steps=200), check=check, view=VIEW)
