"""MountainCarContinuous: gymnasium's MountainCarContinuous-v0, step for step.

The mountain car (see mountaincar.py) with a throttle in [-1, 1]: reach the flag, spending
as little fuel as possible.

Observation: Box([-1.2, -0.07], [0.6, 0.07], (2,), float32): position, velocity, as gymnasium.
Action: Box(-1, 1, (1,), float32): the throttle; the force is clipped to [-1, 1], as
  gymnasium clips it, while the fuel cost is of the action as given (also as gymnasium).
  NaN is rejected by the engine before the step.
Reward: -0.1 * action^2 every step, +100 on reaching the flag.
Termination: position >= 0.45 with velocity >= 0; truncation after 999 steps, as
  MountainCarContinuous-v0's time limit.
Start: position uniform in [-0.6, -0.4), velocity 0, drawn from the game's stream.
The state (`position`, `velocity`, gymnasium's `state`) is float64, holding the float32 values
gymnasium keeps (its state array is float32 after a step): every step follows numpy's
float32 arithmetic for it, so a gymnasium env set to the same float32 state steps to the
same observations over whole episodes. (Our start position is rounded to float32 too;
gymnasium's first step starts from its float64 draw.)
Log: episode_return, episode_length.
View: 600x400 pixels, as gymnasium's. Play: left/right arrows: full throttle; no key: none.
"""
import math

import numpy as np
from gymnasium import spaces
from numba import njit

from numbapuffer.engine.checks import check_range
from numbapuffer.core import Game, rand_float
from numbapuffer.envs.mountaincar import HIGH, LOW, STATE, draw_car, observe
from numbapuffer.engine.render import View

f32 = np.float32
MIN_POSITION, MAX_POSITION = f32(-1.2), f32(0.6)
MAX_SPEED = f32(0.07)
GOAL_POSITION = f32(0.45)
POWER = f32(0.0015)


def check(p):
    check_range("mountaincar_continuous", p, ("max_steps",), low=1)  # the step count is int64, as the param


@njit
def reset(s, p, buf, a):
    s.position = np.float32(-0.6 + 0.2 * np.float64(rand_float(s)))
    s.velocity = 0.0
    s.t = 0
    observe(s, buf.observations[a])


@njit
def step(s, p, buf, a):
    position, velocity, action = f32(s.position), f32(s.velocity), buf.actions[a, 0]
    slope = 0.0025 * math.cos(np.float64(f32(3) * position))
    if action < -1 or action > 1:  # clipped to a Python float: the sum is taken in float64
        push = f32((-1.0 if action < -1 else 1.0) * 0.0015 - slope)
    else:
        push = action * POWER - f32(slope)
    velocity = min(max(velocity + push, -MAX_SPEED), MAX_SPEED)
    position = min(max(position + velocity, MIN_POSITION), MAX_POSITION)
    if position == MIN_POSITION and velocity < 0:
        velocity = f32(0)
    s.position = position
    s.velocity = velocity
    s.t += 1
    done = (position >= GOAL_POSITION) & (velocity >= 0)
    buf.rewards[a] = (100.0 if done else 0.0) - math.pow(np.float64(action), 2) * 0.1
    buf.terminals[a] = done
    buf.truncations[a] = s.t >= p.max_steps
    observe(s, buf.observations[a])


def draw(surface, s, p):
    draw_car(surface, s.position, float(GOAL_POSITION), s.t, 0)


VIEW = View(draw, size=(600, 400), fps=30, keys={"left": -1.0, "right": 1.0}, idle=0.0,
            help="Left/Right: full throttle; no key: none")

game = Game("mountaincar_continuous", STATE, reset, step,
            observation_space=spaces.Box(LOW, HIGH, dtype=np.float32),
            action_space=spaces.Box(-1.0, 1.0, (1,), np.float32),
            params=dict(max_steps=999), check=check, view=VIEW)
