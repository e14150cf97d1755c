"""Random streams: one xorshift64 state per game, stored in the game's record (`s.rng`).

Shifts and xors only, so results are the same compiled, under NUMBA_DISABLE_JIT and on any
number of threads. A game's stream depends only on (seed, its global index), so splitting the
games across threads or processes never changes results.
"""
import numpy as np
from numba import njit

from numbapuffer.engine.checks import parse_seed

__all__ = ["rand", "rand_float", "rand_int", "seed_streams", "game_streams", "entropy"]

# any number of threads.
# ---------------------------------------------------------------------------------------
_S13, _S7, _S17, _S32 = np.uint64(13), np.uint64(7), np.uint64(17), np.uint64(32)


@njit
def rand(s):
    """Next 32 random bits (as uint64) from the game's stream `s.rng`."""
    x = s.rng
    x ^= x << _S13
    x ^= x >> _S7
    x ^= x << _S17
    s.rng = x
    return x >> _S32


@njit
def rand_float(s):
    """Uniform float32 in [0, 1)."""
    return np.float32(rand(s) >> np.uint64(8)) * np.float32(1.0 / 16777216.0)


@njit
def rand_int(s, n):
    """Uniform integer in [0, n), for 1 <= n < 2**32 (32 random bits scaled by n)."""
    return np.int64((rand(s) * np.uint64(n)) >> _S32)


def seed_streams(seed, games):
    """The stream state of each game index in `games` for `seed` (splitmix64, never 0).

    A game's stream depends only on (seed, its global index), so splitting the games
    across threads or processes never changes results."""
    seed = np.uint64(int(seed) % 2**64)
    with np.errstate(over="ignore"):
        z = np.asarray(games, np.uint64) * np.uint64(0x9E3779B97F4A7C15) + seed * np.uint64(0xD1B54A32D192ED03)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    z[z == 0] = np.uint64(0x9E3779B97F4A7C15)
    return z


def game_streams(seed, num_envs, game_offset=0, prefix=""):
    """The stream state of each of `num_envs` games for a reset `seed` (checked): an int
    gives game i the stream (seed, game_offset + i), a sequence one seed per game; None
    (keep each game's stream) gives None."""
    seed = parse_seed(seed, num_envs, prefix)
    if seed is None:
        return None
    if isinstance(seed, int):
        return seed_streams(seed, game_offset + np.arange(num_envs))
    return np.concatenate([seed_streams(x, [0]) for x in seed])



def entropy():
    """A fresh random seed, for an env made with seed=None."""
    return int(np.random.SeedSequence().entropy) % 2**64
