"""Throughput measurements shared by `numbapuffer bench` and the scripts in benchmarks/.

Machines here are noisy: every figure is the median of several timed rounds, and
comparisons are measured interleaved in the same process.
"""
import os
import time

import numba
import numpy as np


def action_sets(space, count=64, seed=0):
    """`count` batches of random actions drawn ahead of time from a batched action space."""
    space.seed(seed)
    return np.stack([space.sample() for _ in range(count)])


def timed_steps(step, actions, seconds):
    """Run `step(actions[k])` for about `seconds`; returns steps/s (calls per second)."""
    n = len(actions)
    calls, start = 0, time.perf_counter()
    while True:
        for k in range(64):
            step(actions[(calls + k) % n])
        calls += 64
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return calls / elapsed


def env_rate(env, seconds=2.0, rounds=5, seed=0):
    """Median agent-steps/s of `env.step` over `rounds` rounds, and every round's figure."""
    acts = action_sets(env.action_space, seed=seed)
    env.reset(seed=seed)
    timed_steps(env.step, acts, 0.1)  # compile and warm caches
    rates = [timed_steps(env.step, acts, seconds / rounds) * env.num_agents for _ in range(rounds)]
    return float(np.median(rates)), rates


def machine():
    """One line on where a figure was measured."""
    return (f"{os.cpu_count()} cores, {numba.get_num_threads()} numba threads "
            f"({numba.threading_layer() if _launched() else 'layer chosen at first launch'}), "
            f"numba {numba.__version__}, numpy {np.__version__}")


def _launched():
    try:
        numba.threading_layer()
        return True
    except ValueError:
        return False
