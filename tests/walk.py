"""Walk, a tiny env whose file holds game code only. Observation: position and target on a
line of `size` cells, scaled to [0, 1]. Action: 0 left, 1 stay, 2 right. Reward: 1 on
reaching the target, which ends the episode; truncated after `max_steps`."""
import numpy as np
from gymnasium import spaces
from numba import njit

from numbapuffer import Game, rand_int

STATE = np.dtype([("pos", np.int32), ("target", np.int32), ("t", np.int32)])


@njit
def observe(s, p, obs):
    obs[0] = s.pos / (p.size - 1)
    obs[1] = s.target / (p.size - 1)


@njit
def reset(s, p, buf, a):
    s.pos, s.target, s.t = rand_int(s, p.size), rand_int(s, p.size), 0
    observe(s, p, buf.observations[a])


@njit
def step(s, p, buf, a):
    s.pos = min(max(s.pos + buf.actions[a] - 1, 0), p.size - 1)
    s.t += 1
    if s.pos == s.target:
        buf.rewards[a] = 1
        buf.terminals[a] = True
    elif s.t >= p.max_steps:
        buf.truncations[a] = True
    observe(s, p, buf.observations[a])


game = Game("walk", STATE, reset, step, observation_space=spaces.Box(0, 1, (2,), np.float32),
            action_space=spaces.Discrete(3), params=dict(size=16, max_steps=50))
