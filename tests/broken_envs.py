"""Deliberately broken variants of a tiny walk game, one planted mistake each, for check_env.

The base game: `pos` walks on a line of SIZE cells toward `target`; reward 1 and terminal on
reaching it; truncated after 30 steps. Each variant breaks one rule of the engine's contract.
"""
import numpy as np
from gymnasium import spaces
from numba import njit

from numbapuffer import Game, rand_int

SIZE = 8
STATE = np.dtype([("pos", np.int32), ("target", np.int32), ("t", np.int32)])
BOX = spaces.Box(0, 1, (2,), np.float32)


@njit
def start(s):
    s.pos, s.target, s.t = rand_int(s, SIZE), rand_int(s, SIZE), 0


@njit
def move(s, buf, a):
    s.pos = min(max(s.pos + buf.actions[a] - 1, 0), SIZE - 1)
    s.t += 1
    if s.pos == s.target:
        buf.rewards[a] = 1
        buf.terminals[a] = True
    elif s.t >= 30:
        buf.truncations[a] = True


@njit
def observe(s, obs):
    obs[0] = s.pos / (SIZE - 1)
    obs[1] = s.target / (SIZE - 1)


@njit
def reset(s, p, buf, a):
    start(s)
    observe(s, buf.observations[a])


@njit
def step(s, p, buf, a):
    move(s, buf, a)
    observe(s, buf.observations[a])


def game(name, reset=reset, step=step, observation_space=BOX):
    return Game(name, STATE, reset, step, observation_space, spaces.Discrete(3))


ok = game("ok")


# 1. A fraction written into an integer observation: silently truncated.
@njit
def observe_halves(s, obs):
    obs[0] = s.pos / 2
    obs[1] = s.target


@njit
def reset_halves(s, p, buf, a):
    start(s)
    observe_halves(s, buf.observations[a])


@njit
def step_halves(s, p, buf, a):
    move(s, buf, a)
    observe_halves(s, buf.observations[a])


fraction_into_int = game("fraction_into_int", reset_halves, step_halves, spaces.Box(0, SIZE, (2,), np.int8))


# 2. 300 written into a uint8 observation: silently wraps to 44.
@njit
def observe_wide(s, obs):
    obs[0] = s.pos * 100
    obs[1] = s.target


@njit
def reset_wide(s, p, buf, a):
    start(s)
    observe_wide(s, buf.observations[a])


@njit
def step_wide(s, p, buf, a):
    move(s, buf, a)
    observe_wide(s, buf.observations[a])


wraps_uint8 = game("wraps_uint8", reset_wide, step_wide, spaces.Box(0, 255, (2,), np.uint8))


# 3. Observations outside the declared space (positions not scaled to [0, 1]).
@njit
def observe_raw(s, obs):
    obs[0] = s.pos
    obs[1] = s.target


@njit
def step_raw(s, p, buf, a):
    move(s, buf, a)
    observe_raw(s, buf.observations[a])


outside_space = game("outside_space", step=step_raw)


# 4. reset forgets to write half of the observation.
@njit
def reset_half(s, p, buf, a):
    start(s)
    buf.observations[a, 0] = s.pos / (SIZE - 1)


unwritten_observation = game("unwritten_observation", reset=reset_half)


# 5. np.random inside the kernel: one stream per thread, not per game.
@njit
def step_np_random(s, p, buf, a):
    move(s, buf, a)
    if np.random.random() < 0.1:
        s.target = np.random.randint(0, SIZE)
    observe(s, buf.observations[a])


numpy_random = game("numpy_random", step=step_np_random)


# 6. reset does not set every field: a restarted game keeps the old step counter.
@njit
def reset_keeps_t(s, p, buf, a):
    s.pos, s.target = rand_int(s, SIZE), rand_int(s, SIZE)
    observe(s, buf.observations[a])


reset_forgets_field = game("reset_forgets_field", reset=reset_keeps_t)


# 7. A NaN reward.
@njit
def step_nan(s, p, buf, a):
    move(s, buf, a)
    if s.t == 3:
        buf.rewards[a] = np.nan
    observe(s, buf.observations[a])


nan_reward = game("nan_reward", step=step_nan)


# 8. The game reads its observation back (state then depends on stale buffer contents).
@njit
def step_reads(s, p, buf, a):
    s.t += int(buf.observations[a, 0] > 0.5)
    move(s, buf, a)
    observe(s, buf.observations[a])


reads_observations = game("reads_observations", step=step_reads)


# 9. Episodes never end.
@njit
def step_forever(s, p, buf, a):
    s.pos = min(max(s.pos + buf.actions[a] - 1, 0), SIZE - 1)
    observe(s, buf.observations[a])


never_ends = game("never_ends", step=step_forever)
