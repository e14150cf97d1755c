"""Envs on a GPU (device="cuda"): parity with the CPU kernels, then steps/s.

Parity: each env stepped on the CPU and on the GPU from the same seed with the same random
actions; prints the first step where any buffer or state field differs (bit for bit), and
the largest difference by then.

Speed: Pong, CartPole and Breakout at 2^14..2^22 games, three ways, each the median of
--rounds timed runs of at least --seconds:
    kernel   the step kernel alone (actions already in the env's buffer)
    step     env.step(actions) with actions in a torch CUDA tensor: cast and range-checked
             on the GPU (one 8-byte read back per step), then the step kernel
    policy   a torch MLP (obs -> 64 -> 64 -> logits, float32) reads the observations in
             place, samples actions on the GPU, and env.step takes them

Training (--train-steps N): numbapuffer's PPO trainer on Pong with device="cuda" (games,
rollouts and the policy on the GPU) and Pong's default settings except --train-games games;
prints where the time went and the last rollout's episodes.

    python benchmarks/gpu.py [--envs pong,cartpole,breakout] [--min-log2 14] [--max-log2 22]
                             [--rounds 3] [--seconds 0.3] [--parity-steps 300] [--no-parity]
                             [--train-steps 0] [--train-games 8192]
"""
import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import numbapuffer as npf  # noqa: E402


def parity(name, n, steps):
    """(first differing step or None, worst abs difference seen up to then, per field)."""
    cpu = npf.make(name, n, seed=1)
    gpu = npf.make(name, n, seed=1, device="cuda")
    cpu.reset(seed=2)
    gpu.reset(seed=2)
    rng = np.random.default_rng(3)
    space = cpu.single_action_space
    worst = {}
    for t in range(steps):
        a = rng.integers(0, space.n, cpu.num_agents).astype(np.int32)
        cpu.step(a)
        gpu.step(a)
        state = gpu.state.copy_to_host()
        pairs = [(b, getattr(cpu, b), getattr(gpu, b).copy_to_host()) for b in
                 ("observations", "rewards", "terminals", "truncations", "masks")]
        pairs += [(f"state.{f}", cpu.state[f], state[f]) for f in cpu.state.dtype.names]
        differ = []
        for what, x, y in pairs:
            if x.tobytes() != y.tobytes():
                differ.append(what)
                if x.dtype.kind == "f":
                    worst[what] = max(worst.get(what, 0.0), float(np.nanmax(np.abs(x.astype(np.float64) - y))))
        if differ:
            return t, differ, worst, cpu.log(), gpu.log()
    return None, [], worst, cpu.log(), gpu.log()


def median_rate(fn, sync, n, seconds, rounds):
    rates = []
    for _ in range(rounds):
        steps, start = 0, time.perf_counter()
        while True:
            for _ in range(8):
                fn()
            steps += 8
            sync()
            elapsed = time.perf_counter() - start
            if elapsed >= seconds:
                break
        rates.append(steps * n / elapsed)
    return float(np.median(rates))


def speed(name, n, args, torch):
    env = npf.make(name, n, seed=0, device="cuda")
    env.reset(seed=0)
    obs = torch.as_tensor(env.observations, device="cuda")
    zero_copy = obs.data_ptr() == env.observations.__cuda_array_interface__["data"][0]
    k = env.single_action_space.n
    actions = torch.randint(0, k, (env.num_agents,), device="cuda", dtype=torch.int32)
    acts_in_buffer = torch.as_tensor(env.actions, device="cuda")
    acts_in_buffer.copy_(actions)
    sync = torch.cuda.synchronize
    d = obs.shape[1]
    policy = torch.nn.Sequential(torch.nn.Linear(d, 64), torch.nn.Tanh(), torch.nn.Linear(64, 64), torch.nn.Tanh(),
                                 torch.nn.Linear(64, k)).cuda()

    def kernel():
        env._step(*env._step_args)

    def step():
        env.step(actions)

    @torch.no_grad()
    def with_policy():
        logits = policy(obs)
        a = torch.multinomial(torch.softmax(logits, -1), 1).view(-1)
        env.step(a)

    out = {}
    for label, fn in (("kernel", kernel), ("step", step), ("policy", with_policy)):
        for _ in range(3):
            fn()
        sync()
        out[label] = median_rate(fn, sync, env.num_agents, args.seconds, args.rounds)
    log = env.log()
    torch.cuda.empty_cache()
    return out, zero_copy, log


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--envs", default="pong,cartpole,breakout")
    p.add_argument("--min-log2", type=int, default=14)
    p.add_argument("--max-log2", type=int, default=22)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--seconds", type=float, default=0.3)
    p.add_argument("--parity-steps", type=int, default=300)
    p.add_argument("--parity-games", type=int, default=4096)
    p.add_argument("--no-parity", action="store_true")
    p.add_argument("--train-steps", type=int, default=0)
    p.add_argument("--train-games", type=int, default=8192)
    args = p.parse_args()
    import torch
    names = args.envs.split(",")
    import numba
    from importlib.metadata import version
    print(f"GPU: {torch.cuda.get_device_name()}, torch {torch.__version__}, numba {numba.__version__}, "
          f"numba-cuda {version('numba-cuda')}")
    if not args.no_parity:
        print(f"\nParity with the CPU kernels, {args.parity_games} games, {args.parity_steps} random-action steps")
        for name in npf.list_envs():
            env = npf.envs.get(name)
            if not hasattr(env.action_space, "n"):
                continue
            t0 = time.perf_counter()
            first, differ, worst, clog, glog = parity(name, args.parity_games, args.parity_steps)
            took = time.perf_counter() - t0
            if first is None:
                print(f"  {name:18} identical for {args.parity_steps} steps (episodes ended: cpu {clog.get('n', 0)}, "
                      f"gpu {glog.get('n', 0)})  [{took:.1f}s]")
            else:
                print(f"  {name:18} first difference at step {first}: {', '.join(differ[:6])}; "
                      f"largest float difference by then {worst}  [{took:.1f}s]")
    if args.train_steps:
        from numbapuffer.train import loop as T
        cfg = T.config("pong", device="cuda", num_envs=args.train_games, total_steps=args.train_steps)
        print(f"\nPPO on Pong, device=cuda, {cfg.num_envs} games x {cfg.num_steps} steps per rollout, "
              f"minibatch {cfg.minibatch_size}, {cfg.total_steps:,} steps", flush=True)
        _, history = T.train(cfg, progress=False)
        print(" ", T.speed(history))
        for h in history[:: max(1, len(history) // 6)] + history[-1:]:
            print(f"  step {h['step']:>12,}  score {h.get('score', float('nan')):6.2f}  "
                  f"episode_return {h.get('episode_return', float('nan')):7.2f}  n {h.get('n', 0)}")
    print(f"\nSteps/s (agent steps; median of {args.rounds} runs of >= {args.seconds:g} s)")
    print(f"{'env':10} {'games':>9} {'kernel':>15} {'step':>15} {'policy':>15}  zero-copy obs")
    for name in names:
        for e in range(args.min_log2, args.max_log2 + 1):
            r, zc, _ = speed(name, 2 ** e, args, torch)
            print(f"{name:10} {2 ** e:>9,} {r['kernel']:>15,.0f} {r['step']:>15,.0f} {r['policy']:>15,.0f}  {zc}",
                  flush=True)


if __name__ == "__main__":
    main()
