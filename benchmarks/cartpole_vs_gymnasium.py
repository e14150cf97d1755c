"""gymnasium's classic control through numbapuffer's public env.step vs gymnasium's own
vectorized versions: CartPole's numpy-vectorized env (`vectorization_mode=
"vector_entry_point"`); Acrobot, MountainCar, MountainCarContinuous and Pendulum have no
numpy vector env in gymnasium (Pendulum's is JAX), so they run in its SyncVectorEnv.

Same pre-drawn random actions, interleaved rounds in one process per env, numbapuffer on 1
and 2 threads; prints each median steps/s and numbapuffer's ratio to gymnasium.

    python benchmarks/cartpole_vs_gymnasium.py [ENV ...] [--num-envs 4096] [--rounds 7] [--seconds 0.5]

ENV: cartpole (default), acrobot, mountaincar, mountaincar_continuous, pendulum, or all.
"""
import os
import sys

import gymnasium
import numba

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import numbapuffer as npf  # noqa: E402
from numbapuffer.tools.bench import action_sets, interleaved, interleaved_parser, machine  # noqa: E402

GYM = {"cartpole": ("CartPole-v1", "vector_entry_point"), "acrobot": ("Acrobot-v1", "sync"),
       "mountaincar": ("MountainCar-v0", "sync"), "mountaincar_continuous": ("MountainCarContinuous-v0", "sync"),
       "pendulum": ("Pendulum-v1", "sync")}


def compare(name, args):
    n = args.num_envs
    threads = [t for t in (1, 2) if t <= numba.config.NUMBA_NUM_THREADS]
    env = npf.make(name, num_envs=n, seed=0)
    env.reset(seed=0)
    gym_id, mode = GYM[name]
    ref = gymnasium.make_vec(gym_id, num_envs=n, vectorization_mode=mode)
    ref.reset(seed=0)
    acts = action_sets(env.action_space)
    cases = {"gymnasium": (ref.step, acts, n, None)}
    cases.update({t: (env.step, acts, n, t) for t in threads})
    rates = interleaved(cases, args.seconds, args.rounds, warmup=0)
    gym = rates["gymnasium"]
    print(f"{gym_id}, {n} games, median of {args.rounds} interleaved rounds of {args.seconds:g} s")
    print(f"{'who':>22} {'steps/s':>14} {'ratio':>6}")
    print(f"{'gymnasium ' + ('vectorized' if mode != 'sync' else 'sync'):>22} {gym:>14,.0f} {1:>6.2f}")
    for t in threads:
        r = rates[t]
        print(f"{f'numbapuffer {t} thread' + 's' * (t > 1):>22} {r:>14,.0f} {r / gym:>6.2f}")
    env.close()
    ref.close()


def main():
    parser = interleaved_parser(__doc__)
    parser.add_argument("envs", nargs="*", metavar="ENV", help=f"{', '.join(GYM)} or all (default: cartpole)")
    args = parser.parse_args()
    names = list(GYM) if "all" in args.envs else args.envs or ["cartpole"]
    if set(names) - set(GYM):
        parser.error(f"unknown ENV {sorted(set(names) - set(GYM))}; choose from {', '.join(GYM)} or all")
    for name in names:
        compare(name, args)
    print(machine())


if __name__ == "__main__":
    main()
