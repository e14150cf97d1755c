"""The `numbapuffer` command: list envs, benchmark them, play them."""
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
    add_play(sub)
    args = parser.parse_args(argv)
    if args.command == "list":
        import numbapuffer
        print("\n".join(numbapuffer.list_envs()))
    elif args.command == "bench":
        bench(args)
    elif args.command == "play":
        play(args)
    return 0


def bench(args):
    import numbapuffer as npf
    from numbapuffer.bench import env_rate, machine
    if args.threads is not None:
        if not 1 <= args.threads <= numba.config.NUMBA_NUM_THREADS:
            sys.exit(f"--threads must be 1..{numba.config.NUMBA_NUM_THREADS}")
        numba.set_num_threads(args.threads)
    print(f"numbapuffer bench {args.env}: {args.seconds:g} s per figure, median of {args.rounds} rounds")
    print(f"{'num_envs':>9} {'steps/s':>14} {'us/step':>9}")
    for n in args.num_envs:
        env = npf.make(args.env, num_envs=n, seed=0)
        rate, _ = env_rate(env, args.seconds, args.rounds)
        print(f"{n:>9} {rate:>14,.0f} {env.num_agents / rate * 1e6:>9.2f}", flush=True)
        env.close()
    print(machine())


def add_play(sub):
    p = sub.add_parser("play", help="play an env with the keyboard in a pygame window",
                       description="Play game 0 of ENV in a window; its controls are shown under the game. "
                                   "Esc or closing the window quits.")
    p.add_argument("env")
    p.add_argument("--max-frames", type=int, default=None, help="stop after this many frames")
    p.add_argument("--keys", default=None, metavar="FEED",
                   help='scripted keys instead of the keyboard: "up:60,down:30" holds Up for 60 frames, then '
                        'Down for 30 ("none:N": no key)')
    p.add_argument("--fps", type=float, default=None, help="frames per second (default: the game's; 0: unlimited)")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--trace", default="", metavar="FIELDS",
                   help="print these scalar state fields of the game (comma-separated) after every frame")


def play(args):
    from numbapuffer.play import play as play_game
    try:
        out = play_game(args.env, max_frames=args.max_frames, keys=args.keys, fps=args.fps, seed=args.seed,
                        trace=[f for f in args.trace.split(",") if f])
    except (ValueError, RuntimeError) as e:
        sys.exit(f"numbapuffer play: {e}")
    for t in range(out["frames"]) if out["trace"] else ():
        print(f"frame {t + 1}: " + ", ".join(f"{k}={v[t]}" for k, v in out["trace"].items()))
    state = out["state"]
    fields = ", ".join(f"{k}={state[k]}" for k in state.dtype.names if k != "rng" and state.dtype[k].shape == ())
    print(f"{args.env}: {out['frames']} frames, {out['steps']} steps, {out['games']} games finished, "
          f"return {out['return']:+g}")
    print(f"final state: {fields}")


if __name__ == "__main__":
    sys.exit(main())
