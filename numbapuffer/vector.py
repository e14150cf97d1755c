"""Vectorization beyond one in-process env, and the gymnasium drop-in.

`make(env, num_envs, backend=...)` gives one interface over three backends:

    native           the native Env itself: one object, one kernel call per step
    serial           several native envs (or plain gymnasium envs, emulated) stepped in a
                     loop in this process, writing into one set of buffers
    multiprocessing  one native env per worker process over its slice of shared-memory
                     buffers; batch_size < num_envs gives EnvPool-style async recv

    obs, infos = vec.reset(seed=0)
    obs, rewards, terminals, truncations, infos = vec.step(actions)
    vec.async_reset(seed=0); vec.send(actions)
    obs, rewards, terminals, truncations, infos, env_ids, masks = vec.recv()
    vec.log(); vec.close()

`recv` returns views of the buffers for one batch of agents: rows `env_ids` of the whole.
`send` takes the actions of the batch the last `recv` returned. `step` is send + recv,
`reset` is async_reset + recv. Games autoreset as in the native env.

`NumbaVecEnv` is a `gymnasium.vector.VectorEnv` over one native env, registered as
`numbapuffer/<Name>-v0` for `gymnasium.make_vec`.
"""
import math
import mmap
import multiprocessing as mp
import os
import pickle
import secrets
import select
import signal
import sys
import traceback
import weakref
from multiprocessing import shared_memory

import gymnasium
import numba
import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode
from gymnasium.vector.utils import batch_space

from numbapuffer import envs
from numbapuffer.core import BUFFERS, Env, Game, _action_bounds, buffer_specs, is_int, write_actions

__all__ = ["make", "Serial", "Multiprocessing", "NumbaVecEnv", "NumbaEnv", "register"]

BACKENDS = ("native", "serial", "multiprocessing")


def make(env, num_envs=1, backend="native", num_workers=None, batch_size=None, seed=None, **params):
    """A vector of `num_envs` games of `env` (an env id, a Game, or for the serial backend
    a creator of a single-agent gymnasium env) on `backend`. The multiprocessing backend
    also takes `threads_per_worker` and `timeout` (see Multiprocessing)."""
    if backend == "native":
        if num_workers not in (None, 1) or batch_size not in (None, num_envs):
            raise ValueError("the native backend is one env in this process: num_workers and batch_size "
                             "are for the serial and multiprocessing backends")
        return Env(_game(env), num_envs, seed=seed, **params)
    if backend == "serial":
        return Serial(env, num_envs, num_workers, batch_size, seed, **params)
    if backend == "multiprocessing":
        return Multiprocessing(env, num_envs, num_workers, batch_size, seed, **params)
    raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, got {backend!r}")


def _game(env):
    if isinstance(env, Game):
        return env
    if isinstance(env, str):
        return envs.get(env)
    raise TypeError(f"env must be an env id from numbapuffer.list_envs() or a Game, got {env!r}")


def _merge_logs(logs):
    """One log from several envs' logs: means weighted by their episode counts."""
    logs = [log for log in logs if log]
    n = sum(log["n"] for log in logs)
    if n == 0:
        return {}
    out = {k: sum(log[k] * log["n"] for log in logs) / n for k in logs[0] if k != "n"}
    out["n"] = n
    return out


class _Vec:
    """What the serial and multiprocessing backends share: spaces, buffers, step and reset
    as send + recv, action checks before any game is touched, and infos carrying log()
    every `report_interval` batches sent (as the native env's step does)."""

    def _setup(self, name, observation_space, action_space, agents, num_envs, batch_size, report_interval):
        self.name = name
        self.num_envs = num_envs
        self.agents_per_game = agents
        self.num_agents = num_envs * agents
        self.batch_size = num_envs if batch_size is None else batch_size
        self.single_observation_space = observation_space
        self.single_action_space = action_space
        # Spaces of one batch: what recv returns and send takes (everything unless async).
        self.observation_space = batch_space(observation_space, self.batch_size * agents)
        self.action_space = batch_space(action_space, self.batch_size * agents)
        self.report_interval = report_interval
        self._lo, self._hi = _action_bounds(action_space)
        self._sent_batches = self._reports = 0  # for _infos
        self.closed = False
        return buffer_specs(observation_space, action_space, self.num_agents)

    def reset(self, seed=None):
        self.async_reset(seed)
        return self.recv()[0], []

    def step(self, actions):
        self.send(actions)
        return self.recv()[:5]

    def _write_actions(self, actions, rows):
        write_actions(self.name, self.single_action_space, self._lo, self._hi, actions, self.actions[rows])

    def _infos(self):
        if self.report_interval and self._sent_batches // self.report_interval > self._reports:
            self._reports += 1
            log = self.log()
            if log:
                return [log]
        return []

    def _batch(self, rows):
        return (self.observations[rows], self.rewards[rows], self.terminals[rows], self.truncations[rows],
                self._infos(), self._env_ids[rows], self.masks[rows])

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        return f"{type(self).__name__}({self.name!r}, num_envs={self.num_envs})"


# ---------------------------------------------------------------------------------------
# Serial: several envs stepped in turn in this process
# ---------------------------------------------------------------------------------------
class Serial(_Vec):
    """`num_workers` native envs over consecutive slices of one set of buffers, stepped in
    turn; or, when `env` is a creator of gymnasium envs (`lambda: gymnasium.make(...)`),
    `num_envs` of them emulated as one native env (see _Gymnasium)."""

    def __init__(self, env, num_envs=1, num_workers=None, batch_size=None, seed=None, report_interval=128,
                 **params):
        if batch_size not in (None, num_envs):
            raise ValueError("the serial backend steps every game at once: batch_size must be num_envs")
        if callable(env) and not isinstance(env, Game):
            if params or num_workers not in (None, 1):
                raise TypeError("a gymnasium env creator takes no game params or num_workers: "
                                f"got {sorted(params) + (['num_workers'] if num_workers else [])}")
            _check_num_envs(num_envs)
            gym_envs = [env() for _ in range(num_envs)]
            _Gymnasium.check(gym_envs)
            first = gym_envs[0]
            name = first.spec.id if first.spec is not None else type(first.unwrapped).__name__
            specs = self._setup(name, first.observation_space, first.action_space, 1, num_envs, None,
                                report_interval)
            _allocate(self, specs)
            self.envs = [_Gymnasium(gym_envs, self._buffers(0, num_envs), seed)]
        else:
            game = _game(env)
            num_workers = _check_split(num_envs, 1 if num_workers is None else num_workers)
            specs = self._setup(game.name, game.observation_space, game.action_space, game.agents, num_envs,
                                None, report_interval)
            _allocate(self, specs)
            per = num_envs // num_workers
            self.envs = [Env(game, per, seed=seed, buf=self._buffers(w * per, (w + 1) * per),
                             game_offset=w * per, report_interval=0, **params) for w in range(num_workers)]
        self._env_ids = np.arange(self.num_agents)
        self._sent = False

    def _buffers(self, lo, hi):
        rows = slice(lo * self.agents_per_game, hi * self.agents_per_game)
        return {k: getattr(self, k)[rows] for k in BUFFERS}

    def async_reset(self, seed=None):
        seeds = _split_seed(seed, self.num_envs, len(self.envs))
        for e, s in zip(self.envs, seeds):
            e.reset(seed=s)
        self._sent = True

    def send(self, actions):
        self._write_actions(actions, slice(None))  # all checked before any game moves
        for e in self.envs:
            e.step(e.actions)
        self._sent = True
        self._sent_batches += 1

    def recv(self):
        if not self._sent:
            raise RuntimeError(f"{self.name}: recv needs an async_reset or send first")
        self._sent = False
        return self._batch(slice(None))

    def log(self):
        return _merge_logs([e.log() for e in self.envs])

    def close(self):
        for e in self.envs:
            e.close()
        self.closed = True



def _allocate(vec, specs):
    for name, (shape, dtype) in specs.items():
        setattr(vec, name, np.zeros(shape, dtype))


def _check_num_envs(num_envs):
    if not is_int(num_envs) or num_envs < 1:
        raise ValueError(f"num_envs must be an integer >= 1, got {num_envs!r}")


def _check_split(num_envs, num_workers):
    _check_num_envs(num_envs)
    if not is_int(num_workers) or num_workers < 1:
        raise ValueError(f"num_workers must be an integer >= 1, got {num_workers!r}")
    if num_envs % num_workers:
        raise ValueError(f"num_envs ({num_envs}) must be a multiple of num_workers ({num_workers})")
    return int(num_workers)


def _split_seed(seed, num_envs, parts):
    """Each part's share of a reset seed: an int is the same for all (game i's stream is
    (seed, i) wherever it runs), a list of one int per game is sliced."""
    if seed is None or is_int(seed):
        return [seed] * parts
    seeds = list(seed)
    if len(seeds) != num_envs or not all(is_int(x) for x in seeds):
        raise ValueError(f"seed must be an int or {num_envs} ints, got {seed!r}")
    per = num_envs // parts
    return [seeds[w * per:(w + 1) * per] for w in range(parts)]


class _Gymnasium:
    """Single-agent gymnasium envs emulated as one native env: each writes its results into
    its row of the buffers and, like a native game, restarts in the step that ends it (the
    observation returned is the new episode's first; terminal/truncation stay set).
    reset(seed=int) seeds env i with seed + i, as gymnasium's vector envs do."""

    @staticmethod
    def check(gym_envs):
        for e in gym_envs:
            if not isinstance(e, gymnasium.Env):
                raise TypeError(f"the env creator must return a gymnasium.Env, got {type(e).__name__}")
            if not isinstance(e.observation_space, spaces.Box):
                raise TypeError(f"emulated gymnasium envs need a Box observation space, got {e.observation_space}")
            if not isinstance(e.action_space, (spaces.Discrete, spaces.MultiDiscrete, spaces.Box)):
                raise TypeError(f"emulated gymnasium envs need a Discrete, MultiDiscrete or Box action space, "
                                f"got {e.action_space}")
            if e.observation_space != gym_envs[0].observation_space or e.action_space != gym_envs[0].action_space:
                raise ValueError("every emulated gymnasium env must have the same spaces")

    def __init__(self, gym_envs, buf, seed):
        self.envs = gym_envs
        self.actions = buf["actions"]
        self.buf = buf
        self._seed = seed  # make(seed=...) seeds the first reset
        n = len(gym_envs)
        self._returns, self._lengths = np.zeros(n), np.zeros(n, np.int64)
        self._log = [0.0, 0.0, 0]  # sums of returns and lengths, episodes

    def reset(self, seed=None):
        if seed is None:
            seed, self._seed = self._seed, None
        n, b = len(self.envs), self.buf
        seeds = [None] * n if seed is None else [seed + i for i in range(n)] if isinstance(seed, (int, np.integer)) \
            else seed
        for i, (e, s) in enumerate(zip(self.envs, seeds)):
            b["observations"][i] = e.reset(seed=None if s is None else int(s))[0]
        b["rewards"][:] = 0
        b["terminals"][:] = False
        b["truncations"][:] = False
        b["masks"][:] = True
        self._returns[:] = 0
        self._lengths[:] = 0

    def step(self, actions):
        b = self.buf
        discrete = isinstance(self.envs[0].action_space, spaces.Discrete)
        for i, e in enumerate(self.envs):
            obs, reward, terminal, truncation, _ = e.step(int(actions[i]) if discrete else actions[i].copy())
            b["rewards"][i], b["terminals"][i], b["truncations"][i] = reward, terminal, truncation
            self._returns[i] += reward
            self._lengths[i] += 1
            if terminal or truncation:
                self._log[0] += self._returns[i]
                self._log[1] += self._lengths[i]
                self._log[2] += 1
                self._returns[i], self._lengths[i] = 0, 0
                obs = e.reset()[0]
            b["observations"][i] = obs

    def log(self):
        total_return, total_length, n = self._log
        self._log = [0.0, 0.0, 0]
        return {} if n == 0 else {"episode_return": float(total_return / n), "episode_length": float(total_length / n),
                                  "n": n}

    def close(self):
        for e in self.envs:
            e.close()


# ---------------------------------------------------------------------------------------
# Multiprocessing: one native env per worker over shared memory
# ---------------------------------------------------------------------------------------
# The protocol, on a socket pair per worker: a step (its actions are in shared memory) and
# its answer are one byte each, b"s" and b"k", one system call each way (they cost 5-10 us
# on the development VM, more than the rest of a round trip's Python). Anything else is
# b"m" and a pickled message: (command, argument) to the worker for reset, log and close,
# and ("ready", thread count), ("log", dict) or ("error", traceback text) back; a reset's
# answer is b"k".
_STEP, _OK, _MESSAGE = b"s", b"k", b"m"


def _put(conn, message):
    os.write(conn.fileno(), _MESSAGE)
    conn.send_bytes(pickle.dumps(message))


class Multiprocessing(_Vec):
    """`num_workers` processes, each running one native env of num_envs / num_workers games
    over its slice of buffers in shared memory (game i keeps its random stream: the same
    seed gives the same results as the native env).

    batch_size (games; default num_envs): with batch_size < num_envs the workers form
    groups of batch_size games, and recv returns the first group whose workers are all done,
    while the others keep stepping (EnvPool-style); env_ids say which agent rows it is.
    threads_per_worker: Numba threads in each worker (default: cores / workers, so they do
    not oversubscribe the cores). timeout: seconds to wait for a worker's answer before
    declaring it hung (an attribute; start-up waits at least 60 s). A worker that dies or
    raises makes the next call raise a RuntimeError naming it and the cause; every worker is
    then stopped and the shared memory released, as on close(), garbage collection and
    interpreter exit.
    """

    def __init__(self, env, num_envs=1, num_workers=None, batch_size=None, seed=None, report_interval=128,
                 threads_per_worker=None, timeout=60.0, **params):
        game = _game(env)
        game.make_params(**params)  # checks every param here, with the env's own messages, before any process starts
        _check_num_envs(num_envs)
        cores = os.cpu_count() or 1
        num_workers = _check_split(num_envs, math.gcd(num_envs, cores) if num_workers is None else num_workers)
        per = num_envs // num_workers
        batch = num_envs if batch_size is None else batch_size
        if not is_int(batch) or batch < 1 or batch % per or num_envs % batch:
            raise ValueError(f"batch_size ({batch_size!r}) must divide num_envs ({num_envs}) and be a multiple "
                             f"of the games per worker ({per})")
        threads = threads_per_worker
        if threads is None:
            threads = min(max(1, cores // num_workers), numba.config.NUMBA_NUM_THREADS)
        if not isinstance(threads, (int, np.integer)) or not 1 <= threads <= numba.config.NUMBA_NUM_THREADS:
            raise ValueError(f"threads_per_worker must be 1..{numba.config.NUMBA_NUM_THREADS}, got {threads!r}")
        if not timeout > 0:
            raise ValueError(f"timeout must be > 0 seconds, got {timeout!r}")
        specs = self._setup(game.name, game.observation_space, game.action_space, game.agents, num_envs, batch,
                            report_interval)
        # Starting a worker (imports, loading cached kernels) can take long on a loaded machine.
        self.num_workers, self.threads_per_worker, self.timeout = num_workers, int(threads), max(timeout, 60.0)
        self._per = per
        self._env_ids = np.arange(self.num_agents)
        group = batch // per  # workers per batch
        self._groups = [list(range(g, g + group)) for g in range(0, num_workers, group)]
        self._in_flight = []  # groups sent and not yet returned by recv, oldest first
        self._current = None  # the group recv returned, whose actions send takes next
        self._busy = [False] * num_workers
        self._replies = [None] * num_workers  # each worker's last answer beyond "done"
        self._error = None
        self._started = False

        layout, size = _layout(specs)
        self._shm = shared_memory.SharedMemory(f"npf_{os.getpid()}_{secrets.token_hex(6)}", create=True, size=size)
        self._shm.close()  # mapped again below so that arrays handed out never pin the SharedMemory object
        self._procs, self._conns, self._fds = [], [], []
        self._poll = select.poll()  # the busy workers' sockets
        self._finalizer = weakref.finalize(self, _shutdown, self._procs, self._conns, self._shm)
        for name, array in _map(self._shm.name, layout, size).items():
            setattr(self, name, array)

        ctx = mp.get_context("spawn")  # never fork: Numba's OpenMP layer kills forked children
        ref = env if isinstance(env, str) else _game_ref(game)
        for w in range(num_workers):
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=_worker, name=f"numbapuffer-worker-{w}", daemon=True,
                               args=(child, ref, w * per, per, seed, params, self._shm.name, layout, size,
                                     self.threads_per_worker))
            proc.start()
            child.close()  # the worker holds the only child end: its death closes the socket
            self._procs.append(proc)
            self._conns.append(parent)
            self._fds.append(parent.fileno())
            self._busy[w] = True
            self._poll.register(parent.fileno(), select.POLLIN)
        self._drain()  # each worker answers once its env is built, with its Numba thread count
        self._started = True
        self.timeout = float(timeout)
        self.worker_threads = list(self._replies)

    # -- the interface --------------------------------------------------------------------
    def async_reset(self, seed=None):
        self._check_open()
        seeds = _split_seed(seed, self.num_envs, self.num_workers)
        self._drain()
        for w, s in enumerate(seeds):
            self._send(w, ("reset", s))
        self._in_flight = list(self._groups)
        self._current = None

    def send(self, actions):
        self._check_open()
        g = self._current
        if g is None:
            raise RuntimeError(f"{self.name}: send takes the actions of the batch the last recv returned; "
                               "call recv (or reset) first")
        self._write_actions(actions, self._rows(g))
        for w in g:
            self._send(w)
        self._sent_batches += 1
        self._in_flight.append(g)
        self._current = None

    def recv(self):
        self._check_open()
        if self._current is not None:
            raise RuntimeError(f"{self.name}: send the actions of the batch the last recv returned first")
        if not self._in_flight:
            raise RuntimeError(f"{self.name}: recv needs an async_reset or send first")
        while True:
            for g in self._in_flight:
                if not any(self._busy[w] for w in g):
                    self._in_flight.remove(g)
                    self._current = g
                    return self._batch(self._rows(g))
            self._wait()

    def log(self):
        """Means over every worker's episodes finished since the last call, plus "n"."""
        self._check_open()
        self._drain()  # a worker still stepping answers that first
        for w in range(self.num_workers):
            self._send(w, ("log", None))
        self._drain()
        logs, self._replies = self._replies, [None] * self.num_workers
        return _merge_logs(logs)

    def close(self):
        self._finalizer()
        self.closed = True

    # -- talking to workers -----------------------------------------------------------------
    def _rows(self, group):
        A = self.agents_per_game
        return slice(group[0] * self._per * A, (group[-1] + 1) * self._per * A)

    def _check_open(self):
        if self._error is not None:
            raise RuntimeError(self._error)
        if self.closed:
            raise RuntimeError(f"{self.name}: this vector env is closed")

    def _send(self, w, message=None):
        """A step to worker `w` (message None), or a message; it is then busy until it answers."""
        try:
            if message is None:
                os.write(self._fds[w], _STEP)
            else:
                _put(self._conns[w], message)
        except OSError:
            self._fail(self._died(w))
        self._busy[w] = True
        self._poll.register(self._fds[w], select.POLLIN)

    def _drain(self):
        while any(self._busy):
            self._wait()

    def _wait(self):
        """Read the answers of the busy workers that are ready, waiting at most `timeout`.
        A worker that died reads as end of file."""
        ready = self._poll.poll(self.timeout * 1000)
        if not ready:
            late = [w for w in range(self.num_workers) if self._busy[w]]
            self._fail(f"{self.name}: numbapuffer workers {late} did not answer within {self.timeout:g} s "
                       f"(hung in env code?)")
        for fd, _ in ready:
            w = self._fds.index(fd)
            try:
                head = os.read(fd, 1)
                message = pickle.loads(self._conns[w].recv_bytes()) if head == _MESSAGE else None
            except (EOFError, OSError):
                head = b""
            if head not in (_OK, _MESSAGE):
                self._fail(self._died(w))
            self._poll.unregister(fd)
            self._busy[w] = False
            if message is not None:
                kind, value = message
                if kind == "error":
                    where = "in env code" if self._started else "while starting"
                    self._fail(f"{self._worker_name(w)} raised an exception {where}:\n{value}")
                self._replies[w] = value

    def _worker_name(self, w):
        lo = w * self._per
        return f"{self.name}: numbapuffer worker {w} (pid {self._procs[w].pid}, games {lo}..{lo + self._per - 1})"

    def _died(self, w):
        proc = self._procs[w]
        proc.join(5.0)  # its socket closed: it is exiting, if slowly on a loaded machine
        code = proc.exitcode
        if code is None:
            cause = "it closed its socket"
        elif code < 0:
            cause = f"killed by signal {signal.Signals(-code).name}"
        else:
            cause = f"exited with code {code}"
        if not self._started:  # e.g. a script without the main guard, which spawn re-runs
            cause += (" while starting (its traceback is above; a script that starts workers needs "
                      "`if __name__ == \"__main__\":`)")
        return f"{self._worker_name(w)} died: {cause}"

    def _fail(self, message):
        """Stop everything and remember why: every later call raises the same error."""
        self._error = message
        self.close()
        raise RuntimeError(message)


def _layout(specs):
    """Offsets of each buffer in one shared-memory block, each aligned to 64 bytes."""
    layout, offset = [], 0
    for name, (shape, dtype) in specs.items():
        layout.append((name, offset, shape, np.dtype(dtype).str))
        offset += -(-int(np.prod(shape)) * np.dtype(dtype).itemsize // 64) * 64
    return layout, max(offset, 64)


def _map(name, layout, size):
    """The buffers of a shared-memory block, mapped with mmap directly: arrays handed out
    keep the mapping alive, and unlinking never waits on them (Linux: /dev/shm)."""
    fd = os.open(os.path.join("/dev/shm", name), os.O_RDWR)
    try:
        block = mmap.mmap(fd, size)
    finally:
        os.close(fd)
    return {k: np.ndarray(shape, np.dtype(dt), buffer=block, offset=off) for k, off, shape, dt in layout}


def _shutdown(procs, conns, shm):
    """Stop every worker (politely, then by force) and unlink the shared memory."""
    for conn in conns:
        try:
            _put(conn, ("close", None))
        except OSError:
            pass
    for proc in procs:
        proc.join(2.0)
        if proc.exitcode is None:
            proc.kill()
            proc.join(2.0)
    for conn in conns:
        conn.close()
    try:
        shm.unlink()
    except FileNotFoundError:
        pass


def _game_ref(game):
    """How a worker finds `game`: by module and attribute when it is one that a worker can
    import (so it uses the same @njit functions and the on-disk kernel cache), else the
    Game pickled whole (a game from a notebook or `python -c`: compiled in each worker)."""
    module = sys.modules.get(game.step.py_func.__module__)
    if module is not None and (module.__name__ != "__main__" or getattr(module, "__file__", None)):
        for attr, value in vars(module).items():
            if value is game:
                return (module.__name__, attr)
    return game


def _worker(conn, ref, offset, games, seed, params, shm_name, layout, size, threads):
    """A worker process: one native env over its slice of the shared buffers."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    try:
        numba.set_num_threads(threads)
        if isinstance(ref, str):
            game = envs.get(ref)
        elif isinstance(ref, tuple):
            game = getattr(__import__(ref[0], fromlist=[ref[1]]), ref[1])
        else:
            game = ref
        arrays = _map(shm_name, layout, size)
        rows = slice(offset * game.agents, (offset + games) * game.agents)
        buf = {k: v[rows] for k, v in arrays.items()}
        for v in buf.values():
            v[...] = 0  # touch the pages here: first-touch faults inside a kernel cost 100x
        env = Env(game, games, seed=seed, buf=buf, game_offset=offset, report_interval=0, **params)
        _put(conn, ("ready", numba.get_num_threads()))
        fd = conn.fileno()
        while True:
            try:
                head = os.read(fd, 1)
            except OSError:
                return
            if head == _STEP:
                env.step(env.actions)
                os.write(fd, _OK)
                continue
            if head != _MESSAGE:  # end of file: the parent is gone
                return
            command, arg = pickle.loads(conn.recv_bytes())
            if command == "reset":
                env.reset(seed=arg)
                os.write(fd, _OK)
            elif command == "log":
                _put(conn, ("log", env.log()))
            else:  # close: nothing to save, so skip the interpreter's teardown (~0.3 s)
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(0)
    except BaseException:
        try:
            _put(conn, ("error", traceback.format_exc()))
        except OSError:
            pass


# ---------------------------------------------------------------------------------------
# The gymnasium drop-in
# ---------------------------------------------------------------------------------------
class NumbaVecEnv(gymnasium.vector.VectorEnv):
    """A gymnasium vector env over one native env of `num_envs` single-agent games.

    autoreset_mode: NEXT_STEP (default; the step after an episode ends returns the new
    episode's first observation, reward 0, no done), SAME_STEP (the new episode's first
    observation comes at once; infos hold "final_obs" and "final_info"), or DISABLED
    (ended games stay ended until reset(options={"reset_mask": mask})).

    As in the native env, the arrays returned are the env's buffers, overwritten by the
    next step: copy what you keep. reset(seed=int) gives game i the stream (seed, i); a list
    gives one seed per game.

    The native log reaches infos as the native env's step reports it, every
    `report_interval` steps: infos["log"] holds, per game, the means of the log fields over
    the episodes it finished since the last report and their count "n" (mask "_log": the
    games that finished any); "episode" stays free for RecordEpisodeStatistics. log() gives
    the same sums aggregated over games; each clears them. Per-episode stats need a pass over
    every game's flags after each step, which costs more than the rest of this layer: use
    RecordEpisodeStatistics for those.
    """

    def __init__(self, env, num_envs=1, seed=None, autoreset_mode=AutoresetMode.NEXT_STEP, render_mode=None,
                 report_interval=128, **params):
        game = _game(env)
        if game.agents != 1:
            raise ValueError(f"{game.name} has {game.agents} agents per game; NumbaVecEnv is for single-agent "
                             f"games: use its PettingZoo API (numbapuffer.envs.{game.name}.parallel_env()) or "
                             f"numbapuffer.make")
        mode = AutoresetMode(autoreset_mode)
        # SAME_STEP runs the engine without autoreset: the final observation must be copied
        # out before the game restarts.
        self.env = Env(game, num_envs, seed=seed, render_mode=render_mode, report_interval=0,
                       autoreset="next_step" if mode == AutoresetMode.NEXT_STEP else "disabled", **params)
        e = self.env
        self.num_envs = e.num_envs
        self.single_observation_space, self.single_action_space = e.single_observation_space, e.single_action_space
        self.observation_space, self.action_space = e.observation_space, e.action_space
        self.metadata = {"autoreset_mode": mode, **e.metadata}
        self.render_mode = render_mode
        self.autoreset_mode = mode
        self.report_interval = report_interval
        self._same_step = mode == AutoresetMode.SAME_STEP
        self._steps = 0

    def reset(self, *, seed=None, options=None):
        mask = None
        for key, value in (options or {}).items():
            if key != "reset_mask":
                raise ValueError(f"{self.env.game.name}: unknown reset option {key!r} (known: reset_mask)")
            mask = _check_reset_mask(value, self.num_envs)
        if is_int(seed):
            super().reset(seed=int(seed))  # np_random, as gymnasium's vector envs seed it
        self.env.reset(seed=seed, mask=mask)
        return self.env.observations, {}

    def step(self, actions):
        obs, rewards, terminations, truncations, _ = self.env.step(actions)
        self._steps += 1
        infos = {}
        if self.report_interval and self._steps % self.report_interval == 0:
            infos = self._log_infos()
        if self._same_step:
            ended = terminations | truncations
            if ended.any():
                final = np.full(self.num_envs, None, object)
                for i in np.flatnonzero(ended):
                    final[i] = obs[i].copy()
                infos.update(final_obs=final, _final_obs=ended, final_info={}, _final_info=ended)
                rewards, terminations, truncations = rewards.copy(), terminations.copy(), truncations.copy()
                self.env.reset(mask=ended)  # clears the ended games' buffers: copied above
        return obs, rewards, terminations, truncations, infos

    def _log_infos(self):
        logs = self.env.logs
        n = logs["n"].copy()
        ended = n > 0
        if not ended.any():
            return {}
        info = {f: np.divide(logs[f], n, out=np.zeros(self.num_envs), where=ended) for f in self.env.game.log_fields}
        info["n"] = n
        logs[...] = 0
        return {"log": info, "_log": ended}

    def log(self):
        """The native log: means over the episodes ended since the last call (or report), "n"."""
        return self.env.log()

    def render(self):
        return self.env.render()

    def close_extras(self, **kwargs):
        self.env.close()


def _check_reset_mask(mask, num_envs):
    if not isinstance(mask, np.ndarray) or mask.dtype != np.bool_ or mask.shape != (num_envs,):
        got = f"{mask.dtype} array of shape {mask.shape}" if isinstance(mask, np.ndarray) else type(mask).__name__
        raise ValueError(f"options['reset_mask'] must be a numpy bool array of shape ({num_envs},), got {got}")
    if not mask.any():
        raise ValueError("options['reset_mask'] must have at least one True value")
    return mask


class NumbaEnv(gymnasium.Env):
    """One game of a single-agent native env as a plain gymnasium.Env (`gymnasium.make`).

    As gymnasium expects of a single env, it does not restart itself: call reset() after a
    terminated or truncated step. Observations are copies. One game per call pays Python's
    overhead on every step: for speed use NumbaVecEnv or the native env."""

    # gymnasium.make reads the class's modes before it makes an env (each first-party game
    # has a view); an instance carries its own game's.
    metadata = {"render_modes": ["human", "rgb_array"], "render_fps": None}

    def __init__(self, env, render_mode=None, **params):
        game = _game(env)
        if game.agents != 1:
            raise ValueError(f"{game.name} has {game.agents} agents per game; NumbaEnv is for single-agent "
                             f"games: use its PettingZoo API (numbapuffer.envs.{game.name}.parallel_env())")
        self.env = Env(game, 1, render_mode=render_mode, report_interval=0, autoreset="disabled", **params)
        self.observation_space, self.action_space = game.observation_space, game.action_space
        self.metadata = dict(self.env.metadata)
        self.render_mode = render_mode

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.env.reset(seed=seed)
        return self.env.observations[0].copy(), {}

    def step(self, action):
        obs, rewards, terminals, truncations, _ = self.env.step(np.reshape(action, self.env.actions.shape))
        return obs[0].copy(), float(rewards[0]), bool(terminals[0]), bool(truncations[0]), {}

    def render(self):
        return self.env.render()

    def close(self):
        self.env.close()


def register():
    """Register numbapuffer/<Name>-v0 with gymnasium for every first-party env: NumbaVecEnv
    for gymnasium.make_vec, NumbaEnv (one game) for gymnasium.make. Env modules load only
    when one is made."""
    for env_id, name in envs.ENVS.items():
        gym_id = f"numbapuffer/{name}-v0"
        if gym_id not in gymnasium.registry:
            gymnasium.register(gym_id, entry_point="numbapuffer.vector:NumbaEnv",
                               vector_entry_point="numbapuffer.vector:NumbaVecEnv", kwargs={"env": env_id})
