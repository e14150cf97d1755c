"""Stable-Baselines3 over numbapuffer: PPO `learn` and plain stepping through numbapuffer.sb3's
vec_env (one native env) vs make_vec_env of the same game as separate Python envs
(DummyVecEnv over gymnasium.make("numbapuffer/CartPole-v0")), interleaved rounds, medians.

    python benchmarks/sb3_ppo.py [--num-envs 64] [--rounds 3] [--timesteps 16384] [--seconds 0.5]
"""
import argparse
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import numbapuffer as npf  # noqa: E402,F401  (registers numbapuffer/CartPole-v0)
import numbapuffer.sb3  # noqa: E402
from numbapuffer.tools.bench import machine  # noqa: E402


def step_rate(vec, seconds):
    vec.reset()
    actions = np.random.default_rng(0).integers(0, 2, (64, vec.num_envs))
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for a in actions:
            vec.step(a)
        steps += len(actions) * vec.num_envs
    return steps / (time.perf_counter() - start)


def learn_rate(vec, timesteps):
    import torch
    from stable_baselines3 import PPO
    torch.set_num_threads(1)  # two torch threads crawl beside a busy neighbour on 2 cores
    model = PPO("MlpPolicy", vec, n_steps=max(16, 2048 // vec.num_envs), batch_size=512, n_epochs=2, seed=0,
                device="cpu", verbose=0)
    start = time.perf_counter()
    model.learn(timesteps)
    return model.num_timesteps / (time.perf_counter() - start)


def main():
    from stable_baselines3.common.env_util import make_vec_env
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--num-envs", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--timesteps", type=int, default=16384)
    parser.add_argument("--seconds", type=float, default=0.5)
    args = parser.parse_args()
    n = args.num_envs
    makers = {"numbapuffer.sb3.vec_env": lambda: numbapuffer.sb3.vec_env("cartpole", n, seed=0),
              f"make_vec_env x{n}": lambda: make_vec_env("numbapuffer/CartPole-v0", n_envs=n, seed=0)}
    rates = {(k, what): [] for k in makers for what in ("step", "learn")}
    for _ in range(args.rounds):
        for k, make in makers.items():
            rates[k, "step"].append(step_rate(make(), args.seconds))
            rates[k, "learn"].append(learn_rate(make(), args.timesteps))
    print(f"CartPole, {n} games, median of {args.rounds} interleaved rounds")
    print(f"{'':28s}{'step steps/s':>14s}{'PPO learn steps/s':>20s}")
    med = {key: statistics.median(v) for key, v in rates.items()}
    for k in makers:
        print(f"{k:28s}{med[k, 'step']:14,.0f}{med[k, 'learn']:20,.0f}")
    a, b = makers
    print(f"ratio: stepping {med[a, 'step'] / med[b, 'step']:.1f}x, PPO learn {med[a, 'learn'] / med[b, 'learn']:.2f}x")
    print(machine())


if __name__ == "__main__":
    main()
