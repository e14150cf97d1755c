"""The Ray backend's cost: steps/s and per-step overhead vs the multiprocessing backend, and the
games per actor at which Ray reaches 80% of the native env's steps/s on Pong.

Three groups of figures, each measured interleaved (alternating rounds, medians), on a local
Ray instance started here (or the cluster at $RAY_ADDRESS):

    1. --num-envs games on --num-workers workers: native env, multiprocessing, ray (sync)
    2. per-step overhead: one game per worker, so a step is almost all round trip: the time
       of a step (sync, every worker) of multiprocessing and of ray
    3. one actor of N games vs the native env of N games, both 1 Numba thread, for N in
       --sweep: the ratio, and the first N where ray reaches 80% of native

    python benchmarks/ray_backend.py [--num-envs 8192] [--num-workers 2] [--rounds 5] [--seconds 0.5]
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numbapuffer as npf  # noqa: E402
from numbapuffer.tools.bench import action_sets, interleaved, interleaved_parser, machine  # noqa: E402


def stepper(vec):
    def step(actions):
        vec.send(actions)
        vec.recv()
    return step


def cases(vecs, seed=0):
    out = {}
    for name, (vec, threads) in vecs.items():
        vec.reset(seed=seed)
        out[name] = (stepper(vec), action_sets(vec.action_space, seed=seed), vec.action_space.shape[0], threads)
    return out


def measure(vecs, seconds, rounds):
    try:
        return interleaved(cases(vecs), seconds, rounds)
    finally:
        for vec, _ in vecs.values():
            vec.close()


def main():
    parser = interleaved_parser(__doc__)
    parser.add_argument("--num-workers", type=int, default=2)
    parser.add_argument("--env", default="pong")
    parser.add_argument("--sweep", default="1024,4096,16384,65536,262144,1048576", help="games per actor, comma-separated")
    parser.set_defaults(num_envs=8192, rounds=5)
    args = parser.parse_args()
    import ray
    if not ray.is_initialized():
        ray.init(include_dashboard=False, log_to_driver=False)
    env, n, w = args.env, args.num_envs, args.num_workers
    print(f"{env}; {machine()}; ray {ray.__version__}, {int(ray.cluster_resources().get('CPU', 0))} CPUs in "
          f"the cluster; medians of {args.rounds} interleaved rounds of {args.seconds} s")

    rates = measure({f"native, {n} games": (npf.vector.make(env, n, seed=0), None),
                     f"multiprocessing, {w} workers": (npf.vector.make(env, n, "multiprocessing", w, seed=0), None),
                     f"ray, {w} actors": (npf.vector.make(env, n, "ray", w, seed=0), None)},
                    args.seconds, args.rounds)
    print(f"\n1. steps/s at {n} games")
    for name, r in rates.items():
        print(f"   {name:32s} {r / 1e6:8.2f}M")

    rates = measure({"multiprocessing": (npf.vector.make(env, w, "multiprocessing", w, seed=0), None),
                     "ray": (npf.vector.make(env, w, "ray", w, seed=0), None)}, args.seconds, args.rounds)
    print(f"\n2. per-step overhead ({w} workers of 1 game, sync)")
    for name, r in rates.items():
        print(f"   {name:32s} {w / r * 1e6:8.0f} us a step")

    print("\n3. one ray actor of N games vs the native env of N games (1 Numba thread each)")
    found = None
    for games in (int(x) for x in args.sweep.split(",")):
        rates = measure({"native": (npf.vector.make(env, games, seed=0), 1),
                         "ray": (npf.vector.make(env, games, "ray", 1, seed=0, threads_per_worker=1), 1)},
                        args.seconds, args.rounds)
        ratio = rates["ray"] / rates["native"]
        print(f"   {games:8d} games: native {rates['native'] / 1e6:7.2f}M, ray {rates['ray'] / 1e6:7.2f}M steps/s, "
              f"ray/native {ratio:.2f}")
        if found is None and ratio >= 0.8:
            found = games
    print(f"   ray reaches 80% of native at {found} games per actor" if found else
          "   ray stays under 80% of native at every size measured")


if __name__ == "__main__":
    main()
