"""MOBA's random play beside PufferLib's C, measured from the buffers, over as many games as
asked: each game's first episode length, and each game's reward per agent-step.

A MOBA game's reward comes in lumps (hero kills, towers) and varies by ~70% between games,
so the standard error of reward per agent-step is ~3% a side at 448 games: tests/test_moba.py
holds it within 3% or 3 standard errors. This command pools several seeds of both sides for
a sharper figure (the C: ~0.2 s a game of 5000 steps on one core; ours about half that).

    VENV/bin/python benchmarks/moba_parity.py [--games 448] [--steps 5000] [--seeds 4]

Run it with the venv of ../shared/tools/build_pufferlib.sh, from a scratch folder.
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def random_play(env, games, steps, acts):
    """Each game's first episode length (0 if it did not end within `steps`) and its reward
    summed over all `steps`, under the action batches `acts` in turn."""
    first = np.zeros(games, np.int64)
    reward = np.zeros(games)
    for t in range(steps):
        env.step(acts[t % len(acts)])
        reward += env.rewards.reshape(games, -1).sum(1, dtype=np.float64)
        ended = env.terminals.reshape(games, -1)[:, 0].astype(bool) & (first == 0)
        first[ended] = t + 1
    return first, reward


def play(side, games, steps, seed=0):
    """One side's run ("ours" or "c"): (first episode lengths, reward per agent-step of each
    game, the env's log). The C reads resources/moba/ from the current folder."""
    from benchmarks.ocean import c_env, our_env, random_actions
    env = (our_env if side == "ours" else c_env)("moba", games, seed)
    if side == "ours":
        env.reset(seed=seed)
    acts = random_actions(env.single_action_space, env.num_agents, 64, seed).astype(env.actions.dtype)
    first, reward = random_play(env, games, steps, acts)
    if side == "ours":
        log = env.log()
    else:
        from pufferlib.ocean.moba import binding
        log = binding.vec_log(env.c_envs)
    env.close()
    return first, reward / (5 * steps), log


def summary(first, per_step):
    """Pooled figures of one side: games, ended, mean first episode length, reward per
    agent-step and its standard error."""
    return dict(games=len(first), ended=int((first > 0).sum()), length=float(first[first > 0].mean()) if (first > 0).any() else 0.0,
                reward=float(per_step.mean()), reward_se=float(per_step.std() / np.sqrt(len(first))))


def rel(a, b):
    """a / b - 1, or nan where b is 0 (a run too short for any reward or end)."""
    return a / b - 1 if b else float("nan")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--games", type=int, default=448)
    parser.add_argument("--steps", type=int, default=5000)
    parser.add_argument("--seeds", type=int, default=4, help="seeds 0..N-1, each a run of --games a side")
    args = parser.parse_args()
    import pufferlib
    own = os.path.join(os.path.dirname(pufferlib.__file__), "resources")
    if not os.path.lexists("resources"):  # (`import pufferlib` usually made it already)
        os.symlink(own, "resources")
    if os.path.realpath("resources") != os.path.realpath(own):  # the C reads its map from there
        sys.exit(f"moba_parity: ./resources is not PufferLib's own ({own}); run from a scratch folder")
    runs = {"ours": ([], []), "c": ([], [])}
    for seed in range(args.seeds):
        for side, (firsts, rewards) in runs.items():
            first, per_step, _ = play(side, args.games, args.steps, seed)
            firsts.append(first)
            rewards.append(per_step)
        s = {side: summary(f[-1], r[-1]) for side, (f, r) in runs.items()}
        print(f"seed {seed}: reward/agent-step ours {s['ours']['reward']:.6f} C {s['c']['reward']:.6f} "
              f"({rel(s['ours']['reward'], s['c']['reward']):+.1%}); first episode ours {s['ours']['length']:.0f} "
              f"C {s['c']['length']:.0f} steps", flush=True)
    s = {side: summary(np.concatenate(f), np.concatenate(r)) for side, (f, r) in runs.items()}
    se = np.hypot(s["ours"]["reward_se"], s["c"]["reward_se"]) / s["c"]["reward"] if s["c"]["reward"] else float("nan")
    print(f"pooled, {s['ours']['games']} games a side: reward per agent-step "
          f"{rel(s['ours']['reward'], s['c']['reward']):+.2%} (standard error of the difference {se:.2%}); "
          f"first episode length {rel(s['ours']['length'], s['c']['length']):+.2%} "
          f"(ended: ours {s['ours']['ended']}, C {s['c']['ended']})")


if __name__ == "__main__":
    main()
