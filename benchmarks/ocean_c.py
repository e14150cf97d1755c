"""PufferLib's C envs as the parity tests and the speed table need them (benchmarks/ocean.py):
each wrapper puts back into the buffers what its C leaves out (episode ends that its reset
clears, levels or maps drawn from the clock), so that both sides are measured alike."""
import numpy as np


def CBlastar(**kwargs):
    """PufferLib's Blastar with its terminals cleared before each step, as every env's are: its C
    only ever writes 1 there, so one game over would read as an episode end on every later step."""
    from pufferlib.ocean.blastar.blastar import Blastar

    class Cleared(Blastar):
        def step(self, actions):
            self.terminals[:] = False
            return super().step(actions)
    return Cleared(**kwargs)


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

        def step(self, actions):
            out = super().step(actions)
            np.equal(self.rewards, 1, out=self.truncations)
            return out
    return Flagged(**kwargs)


def c_enduro(num_envs, **kwargs):
    """PufferLib's Enduro with its episode ends put back in `terminals`: its C sets the flag
    and clears it again in the same step (reset_round). An end is the clock wrapping (the
    time-of-day observation falling) without a day completed (cars to pass reset to 300).
    Seeded (0) as PufferLib's other envs are by default: Enduro's own default draws its seed,
    which sets each game's first time of day, from Python's unseeded `random`."""
    from pufferlib.ocean.enduro.enduro import Enduro

    class CEnduro(Enduro):
        def reset(self, seed=None):
            self._clock = np.zeros(self.num_agents, np.float32)
            return super().reset(seed)

        def step(self, actions):
            out = super().step(actions)
            clock = self.observations[:, 62]
            self.terminals[:] = (clock < self._clock) & (self.observations[:, 63] != 1.5)
            self._clock[:] = clock
            return out

    kwargs.setdefault("seed", 0)
    return CEnduro(num_envs=num_envs, **kwargs)


def c_tower_climb(num_envs, **kwargs):
    """PufferLib's Tower Climb on our bank of levels, with its episode ends counted.

    Its C makes its levels at start-up from the clock (random play then differs by 10-15%
    from run to run), so ours are written over them (through ctypes, before any reset).
    It clears `terminals` in the step that sets them and sets no flag at its time limit, so
    each step reads its log (as its wrapper's default report_interval=1 does) and marks that
    many rows ended (the count is right, the rows are not). `totals` sums the log fields."""
    import ctypes

    from numbapuffer.envs import tower_climb_levels as bank
    from numbapuffer.envs.tower_climb_rules import UP
    from pufferlib.ocean.tower_climb import binding
    from pufferlib.ocean.tower_climb.tower_climb import TowerClimb

    class Level(ctypes.Structure):
        _fields_ = [("map", ctypes.POINTER(ctypes.c_int))] + [
            (k, ctypes.c_int) for k in ("rows", "cols", "size", "total_length", "goal_location", "spawn_location")]

    class Puzzle(ctypes.Structure):
        _fields_ = [("blocks", ctypes.POINTER(ctypes.c_ubyte))] + [
            (k, ctypes.c_int) for k in ("robot_position", "robot_orientation", "robot_state", "block_grabbed")]

    class CTowerClimb(TowerClimb):
        totals = None

        def __init__(self, num_maps=50, **kw):
            super().__init__(num_maps=num_maps, **kw)
            shared = ctypes.cast(self.c_state, ctypes.py_object).value
            levels = (Level * num_maps).from_address(shared["levels"])
            puzzles = (Puzzle * num_maps).from_address(shared["puzzles"])
            for k in range(num_maps):
                cubes = bank.LEVEL_BLOCKS[k].astype(np.int32)
                cubes[bank.LEVEL_GOAL[k]] = 2
                ctypes.memmove(levels[k].map, cubes.ctypes.data, cubes.nbytes)
                levels[k].goal_location, levels[k].spawn_location = int(bank.LEVEL_GOAL[k]), int(bank.LEVEL_SPAWN[k])
                bits = np.packbits(bank.LEVEL_BLOCKS[k], bitorder="little")
                ctypes.memmove(puzzles[k].blocks, bits.ctypes.data, bits.nbytes)
                puzzles[k].robot_position, puzzles[k].robot_orientation = int(bank.LEVEL_SPAWN[k]), UP
                puzzles[k].robot_state, puzzles[k].block_grabbed = 0, -1

        def step(self, actions):
            out = super().step(actions)
            log = binding.vec_log(self.c_envs)
            n = int(log.get("n", 0))
            self.terminals[:] = False
            self.terminals[:n] = True
            self.totals = self.totals or {}
            for k, v in log.items():
                self.totals[k] = self.totals.get(k, 0.0) + (v * n if k != "n" else v)
            return out

    return CTowerClimb(num_envs=num_envs, report_interval=2**62, **kwargs)


def go_with_ends(num_envs, **kwargs):
    """PufferLib 3.0.0's Go with its episode ends in `terminals`: its C clears the terminal flag
    when it resets the game that just ended (c_reset), so none reaches the buffers. A step
    ended a game where the observation is a fresh game's, all zero (an empty board, nothing
    captured): Go's observation is never all zero otherwise (every step that goes on leaves
    a stone on the board). One `any` over the observations: ~1% of the C's step."""
    from pufferlib.ocean.go.go import Go

    class GoEnds(Go):
        def step(self, actions):
            self.terminals[:] = False  # the C reads the flag: set, it would end the game again
            out = super().step(actions)
            self.terminals[:] = ~self.observations.any(axis=1)
            return out

    return GoEnds(num_envs=num_envs, **kwargs)


def target_with_ends(num_envs, **kwargs):
    """PufferLib 3.0.0's Target with its log's episode ends in `truncations`: its C never ends
    an episode in the buffers but logs one each time an agent eats a goal (reward 1), where
    ours truncates that agent's episode (numbapuffer/envs/target.py)."""
    from pufferlib.ocean.target.target import Target

    class TargetEnds(Target):
        def step(self, actions):
            out = super().step(actions)
            self.truncations[:] = self.rewards > 0
            return out

    return TargetEnds(num_envs=num_envs, **kwargs)


def c_moba(num_envs, **kwargs):
    """PufferLib's Moba with the end of each game shown as terminals: its C never sets them, and
    restarts a game inside the step when an ancient falls. Each C game's `tick` (an int 28 bytes
    into its struct MOBA, after a pointer, two ints and two bools, and two more ints) is 0 right
    after a step only when it restarted; one strided view per run of equally spaced structs
    reads them all (as CGrid's)."""
    import ctypes
    from pufferlib.ocean.moba.moba import Moba

    class Flagged(Moba):
        def __init__(self, **kw):
            super().__init__(**kw)
            envs = ctypes.cast(ctypes.c_void_p(self.c_envs), ctypes.POINTER(ctypes.POINTER(ctypes.c_void_p)))[0]
            self._games = num_envs
            self._ticks = [np.frombuffer((ctypes.c_char * 4).from_address(envs[i] + 28), np.int32)
                           for i in range(num_envs)]

        def step(self, actions):
            out = super().step(actions)
            ended = np.array([t[0] == 0 for t in self._ticks])
            self.terminals[:] = np.repeat(ended, self.num_agents // self._games)
            return out
    return Flagged(num_envs=num_envs, report_interval=10**9, **kwargs)
