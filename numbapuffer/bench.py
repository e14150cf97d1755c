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


def interleaved(cases, seconds=0.5, rounds=7):
    """Median steps/s of each case, timed in alternating rounds so that the machine's noise
    falls on all of them alike. cases: name -> (step, action batches, agents per call)."""
    for step, acts, _ in cases.values():
        timed_steps(step, acts, 0.1)  # compile and warm caches
    rates = {name: [] for name in cases}
    for _ in range(rounds):
        for name, (step, acts, agents) in cases.items():
            rates[name].append(timed_steps(step, acts, seconds) * agents)
    return {name: float(np.median(r)) for name, r in rates.items()}


def vector_rates(env="pong", num_envs=8192, num_workers=2, gym_num_envs=4096, seconds=0.5, rounds=7, seed=0):
    """steps/s of the native env vs the multiprocessing backend (sync, and async with half
    the games per batch) at `num_envs` games, and of NumbaVecEnv vs the native env at
    `gym_num_envs` games, all measured interleaved in one run."""
    import numbapuffer as npf

    def stepper(vec):
        def step(actions):
            vec.send(actions)
            vec.recv()
        return step

    vecs = {
        "native": npf.vector.make(env, num_envs, seed=seed),
        f"multiprocessing {num_workers} workers, sync": npf.vector.make(
            env, num_envs, "multiprocessing", num_workers, seed=seed),
        f"multiprocessing {num_workers} workers, async batch {num_envs // 2}": npf.vector.make(
            env, num_envs, "multiprocessing", num_workers, batch_size=num_envs // 2, seed=seed),
    }
    small = npf.make(env, gym_num_envs, seed=seed)
    gym = npf.NumbaVecEnv(env, gym_num_envs, seed=seed)
    try:
        cases = {}
        for name, vec in vecs.items():
            vec.reset(seed=seed)
            cases[name] = (stepper(vec), action_sets(vec.action_space, seed=seed), vec.action_space.shape[0])
        small.reset(seed=seed)
        gym.reset(seed=seed)
        cases[f"native env, {gym_num_envs} games"] = (small.step, action_sets(small.action_space, seed=seed),
                                                      small.num_agents)
        cases[f"NumbaVecEnv, {gym_num_envs} games"] = (gym.step, action_sets(gym.action_space, seed=seed),
                                                       gym.num_envs)
        return interleaved(cases, seconds, rounds)
    finally:
        for vec in (*vecs.values(), small, gym):
            vec.close()


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
