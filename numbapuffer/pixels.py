"""Pixel observations: a game drawn as a small grayscale frame inside the step kernel.

A pixel variant of a game (envs/pong_pixels.py, envs/breakout_pixels.py) keeps its game's
rules and state, adds `frames` (the last `stack` frames, a ring) and `newest` (the ring's
slot of the latest) to the state record, paints each new frame (after `first_frame` or
`next_frame`) with `rect` calls, and hands the stack to the agent oldest first with
`observe`. No pygame: the drawing is compiled into the kernel. Frames are SIZE x SIZE uint8, 0 black.
"""
import math

import numpy as np
from gymnasium import spaces
from numba import njit

SIZE = 84


def state(base, stack):
    """`base` record dtype with the frame ring of `stack` frames added."""
    if not isinstance(stack, (int, np.integer)) or isinstance(stack, bool) or not 1 <= stack <= 16:
        raise ValueError(f"stack={stack!r} must be an integer in 1..16 (frames in an observation)")
    return np.dtype(base.descr + [("newest", np.int64), ("frames", np.uint8, (int(stack), SIZE, SIZE))])


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
def first_frame(s):
    """At a game's start: the ring restarts at slot 0, cleared for the first frame (then
    painted, then `fill_history`)."""
    s.newest = 0
    clear(s.frames[0])


@njit
def next_frame(s):
    """Move the ring on to the slot of the new frame, `s.frames[s.newest]`, and clear it."""
    s.newest = (s.newest + 1) % s.frames.shape[0]
    clear(s.frames[s.newest])


@njit
def copy(src, dst):
    """One frame into another (loops: slice assignment would allocate, which kernels cannot)."""
    for y in range(SIZE):
        for x in range(SIZE):
            dst[y, x] = src[y, x]


@njit
def fill_history(s):
    """At a game's start: every older slot holds its first frame."""
    for k in range(s.frames.shape[0]):
        if k != s.newest:
            copy(s.frames[s.newest], s.frames[k])


@njit
def observe(s, obs):
    """The stack, oldest frame first, into the agent's observation (stack, SIZE, SIZE)."""
    n = s.frames.shape[0]
    for k in range(n):
        copy(s.frames[(s.newest + 1 + k) % n], obs[k])
