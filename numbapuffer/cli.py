"""The `numbapuffer` command: list envs, benchmark them."""
import argparse
import sys

import numba


def main(argv=None):
    parser = argparse.ArgumentParser(prog="numbapuffer", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="list the first-party envs")
    b = sub.add_parser("bench", help="steps/s of an env through its public step()")
    b.add_argument("env")
    b.add_argument("--num-envs", type=int, nargs="+", default=[4096], help="games per env (several allowed)")
    b.add_argument("--threads", type=int, default=None, help="numba threads (default: all cores)")
    b.add_argument("--seconds", type=float, default=2.0, help="timed seconds per measurement")
    b.add_argument("--rounds", type=int, default=5, help="timed rounds; the median is reported")
    v = sub.add_parser("bench-vec", help="steps/s of the vector backends and NumbaVecEnv vs the native env")
    v.add_argument("env", nargs="?", default="pong")
    v.add_argument("--num-envs", type=int, default=8192, help="games for the backends")
    v.add_argument("--num-workers", type=int, default=2, help="multiprocessing workers")
    v.add_argument("--gym-num-envs", type=int, default=4096, help="games for NumbaVecEnv vs native")
    v.add_argument("--threads", type=int, default=None, help="numba threads in this process (default: all cores)")
    v.add_argument("--seconds", type=float, default=0.5, help="timed seconds per round and case")
    v.add_argument("--rounds", type=int, default=7, help="interleaved rounds; the median is reported")
    args = parser.parse_args(argv)
    if args.command == "list":
        import numbapuffer
        print("\n".join(numbapuffer.list_envs()))
    elif args.command == "bench":
        bench(args)
    elif args.command == "bench-vec":
        bench_vec(args)
    return 0


def bench(args):
    import numbapuffer as npf
    from numbapuffer.bench import env_rate, machine
    set_threads(args.threads)
    print(f"numbapuffer bench {args.env}: {args.seconds:g} s per figure, median of {args.rounds} rounds")
    print(f"{'num_envs':>9} {'steps/s':>14} {'us/step':>9}")
    for n in args.num_envs:
        env = npf.make(args.env, num_envs=n, seed=0)
        rate, _ = env_rate(env, args.seconds, args.rounds)
        print(f"{n:>9} {rate:>14,.0f} {env.num_agents / rate * 1e6:>9.2f}", flush=True)
        env.close()
    print(machine())


def set_threads(threads):
    if threads is not None:
        if not 1 <= threads <= numba.config.NUMBA_NUM_THREADS:
            sys.exit(f"--threads must be 1..{numba.config.NUMBA_NUM_THREADS}")
        numba.set_num_threads(threads)


def bench_vec(args):
    from numbapuffer.bench import machine, vector_rates
    set_threads(args.threads)
    print(f"numbapuffer bench-vec {args.env}: median of {args.rounds} interleaved rounds of {args.seconds:g} s")
    rates = vector_rates(args.env, args.num_envs, args.num_workers, args.gym_num_envs, args.seconds, args.rounds)
    names = list(rates)
    print(f"{'':<44} {'steps/s':>14} {'ratio':>6}")
    for group in (names[:3], names[3:]):  # each against its native env, the group's first row
        for name in group:
            print(f"{name:<44} {rates[name]:>14,.0f} {rates[name] / rates[group[0]]:>6.2f}")
    print(f"NumbaVecEnv per-step overhead over the native env: {(rates[names[3]] / rates[names[4]] - 1) * 100:.1f}%")
    print(machine())


if __name__ == "__main__":
    sys.exit(main())
