"""The env's buffers: what they are for given spaces, allocating them, and adopting `buf=`.

One row per agent: `observations` (the observation space's shape and dtype), `actions`
(int32 for Discrete and MultiDiscrete, float32 for Box), `rewards` (float32), and the bool
flags `terminals`, `truncations` and `masks`.
"""
import os

import numpy as np
from gymnasium import spaces

__all__ = ["BUFFERS", "buffer_specs", "allocate", "touch", "adopt", "check_memory", "available_memory"]

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


def check_memory(name, specs, records=0, buffers=True):
    """Raise a MemoryError naming the figures when the buffers of `specs` (if `buffers`), the
    batched spaces gymnasium makes over them, and `records` more bytes exceed the memory this
    process can still get. Pages are touched at allocation (see touch): without this check
    an env too big for a container's limit is killed by the kernel instead of raising."""
    size = {k: int(np.prod(shape, dtype=object)) * dtype.itemsize for k, (shape, dtype) in specs.items()}
    entries = {k: int(np.prod(specs[k][0], dtype=object)) for k in ("observations", "actions")}
    # batch_space: a Box's low and high, or a MultiDiscrete's nvec and start (int64)
    spaces_bytes = 2 * size["observations"] + 16 * entries["actions"]
    need = (sum(size.values()) if buffers else 0) + spaces_bytes + int(records)
    free = available_memory()
    if free is not None and need > free:
        raise MemoryError(f"{name}: needs about {need:,} bytes ({_mib(need)}) of memory, more than the "
                          f"{free:,} bytes ({_mib(free)}) available; use fewer games")


def _mib(n):
    return f"{n / 2**30:.3g} GiB" if n >= 2**30 else f"{n / 2**20:.3g} MiB"


PROC, CGROUP = "/proc", "/sys/fs/cgroup"


def available_memory():
    """Bytes this process can still get, or None if unknown: the smaller of the system's
    MemAvailable and the room left under the memory limit of its cgroup and of each cgroup
    above it (v2: memory.max - memory.current; v1: limit_in_bytes - usage_in_bytes)."""
    free = [int(line.split()[1]) * 1024 for line in _lines(f"{PROC}/meminfo") if line.startswith("MemAvailable:")]
    for entry in _lines(f"{PROC}/self/cgroup"):
        _, controllers, path = entry.split(":", 2)
        if controllers == "":
            base, limit, used = CGROUP, "memory.max", "memory.current"
        elif "memory" in controllers.split(","):
            base, limit, used = f"{CGROUP}/memory", "memory.limit_in_bytes", "memory.usage_in_bytes"
        else:
            continue
        parts = [p for p in path.split("/") if p]
        for depth in range(len(parts), -1, -1):  # a namespaced mount has only the root: it is looked at too
            try:
                top = _lines(os.path.join(base, *parts[:depth], limit))[0].strip()
                now = int(_lines(os.path.join(base, *parts[:depth], used))[0])
            except (IndexError, ValueError):
                continue
            if top.isdigit():
                free.append(max(int(top) - now, 0))
    return min(free) if free else None


def _lines(path):
    try:
        with open(path) as f:
            return f.read().splitlines()
    except OSError:
        return []


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
    against `specs` for type, shape, dtype, layout and writeability, and for overlap: two
    buffers over the same memory would corrupt each other (games read actions the kernel
    has overwritten with observations). The env's state, logs and episodes are allocated
    by the env itself, so no `buf` can overlap them."""
    out = {}
    for name, (shape, dtype) in specs.items():
        arr = buf.get(name) if isinstance(buf, dict) else getattr(buf, name, None)
        where = f"{game}: buf.{name}"
        if not isinstance(arr, np.ndarray):
            raise TypeError(f"{where} must be a numpy array, got {type(arr).__name__}")
        if isinstance(arr, np.ma.MaskedArray):  # Numba refuses it, and the kernels would ignore the mask
            raise TypeError(f"{where} is a masked array (numpy.ma.MaskedArray), which the kernels cannot take: "
                            "pass a plain numpy array (a masked array's .data is one)")
        if arr.shape != shape:
            raise ValueError(f"{where} has shape {arr.shape}, expected {shape}")
        if arr.dtype != dtype:
            order = " (non-native byte order)" if not arr.dtype.isnative else ""
            raise TypeError(f"{where} has dtype {arr.dtype}{order}, expected {dtype}")
        if not arr.flags.c_contiguous:
            raise ValueError(f"{where} must be C-contiguous")
        if not arr.flags.writeable:
            raise ValueError(f"{where} must be writeable")
        for other, seen in out.items():
            # Exact for C-contiguous arrays (each spans its whole address range), and O(1):
            # np.shares_memory solves an integer program, slow for large strided views.
            if np.may_share_memory(arr, seen):
                raise ValueError(f"{game}: buf.{other} and buf.{name} share memory; each buffer needs its own")
        out[name] = arr
    return out
