"""The acceptance runs of numbapuffer's PPO trainer: train, then measure the trained policy
against a random one, and plot the learning curve.

    python examples/learn.py cartpole squared pong connect4     # each with DEFAULTS' settings
    python examples/learn.py pong --total-steps 20000000
    python examples/learn.py CartPole-v1                         # through gymnasium.make_vec

For each env: trains with numbapuffer.train's defaults for it (plus the options given),
writes the checkpoint to runs/<env>.pt, plays --episodes games with the trained policy
and with uniformly random actions (each game's first episode counts, see train.evaluate),
writes the learning curve to docs/learning_<env>.png, and prints one summary line with
the wall time. Timings are of the machine it runs on: say which when you quote them.
"""
import argparse
import json
import os
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from numbapuffer import train as T  # noqa: E402

CURVE_FIELDS = {"pong": "score", "connect4": "win", "squared": "episode_length", "cartpole": None,
                "breakout_pixels": "score", "tetris": "score", "go": "perf", "trash_pickup": "trash_collected",
                "freeway": "score", "enduro": "passed_cars"}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("envs", nargs="+", help="env ids (numbapuffer or gymnasium)")
    parser.add_argument("--total-steps", type=int, default=None, help="override the env's default")
    parser.add_argument("--seed", type=int, default=0, help="training seed (evaluation uses seed + 1)")
    parser.add_argument("--episodes", type=int, default=None, help="evaluation games (default 100, connect4 1000)")
    parser.add_argument("--runs", default="runs", help="where checkpoints and results go")
    parser.add_argument("--docs", default="docs", help="where the learning-curve PNGs go")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args()
    os.makedirs(args.runs, exist_ok=True)
    os.makedirs(args.docs, exist_ok=True)
    for env_id in args.envs:
        run(env_id, args)


def run(env_id, args):
    overrides = dict(seed=args.seed)
    if args.total_steps:
        overrides["total_steps"] = args.total_steps
    cfg = T.config(env_id, **overrides)
    name = env_id.replace("/", "_")
    path = os.path.join(args.runs, f"{name}.pt")
    start = time.perf_counter()
    policy, history = T.train(cfg, out=path, progress=not args.quiet)
    wall = time.perf_counter() - start
    print(T.speed(history))

    episodes = args.episodes or (1000 if env_id.startswith("connect4") else 100)
    results = {}
    for who, p in (("trained", policy), ("random", None)):
        env = T.make_env(cfg, num_envs=episodes)
        results[who] = T.evaluate(p, env, seed=args.seed + 1)
        env.close()
    summary = dict(env=env_id, total_steps=history[-1]["step"], train_wall_s=round(wall, 1),
                   speed=T.speed(history), trained=results["trained"], random=results["random"],
                   config=dict(vars(cfg)))
    with open(os.path.join(args.runs, f"{name}.json"), "w") as f:
        json.dump(summary, f, indent=1)
    plot(env_id, history, results, wall, os.path.join(args.docs, f"learning_{name}.png"))
    show = lambda r: ", ".join(f"{k} {v:.3g}" for k, v in r.items() if k not in ("n", "unfinished"))  # noqa: E731
    print(f"{env_id}: trained {history[-1]['step']:,} steps in {wall:.0f} s | over {episodes} games: "
          f"trained: {show(results['trained'])} | random: {show(results['random'])}")


def plot(env_id, history, results, wall, path):
    field = CURVE_FIELDS.get(T.env_key(env_id))
    fields = ["episode_return"] + ([field] if field else [])
    fig, axes = plt.subplots(1, len(fields), figsize=(5 * len(fields), 3.4), squeeze=False)
    logged = [h for h in history if "episode_return" in h]
    steps = [h["step"] / 1e6 for h in logged]
    for ax, f in zip(axes[0], fields):
        ax.plot(steps, [h[f] for h in logged], lw=1.2, label="training episodes")
        for who, style in (("trained", "C2"), ("random", "C3")):
            if f in results[who]:
                ax.axhline(results[who][f], color=style, ls="--", lw=1, label=f"{who} policy, evaluated")
        ax.set_xlabel("agent steps (millions)")
        ax.set_title(f)
        ax.grid(alpha=0.3)
    axes[0][0].legend(fontsize=7, loc="lower right")
    took = f"{wall:.0f} s" if wall < 120 else f"{wall / 60:.1f} min"
    fig.suptitle(f"{env_id}: PPO, {history[-1]['step'] / 1e6:.3g}M steps in {took} (1 torch thread)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


if __name__ == "__main__":
    main()
