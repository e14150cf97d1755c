"""The env's buffers: what they are for given spaces, allocating them, and adopting `buf=`.

One row per agent: `observations` (the observation space's shape and dtype), `actions`
(int32 for Discrete and MultiDiscrete, float32 for Box), `rewards` (float32), and the bool
flags `terminals`, `truncations` and `masks`.
"""
import numpy as np
from gymnasium import spaces

__all__ = ["BUFFERS", "buffer_specs", "allocate", "touch", "adopt"]

BUFFERS = ("observations", "actions", "rewards", "terminals", "truncations", "masks")


def buffer_specs(observation_space, action_space, n):
    """name -> (shape, dtype) of each buffer of `n` agents with these spaces of one agent."""
    action_dtype = np.float32 if isinstance(action_space, spaces.Box) else np.int32
    return {
        "observations": ((n, *observation_space.shape), np.dtype(observation_space.dtype)),
        "actions": ((n, *action_space.shape), np.dtype(action_dtype)),
        "rewards": ((n,), np.dtype(np.float32)),
        "terminals": ((n,), np.dtype(np.bool_)),
        "truncations": ((n,), np.dtype(np.bool_)),
        "masks": ((n,), np.dtype(np.bool_)),
    }


def touch(a):
    """Write every page of a fresh array once, here: first-touch page faults inside a kernel
    cost 100x. Every byte, the padding between an aligned record's fields too: records
    are compared and hashed byte for byte."""
    a.reshape(-1).view(np.uint8)[...] = 0
    return a


def allocate(shape, dtype):
    """A zeroed array whose pages are already mapped (see touch)."""
    return touch(np.empty(shape, dtype))


def adopt(game, buf, specs):
    """The arrays of a user's `buf` (an object or dict with one array per buffer), checked
    against `specs` for type, shape, dtype, layout and writeability."""
    out = {}
    for name, (shape, dtype) in specs.items():
        arr = buf.get(name) if isinstance(buf, dict) else getattr(buf, name, None)
        where = f"{game}: buf.{name}"
        if not isinstance(arr, np.ndarray):
            raise TypeError(f"{where} must be a numpy array, got {type(arr).__name__}")
        if arr.shape != shape:
            raise ValueError(f"{where} has shape {arr.shape}, expected {shape}")
        if arr.dtype != dtype:
            raise ValueError(f"{where} has dtype {arr.dtype}, expected {dtype}")
        if not arr.flags.c_contiguous:
            raise ValueError(f"{where} must be C-contiguous")
        if not arr.flags.writeable:
            raise ValueError(f"{where} must be writeable")
        out[name] = arr
    return out
