"""CartPole through numbapuffer's public env.step vs gymnasium's own numpy-vectorized
CartPole (`gymnasium.make_vec("CartPole-v1", vectorization_mode="vector_entry_point")`).

Same pre-drawn random actions, interleaved rounds in one process, numbapuffer on 1 and 2
threads; prints each median steps/s and numbapuffer's ratio to gymnasium.

    python benchmarks/cartpole_vs_gymnasium.py [--num-envs 4096] [--rounds 7] [--seconds 0.5]
"""
import os
import sys

import gymnasium
import numba

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import numbapuffer as npf  # noqa: E402
from numbapuffer.bench import action_sets, interleaved, interleaved_parser, machine  # noqa: E402


def main():
    args = interleaved_parser(__doc__).parse_args()
    n = args.num_envs
    threads = [t for t in (1, 2) if t <= numba.config.NUMBA_NUM_THREADS]
    env = npf.make("cartpole", num_envs=n, seed=0)
    env.reset(seed=0)
    ref = gymnasium.make_vec("CartPole-v1", num_envs=n, vectorization_mode="vector_entry_point")
    ref.reset(seed=0)
    acts = action_sets(env.action_space)
    cases = {"gymnasium": (ref.step, acts, n, None)}
    cases.update({t: (env.step, acts, n, t) for t in threads})
    rates = interleaved(cases, args.seconds, args.rounds, warmup=0)
    gym = rates["gymnasium"]
    print(f"CartPole, {n} games, median of {args.rounds} interleaved rounds of {args.seconds:g} s")
    print(f"{'who':>22} {'steps/s':>14} {'ratio':>6}")
    print(f"{'gymnasium vectorized':>22} {gym:>14,.0f} {1:>6.2f}")
    for t in threads:
        r = rates[t]
        print(f"{f'numbapuffer {t} thread' + 's' * (t > 1):>22} {r:>14,.0f} {r / gym:>6.2f}")
    print(machine())
    env.close()
    ref.close()


if __name__ == "__main__":
    main()
