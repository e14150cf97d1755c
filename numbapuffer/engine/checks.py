"""Input checks, done in Python before any kernel runs (an exception inside a kernel is lost).

Each raises a TypeError or ValueError whose message names the problem; the env is left as
it was. The checks of actions run on every step, so they are compiled: checking 4096
actions costs about a microsecond.
"""
import math

import numpy as np
from gymnasium import spaces

from numbapuffer.engine.cache import njit_cached

__all__ = ["is_int", "check_count", "parse_seed", "check_mask", "action_bounds", "write_actions", "take_discrete",
           "param_dtype", "check_param", "check_range", "INT32_MAX"]

INT32_MAX = 2**31 - 1  # a param compared with an int32 field of the state must fit one


def is_int(x):
    """A Python or numpy integer, and not a bool: what counts, seeds and sizes must be."""
    return isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_))


def check_count(value, what, prefix="", high=None):
    """`value` as a Python int >= 1 (and <= `high`, if given): num_envs, num_workers, a
    game's sizes... or a ValueError naming `what`. Sizes become Python ints here, before
    any arithmetic: numpy integers wrap silently (np.uint8(250) + 10 is 4)."""
    if not is_int(value) or value < 1:
        raise ValueError(f"{prefix}{what} must be an integer >= 1, got {value!r}")
    if high is not None and value > high:
        raise ValueError(f"{prefix}{what} must be at most {high}, got {value!r}")
    return int(value)


def parse_seed(seed, num_envs, prefix=""):
    """A reset seed checked: None, an int in [0, 2**64), or a sequence of `num_envs` of them
    (returned as a list of ints)."""
    def ok(x):
        return is_int(x) and 0 <= x < 2**64

    if seed is None:
        return None
    if ok(seed):
        return int(seed)
    # Only true sequences of numbers: a str, bytes, bytearray, dict, set or generator of the
    # right length is a mistake, not a list of seeds.
    if isinstance(seed, (list, tuple, range)) or isinstance(seed, np.ndarray) and seed.ndim == 1:
        seeds = list(seed)
        if len(seeds) == num_envs and all(ok(x) for x in seeds):
            return [int(x) for x in seeds]
    raise ValueError(f"{prefix}seed must be an int or {num_envs} ints, each in [0, 2**64), got {seed!r}")


def check_mask(mask, n, what):
    """`mask` as a contiguous bool array of shape (n,), or a ValueError naming `what`."""
    m = mask if isinstance(mask, np.ndarray) else np.asarray(mask)
    if m.dtype != np.bool_ or m.shape != (n,):
        got = f"{m.dtype} array of shape {m.shape}" if isinstance(mask, np.ndarray) else type(mask).__name__
        raise ValueError(f"{what} must be a bool array of shape ({n},), got {got}")
    return np.ascontiguousarray(m)


# ---------------------------------------------------------------------------------------
# Actions
# ---------------------------------------------------------------------------------------
def action_bounds(space):
    """(lowest, highest) integer action per entry of a Discrete or MultiDiscrete space, as
    int64 arrays; (None, None) for a Box."""
    if isinstance(space, spaces.Discrete):
        return np.array([space.start], np.int64), np.array([space.start + space.n - 1], np.int64)
    if isinstance(space, spaces.MultiDiscrete):
        start = np.zeros_like(space.nvec) if getattr(space, "start", None) is None else space.start
        return (np.ascontiguousarray(start.reshape(-1), np.int64),
                np.ascontiguousarray((start + space.nvec - 1).reshape(-1), np.int64))
    return None, None


def write_actions(name, space, lo, hi, actions, out):
    """Check `actions` against one agent's action `space` (bounds `lo`, `hi` from
    action_bounds) and copy them into `out`; raise naming the first bad value."""
    if actions is None:
        raise TypeError(f"{name}: actions is None; expected an array of shape {out.shape}")
    a = actions if type(actions) is np.ndarray else np.asarray(actions)
    if not a.dtype.isnative:  # e.g. big-endian '>i4': compiled code reads native numbers only
        a = a.astype(a.dtype.newbyteorder("="))
    if a.shape != out.shape:
        raise ValueError(f"{name}: actions have shape {a.shape}, expected {out.shape}")
    if isinstance(space, spaces.Box):
        if a.dtype.kind not in "fiu":
            raise TypeError(f"{name}: actions have dtype {a.dtype}, expected float for {space}")
        if a.dtype.kind == "f":
            if a.dtype.itemsize not in (4, 8):  # float16, longdouble: no compiled code reads them
                a = a.astype(np.float32)
            j = first_nan(a.reshape(a.shape[0], -1))
            if j >= 0:
                raise ValueError(f"{name}: actions contain NaN (flat index {j}); {space} needs numbers")
    else:
        if a.dtype.kind not in "iu":
            raise TypeError(f"{name}: actions have dtype {a.dtype}, expected integers for {space}")
        if a.ndim == 1:
            j = copy_discrete(a, out, lo[0], hi[0])
        else:
            j = first_outside(a.reshape(a.shape[0], -1), lo, hi)
        if j >= 0:
            v = a.reshape(-1)[j]
            k = j % lo.shape[0]
            raise ValueError(f"{name}: action value {v} (flat index {j}) is out of range for {space}: "
                             f"expected {lo[k]}..{hi[k]}")
        if a.ndim == 1:
            return  # copied
    if a is not out:
        np.copyto(out, a, casting="unsafe")


@njit_cached
def first_outside(a, lo, hi):
    """Flat index of the first value of `a` (agents x values) outside [lo[c], hi[c]], or -1.
    Branch-free first pass: about 1 us for 4096 Discrete actions."""
    n, k = a.shape
    bad = False
    for r in range(n):
        for c in range(k):
            bad |= (a[r, c] < lo[c]) | (a[r, c] > hi[c])
    if bad:
        for r in range(n):
            for c in range(k):
                if a[r, c] < lo[c] or a[r, c] > hi[c]:
                    return r * k + c
    return -1


@njit_cached
def copy_discrete(a, out, lo, hi):
    """One value per agent (Discrete): copy `a` into `out` if all lie in [lo, hi], else
    return the index of the first that does not (out untouched). One compiled call does
    the check (a branch-free pass) and the copy: about 1 us for 4096 actions."""
    bad = False
    for j in range(a.shape[0]):
        bad |= (a[j] < lo) | (a[j] > hi)
    if bad:
        for j in range(a.shape[0]):
            if a[j] < lo or a[j] > hi:
                return j
    for j in range(a.shape[0]):
        out[j] = a[j]
    return -1


@njit_cached
def take_discrete(a, out, lo, hi):
    """One value per agent (Discrete): copy `a` into `out`, the kernels' private copy, checking
    each value as it is copied, so that each is read once: a thread writing `a` meanwhile
    cannot slip a value past the check into a kernel. -1 when all lie in [lo, hi], else 0
    (`out` then holds values the kernels must not see). The check is the copied values' min and max, which
    LLVM vectorizes: 0.5 us for 4096 int32 actions, where `bad |= (v < lo) | (v > hi)` took
    2.5 us (0.5 ns a value, 7% of a Pong step)."""
    low = high = a[0]
    for j in range(a.shape[0]):
        v = a[j]
        out[j] = v
        low = min(low, v)
        high = max(high, v)
    if low < lo or high > hi:
        return 0
    return -1


@njit_cached
def first_nan(a):
    """Flat index of the first NaN in `a` (agents x values), or -1."""
    n, k = a.shape
    for r in range(n):
        for c in range(k):
            if np.isnan(a[r, c]):
                return r * k + c
    return -1


# ---------------------------------------------------------------------------------------
# Params
# ---------------------------------------------------------------------------------------
def param_dtype(v):
    """The field type of a param from its default: np.float32(8) is float32, a Python int
    int64, a Python float float64, a bool bool."""
    if isinstance(v, (bool, np.bool_)):
        return np.bool_
    if isinstance(v, np.generic):
        return v.dtype
    if isinstance(v, int):
        return np.int64
    if isinstance(v, float):
        return np.float64
    raise TypeError(f"param default {v!r} must be a number")


def check_param(game, name, v, dtype):
    """Param `name`'s value `v`, checked against its field type, as the plain Python number
    (bool, int or float) that the field will hold: a game's `check` then sees exactly what
    its kernels will (a float32 param rounded to float32), and computes in Python numbers,
    which never wrap."""
    what = f"{game}: parameter {name}={_short(v)}"
    real = isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, np.timedelta64)
    if isinstance(v, (bool, np.bool_)) != (dtype == np.bool_) or not (real or isinstance(v, np.bool_)):
        raise ValueError(f"{what} must be a number of type {dtype}")
    if dtype == np.bool_:
        return bool(v)
    is_float = isinstance(v, (float, np.floating))
    if is_float and not math.isfinite(v):
        raise ValueError(f"{what} must be finite")
    if dtype.kind in "iu":
        if is_float and not float(v).is_integer():
            raise ValueError(f"{what} must be an integer")
        if not np.iinfo(dtype).min <= int(v) <= np.iinfo(dtype).max:
            raise ValueError(f"{what} is out of range for {dtype}")
        return int(v)
    try:
        with np.errstate(over="ignore"):
            cast = dtype.type(v)
    except OverflowError:  # a Python int beyond any float
        cast = dtype.type(np.inf)
    if not np.isfinite(cast):  # finite, but not once cast (1e39 is inf in float32)
        raise ValueError(f"{what} is out of range for {dtype} (it would be {cast})")
    return float(cast)


def check_range(game, params, names, low=None, high=None, above=None):
    """Each param of `names` (values in the dict `params`) within low <= v <= high and
    v > above (bounds left None are not checked); else a ValueError naming it and its range.
    What an env's `check` uses to say which values its rules can handle."""
    for name in names:
        v = params[name]
        shown = _show(v)
        if above is not None and not v > above:
            raise ValueError(f"{game}: parameter {name}={shown} must be > {above}")
        if low is not None and not v >= low:
            raise ValueError(f"{game}: parameter {name}={shown} must be >= {low}")
        if high is not None and not v <= high:
            raise ValueError(f"{game}: parameter {name}={shown} must be <= {_show(high)}")



def _show(v):
    """A param's value as written: a float32 param's float to 7 digits (0.1, not 0.100000001)."""
    return f"{v:.7g}" if isinstance(v, float) else repr(v)


def _short(v):
    """repr(v), cut in the middle when long (a 400-digit int)."""
    r = repr(v)
    return r if len(r) <= 40 else f"{r[:20]}...{r[-8:]} ({len(r)} characters)"
