"""The default kernel choice (threads.Pacer: whichever of the serial and parallel kernels is
faster right now) against each kernel pinned, per env, on all of Numba's threads, in
interleaved rounds. A user gets the default: it should be within 5% of the better pinned
kernel on a quiet machine (and follow the load on a busy one: benchmarks/contention.py).

    python benchmarks/kernel_choice.py [ENV ...] [--num-envs 4096] [--rounds 7] [--seconds 0.5]
"""
import os
import sys

import numba

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import numbapuffer as npf  # noqa: E402
from numbapuffer.tools.bench import action_sets, interleaved, interleaved_parser, machine  # noqa: E402

KINDS = {"default": None, "serial": True, "parallel": False}


def switched(env, serial, on):
    """env.step, after switching the env to `serial` (use_serial's argument) where it is on
    another kind. `on` is shared by one env's cases: the kind it is on, and the default's
    choice (threads.Pacer), kept between its rounds as a user's env keeps it all its life (a
    fresh one learns again: probes after 0.05, 0.1, 0.2 s... cost a slow step's round 5%)."""
    def step(actions):
        if on["kind"] is not serial:
            if on["kind"] is None:
                on["pacer"] = env._pacer
            env.use_serial(serial)
            if serial is None and "pacer" in on:
                env._pacer = on["pacer"]
            on["kind"] = serial
        return env.step(actions)
    return step


def main():
    parser = interleaved_parser(__doc__)
    parser.add_argument("envs", nargs="*", default=npf.list_envs())
    args = parser.parse_args()
    threads = numba.get_num_threads()
    print(f"{args.num_envs} games, {threads} threads, median of {args.rounds} interleaved rounds of {args.seconds:g} s")
    print(f"{'env':>22} {'default':>14} {'serial':>14} {'parallel':>14} {'default/best':>13}")
    worst = 1.0
    for name in args.envs:
        # one env for all three, switched at the start of each round: two envs of the same game,
        # both pinned to the parallel kernel, differed by 2-5% (where their buffers lie)
        env = npf.make(name, num_envs=args.num_envs, seed=0)
        env.reset(seed=0)
        acts = action_sets(env.action_space)
        on = {"kind": "unset"}
        cases = {kind: (switched(env, serial, on), acts, env.num_agents, threads) for kind, serial in KINDS.items()}
        rates = interleaved(cases, args.seconds, args.rounds)
        env.close()
        ratio = rates["default"] / max(rates["serial"], rates["parallel"])
        worst = min(worst, ratio)
        print(f"{name:>22} " + " ".join(f"{rates[k]:>14,.0f}" for k in KINDS) + f" {ratio:>13.2f}", flush=True)
    print(f"worst default/best: {worst:.2f}; {machine()}")


if __name__ == "__main__":
    main()
