"""Reach, a tiny env for the trainer's MultiDiscrete and Box action heads: move a point on a
square toward a target. Observation: point and target (x, y), scaled to [0, 1]. Action:
`multi` MultiDiscrete([3, 3]), a step of -1, 0 or +1 cell along each axis; `box` Box(-1, 1,
(2,)), a move of up to one cell along each axis. Reward: 1 on coming within half a cell of
the target, which ends the episode; truncated after `max_steps`."""
import numpy as np
from gymnasium import spaces
from numba import njit

from numbapuffer import Game, rand_int

STATE = np.dtype([("x", np.float32), ("y", np.float32), ("tx", np.float32), ("ty", np.float32), ("t", np.int32)])


@njit
def observe(s, p, obs):
    obs[0], obs[1], obs[2], obs[3] = s.x / p.size, s.y / p.size, s.tx / p.size, s.ty / p.size


@njit
def reset(s, p, buf, a):
    s.x, s.y, s.t = p.size // 2, p.size // 2, 0
    s.tx, s.ty = rand_int(s, p.size + 1), rand_int(s, p.size + 1)
    observe(s, p, buf.observations[a])


@njit
def step(s, p, buf, a):
    # p.offset: 1 for MultiDiscrete (0, 1, 2 -> -1, 0, +1), 0 for Box
    s.x = min(max(s.x + buf.actions[a][0] - p.offset, 0), p.size)
    s.y = min(max(s.y + buf.actions[a][1] - p.offset, 0), p.size)
    s.t += 1
    if abs(s.x - s.tx) < 0.5 and abs(s.y - s.ty) < 0.5:
        buf.rewards[a] = 1
        buf.terminals[a] = True
    elif s.t >= p.max_steps:
        buf.truncations[a] = True
    observe(s, p, buf.observations[a])


OBSERVATION = spaces.Box(0, 1, (4,), np.float32)
multi = Game("reach_multi", STATE, reset, step, OBSERVATION, spaces.MultiDiscrete([3, 3]),
             params=dict(size=8, max_steps=16, offset=1))
box = Game("reach_box", STATE, reset, step, OBSERVATION, spaces.Box(-1, 1, (2,), np.float32),
           params=dict(size=8, max_steps=16, offset=0))
