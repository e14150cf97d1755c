"""numbapuffer's ports of PufferLib's Ocean envs beside PufferLib 3.0.0's own C.

PAIRS names, for each env shared with PufferLib, our id and params and the C env's class and
kwargs for the same game. Two uses, one table:
- parity (tests/test_ocean.py): the same uniform random policy in both, measured from the
  buffers: agent-steps per episode end and reward per agent-step;
- speed (this script): env.step of both, 1 thread and 2 threads for ours (the C's vec_step is
  one loop on one core), interleaved rounds in one process; prints every env's ratio.

PufferLib's C is built by ../shared/tools/build_pufferlib.sh VENV all; run this with that
venv's python, from a scratch folder (`import pufferlib` makes a `resources` symlink there):

    VENV/bin/python benchmarks/ocean.py [--num-envs 4096] [--rounds 7] [--seconds 0.5] [ENV ...]
"""
import importlib
import os
import sys
from dataclasses import dataclass, field

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@dataclass(frozen=True)
class Pair:
    c_class: str                 # "module.path:Class" of PufferLib's Python wrapper over its C
    c_kwargs: dict = field(default_factory=dict)
    params: dict = field(default_factory=dict)   # our params for the same game (a preset)
    games: int = 4096            # games for the speed table (fewer for the large worlds)
    parity_games: int = 256      # games and steps of the parity run: enough episodes that
    parity_steps: int = 2000     # sampling noise stays well inside the tolerances
    id: str = ""                 # our env id, where it differs from the key
    ends: bool = True            # False: a game that never ends, in the C and here (reward per step only)
    parity: str = ""             # why the C's buffers cannot be compared, where they cannot (and which
                                 # test compares the game with the C instead); "" where they can


PAIRS = {
    "cartpole": Pair("pufferlib.ocean.cartpole.cartpole:Cartpole", parity_games=512, parity_steps=1000),
}


def c_folders():
    """The folders under pufferlib/ocean of the C envs in PAIRS (what the build script compiles)."""
    return sorted({pair.c_class.split(".")[2] for pair in PAIRS.values()})


def our_env(name, num_envs, seed=0):
    import numbapuffer as npf
    pair = PAIRS[name]
    return npf.make(pair.id or name, num_envs=num_envs, seed=seed, **pair.params)


def c_env(name, num_envs, seed=0):
    pair = PAIRS[name]
    module, cls = pair.c_class.split(":")
    env = getattr(importlib.import_module(module), cls)(num_envs=num_envs, **pair.c_kwargs)
    env.reset(seed=seed)
    return env


def random_actions(space, agents, count, seed):
    """`count` batches of uniform random actions for `agents` agents of one action space
    (Discrete, MultiDiscrete or Box), drawn ahead of time."""
    rng = np.random.default_rng(seed)
    if hasattr(space, "nvec"):
        return rng.integers(0, space.nvec, (count, agents, len(space.nvec)))
    if hasattr(space, "n"):
        return rng.integers(0, space.n, (count, agents))
    return rng.uniform(space.low, space.high, (count, agents, *space.shape)).astype(space.dtype)


def random_play(env, steps, seed=0):
    """Step `env` (ours or the C's: both expose the same buffers) under a uniform random policy;
    returns agent-steps, episode ends (terminal or truncated agent rows) and the reward sum."""
    agents = env.num_agents
    acts = random_actions(env.single_action_space, agents, 64, seed).astype(env.actions.dtype)
    ends, reward = 0, 0.0
    for t in range(steps):
        env.step(acts[t % 64])
        ends += int(np.count_nonzero(env.terminals | env.truncations))
        reward += float(env.rewards.sum(dtype=np.float64))
    return {"agent_steps": agents * steps, "ends": ends, "reward": reward}


def parity(name, seed=0):
    """(ours, the C's) random-play figures: agent-steps per episode end, reward per agent-step."""
    pair = PAIRS[name]
    out = []
    for make in (our_env, c_env):
        env = make(name, pair.parity_games, seed)
        if make is our_env:
            env.reset(seed=seed)
        r = random_play(env, pair.parity_steps, seed)
        env.close()
        out.append({"steps_per_end": r["agent_steps"] / max(r["ends"], 1),
                    "reward_per_step": r["reward"] / r["agent_steps"], "ends": r["ends"]})
    return tuple(out)


def main():
    import numba
    from numbapuffer.tools.bench import interleaved, interleaved_parser, machine
    parser = interleaved_parser(__doc__)
    parser.add_argument("envs", nargs="*", help="default: every env in PAIRS")
    args = parser.parse_args()
    threads = [t for t in (1, 2) if t <= numba.config.NUMBA_NUM_THREADS]
    print(f"{'env':>14} {'games':>6} {'C steps/s':>13} " + " ".join(f"{f'{t} thr':>13} {'ratio':>6}" for t in threads))
    for name in args.envs or PAIRS:
        n = min(args.num_envs, PAIRS[name].games)
        ours, c = our_env(name, n), c_env(name, n)
        ours.reset(seed=0)
        acts = random_actions(ours.single_action_space, ours.num_agents, 64, 0)
        cases = {"c": (c.step, acts.astype(c.actions.dtype), c.num_agents, None)}
        for t in threads:
            cases[t] = (ours.step, acts.astype(ours.actions.dtype), ours.num_agents, t)
        rates = interleaved(cases, args.seconds, args.rounds)
        row = " ".join(f"{rates[t]:>13,.0f} {rates[t] / rates['c']:>6.2f}" for t in threads)
        print(f"{name:>14} {n:>6} {rates['c']:>13,.0f} {row}", flush=True)
        c.close()
        ours.close()
    print(f"median of {args.rounds} interleaved rounds of {args.seconds:g} s; {machine()}")


if __name__ == "__main__":
    main()
