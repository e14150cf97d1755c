"""The multiprocessing backend: one native env per worker process, over shared memory.

Each worker runs one native env of num_envs / num_workers games over its slice of buffers
in one shared-memory block; game i keeps its random stream, so the same seed gives the same
results as the native env. The parent checks actions, writes them into shared memory and
tells the workers to step; each worker copies them once and steps on its copy, checked
again (a caller writing `actions` meanwhile changes what is stepped, never makes a kernel
read an unchecked value). The shared-memory segment is unlinked once every worker has
mapped it, so no kill (even of the whole process group) can leave it behind.

A change of the workers' state (a step or message sent and its worker marked busy, an
answer read and its worker marked free) that an exception stops halfway, Ctrl-C included,
leaves the workers out of step with the parent: the backend is then closed, and every
later call raises a RuntimeError that says so.
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

import numba
import numpy as np

from numbapuffer import envs
from numbapuffer.engine import logs, pickling
from numbapuffer.backends.base import Workers, batch_groups, check_split, check_timeout, split_seed
from numbapuffer.engine.buffers import allocate, touch
from numbapuffer.engine.checks import check_count, is_int
from numbapuffer.core import Env

__all__ = ["Multiprocessing"]

# The protocol, on a socket pair per worker: a step (its actions are in shared memory) and
# its answer are one byte each, b"s" and b"k", one system call each way (they cost 5-10 us
# on the development VM, more than the rest of a round trip's Python). Anything else is
# b"m" and a pickled message: (command, argument) to the worker for reset, log and close,
# and ("ready", thread count), ("log", dict) or ("error", traceback text) back; a reset's
# answer is b"k".
_STEP, _OK, _MESSAGE = b"s", b"k", b"m"


_workers = weakref.WeakSet()  # every worker process this process started


def _forget_workers():
    """In a child forked from this process (os.fork), the workers are the parent's: take them
    out of multiprocessing's list of this process's children, from which its exit hook
    terminated every daemonic one (SIGTERM to the parent's workers) and joined the rest."""
    children = getattr(mp.process, "_children", set())
    for proc in list(_workers):
        children.discard(proc)
    _workers.clear()


os.register_at_fork(after_in_child=_forget_workers)


def _put(conn, message):
    os.write(conn.fileno(), _MESSAGE)
    conn.send_bytes(pickle.dumps(message))


class Multiprocessing(Workers):
    """`num_workers` processes, each running one native env of num_envs / num_workers games
    over its slice of buffers in shared memory (game i keeps its random stream: the same
    seed gives the same results as the native env).

    batch_size (games; default num_envs): with batch_size < num_envs the workers form
    groups of batch_size games, and recv returns the first group whose workers are all done,
    while the others keep stepping (EnvPool-style); env_ids say which agent rows it is.
    threads_per_worker: Numba threads in each worker (default: cores / workers, so they do
    not oversubscribe the cores). timeout: seconds to wait for a worker's answer before
    declaring it hung (an attribute; start-up waits at least 60 s; float("inf") or None: no
    limit). A worker that dies or
    raises makes the next call raise a RuntimeError naming it and the cause; every worker is
    then stopped and the shared memory released, as on close(), garbage collection and
    interpreter exit.
    """

    def __init__(self, env, num_envs=1, num_workers=None, batch_size=None, seed=None, report_interval=128,
                 threads_per_worker=None, timeout=60.0, **params):
        game = envs.get(env)
        game.make_params(**params)  # checks every param here, with the env's own messages, before any process starts
        cores = os.cpu_count() or 1
        check_count(num_envs, "num_envs")
        num_workers = check_split(num_envs, math.gcd(num_envs, cores) if num_workers is None else num_workers)
        per = num_envs // num_workers
        groups = batch_groups(num_envs, num_workers, batch_size)
        batch = len(groups[0]) * per
        threads = min(max(1, cores // num_workers), numba.config.NUMBA_NUM_THREADS) if threads_per_worker is None \
            else threads_per_worker
        if not is_int(threads) or not 1 <= threads <= numba.config.NUMBA_NUM_THREADS:
            raise ValueError(f"threads_per_worker must be 1..{numba.config.NUMBA_NUM_THREADS}, got {threads!r}")
        timeout = check_timeout(timeout)
        seeds = split_seed(seed, num_envs, num_workers)  # checked here, not in each worker
        specs = self._setup(game.name, game.observation_space, game.action_space, game.agents, num_envs, batch,
                            report_interval)
        # Starting a worker (imports, loading cached kernels) can take long on a loaded machine.
        self.num_workers, self.threads_per_worker, self.timeout = num_workers, int(threads), max(timeout, 60.0)
        self._per = per
        self._groups = groups
        self._in_flight = []  # groups sent and not yet returned by recv, oldest first
        self._current = None  # the group recv returned, whose actions send takes next
        self._busy = [False] * num_workers
        self._replies = [None] * num_workers  # each worker's last answer beyond "done"
        self._error = None
        self._started = False
        self._procs, self._conns, self._fds = [], [], []
        self._poll = select.poll()  # the busy workers' sockets
        layout, size = _layout(specs)
        _check_shm(game.name, size)
        self._shm = shared_memory.SharedMemory(f"npf_{os.getpid()}_{secrets.token_hex(6)}", create=True, size=size)
        self._shm.close()  # mapped again below so that arrays handed out never pin the SharedMemory object
        self._own(_shutdown, self._procs, self._conns, self._shm)
        for name, array in _map(self._shm.name, layout, size).items():
            setattr(self, name, array)
        # A script's game by module and name (the spawned worker re-runs the script, and
        # then uses the same @njit functions and the on-disk kernel cache); any other game
        # travels as it pickles (pickling.py).
        ref = env if isinstance(env, str) else pickling.module_attribute(game, main=True) or game
        for w in range(num_workers):
            self._start(w, (ref, w * per, per, seeds[w], params, self._shm.name, layout, size, self.threads_per_worker))
        self._drain()  # each worker answers once its env is built, with its Numba thread count
        _unlink(self._shm)  # every worker has mapped it
        self._started = True
        self.timeout = timeout
        self.worker_threads = list(self._replies)

    def _start(self, w, args):
        """Start worker `w` (spawned, never forked: Numba's OpenMP layer kills forked children)."""
        ctx = mp.get_context("spawn")
        parent, child = ctx.Pipe()
        proc = ctx.Process(target=_worker, name=f"numbapuffer-worker-{w}", daemon=True, args=(child, *args))
        proc.start()
        _workers.add(proc)
        child.close()  # the worker holds the only child end: its death closes the socket
        self._procs.append(proc)
        self._conns.append(parent)
        self._fds.append(parent.fileno())
        self._busy[w] = True
        self._poll.register(parent.fileno(), select.POLLIN)

    # -- the interface --------------------------------------------------------------------
    def async_reset(self, seed=None):
        self._check_open()
        seeds = split_seed(seed, self.num_envs, self.num_workers)
        self._drain()
        try:
            for w, s in enumerate(seeds):
                self._send(w, ("reset", s))
            self._in_flight = list(self._groups)
            self._current = None
        except BaseException as e:
            self._broken(e, "sending a reset")

    def send(self, actions):
        g = self._to_send()
        self._write_actions(actions, self._rows(g))
        try:
            for w in g:
                self._send(w)
            self._in_flight.append(g)
            self._current = None
        except BaseException as e:
            self._broken(e, "sending a step")
        self._count_send()

    def recv(self):
        self._check_recv()
        while True:
            for g in self._in_flight:
                if not any(self._busy[w] for w in g):
                    try:
                        self._in_flight.remove(g)
                        self._current = g
                    except BaseException as e:
                        self._broken(e, "taking a batch")
                    return self._batch(self._rows(g))
            self._wait()

    def _log(self):
        """Means over every worker's episodes finished since the last read, plus "n"."""
        self._check_open()
        self._drain()  # a worker still stepping answers that first
        try:
            for w in range(self.num_workers):
                self._send(w, ("log", None))
        except BaseException as e:
            self._broken(e, "asking for the logs")
        self._drain()
        replies, self._replies = self._replies, [None] * self.num_workers
        return logs.merge(replies)

    def close(self):
        self._finalizer()
        self.closed = True

    # -- talking to workers -----------------------------------------------------------------
    def _send(self, w, message=None):
        """A step to worker `w` (message None), or a message; it is busy from now until it
        answers (marked first: a worker marked busy that was sent nothing is a hang, one
        sent a step and not marked takes an extra step; callers treat an exception here as
        breaking the backend)."""
        self._busy[w] = True
        self._poll.register(self._fds[w], select.POLLIN)
        try:
            if message is None:
                os.write(self._fds[w], _STEP)
            else:
                _put(self._conns[w], message)
        except OSError:
            self._fail(self._died(w))

    def _drain(self):
        while any(self._busy):
            self._wait()

    def _wait(self):
        """Read the answers of the busy workers that are ready, waiting at most `timeout`.
        A worker that died reads as end of file."""
        ready = self._poll.poll(None if self.timeout == math.inf else self.timeout * 1000)
        if not ready:
            late = [w for w in range(self.num_workers) if self._busy[w]]
            self._fail(f"{self.name}: numbapuffer workers {late} did not answer within {self.timeout:g} s "
                       f"(hung in env code?)")
        for fd, _ in ready:
            w = self._fds.index(fd)
            try:
                try:
                    head = os.read(fd, 1)
                    message = pickle.loads(self._conns[w].recv_bytes()) if head == _MESSAGE else None
                except (EOFError, OSError):
                    head = b""
                if head not in (_OK, _MESSAGE):
                    self._fail(self._died(w))
                self._poll.unregister(fd)
                self._busy[w] = False
            except BaseException as e:
                self._broken(e, f"reading the answer of worker {w}")
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

    def _broken(self, error, what):
        """`error` stopped a change of the workers' state halfway: close, and make every
        later call say why (unless a worker's failure, already said, was the cause)."""
        if self._error is None:
            self._fail(f"{self.name}: interrupted by {type(error).__name__} while {what}, which leaves the workers "
                       "out of step; this vector env is closed: make a new one", raise_=False)
        raise error

    def _fail(self, message, raise_=True):
        """Stop everything and remember why: every later call raises the same error."""
        self._error = message
        self.close()
        if raise_:
            raise RuntimeError(message)


def _layout(specs):
    """Offsets of each buffer in one shared-memory block, each aligned to 64 bytes."""
    layout, offset = [], 0
    for name, (shape, dtype) in specs.items():
        layout.append((name, offset, shape, np.dtype(dtype).str))
        offset += -(-int(np.prod(shape)) * np.dtype(dtype).itemsize // 64) * 64
    return layout, max(offset, 64)


SHM = "/dev/shm"  # where Linux keeps the segments (shm_open); _map opens them there


def _check_shm(name, size):
    """Raise a MemoryError when a segment of `size` bytes would not fit in the free space of
    SHM, before it is made: a segment is sparse, and writing a page past the free space
    kills the process with SIGBUS."""
    free = _shm_free()
    if free is not None and size > free:
        raise MemoryError(f"{name}: the multiprocessing backend needs {size:,} bytes ({size / 2**20:.3g} MiB) of "
                          f"shared memory in {SHM}, which has {free:,} bytes ({free / 2**20:.3g} MiB) free; use "
                          f"fewer games, free space there, or make it larger (docker run --shm-size=...)")


def _shm_free():
    """Bytes free in SHM for this user, or None where it cannot be told."""
    try:
        st = os.statvfs(SHM)
    except OSError:
        return None
    return st.f_bavail * st.f_frsize


def _map(name, layout, size):
    """The buffers of a shared-memory block, mapped with mmap directly: arrays handed out
    keep the mapping alive, and unlinking never waits on them (Linux: /dev/shm)."""
    fd = os.open(os.path.join(SHM, name), os.O_RDWR)
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
    _unlink(shm)


def _unlink(shm):
    try:
        shm.unlink()
    except FileNotFoundError:
        pass


def _worker(conn, ref, offset, games, seed, params, shm_name, layout, size, threads):
    """A worker process: one native env over its slice of the shared buffers, serving the
    parent's commands until it closes; any exception goes back to the parent as text."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    try:
        numba.set_num_threads(threads)
        game = getattr(__import__(ref[0], fromlist=[ref[1]]), ref[1]) if isinstance(ref, tuple) else envs.get(ref)
        env, actions = _worker_env(game, offset, games, seed, params, shm_name, layout, size)
        _put(conn, ("ready", numba.get_num_threads()))
        _serve(conn, env, actions)
    except BaseException:
        try:
            _put(conn, ("error", traceback.format_exc()))
        except OSError:
            pass


def _worker_env(game, offset, games, seed, params, shm_name, layout, size):
    """A worker's env over its slice of the shared buffers (pages touched here), except
    actions: the env's own, a checked copy of the shared ones (see _step). Returns the env
    and its slice of the shared actions."""
    rows = slice(offset * game.agents, (offset + games) * game.agents)
    buf = {k: touch(v[rows]) for k, v in _map(shm_name, layout, size).items()}
    shared = buf["actions"]
    buf["actions"] = allocate(shared.shape, shared.dtype)
    return Env(game, games, seed=seed, buf=buf, game_offset=offset, report_interval=0, **params), shared


def _step(env, shared):
    """One step of the parent's actions, read from shared memory once into the env's own
    buffer, which the env checks and the kernel reads."""
    np.copyto(env.actions, shared)
    env.step(env.actions)


def _serve(conn, env, shared_actions):
    """Answer the parent's steps and messages until it says close or goes away."""
    fd = conn.fileno()
    while True:
        try:
            head = os.read(fd, 1)
        except OSError:
            return
        if head == _STEP:
            _step(env, shared_actions)
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
