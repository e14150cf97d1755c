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
import hashlib
import importlib
import importlib.util
import inspect
import math
import os
import re
import sys
import tempfile
import types
from collections import namedtuple

import numba
import numpy as np
from gymnasium import spaces
from gymnasium.vector.utils import batch_space
from numba import njit

from numbapuffer import render
from numbapuffer.render import View

__all__ = ["Game", "Env", "rand", "rand_float", "rand_int", "seed_streams"]


# Numba names a compiled function's symbol after its argument types, but names a record
# type by a per-process counter. One helper compiled for two state layouts (snake's sizes) in
# two processes could then get one symbol name for two bodies, and a process loading both
# cached kernels ran the wrong body (a segfault). Name record types by their layout instead.
def _record_mangling(record):
    return "Record", (int(hashlib.sha256(record.name.encode()).hexdigest()[:15], 16),)


numba.core.types.Record.mangling_args = property(_record_mangling)

AUTORESET = ("same_step", "next_step", "disabled")  # kernel codes 0, 1, 2
BUFFERS = ("observations", "actions", "rewards", "terminals", "truncations", "masks")
# Below this many games the serial kernel is used: launching threads costs ~2-4 us, more
# than it saves on few games (Pong on 2 threads: serial wins up to ~700 games; games
# that cost more per step cross over sooner). Env.use_serial() overrides.
SERIAL_BELOW = 256


# ---------------------------------------------------------------------------------------
# Random streams: one xorshift64 state per game, stored in the game's record (`s.rng`).
# Shifts and xors only, so results are the same compiled, under NUMBA_DISABLE_JIT and on
# any number of threads.
# ---------------------------------------------------------------------------------------
_S13, _S7, _S17, _S32 = np.uint64(13), np.uint64(7), np.uint64(17), np.uint64(32)


@njit
def rand(s):
    """Next 32 random bits (as uint64) from the game's stream `s.rng`."""
    x = s.rng
    x ^= x << _S13
    x ^= x >> _S7
    x ^= x << _S17
    s.rng = x
    return x >> _S32


@njit
def rand_float(s):
    """Uniform float32 in [0, 1)."""
    return np.float32(rand(s) >> np.uint64(8)) * np.float32(1.0 / 16777216.0)


@njit
def rand_int(s, n):
    """Uniform integer in [0, n)."""
    return np.int64((rand(s) * np.uint64(n)) >> _S32)


def seed_streams(seed, games):
    """The stream state of each game index in `games` for `seed` (splitmix64, never 0).

    A game's stream depends only on (seed, its global index), so splitting the games
    across threads or processes never changes results."""
    seed = np.uint64(int(seed) % 2**64)
    with np.errstate(over="ignore"):
        z = np.asarray(games, np.uint64) * np.uint64(0x9E3779B97F4A7C15) + seed * np.uint64(0xD1B54A32D192ED03)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    z[z == 0] = np.uint64(0x9E3779B97F4A7C15)
    return z


# ---------------------------------------------------------------------------------------
# The game declaration
# ---------------------------------------------------------------------------------------
class Game:
    """What a game author declares; everything else is derived by the engine.

    name: the env id. state: numpy record dtype of one game (the engine appends `rng`).
    reset, step: the per-game @njit functions (see the module docstring).
    observation_space, action_space: of one agent. agents: agents per game.
    params: name -> default; the default's type is the field's type (np.float32(8) is
    float32, a Python int is int64, a Python float float64). check: optional Python
    function of the params dict that raises ValueError naming a bad value.
    log: extra per-episode log fields beyond episode_return and episode_length, which the
    engine keeps itself; the step function sets or adds to `buf.episode[agent].<field>`.
    view: optional numbapuffer.render.View (drawing from the state record, frame size and
    rate, keys for human play); a game with one offers render modes "human" and "rgb_array".
    """

    def __init__(self, name, state, reset, step, observation_space, action_space, agents=1,
                 params=None, check=None, log=(), view=None):
        if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
            raise ValueError(f"game name {name!r} must be lowercase letters, digits and _")
        state = np.dtype(state)
        if state.names is None:
            raise TypeError(f"{name}: state must be a structured (record) dtype")
        if "rng" in state.names:
            raise ValueError(f"{name}: state field 'rng' is reserved for the engine's random stream")
        for fn, what in ((reset, "reset"), (step, "step")):
            if not isinstance(fn, numba.core.registry.CPUDispatcher) and not (numba.config.DISABLE_JIT and callable(fn)):
                raise TypeError(f"{name}: {what} must be an @njit function")
        if not isinstance(observation_space, spaces.Box):
            raise TypeError(f"{name}: observation_space must be a gymnasium Box")
        if not isinstance(action_space, (spaces.Discrete, spaces.MultiDiscrete, spaces.Box)):
            raise TypeError(f"{name}: action_space must be Discrete, MultiDiscrete or Box")
        if view is not None and not isinstance(view, View):
            raise TypeError(f"{name}: view must be a numbapuffer.render.View, got {type(view).__name__}")
        self.name = name
        self.state = np.dtype(state.descr + [("rng", np.uint64)])
        self.reset, self.step = reset, step
        self.observation_space, self.action_space = observation_space, action_space
        self.agents = int(agents)
        self.defaults = dict(params or {})
        self.params = np.dtype([(k, _param_dtype(v)) for k, v in self.defaults.items()] or [("_", np.int64)])
        self.check = check
        self.log_fields = ("episode_return", "episode_length") + tuple(f for f in log if f not in
                                                                       ("episode_return", "episode_length"))
        self.view = view
        self.render_modes = ("human", "rgb_array") if view is not None else ()

    def __repr__(self):
        return f"Game({self.name!r})"

    def make_params(self, **overrides):
        """The params record (array of length 1) for these overrides, checked."""
        values = dict(self.defaults)
        for k, v in overrides.items():
            if k not in values:
                known = ", ".join(self.defaults) or "none"
                raise TypeError(f"{self.name}: unknown parameter {k!r} (known: {known})")
            values[k] = _check_param(self.name, k, v, self.params[k])
        if self.check is not None:
            self.check(values)
        out = np.zeros(1, self.params)
        for k, v in values.items():
            out[k] = v
        return out


def _param_dtype(v):
    if isinstance(v, (bool, np.bool_)):
        return np.bool_
    if isinstance(v, np.generic):
        return v.dtype
    if isinstance(v, int):
        return np.int64
    if isinstance(v, float):
        return np.float64
    raise TypeError(f"param default {v!r} must be a number")


def _check_param(game, name, v, dtype):
    if isinstance(v, (bool, np.bool_)) != (dtype == np.bool_) or not isinstance(v, (int, float, np.number, np.bool_)):
        raise ValueError(f"{game}: parameter {name}={v!r} must be a {dtype}")
    if not math.isfinite(float(v)):
        raise ValueError(f"{game}: parameter {name}={v!r} must be finite")
    if dtype.kind in "iu" and float(v) != int(v):
        raise ValueError(f"{game}: parameter {name}={v!r} must be an integer")
    if dtype.kind in "iu" and not np.iinfo(dtype).min <= int(v) <= np.iinfo(dtype).max:
        raise ValueError(f"{game}: parameter {name}={v!r} is out of range for {dtype}")
    return v


# ---------------------------------------------------------------------------------------
# Kernel generation. The kernels live in a generated module that imports the game's
# functions by name: Numba inlines them and caches the result on disk. The module's name
# carries a hash of the game's source (and of every @njit function and constant it uses),
# so an edited game never meets a stale cached kernel.
# ---------------------------------------------------------------------------------------
Buffers = namedtuple("Buffers", BUFFERS + ("episode",))

_TEMPLATE = '''\
"""Kernels of game {name!r}, generated by numbapuffer.core. Do not edit."""
import numpy as np
from numba import njit, prange
from numbapuffer.core import Buffers
{imports}

A = {agents}  # record types mangled by layout (see core._record_mangling): older caches are not reused
SAME_STEP, NEXT_STEP, DISABLED = 0, 1, 2
# Inlined at Numba IR level: a call that LLVM does not inline passes every buffer as ~8
# scalars, which costs half the speed of Pong.
game_step = njit(inline="always")(getattr(_step, "py_func", _step))  # plain under NUMBA_DISABLE_JIT
game_reset = njit(inline="always")(getattr(_reset, "py_func", _reset))


@njit(inline="always")
def step_game(i, state, params, buf, logs, autoreset):
    a0 = i * A
    if autoreset != SAME_STEP:  # a game that ended last step: NEXT_STEP resets it now,
        if A == 1:              # DISABLED leaves it ended (reward 0) until reset(mask=...)
            ended = buf.terminals[a0] | buf.truncations[a0]  # (a lone agent's mask never ends a game)
        else:
            ended = True
            for a in range(a0, a0 + A):
                ended &= buf.terminals[a] or buf.truncations[a] or not buf.masks[a]
        if ended:
            if autoreset == NEXT_STEP:
                reset_game(i, state, params, buf)
            else:
                for a in range(a0, a0 + A):
                    buf.rewards[a] = 0
            return
    for a in range(a0, a0 + A):
        buf.rewards[a] = 0
        buf.terminals[a] = False
        buf.truncations[a] = False
    s = state[i]
    game_step(s, params[0], buf, a0)
    done = True
    for a in range(a0, a0 + A):
        e = buf.episode[a]
        e.episode_return += buf.rewards[a]
        e.episode_length += 1
        if buf.terminals[a] or buf.truncations[a]:
            log = logs[a]
{log_lines}
            log.n += 1
        elif buf.masks[a]:  # an agent out of play (masks False) does not hold its game open
            done = False
    if done and autoreset == SAME_STEP:
        for a in range(a0, a0 + A):
            buf.masks[a] = True
        game_reset(s, params[0], buf, a0)


@njit(inline="always")
def reset_game(i, state, params, buf):
    a0 = i * A
    for a in range(a0, a0 + A):
        buf.rewards[a] = 0
        buf.terminals[a] = False
        buf.truncations[a] = False
        buf.masks[a] = True
        e = buf.episode[a]
{clear_lines}
    game_reset(state[i], params[0], buf, a0)


@njit(_nrt=False)
def step_all(state, params, buf, logs, autoreset):
    for i in range(state.shape[0]):
        step_game(i, state, params, buf, logs, autoreset)


@njit(_nrt=False)
def reset_all(state, params, buf, which):
    for i in range(state.shape[0]):
        if which[i]:
            reset_game(i, state, params, buf)


@njit(_nrt=False)
def chunk(c, chunks, state, observations, actions, rewards, terminals, truncations, masks, episodes):
    lo = c * state.shape[0] // chunks
    hi = (c + 1) * state.shape[0] // chunks
    return lo, hi, Buffers(observations[lo * A:hi * A], actions[lo * A:hi * A], rewards[lo * A:hi * A],
                           terminals[lo * A:hi * A], truncations[lo * A:hi * A], masks[lo * A:hi * A],
                           episodes[lo * A:hi * A])


# The parallel kernels split the games into `chunks` slices (one per thread) and run the
# serial loop on each: game code never sits inside a prange body, where Numba's parfor
# passes have lost writes, and every loop counts from 0, which compiles to a faster loop
# than one from a variable start. (The serial kernels ignore `chunks`.)
# _nrt=False: no reference counting of the buffers, whose atomic increments cost more than
# the game; it also forbids allocating inside a step, as intended.
@njit(parallel=True, cache={cache}, _nrt=False)
def step_parallel(state, params, observations, actions, rewards, terminals, truncations, masks, episodes, logs,
                  chunks, autoreset):
    for c in prange(chunks):
        lo, hi, buf = chunk(c, chunks, state, observations, actions, rewards, terminals, truncations, masks, episodes)
        step_all(state[lo:hi], params, buf, logs[lo * A:hi * A], autoreset)


@njit(cache={cache}, _nrt=False)
def step_serial(state, params, observations, actions, rewards, terminals, truncations, masks, episodes, logs,
                chunks, autoreset):
    step_all(state, params, Buffers(observations, actions, rewards, terminals, truncations, masks, episodes), logs,
             autoreset)


@njit(parallel=True, cache={cache}, _nrt=False)
def reset_parallel(state, params, observations, actions, rewards, terminals, truncations, masks, episodes, which,
                   chunks):
    for c in prange(chunks):
        lo, hi, buf = chunk(c, chunks, state, observations, actions, rewards, terminals, truncations, masks, episodes)
        reset_all(state[lo:hi], params, buf, which[lo:hi])


@njit(cache={cache}, _nrt=False)
def reset_serial(state, params, observations, actions, rewards, terminals, truncations, masks, episodes, which,
                 chunks):
    reset_all(state, params, Buffers(observations, actions, rewards, terminals, truncations, masks, episodes), which)
'''

_kernels = {}


def cache_dir():
    """Where generated kernel modules and Numba's compiled code live."""
    path = os.environ.get("NUMBAPUFFER_CACHE_DIR") or os.path.join(os.path.expanduser("~"), ".cache", "numbapuffer")
    try:
        os.makedirs(path, exist_ok=True)
        if os.access(path, os.W_OK):
            return path
    except OSError:
        pass
    path = os.path.join(tempfile.gettempdir(), f"numbapuffer-{os.getuid()}")
    os.makedirs(path, exist_ok=True)
    return path


def kernels(game):
    """The compiled kernel module of `game` (generated, imported and cached once)."""
    mod = _kernels.get(id(game))
    if mod is not None and mod.game is game:
        return mod
    fingerprint = hashlib.sha256()
    _fingerprint(game.reset, fingerprint, set())
    _fingerprint(game.step, fingerprint, set())
    importable = all(_importable(f) for f in (game.reset, game.step))
    source = _TEMPLATE.format(
        name=game.name, agents=game.agents, cache=importable,
        imports="" if not importable else
        f"from {game.reset.__module__} import {game.reset.__qualname__} as _reset\n"
        f"from {game.step.__module__} import {game.step.__qualname__} as _step",
        log_lines="\n".join(f"            log.{f} += e.{f}\n            e.{f} = 0" for f in game.log_fields),
        clear_lines="\n".join(f"        e.{f} = 0" for f in game.log_fields))
    fingerprint.update(source.encode())
    modname = f"npf_{game.name}_{fingerprint.hexdigest()[:16]}"
    if importable:
        mod = sys.modules.get(modname) or _import_generated(modname, source)
    else:  # defined inside a function: compile in memory, uncached
        mod = types.ModuleType(modname)
        mod.__dict__.update(_reset=game.reset, _step=game.step)
        exec(compile(source, f"<{modname}>", "exec"), mod.__dict__)
    mod.game = game
    _kernels[id(game)] = mod
    return mod


def _importable(fn):
    py = getattr(fn, "py_func", fn)
    module = sys.modules.get(py.__module__)
    return "." not in py.__qualname__ and module is not None and getattr(module, py.__qualname__, None) is fn


def _import_generated(modname, source):
    path = os.path.join(cache_dir(), modname + ".py")
    if not os.path.exists(path):
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "w") as f:
            f.write(source)
        os.replace(tmp, path)  # atomic: workers may generate the same module at once
    spec = importlib.util.spec_from_file_location(modname, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[modname] = mod
    spec.loader.exec_module(mod)
    return mod


def _fingerprint(obj, h, seen):
    """Hash the source of an @njit function, and of every @njit function and constant it
    refers to, recursively: what Numba freezes into the compiled code."""
    py = getattr(obj, "py_func", obj)
    if id(py) in seen:
        return
    seen.add(id(py))
    try:
        h.update(inspect.getsource(py).encode())
    except (OSError, TypeError):
        h.update(py.__code__.co_code)
    codes = [py.__code__]
    while codes:
        code = codes.pop()
        codes.extend(c for c in code.co_consts if isinstance(c, types.CodeType))
        # a nested code object's repr holds its address: hash the constants without them
        h.update(repr([c for c in code.co_consts if not isinstance(c, types.CodeType)]).encode())
        for name in code.co_names:
            v = py.__globals__.get(name)
            if isinstance(v, numba.core.registry.CPUDispatcher):
                _fingerprint(v, h, seen)
            elif isinstance(v, (int, float, bool, str, tuple, np.generic)):
                h.update(f"{name}={v!r}".encode())
            elif isinstance(v, np.ndarray):
                h.update(name.encode() + v.tobytes() + str(v.dtype).encode())
            elif isinstance(v, types.ModuleType) and v.__name__.split(".")[0] not in ("numpy", "math", "numba"):
                h.update(v.__name__.encode())


# ---------------------------------------------------------------------------------------
# Input checks, compiled so that checking 4096 actions costs about a microsecond.
# ---------------------------------------------------------------------------------------
@njit(cache=True)
def _first_outside(a, lo, hi):
    """Flat index of the first value of `a` (agents x values) outside [lo[c], hi[c]], or -1.
    Branch-free first pass: about 1 us for 4096 Discrete actions."""
    n, k = a.shape
    bad = False
    for r in range(n):
        for c in range(k):
            bad |= (a[r, c] < lo[c]) | (a[r, c] > hi[c])
    if bad:
        for r in range(n):
            for c in range(k):
                if a[r, c] < lo[c] or a[r, c] > hi[c]:
                    return r * k + c
    return -1


@njit(cache=True)
def _copy_discrete(a, out, lo, hi):
    """One value per agent (Discrete): copy `a` into `out` if all lie in [lo, hi], else
    return the index of the first that does not (out untouched). One compiled call does
    the check (a branch-free pass) and the copy: about 1 us for 4096 actions."""
    bad = False
    for j in range(a.shape[0]):
        bad |= (a[j] < lo) | (a[j] > hi)
    if bad:
        for j in range(a.shape[0]):
            if a[j] < lo or a[j] > hi:
                return j
    for j in range(a.shape[0]):
        out[j] = a[j]
    return -1


@njit(cache=True)
def _first_nan(a):
    """Flat index of the first NaN in `a` (agents x values), or -1."""
    n, k = a.shape
    for r in range(n):
        for c in range(k):
            if np.isnan(a[r, c]):
                return r * k + c
    return -1


def _action_dtype(space):
    return np.float32 if isinstance(space, spaces.Box) else np.int32


def buffer_specs(observation_space, action_space, n):
    """name -> (shape, dtype) of each buffer of `n` agents with these spaces of one agent."""
    return {
        "observations": ((n, *observation_space.shape), observation_space.dtype),
        "actions": ((n, *action_space.shape), np.dtype(_action_dtype(action_space))),
        "rewards": ((n,), np.dtype(np.float32)),
        "terminals": ((n,), np.dtype(np.bool_)),
        "truncations": ((n,), np.dtype(np.bool_)),
        "masks": ((n,), np.dtype(np.bool_)),
    }


def _touch(a):
    a[...] = 0  # first-touch page faults inside a kernel cost 100x
    return a


# ---------------------------------------------------------------------------------------
# The env
# ---------------------------------------------------------------------------------------
class Env:
    """A vector of `num_envs` games of one `Game`, stepped by one kernel call per step.

    buf: None to allocate the buffers, or an object (or dict) with arrays `observations,
    actions, rewards, terminals, truncations, masks` to write into, e.g. slices of shared
    memory. game_offset: global index of this env's first game (for backends that split
    one vector of games across processes: game i gets the same random stream anywhere).
    report_interval: every this many steps, `step`'s infos carry `log()` when non-empty.
    autoreset: "same_step" (native: a finished game restarts in the step that ends it,
    returning the new game's first observation with terminal set), "next_step" (the step
    after it restarts the game instead of stepping it, with reward 0, as gymnasium's
    NEXT_STEP), or "disabled" (finished games stay ended, not stepped, reward 0, until
    `reset(mask=...)`).
    """

    def __init__(self, game, num_envs=1, seed=None, buf=None, render_mode=None,
                 report_interval=128, game_offset=0, autoreset="same_step", **params):
        if not is_int(num_envs) or num_envs < 1:
            raise ValueError(f"{game.name}: num_envs must be an integer >= 1, got {num_envs!r}")
        if render_mode is not None and render_mode not in game.render_modes:
            offered = ", ".join(repr(m) for m in (None,) + game.render_modes)
            why = "" if game.render_modes else " (the game declares no view: Game(..., view=View(...)))"
            raise ValueError(f"{game.name}: render_mode must be one of {offered}{why}, got {render_mode!r}")
        self.game = game
        self.params = game.make_params(**params)
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
        self.report_interval = report_interval
        if autoreset not in AUTORESET:
            raise ValueError(f"{game.name}: autoreset must be one of {', '.join(AUTORESET)}, got {autoreset!r}")
        self.autoreset = autoreset
        self._autoreset = AUTORESET.index(autoreset)
        self.game_offset = int(game_offset)
        self._kernels = kernels(game)

        n, space = self.num_agents, game.action_space
        for name, (shape, dtype) in buffer_specs(game.observation_space, space, n).items():
            if buf is None:
                arr = _touch(np.empty(shape, dtype))
            else:
                arr = buf.get(name) if isinstance(buf, dict) else getattr(buf, name, None)
                _check_buffer(game.name, name, arr, shape, dtype)
            setattr(self, name, arr)
        self.state = _touch(np.empty(self.num_envs, game.state))
        log_dtype = [(f, np.float64) for f in game.log_fields]
        self.episodes = _touch(np.empty(n, log_dtype))
        self.logs = _touch(np.empty(n, log_dtype + [("n", np.float64)]))
        self.state["rng"] = seed_streams(_entropy() if seed is None else seed,
                                         self.game_offset + np.arange(self.num_envs))
        self._all = np.ones(self.num_envs, np.bool_)
        self.env_ids = np.arange(self.num_agents)
        self._infos = []
        self._lo, self._hi = _action_bounds(space)
        self._discrete = (int(self._lo[0]), int(self._hi[0])) if isinstance(space, spaces.Discrete) else None
        self._steps = 0
        self._ready = False
        self.closed = False
        self.use_serial(self.num_envs < SERIAL_BELOW)
        if render_mode == "human":  # as gymnasium's envs: the window follows every reset and step
            self.reset, self.step = _shown(self, self.reset), _shown(self, self.step)

    def use_serial(self, serial=True):
        """Step with the serial kernel (fastest below ~100 games) or the parallel one."""
        k = self._kernels
        self._step_kernel = k.step_serial if serial else k.step_parallel
        self._reset_kernel = k.reset_serial if serial else k.reset_parallel
        # One chunk of games per thread Numba may run; with fewer threads active, a thread
        # takes several chunks.
        self._chunks = min(self.num_envs, numba.config.NUMBA_NUM_THREADS)
        records = _records if numba.config.DISABLE_JIT else (lambda a: a)
        self._buffers = (records(self.state), records(self.params), self.observations, self.actions, self.rewards,
                         self.terminals, self.truncations, self.masks, records(self.episodes))
        self._step_args = self._buffers + (records(self.logs), self._chunks, self._autoreset)
        # The step kernel's arguments keep their types for the env's life: its compiled entry
        # point, called directly, skips Numba's matching of argument types (0.7 us a step).
        self._step = (self._step_kernel if numba.config.DISABLE_JIT else
                      self._step_kernel.compile(tuple(numba.typeof(x) for x in self._step_args)))

    def reset(self, seed=None, mask=None):
        """Reset games (all, or where `mask` is true) and return (observations, infos).

        seed: an int (game i gets stream (seed, game_offset + i)), or a sequence of one int
        per game; None continues each game's stream."""
        which = self._all if mask is None else self._check_mask(mask)
        if seed is not None:
            if is_int(seed):
                streams = seed_streams(seed, self.game_offset + np.arange(self.num_envs))
            else:
                seeds = list(seed)
                if len(seeds) != self.num_envs or not all(isinstance(x, (int, np.integer)) for x in seeds):
                    raise ValueError(f"{self.game.name}: seed must be an int or {self.num_envs} ints, got {seed!r}")
                streams = np.concatenate([seed_streams(x, [0]) for x in seeds])
            self.state["rng"][which] = streams[which]
        self._reset_kernel(*self._buffers, which, self._chunks)
        self._ready = True
        return self.observations, []

    def step(self, actions):
        """Advance every game one step; finished games reset themselves in the same step.
        Returns (observations, rewards, terminals, truncations, infos), the env's buffers."""
        if not self._ready:
            raise RuntimeError(f"{self.game.name}: call reset() before step()")
        self._write_actions(actions)
        self._step(*self._step_args)
        self._steps += 1
        infos = []
        if self.report_interval and self._steps % self.report_interval == 0:
            log = self.log()
            if log:
                infos.append(log)
        return self.observations, self.rewards, self.terminals, self.truncations, infos

    def log(self):
        """Means of the log fields over episodes finished since the last call, plus their
        count "n"; then cleared. {} when none finished."""
        logs = self.logs
        n = logs["n"].sum()
        if n == 0:
            return {}
        out = {f: float(logs[f].sum() / n) for f in self.game.log_fields}
        out["n"] = int(n)
        logs[...] = 0
        return out

    def render(self, game=0):
        """Draw game `game` (index 0 .. num_envs-1) from its state record: an (H, W, 3) uint8
        frame with render_mode "rgb_array"; with "human", show it in the window (at most
        render_fps frames a second) and return None."""
        if self.render_mode is None:
            modes = " or ".join(repr(m) for m in self.game.render_modes) or "a mode (the game declares no view)"
            raise ValueError(f"{self.game.name}: render() needs render_mode={modes} when the env is made")
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
                self.env_ids, self.masks)

    def __repr__(self):
        return f"Env({self.game.name!r}, num_envs={self.num_envs})"

    def _write_actions(self, actions):
        # The common case, a well-formed integer array for a Discrete space, checked and
        # copied in one compiled call; anything else (and any error) takes the general path.
        a = actions
        if (self._discrete is not None and type(a) is np.ndarray and a.shape == self.actions.shape
                and a.dtype.kind in "iu" and _copy_discrete(a, self.actions, *self._discrete) < 0):
            return
        write_actions(self.game.name, self.single_action_space, self._lo, self._hi, actions, self.actions)

    def _check_mask(self, mask):
        m = np.asarray(mask)
        if m.dtype != np.bool_ or m.shape != (self.num_envs,):
            raise ValueError(f"{self.game.name}: reset mask must be a bool array of shape ({self.num_envs},), "
                             f"got {m.dtype} {m.shape}")
        return np.ascontiguousarray(m)


def ended_games(env):
    """Per game of `env`: whether all its agents are done, by the kernels' rule (terminal,
    truncated, or out of play with `masks` False; a lone agent's mask never ends its game)."""
    done = env.terminals | env.truncations
    if env.agents_per_game > 1:
        done = done | ~env.masks
    return done.reshape(-1, env.agents_per_game).all(1)


def _shown(env, method):
    """`method` (reset or step), then game 0 drawn in the window: only for render_mode "human",
    so the step of any other env carries no drawing at all."""
    def shown(*args, **kwargs):
        out = method(*args, **kwargs)
        env.render()
        return out
    shown.__doc__ = method.__doc__
    return shown


def write_actions(name, space, lo, hi, actions, out):
    """Check `actions` against one agent's action `space` (bounds `lo`, `hi` from
    _action_bounds) and copy them into `out`; raise naming the first bad value."""
    if actions is None:
        raise TypeError(f"{name}: actions is None; expected an array of shape {out.shape}")
    a = actions if type(actions) is np.ndarray else np.asarray(actions)
    if a.shape != out.shape:
        raise ValueError(f"{name}: actions have shape {a.shape}, expected {out.shape}")
    if isinstance(space, spaces.Box):
        if a.dtype.kind not in "fiu":
            raise TypeError(f"{name}: actions have dtype {a.dtype}, expected float for {space}")
        if a.dtype.kind == "f":
            j = _first_nan(a.reshape(a.shape[0], -1))
            if j >= 0:
                raise ValueError(f"{name}: actions contain NaN (flat index {j}); {space} needs numbers")
    else:
        if a.dtype.kind not in "iu":
            raise TypeError(f"{name}: actions have dtype {a.dtype}, expected integers for {space}")
        if a.ndim == 1:
            j = _copy_discrete(a, out, lo[0], hi[0])
        else:
            j = _first_outside(a.reshape(a.shape[0], -1), lo, hi)
        if j >= 0:
            v = a.reshape(-1)[j]
            k = j % lo.shape[0]
            raise ValueError(f"{name}: action value {v} (flat index {j}) is out of range for {space}: "
                             f"expected {lo[k]}..{hi[k]}")
        if a.ndim == 1:
            return  # copied
    if a is not out:
        np.copyto(out, a, casting="unsafe")


def _action_bounds(space):
    if isinstance(space, spaces.Discrete):
        return np.array([space.start], np.int64), np.array([space.start + space.n - 1], np.int64)
    if isinstance(space, spaces.MultiDiscrete):
        start = np.zeros_like(space.nvec) if getattr(space, "start", None) is None else space.start
        return (np.ascontiguousarray(start.reshape(-1), np.int64),
                np.ascontiguousarray((start + space.nvec - 1).reshape(-1), np.int64))
    return None, None


def _check_buffer(game, name, arr, shape, dtype):
    where = f"{game}: buf.{name}"
    if not isinstance(arr, np.ndarray):
        raise TypeError(f"{where} must be a numpy array, got {type(arr).__name__}")
    if arr.shape != shape:
        raise ValueError(f"{where} has shape {arr.shape}, expected {shape}")
    if arr.dtype != dtype:
        raise ValueError(f"{where} has dtype {arr.dtype}, expected {dtype}")
    if not arr.flags.c_contiguous:
        raise ValueError(f"{where} must be C-contiguous")
    if not arr.flags.writeable:
        raise ValueError(f"{where} must be writeable")


class _Record(np.record):
    """A record whose fields win over numpy's own attributes (`p.size`, `s.max`)."""

    def __getattribute__(self, name):
        if name in np.void.__getattribute__(self, "dtype").fields:
            return np.record.__getitem__(self, name)
        return np.record.__getattribute__(self, name)


def _records(a):
    """Under NUMBA_DISABLE_JIT the kernels run as Python and see records as game code
    does: `s.field` reads and writes the field."""
    return a.view(np.dtype((_Record, a.dtype)))


def is_int(x):
    """A Python or numpy integer, and not a bool: what counts, seeds and sizes must be."""
    return isinstance(x, (int, np.integer)) and not isinstance(x, bool)


def _entropy():
    return int(np.random.SeedSequence().entropy) % 2**64
