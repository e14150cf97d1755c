"""Throughput measurements shared by `numbapuffer bench` and the scripts in benchmarks/.

Machines here are noisy: every figure is the median of several timed rounds, and
comparisons are measured interleaved in the same process.
"""
import argparse
import os
import time

import numba
import numpy as np


def interleaved_parser(doc):
    """The command line of a benchmark script that compares interleaved rounds: --num-envs,
    --rounds, --seconds (add the script's own arguments, then parse_args)."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--num-envs", type=int, default=4096)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--seconds", type=float, default=0.5, help="per timed round")
    return parser


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


def interleaved(cases, seconds=0.5, rounds=7, warmup=0.3):
    """Median steps/s of each case, timed in alternating rounds so that the machine's noise
    falls on all of them alike. cases: name -> (step, action batches, agents per call,
    Numba threads or None to leave the count as it is); the count is restored afterwards.
    Each timing follows `warmup` seconds of the same case: after worker processes ran, the
    OS takes a moment to spread this process's threads over the cores again (on 2 cores,
    the first tenths of a second of a parallel kernel ran up to 6x slower)."""
    threads_before = numba.get_num_threads()

    def run(case, seconds):
        step, acts, agents, threads = case
        numba.set_num_threads(threads or threads_before)
        return timed_steps(step, acts, seconds) * agents

    for case in cases.values():
        run(case, 0.1)  # compile and warm caches
    rates = {name: [] for name in cases}
    for _ in range(rounds):
        for name, case in cases.items():
            run(case, warmup)
            rates[name].append(run(case, seconds))
    numba.set_num_threads(threads_before)
    return {name: float(np.median(r)) for name, r in rates.items()}


def vector_rates(env="pong", num_envs=8192, num_workers=2, gym_num_envs=4096, seconds=0.5, rounds=7, seed=0):
    """steps/s of the native env vs the multiprocessing backend (sync, and async with half
    the games per batch) at `num_envs` games, then of NumbaVecEnv vs the native env at
    `gym_num_envs` games (copying what it returns, as gymnasium's default, and not),
    each group measured interleaved (the second with no worker
    processes alive, so that they cannot disturb the in-process kernels). Every figure is a
    median over `rounds` timed windows of `seconds` per case."""
    import numbapuffer as npf

    def stepper(vec):
        """send + recv, after async_reset + recv (reset and step refuse async batches)."""
        vec.async_reset(seed=seed)
        vec.recv()

        def step(actions):
            vec.send(actions)
            vec.recv()
        return step

    def case(vec, step):
        return step, action_sets(vec.action_space, seed=seed), vec.action_space.shape[0], None

    vecs = {
        f"native, {num_envs} games": npf.vector.make(env, num_envs, seed=seed),
        f"multiprocessing {num_workers} workers, sync": npf.vector.make(
            env, num_envs, "multiprocessing", num_workers, seed=seed),
        f"multiprocessing {num_workers} workers, async batch {num_envs // 2}": npf.vector.make(
            env, num_envs, "multiprocessing", num_workers, batch_size=num_envs // 2, seed=seed),
    }
    try:
        rates = interleaved({name: case(vec, stepper(vec)) for name, vec in vecs.items()}, seconds, rounds)
    finally:
        for vec in vecs.values():
            vec.close()
    native = npf.make(env, gym_num_envs, seed=seed)
    gyms = [npf.NumbaVecEnv(env, gym_num_envs, seed=seed, copy=copy) for copy in (True, False)]
    for e in (native, *gyms):
        e.reset(seed=seed)
    # In-process envs: alternated every few milliseconds, so that another process taking a
    # core (which stalls a 2-thread kernel for whole time slices) hits them alike.
    rates.update(interleaved({f"native env, {gym_num_envs} games": case(native, native.step),
                              **{f"NumbaVecEnv copy={g.copy}, {gym_num_envs} games": case(g, g.step) for g in gyms}},
                             seconds / 20, rounds * 20, warmup=0))
    for g in gyms:
        g.close()
    return rates


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
