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
    "blastar": Pair("benchmarks.ocean_c:CBlastar", parity_games=2048, parity_steps=8000),
    # Boids never end, in the C and (max_steps=0) here: no parity test can count episodes;
    # tests/test_boids.py compares reward per step.
    "boids": Pair("pufferlib.ocean.boids.boids:Boids", params=dict(max_steps=0), ends=False),
    "breakout": Pair("pufferlib.ocean.breakout.breakout:Breakout", params={"preset": "pufferlib"}, parity_games=1024,
                     parity_steps=1000),
    "cartpole": Pair("pufferlib.ocean.cartpole.cartpole:Cartpole", params={"preset": "pufferlib"}, parity_games=512,
                     parity_steps=1000),
    "checkers": Pair("pufferlib.ocean.checkers.checkers:Checkers", parity_games=1024, parity_steps=2000,
                     parity="its C clears the terminal flag and the +-1 it wrote in the same step, and its random "
                            "player reseeds from the clock before every move; tests/test_checkers.py checks the rules"),
    # the C restarts a finished game in the next step: autoreset="next_step" (an Env argument)
    "connect4": Pair("pufferlib.ocean.connect4.connect4:Connect4", params={"preset": "pufferlib", "autoreset": "next_step"},
                     parity_games=256, parity_steps=400),
    # Days are 13920 steps and every episode of ours starts at dawn, where the C starts each
    # game's first at a random time of day: four days and a bit see each of ours end 4 times
    # (the C's, 4.006 times), and dilute the C's extra episode starts. ~40 s: 1000 episode ends
    # are 14M steps of ~1 us.
    "enduro": Pair("benchmarks.ocean_c:c_enduro", parity_games=256, parity_steps=4 * 13920 + 80),
    "freeway": Pair("pufferlib.ocean.freeway.freeway:Freeway", parity_games=2048, parity_steps=2040),
    "go": Pair("benchmarks.ocean_c:go_with_ends", parity_games=256, parity_steps=2000),
    # A pool of 8192 maps (its .ini's) on both sides: the C draws its pool anew each run, and
    # 1000 maps (the default) leave +-3.5% between its own runs' reward per step.
    "grid": Pair("benchmarks.ocean_c:CGrid", dict(render_mode=None, num_maps=8192), dict(num_maps=8192),
                 parity_games=1024, parity_steps=4000),
    # Random play loses every game to the scripted dire side after 3680 +- 400 steps: 448 games
    # of 5000 steps (~95 s for both sides; ~25 KB of our state a game, 0.4 MB of the C's).
    "moba": Pair("benchmarks.ocean_c:c_moba", games=512, parity_games=448, parity_steps=5000,
                 parity="a game's reward comes in lumps (hero kills, towers) and varies by ~70% between games: "
                        "reward per agent-step within 3% would take ~10,000 games a side (~25 min of the C). "
                        "tests/test_moba.py compares steps per episode end within 2%, reward per agent-step "
                        "within 3 standard errors, and the logged stats"),
    "pacman": Pair("pufferlib.ocean.pacman.pacman:Pacman", parity_games=1024, parity_steps=1200),
    "pong": Pair("pufferlib.ocean.pong.pong:Pong", params={"preset": "pufferlib"}, parity_games=2048,
                 parity_steps=3000),
    # 27 of the tiny map's 32 shelves requested (default 4): round trips ~3x as common. Many
    # games, few steps: a game's round trips come slowly and in streaks, so ~4600 of them from
    # 8192 games (sampling noise ~1.5%) rather than from fewer games played longer.
    "rware": Pair("benchmarks.ocean_c:CRware", dict(num_requested_shelves=27, report_interval=10**9),
                  dict(num_requested_shelves=27), parity_games=8192, parity_steps=1000),
    # PufferLib's sizes are make_game's, not params: our game is made here (c_envs: 16 games of 256 snakes)
    "snake": Pair("pufferlib.ocean.snake.snake:Snake", params={"preset": "pufferlib"}, games=16, parity_games=16,
                  parity_steps=300, id=importlib.import_module("numbapuffer.envs.snake").make_game(
                      **importlib.import_module("numbapuffer.envs.snake").PUFFERLIB_SIZES),
                  parity="its C never sets terminals: tests/test_snake.py compares its logged lives, return and "
                         "length with ours"),
    "squared": Pair("pufferlib.ocean.squared.squared:Squared", params={"preset": "pufferlib"}, parity_games=512,
                    parity_steps=1000),
    # a small field, so goals are eaten often enough for a sharp test (the default field's
    # 1080x720: one goal per ~2400 agent-steps, compared in tests/test_target.py's log test)
    "target": Pair("benchmarks.ocean_c:target_with_ends", dict(width=200, height=200), dict(width=200, height=200),
                   parity_games=1024, parity_steps=2000),
    "tetris": Pair("pufferlib.ocean.tetris.tetris:Tetris", parity_games=256, parity_steps=4000),
    # Both on our 50 levels (the C still makes its own first, ~25 s); ~35 steps an episode.
    "tower_climb": Pair("benchmarks.ocean_c:c_tower_climb", parity_games=512, parity_steps=400),
    # random play never clears the grid: every episode runs its 300 steps; the reward carries the test
    "trash_pickup": Pair("pufferlib.ocean.trash_pickup.trash_pickup:TrashPickupEnv", parity_games=512,
                         parity_steps=3000),
    # c_dones: the C signals no end at its time limit and spends a step on each reset
    "tripletriad": Pair("pufferlib.ocean.tripletriad.tripletriad:TripleTriad", params=dict(c_dones=True),
                        parity_games=4096, parity_steps=3000),
}


def c_folders():
    """The folders under pufferlib/ocean of the C envs in PAIRS (what the build script compiles)."""
    return sorted(PAIRS)  # PufferLib's names: our ids are its folders


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
        # one env of ours per thread count, each with the default kernel choice (threads.Pacer),
        # as a user gets it: one env stepped at both counts in turn would carry the choice it
        # measured at one count into the rounds of the other
        ours = {t: our_env(name, n) for t in threads}
        c = c_env(name, n)
        first = ours[threads[0]]
        acts = random_actions(first.single_action_space, first.num_agents, 64, 0)
        cases = {"c": (c.step, acts.astype(c.actions.dtype), c.num_agents, None)}
        for t, env in ours.items():
            env.reset(seed=0)
            cases[t] = (env.step, acts.astype(env.actions.dtype), env.num_agents, t)
        rates = interleaved(cases, args.seconds, args.rounds)
        row = " ".join(f"{rates[t]:>13,.0f} {rates[t] / rates['c']:>6.2f}" for t in threads)
        print(f"{name:>14} {n:>6} {rates['c']:>13,.0f} {row}", flush=True)
        c.close()
        for env in ours.values():
            env.close()
    print(f"median of {args.rounds} interleaved rounds of {args.seconds:g} s; {machine()}")


if __name__ == "__main__":
    main()
