"""The engine: a game's per-game @njit functions become one vector env of `num_envs` games.

A game author declares a `Game` (state record dtype, spaces of one agent, agents per game,
params, extra log fields) and writes two ordinary @njit functions:

    reset(s, p, buf, a)    start a new game in record `s`, write its observations
    step(s, p, buf, a)     advance record `s` by one step of its agents' actions

`s` is the game's state record, `p` the params record, `buf` a namedtuple of the env's
buffers `observations, actions, rewards, terminals, truncations, masks` and `episode`
(each agent's record of its running episode's log fields), and `a` the index of the
game's first agent in them: a one-agent game reads `buf.actions[a]` and writes
`buf.rewards[a]`; agent k of a game is `a + k`. The engine owns the rest: buffers, the
prange loop, clearing rewards and dones before each step, autoreset when all of a game's
agents are done, episode stats, seeding, input checks and the on-disk kernel cache.
A game's agents are all done when each is terminal, truncated or out of play (`masks`
False: set by a game whose agents leave it, e.g. a dead snake that does not respawn).

Rewards, terminals and truncations are cleared before `step`; masks are set true before
`reset`. `step` writes the observation of the state it leaves, also when the game ends
(gymnasium's final observation); the engine then resets the game, and `reset` writes the
new game's first observation. The engine adds each step's reward to `episode_return` and 1 to
`episode_length`; `step` may set other log fields. Game code must not allocate (the
kernels run without reference counting) and must draw randomness from `rand*(s)` only.
"""
import copy
from threading import get_ident
from time import perf_counter

import numba
import numpy as np
from gymnasium import spaces
from gymnasium.vector.utils import batch_space

from numbapuffer.engine import debug as checked_mode
from numbapuffer.engine import logs, render, threads
from numbapuffer.engine.buffers import (
    BUFFERS,
    adopt,
    allocate,
    buffer_specs,
    check_memory,
)
from numbapuffer.engine.checks import (
    INT32_MAX,
    action_bounds,
    check_count,
    check_mask,
    check_range,
    take_discrete,
    write_actions,
)
from numbapuffer.engine.errors import compile_error, debug_requested, game_raised
from numbapuffer.engine.game import Game
from numbapuffer.engine.guards import SNAPSHOT, Turn, check_snapshot, held
from numbapuffer.engine.kernels import kernels
from numbapuffer.engine.pickling import factory
from numbapuffer.engine.records import records
from numbapuffer.engine.render import View
from numbapuffer.engine.streams import (
    entropy,
    game_streams,
    rand,
    rand_float,
    rand_int,
    seed_streams,
)

# What a game author imports: Game, View, the random streams, check_range for params, factory
__all__ = ["Env", "Game", "View", "ended_games", "rand", "rand_float", "rand_int", "seed_streams", "check_range",
           "INT32_MAX", "factory"]

AUTORESET = ("same_step", "next_step", "disabled")  # kernel codes 0, 1, 2
# Below this many agents the serial kernel is used: launching threads costs ~2-4 us, more
# than it saves on little work (Pong on 2 threads: serial wins up to ~700 games; games
# that cost more per step cross over sooner). Agents, not games, measure the work: 16 games
# of PufferLib's Snake are 4096 snakes, which two threads step 1.4x faster than one. From
# this many on, the env steps with whichever kernel is faster right now (threads.Pacer).
# Env.use_serial() overrides.
SERIAL_BELOW = 256


# ---------------------------------------------------------------------------------------
# The env
# ---------------------------------------------------------------------------------------
class Env:
    """A vector of `num_envs` games of one `Game`, stepped by one kernel call per step.

    buf: None to allocate the buffers, or an object (or dict) with arrays `observations,
    actions, rewards, terminals, truncations, masks` to write into, e.g. slices of shared
    memory. game_offset: global index of this env's first game (for backends that split
    one vector of games across processes: game i gets the same random stream anywhere).
    report_interval: every this many steps, `step`'s infos carry the log of the episodes
    finished since the last report, when any (log() still returns them too).
    autoreset: "same_step" (native: a finished game restarts in the step that ends it,
    returning the new game's first observation with terminal set), "next_step" (the step
    after it restarts the game instead of stepping it, with reward 0, as gymnasium's
    NEXT_STEP), or "disabled" (finished games stay ended, not stepped, reward 0, until
    `reset(mask=...)`).
    debug: step with the checked kernels (see numbapuffer.engine.debug), which turn an index out of
    range, a neighbour's rows, a params write or a non-finite observation or reward into a
    GameStepError naming the game, the step and the line. Default: NUMBAPUFFER_DEBUG set.
    """

    def __init__(self, game: Game, num_envs: int = 1, seed: int | None = None, buf=None,
                 render_mode: str | None = None, report_interval: int = 128, game_offset: int = 0,
                 autoreset: str = "same_step", debug: bool | None = None, **params):
        num_envs = check_count(num_envs, "num_envs", f"{game.name}: ")
        if render_mode is not None and render_mode not in game.render_modes:
            offered = ", ".join(repr(m) for m in (None,) + game.render_modes)
            why = "" if game.render_modes else " (the game declares no view: Game(..., view=View(...)))"
            raise ValueError(f"{game.name}: render_mode must be one of {offered}{why}, got {render_mode!r}")
        if autoreset not in AUTORESET:
            raise ValueError(f"{game.name}: autoreset must be one of {', '.join(AUTORESET)}, got {autoreset!r}")
        specs = buffer_specs(game.observation_space, game.action_space, num_envs * game.agents)
        f = len(game.log_fields)
        check_memory(game.name, specs, num_envs * game.state.itemsize + num_envs * game.agents * (2 * f + 1) * 8,
                     buffers=buf is None)
        self.game = game
        # The kernels read _params; users read env.params, a read-only view of it, and change
        # it only through set_params, which checks the values as make does.
        self._params = game.make_params(**params)
        self._params_view = self._params.view()
        self._params_view.flags.writeable = False
        self.num_envs = int(num_envs)
        self.agents_per_game = game.agents
        self.num_agents = self.num_envs * game.agents
        self.single_observation_space = game.observation_space
        self.single_action_space = game.action_space
        self.observation_space = batch_space(game.observation_space, self.num_agents)
        self.action_space = batch_space(game.action_space, self.num_agents)
        self.render_mode = render_mode
        self.metadata = {"render_modes": list(game.render_modes), "render_fps": game.view.fps if game.view else None}
        self._renderer = None
        self.reports = logs.Reports(report_interval, f"{game.name}: ")
        self.autoreset = autoreset
        self.game_offset = int(game_offset)
        self.debug = debug_requested() if debug is None else bool(debug)
        self._kernels = kernels(game, checked=self.debug)

        n, space = self.num_agents, game.action_space
        arrays = {k: allocate(*spec) for k, spec in specs.items()} if buf is None else adopt(game.name, buf, specs)
        for name in BUFFERS:  # read through the properties below (guards.held), which refuse rebinding
            setattr(self, "_" + name, arrays[name])
        self._state = allocate(self.num_envs, game.state)
        # What the kernels read as the actions: a private copy, written only by _write_actions
        # once checked, so that no write into env.actions (another thread's, or a backend's
        # shared memory, or a restored snapshot) reaches a kernel unchecked. Each step writes
        # it before its kernel reads it, so snapshots need not hold it.
        self._kernel_actions = allocate(*specs["actions"])
        self._turn = Turn(game.name)
        # Per agent: the running episode's log fields (records for game code; the engine
        # reads the same memory as a 2-D array), and the sums over finished episodes.
        self.episodes = allocate(n, logs.log_dtype(game.log_fields, count=False))
        self.logs = allocate(n, logs.log_dtype(game.log_fields))
        self._all = np.ones(self.num_envs, np.bool_)
        self._seed_games(self._all, entropy() if seed is None else seed)
        self.env_ids = np.arange(self.num_agents)
        self._infos = []
        self._lo, self._hi = action_bounds(space)
        self._discrete = (int(self._lo[0]), int(self._hi[0])) if isinstance(space, spaces.Discrete) else None
        self._ready = False
        self.closed = False
        self.use_serial(True if self.num_agents < SERIAL_BELOW else None)
        threads.track(self)  # a forked child steps it with the serial kernels (threads.forked)
        if render_mode == "human":  # as gymnasium's envs: the window follows every reset and step
            self.reset, self.step = _shown(self, self.reset), _shown(self, self.step)

    def use_serial(self, serial: bool | None = True):
        """Step with the serial kernel (True), the parallel one (False), or whichever is
        faster on this machine right now (None, the default from SERIAL_BELOW agents on: the
        env times its steps and re-measures as the load changes; see threads.Pacer). A debug
        env always steps with its serial, checked kernels; so does every env of a process forked
        after its thread pool started (threads.forked)."""
        with self._turn("use_serial"):
            self._use_serial(serial)

    def _use_serial(self, serial):
        k = self._kernels
        self.serial = serial
        serial = True if self.debug or threads.forked else serial
        fields = records if numba.config.DISABLE_JIT else (lambda a: a)
        n, f = self.num_agents, len(self.game.log_fields)
        self._buffers = (fields(self.state), fields(self._params), self.observations, self._kernel_actions,
                         self.rewards, self.terminals, self.truncations, self.masks, fields(self.episodes),
                         self.episodes.view(np.float64).reshape(n, f))
        # One chunk of games per thread Numba may run; with fewer threads active, a thread
        # takes several chunks.
        self._chunks = min(self.num_envs, numba.config.NUMBA_NUM_THREADS)
        self._progress = np.zeros(self._chunks, np.int64)  # games each chunk went through (engine/template.py)
        self._step_args = self._buffers + (self.logs.view(np.float64).reshape(n, f + 1), self._chunks,
                                           self._progress, AUTORESET.index(self.autoreset))
        threads.launch()
        # The step kernels' arguments keep their types for the env's life: their compiled
        # entry points, called directly, skip Numba's matching of argument types (0.7 us a step).
        kinds = (True, False) if serial is None else (serial,)
        reset_args = self._buffers + (self._all, self._chunks, self._progress)
        self._steps = tuple(self._entry(k.step_serial, self._step_args) if kind
                            else threads.guarded(self._entry(k.step_parallel, self._step_args)) for kind in kinds)
        self._resets = tuple(self._entry(k.reset_serial, reset_args) if kind
                             else threads.guarded(self._entry(k.reset_parallel, reset_args)) for kind in kinds)
        self._step_kernel = k.step_serial if serial else k.step_parallel
        self._pacer = threads.Pacer() if serial is None else None
        if self.debug:
            check = checked_mode.Checked(self, k)
            self._steps, self._resets = (check.wrap(self._steps[0], "step"),), (check.wrap(self._resets[0], "reset"),)
        self._step = self._steps[0]

    def _entry(self, kernel, args):
        """The compiled entry point of `kernel` for `args`; a game that does not compile raises
        a short GameCompileError naming the line (errors.py)."""
        if numba.config.DISABLE_JIT:
            return kernel
        try:
            return kernel.compile(tuple(numba.typeof(x) for x in args))
        except Exception as e:  # Numba's report of the game's mistake
            if debug_requested():
                raise compile_error(self.game, e) from e
            raise compile_error(self.game, e) from None

    def reset(self, seed: int | list[int] | None = None, mask: np.ndarray | None = None):
        """Reset games (all, or where `mask` is true) and return (observations, infos).

        seed: an int (game i gets stream (seed, game_offset + i)), or a sequence of one int
        per game; None continues each game's stream."""
        with self._turn("reset"):
            which = self._all if mask is None else check_mask(mask, self.num_envs, f"{self.game.name}: reset mask")
            self._seed_games(which, seed)
            self._ready = False
            kernel = self._resets[0 if self._pacer is None else self._pacer.choice]
            try:
                done = kernel(*self._buffers, which, self._chunks, self._progress)
            except checked_mode.GameStepError:  # debug mode's own report, which names the line
                raise
            except Exception as e:
                raise self._game_raised("reset", e)
            if done != self.num_envs:
                raise self._game_raised("reset", None)
            self._ready = True
            return self._observations, []

    def step(self, actions):
        """Advance every game one step; finished games reset themselves in the same step.
        Returns (observations, rewards, terminals, truncations, infos), the env's buffers."""
        # as `with self._turn("step")`, spelled out: the context manager cost 3.3 us a call on the
        # loaded 2-core machine, this 0.15 us (Pong's 4096 games step in ~20 us on 2 threads)
        turn = self._turn
        if not turn.lock.acquire(False):
            turn.enter("step")  # raises, naming the call inside (or takes the lock, if that call just ended)
        turn.inside = ("step", get_ident())
        try:
            if not self._ready:
                raise RuntimeError(f"{self.game.name}: call reset() before step() (needed after make, set_params, "
                                   f"or a call whose game code raised)")
            self._write_actions(actions)
            pacer = self._pacer
            try:
                if pacer is None:
                    done = self._step(*self._step_args)
                else:  # timed, to step with the faster kernel (threads.Pacer)
                    start = perf_counter()
                    done = self._steps[pacer.choice](*self._step_args)
                    pacer.elapsed += perf_counter() - start
                    pacer.steps += 1
                    if pacer.steps >= pacer.limit or pacer.elapsed > pacer.cutoff:
                        pacer.end_window()
            except checked_mode.GameStepError:  # debug mode's own report, which names the line
                raise
            except Exception as e:
                raise self._game_raised("step", e)
            if done != self.num_envs:
                raise self._game_raised("step", None)
            infos = []
            if self.reports.due():
                log = self.reports.report(logs.read(self.logs))
                if log:
                    infos.append(log)
            return self._observations, self._rewards, self._terminals, self._truncations, infos
        finally:
            turn.inside = None
            turn.lock.release()

    def log(self) -> dict:
        """Means of the log fields over episodes finished since the last call, plus their
        count "n"; then cleared. {} when none finished. Reports in `step`'s infos take
        nothing from it: they carry the episodes finished since the last report."""
        with self._turn("log"):
            return self.reports.log(logs.read(self.logs))

    def render(self, game: int = 0):
        """Draw game `game` (index 0 .. num_envs-1) from its state record: an (H, W, 3) uint8
        frame with render_mode "rgb_array"; with "human", show it in the window (at most
        render_fps frames a second) and return None."""
        if self.render_mode is None:
            modes = " or ".join(repr(m) for m in self.game.render_modes) or "a mode (the game declares no view)"
            raise ValueError(f"{self.game.name}: render() needs render_mode={modes} when the env is made")
        with self._turn("render"):
            if not self._ready:
                raise RuntimeError(f"{self.game.name}: call reset() before render()")
            i = render.game_index(self, game)
            if self._renderer is None:
                self._renderer = render.Renderer(self.game, self.params, self.render_mode)
            if self.render_mode == "human":
                return self._renderer.show(self.state[i])
            return self._renderer.frame(self.state[i])

    def close(self):
        """Close the window, if any. The env itself keeps working."""
        with self._turn("close"):
            if self._renderer is not None:
                self._renderer.close()
                self._renderer = None
            self.closed = True

    # The interface of npf.vector's backends, which the native env is one of: it steps on
    # send and hands back the whole batch on recv.
    def async_reset(self, seed=None):
        self._infos = self.reset(seed)[1]

    def send(self, actions):
        self._infos = self.step(actions)[4]

    def recv(self):
        """(observations, rewards, terminals, truncations, infos, env_ids, masks) of the last
        send/async_reset; env_ids are the agent rows returned (all of them here)."""
        return (self.observations, self.rewards, self.terminals, self.truncations, self._infos,
                self.env_ids, self.masks)  # public names: CudaEnv shares this method

    @property
    def params(self):
        """The params record (an array of length 1), read-only: change it with set_params()."""
        return self._params_view

    @params.setter
    def params(self, value):
        raise AttributeError(f"{self.game.name}: env.params cannot be replaced; change params with "
                             f"env.set_params(name=value, ...)")

    def set_params(self, preset: str | None = None, **params):
        """Change params on this env, checked by the same rule as make (Game.make_params):
        the given ones over the env's current values, or with `preset`, over that preset's (as
        make(..., preset=..., **params)). A bad value raises before anything changed. The
        games then restart with the new params at the next reset(): a game under way may hold
        state that only the old ones allow (a snake beyond a smaller grid), so step() needs
        a reset() first."""
        with self._turn("set_params"):
            new = self.game.make_params(preset, **params) if preset is not None else \
                self.game.make_params(**{**self.param_values(), **params})
            self._params[...] = new
            self._ready = False
            if self._renderer is not None:  # the frame's size may follow the params
                self._renderer.close()
                self._renderer = None

    def param_values(self) -> dict:
        """The env's params as a dict of Python numbers: what `make(..., **params)` takes."""
        return _values(self.game, self._params)

    def snapshot(self) -> dict:
        """A copy of everything that decides what the env does next: the games' state
        records, params, buffers, running episodes' and finished episodes' log sums, the
        count toward the next log report and what reports or log() have yet to return. restore() puts it back."""
        with self._turn("snapshot"):
            out = {k: getattr(self, k).copy() for k in SNAPSHOT}
            out.update(game=self.game.name, ready=self._ready, report_steps=self.reports.steps,
                       report_pending=self.reports.pending(), infos=copy.deepcopy(self._infos))
            return out

    def restore(self, snapshot: dict):
        """Put back a snapshot() of this env, or of another env of the same game and num_envs:
        the env then continues bit-identically to the one snapshotted. Written in place, so
        buffers handed out (or shared with a backend) stay the env's."""
        with self._turn("restore"):
            check_snapshot(self, snapshot)  # all of it, before anything is written
            for k in SNAPSHOT:
                (self._params if k == "params" else getattr(self, k))[...] = snapshot[k]
            self._ready = bool(snapshot["ready"])
            self.reports.steps = int(snapshot["report_steps"])
            self.reports.restore(snapshot["report_pending"])
            self._infos = copy.deepcopy(snapshot["infos"])

    def __reduce__(self):
        # The game (by reference), how the env was made, and its snapshot; never the kernels,
        # which the new env loads from the cache.
        made = dict(num_envs=self.num_envs, render_mode=self.render_mode, report_interval=self.reports.interval,
                    game_offset=self.game_offset, autoreset=self.autoreset, debug=self.debug,
                    **self.param_values())
        return _unpickle_env, (self.game, made, self.serial, self.snapshot())

    def __repr__(self):
        return f"Env({self.game.name!r}, num_envs={self.num_envs})"

    # The buffers and the state: read and written into, never rebound
    observations, actions, rewards, terminals, truncations, masks, state = (held(k) for k in BUFFERS + ("state",))

    def _seed_games(self, which, seed):
        """Set the random stream of the games where `which` is true from `seed` (None: keep)."""
        streams = game_streams(seed, self.num_envs, self.game_offset, f"{self.game.name}: ")
        if streams is not None:
            self.state["rng"][which] = streams[which]

    def _game_raised(self, what, error):
        self._ready = False  # the games are half-stepped: step needs a reset
        return game_raised(self.game.name, what, error)

    def _write_actions(self, actions):
        """Check `actions` into the kernels' private copy. Each value is read once, as it is
        checked: a thread that writes the caller's array meanwhile cannot slip an unchecked
        value (an index, to game code) into a kernel. env.actions is left as it is: it is where
        callers may write actions for step(env.actions); copying every step's actions there
        too cost 0.4 us a step (2% of Pong's 4096 games on 2 threads)."""
        a, mine = actions, self._kernel_actions
        # The common case, a well-formed integer array for a Discrete space, checked and
        # copied in one compiled call; anything else (and any error) takes the general path.
        if (self._discrete is not None and type(a) is np.ndarray and a.shape == mine.shape
                and a.dtype.kind in "iu" and a.dtype.isnative
                and take_discrete(a, mine, *self._discrete) < 0):
            return
        if self._discrete is not None:  # the refused values a failed take_discrete left there
            mine[...] = self._discrete[0]
        # The general path checks a copy of its own, which no other thread holds
        a = None if actions is None else np.array(actions)
        write_actions(self.game.name, self.single_action_space, self._lo, self._hi, a, mine)


def ended_games(env):
    """Per game of `env`: whether all its agents are done, by the kernels' rule (terminal,
    truncated, or out of play with `masks` False; a lone agent's mask never ends its game)."""
    done = env.terminals | env.truncations
    if env.agents_per_game > 1:
        done = done | ~env.masks
    return done.reshape(-1, env.agents_per_game).all(1)


def _values(game, params):
    """A params record's values as a dict of Python numbers, by name."""
    return {k: params[k][0].item() for k in game.defaults}


def _shown(env, method):
    """`method` (reset or step), then game 0 drawn in the window: only for render_mode "human",
    so the step of any other env carries no drawing at all."""
    def shown(*args, **kwargs):
        out = method(*args, **kwargs)
        env.render()
        return out
    shown.__doc__ = method.__doc__
    return shown


def _unpickle_env(game, made, serial, snapshot):
    env = Env(game, seed=0, **made)
    if serial != env.serial:
        env.use_serial(serial)
    env.restore(snapshot)
    return env

