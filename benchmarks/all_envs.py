"""Steps/s of every first-party env (or the ones named) through the public env.step, on 1
and 2 threads, in interleaved rounds: each round times every (env, threads) pair once, so
a neighbour's load on a shared machine spreads over all figures alike. Prints medians.

    python benchmarks/all_envs.py [ENV ...] [--num-envs 4096] [--rounds 7] [--seconds 0.5]

Beside each env's defaults it times the VARIANTS of an env named (all by default): the same
env with other params, e.g. Connect4 against PufferLib's depth-3 searching opponent.

`numbapuffer bench ENV --threads T` measures one env at one thread count the same way.
"""
import os
import sys

import numba

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import numbapuffer as npf  # noqa: E402
from numbapuffer.tools.bench import action_sets, interleaved, interleaved_parser, machine  # noqa: E402

VARIANTS = {"connect4": {"connect4 depth3": dict(opponent_depth=3)}}


def main():
    parser = interleaved_parser(__doc__)
    parser.add_argument("envs", nargs="*", default=npf.list_envs())
    args = parser.parse_args()
    threads = [t for t in (1, 2) if t <= numba.config.NUMBA_NUM_THREADS]
    envs, cases = {}, {}
    runs = {}
    for name in args.envs:
        runs[name] = (name, {})
        runs.update({label: (name, params) for label, params in VARIANTS.get(name, {}).items()})
    for name, (env_id, params) in runs.items():
        env = envs[name] = npf.make(env_id, num_envs=args.num_envs, seed=0, **params)
        env.reset(seed=0)
        acts = action_sets(env.action_space)
        cases.update({(name, t): (env.step, acts, env.num_agents, t) for t in threads})
    rates = interleaved(cases, args.seconds, args.rounds, warmup=0)
    print(f"{args.num_envs} games per env, median of {args.rounds} interleaved rounds of {args.seconds:g} s")
    print(f"{'env':>22} " + " ".join(f"{f'{t} thread' + 's' * (t > 1):>14}" for t in threads))
    for name in envs:
        print(f"{name:>22} " + " ".join(f"{rates[name, t]:>14,.0f}" for t in threads))
    print(machine())


if __name__ == "__main__":
    main()
