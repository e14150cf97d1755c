"""Slide, a tiny test game with a Box action: the position moves by the sum of the action's
two entries. Observation: the position."""
import numpy as np
from gymnasium import spaces
from numba import njit

from numbapuffer import Game


@njit
def reset(s, p, buf, a):
    s.x = 0.0
    buf.observations[a, 0] = s.x


@njit
def step(s, p, buf, a):
    s.x += buf.actions[a, 0] + buf.actions[a, 1]
    buf.observations[a, 0] = s.x


game = Game("slide", np.dtype([("x", np.float64)]), reset, step,
            observation_space=spaces.Box(-np.inf, np.inf, (1,), np.float32),
            action_space=spaces.Box(-1, 1, (2,), np.float32), params=dict(scale=1.0))
