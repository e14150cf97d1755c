"""Count, a test game after gymnasium's counting test env. Observation: the steps taken in
the episode. Action: Discrete(5), paid back as the reward. Terminal when the count reaches
the game's `limit` (a state field tests set per game; reset leaves it), truncated at
`max_steps`. With `fail_at` > 0 the step raises there: an exception in env code."""
import numpy as np
from gymnasium import spaces
from numba import njit

from numbapuffer import Game

STATE = np.dtype([("count", np.int32), ("limit", np.int32)])


@njit
def reset(s, p, buf, a):
    s.count = 0
    buf.observations[a, 0] = 0


@njit
def step(s, p, buf, a):
    s.count += 1
    if s.count == p.fail_at:
        raise ValueError("count: failing on purpose")
    buf.rewards[a] = buf.actions[a]
    buf.terminals[a] = s.count == s.limit
    buf.truncations[a] = s.count == p.max_steps
    buf.observations[a, 0] = s.count


game = Game("count", STATE, reset, step, observation_space=spaces.Box(0, 1000, (1,), np.float32),
            action_space=spaces.Discrete(5), params=dict(max_steps=1000, fail_at=0))
