"""Pixel observations: a game drawn as small grayscale frames inside the step kernel.

A pixel variant of a game (envs/pong_pixels.py, envs/breakout_pixels.py) keeps its game's
rules and state and adds, per frame of its stack, a snapshot of what the frame shows (a few
positions; Breakout's bricks): `newest` is the ring slot of the latest. Each step it
snapshots the state into the next slot and paints every frame of the stack, oldest first,
straight into the agent's observation (`rect` calls on a cleared frame). Nothing is copied
from frame to frame, and the state stays small (a stored stack of frames would be 28 KB a
game). No pygame: the drawing is compiled into the kernel. Frames are SIZE x SIZE uint8,
0 black.
"""
import math

import numpy as np
from gymnasium import spaces
from numba import njit

SIZE = 84


def state(base, stack, snapshot):
    """`base` record dtype with `newest` and, for each (name, dtype, shape) of `snapshot`, a
    field `name` of shape (stack, *shape): that value for each frame of the stack."""
    if not isinstance(stack, (int, np.integer)) or isinstance(stack, bool) or not 1 <= stack <= 16:
        raise ValueError(f"stack={stack!r} must be an integer in 1..16 (frames in an observation)")
    return np.dtype(base.descr + [("newest", np.int64)] +
                    [(name, dtype, (int(stack), *shape)) for name, dtype, shape in snapshot])


def space(stack):
    return spaces.Box(0, 255, (stack, SIZE, SIZE), np.uint8)


@njit
def clear(frame):
    for y in range(SIZE):
        for x in range(SIZE):
            frame[y, x] = 0


@njit
def rect(frame, x0, y0, x1, y1, value):
    """Fill the pixels that the rectangle [x0, x1) x [y0, y1) (in frame pixels, fractional)
    touches, clipped to the frame: anything with area stays at least one pixel."""
    c0 = max(int(math.floor(x0)), 0)
    c1 = min(int(math.ceil(x1)), SIZE)
    r0 = max(int(math.floor(y0)), 0)
    r1 = min(int(math.ceil(y1)), SIZE)
    for y in range(r0, r1):
        for x in range(c0, c1):
            frame[y, x] = value


@njit
def slot(s, k, stack):
    """The ring slot of the k-th oldest frame of the stack."""
    return (s.newest + 1 + k) % stack
