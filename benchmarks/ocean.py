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


PAIRS = {
    "blastar": Pair("benchmarks.ocean_c:CBlastar", parity_games=2048, parity_steps=8000),
    # Boids never end, in the C and (max_steps=0) here: no parity test can count episodes;
    # tests/test_boids.py compares reward per step.
    "boids": Pair("pufferlib.ocean.boids.boids:Boids", params=dict(max_steps=0)),
    "breakout": Pair("pufferlib.ocean.breakout.breakout:Breakout", params={"preset": "pufferlib"}, parity_games=1024,
                     parity_steps=1000),
    "cartpole": Pair("pufferlib.ocean.cartpole.cartpole:Cartpole", parity_games=512, parity_steps=1000),
    # The C never reports an end (its reset clears the terminal it set), so the parity test
    # cannot pass here: tests/test_checkers.py and the report give the rule checks.
    "checkers": Pair("pufferlib.ocean.checkers.checkers:Checkers", parity_games=1024, parity_steps=2000),
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
                      **importlib.import_module("numbapuffer.envs.snake").PUFFERLIB_SIZES)),
    "squared": Pair("pufferlib.ocean.squared.squared:Squared", params={"preset": "pufferlib"}, parity_games=512,
                    parity_steps=1000),
    "tetris": Pair("pufferlib.ocean.tetris.tetris:Tetris", parity_games=256, parity_steps=4000),
    # Both on our 50 levels (the C still makes its own first, ~25 s); ~35 steps an episode.
    "tower_climb": Pair("benchmarks.ocean_c:c_tower_climb", parity_games=512, parity_steps=400),
    # c_dones: the C signals no end at its time limit and spends a step on each reset
    "tripletriad": Pair("pufferlib.ocean.tripletriad.tripletriad:TripleTriad", params=dict(c_dones=True),
                        parity_games=4096, parity_steps=3000),
    "go": Pair("benchmarks.ocean:go_with_ends", parity_games=256, parity_steps=2000),
    # a small field, so goals are eaten often enough for a sharp test (the default field's
    # 1080x720: one goal per ~2400 agent-steps, compared in tests/test_target.py's log test)
    "target": Pair("benchmarks.ocean:target_with_ends", dict(width=200, height=200), dict(width=200, height=200),
                   parity_games=1024, parity_steps=2000),
    "tetris": Pair("pufferlib.ocean.tetris.tetris:Tetris", parity_games=256, parity_steps=4000),
    # random play never clears the grid: every episode runs its 300 steps; the reward carries the test
    "trash_pickup": Pair("pufferlib.ocean.trash_pickup.trash_pickup:TrashPickupEnv", parity_games=512,
                         parity_steps=3000),
}


def c_folders():
    """The folders under pufferlib/ocean of the C envs in PAIRS (what the build script compiles)."""
    return sorted(PAIRS)  # PufferLib's names: our ids are its folders


def target_with_ends(num_envs, **kwargs):
    """PufferLib 3.0.0's Target with its log's episode ends in `truncations`: its C never ends
    an episode in the buffers but logs one each time an agent eats a goal (reward 1), where
    ours truncates that agent's episode (numbapuffer/envs/target.py)."""
    from pufferlib.ocean.target.target import Target
def CRware(**kwargs):
    """PufferLib's Rware with its logged episodes (a robot's round trip, ended by putting a shelf
    back: the only reward of exactly 1) shown as truncations, since its C never ends an episode;
    and each game given its own start. Its C reseeds rand() from the clock at every reset, so all
    games made in one second start alike (the same requested shelves, robots, headings), and its
    figures then swing by +-40% from run to run. After reset, each game's start is drawn again
    here as its C draws it (the tiny map, `num_requested_shelves` of its 32 shelves requested,
    robots on distinct free cells facing any way), written into its struct CRware: the map at
    byte 96, robots' cells at 112, headings at 128, loads at 136 (after six pointers, its Log
    and four ints)."""
    import ctypes
    from pufferlib.ocean.rware.rware import Rware
    from numbapuffer.envs.rware import FLOOR, LAYOUT_1, REQUESTED, SHELVES_1

    class Flagged(Rware):
        def __init__(self, num_envs=1, num_agents=4, num_requested_shelves=4, **kw):
            super().__init__(num_envs=num_envs, num_agents=num_agents, num_requested_shelves=num_requested_shelves,
                             map_choice=1, **kw)
            self._games, self._robots, self._requested = num_envs, num_agents, num_requested_shelves
            envs = ctypes.cast(ctypes.c_void_p(self.c_envs), ctypes.POINTER(ctypes.POINTER(ctypes.c_void_p)))[0]
            self._structs = [envs[i] for i in range(num_envs)]

        def _field(self, struct, offset, n):
            address = ctypes.c_void_p.from_address(struct + offset).value
            return np.ctypeslib.as_array((ctypes.c_int * n).from_address(address))

        def reset(self, seed=0):
            out = super().reset(seed)
            rng = np.random.default_rng(seed)
            floor = np.flatnonzero(LAYOUT_1 == FLOOR)
            for struct in self._structs:
                cells = LAYOUT_1.astype(np.int32)
                cells[rng.choice(SHELVES_1, self._requested, replace=False)] = REQUESTED
                self._field(struct, 96, len(cells))[:] = cells
                self._field(struct, 112, self._robots)[:] = rng.choice(floor, self._robots, replace=False)
                self._field(struct, 128, self._robots)[:] = rng.integers(0, 4, self._robots)
                self._field(struct, 136, self._robots)[:] = 0
            return out

    class TargetEnds(Target):
        def step(self, actions):
            out = super().step(actions)
            self.truncations[:] = self.rewards > 0
            return out

    return TargetEnds(num_envs=num_envs, **kwargs)

def CGrid(**kwargs):
    """PufferLib's Grid with its horizon resets shown as truncations: its C restarts a game at
    the horizon without flagging it. Each C game's `tick` (an int 40 bytes into its struct
    Grid, after two pointers and six ints) is 0 right after a step only when it restarted.
    The structs lie in runs of equal spacing in memory: one strided numpy view per run reads
    them all in microseconds, so the C's speed is measured as it is."""
    import ctypes
    from pufferlib.ocean.grid.grid import Grid

    class Flagged(Grid):
        def __init__(self, **kw):
            super().__init__(**kw)
            envs = ctypes.cast(ctypes.c_void_p(self.c_envs), ctypes.POINTER(ctypes.POINTER(ctypes.c_void_p)))[0]
            addresses = [envs[i] + 40 for i in range(self.num_agents)]
            self._runs, i = [], 0
            while i < len(addresses):
                j, stride = i + 1, (addresses[i + 1] - addresses[i] if i + 1 < len(addresses) else 4)
                while (j < len(addresses) and addresses[j] - addresses[j - 1] == stride and stride % 4 == 0
                       and stride > 0):
                    j += 1
                if j == i + 1:
                    stride = 4
                raw = (ctypes.c_char * (stride * (j - i - 1) + 4)).from_address(addresses[i])
                self._runs.append(np.frombuffer(raw, np.int32)[::stride // 4])
                i = j

        def step(self, actions):
            out = super().step(actions)
            np.equal(np.concatenate(self._runs), 0, out=self.truncations)
            self.truncations &= ~self.terminals.astype(bool)
            return out
    return Flagged(**kwargs)


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
