"""Pong through numbapuffer's public env.step vs the hand-written C loop (benchmarks/pong.c).

Same rules, same random streams, same pre-drawn random actions, 4096 games, 1 and 2
threads, measured interleaved in one process; prints each median and the ratio. Then the
cost of debug mode: the same env made with debug=True (checked kernels, one thread) vs the
fast serial kernel.

    python benchmarks/pong_vs_c.py [--num-envs 4096] [--rounds 7] [--seconds 0.5]
"""
import os
import sys
import time

import numba
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import numbapuffer as npf  # noqa: E402
from benchmarks.cpong import CPong  # noqa: E402
from numbapuffer.tools.bench import interleaved_parser, machine, timed_steps  # noqa: E402


def c_rate(cpong, threads, acts, seconds):
    steps = 64
    while True:  # grow the batch until one call lasts long enough to time
        start = time.perf_counter()
        cpong.run(steps, threads, acts)
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return steps * cpong.n / elapsed
        steps *= 2


def main():
    args = interleaved_parser(__doc__).parse_args()
    n = args.num_envs
    threads = [t for t in (1, 2) if t <= numba.config.NUMBA_NUM_THREADS]
    env = npf.make("pong", num_envs=n, seed=0)
    env.reset(seed=0)
    cpong = CPong(n, seed=0)
    acts = np.random.default_rng(0).integers(0, 3, (64, n)).astype(np.int32)
    timed_steps(env.step, acts, 0.2)
    cpong.run(200, 1, acts)
    rates = {(who, t): [] for who in ("c", "npf") for t in threads}
    for _ in range(args.rounds):
        for t in threads:
            numba.set_num_threads(t)
            rates["c", t].append(c_rate(cpong, t, acts, args.seconds))
            rates["npf", t].append(timed_steps(env.step, acts, args.seconds) * n)
    print(f"Pong, {n} games, median of {args.rounds} interleaved rounds of {args.seconds:g} s")
    print(f"{'threads':>7} {'C steps/s':>14} {'numbapuffer':>14} {'ratio':>6}")
    for t in threads:
        c, p = np.median(rates["c", t]), np.median(rates["npf", t])
        print(f"{t:>7} {c:>14,.0f} {p:>14,.0f} {p / c:>6.2f}")
    debug_cost(n, acts, args)
    print(machine())
    cpong.close()


def debug_cost(n, acts, args):
    """debug=True's checked kernels vs the fast serial kernel, interleaved (both one thread)."""
    fast, checked = npf.make("pong", num_envs=n, seed=0), npf.make("pong", num_envs=n, seed=0, debug=True)
    fast.use_serial(True)
    for env in (fast, checked):
        env.reset(seed=0)
        timed_steps(env.step, acts, 0.2)
    rates = {"fast": [], "debug": []}
    for _ in range(args.rounds):
        rates["fast"].append(timed_steps(fast.step, acts, args.seconds) * n)
        rates["debug"].append(timed_steps(checked.step, acts, args.seconds) * n)
    f, d = np.median(rates["fast"]), np.median(rates["debug"])
    print(f"debug=True, 1 thread: {d:,.0f} steps/s vs {f:,.0f} for the fast serial kernel: {f / d:.1f}x slower")


if __name__ == "__main__":
    main()
