"""The Ray backend: one native env per Ray actor, on whatever node of a Ray cluster Ray puts it.

Each actor runs one native env of num_envs / num_workers games; game i keeps its random
stream wherever it runs, so the same seed gives the same results as the native env. The
driver checks actions and sends each actor its slice as one numpy array; observations,
rewards, terminals, truncations and masks come back as numpy arrays through Ray's object
store and are copied into the driver's buffers, which recv returns as the other backends do.

Every step is a round trip to each actor (about a millisecond, more across machines):
worth it for envs that are expensive per step, or many games per actor; see the README's
"Scaling out". Only this module imports ray (`pip install "numbapuffer[ray]"`).
"""
import math
import os
import time

import numba
import ray
from ray.exceptions import GetTimeoutError, RayActorError, RayTaskError

from numbapuffer import envs
from numbapuffer.engine import logs
from numbapuffer.backends.base import Workers, batch_groups, check_split, check_timeout, split_seed, time_left
from numbapuffer.engine.buffers import allocate
from numbapuffer.engine.checks import check_count, is_int, parse_seed
from numbapuffer.core import Env

__all__ = ["Ray", "connect", "kill_actors"]


class Ray(Workers):
    """`num_workers` Ray actors, each running one native env of num_envs / num_workers games.

    Connects to the running cluster at `address` (or $RAY_ADDRESS) unless Ray is already
    initialized in this process, else starts a local one. Actors are spread over the nodes
    (scheduling strategy SPREAD), each reserving `threads_per_worker` CPUs (its Numba
    threads). batch_size (games; default num_envs): with batch_size < num_envs the actors
    form groups of batch_size games, and recv returns the first group whose actors are all
    done while the others keep stepping (EnvPool-style); env_ids say which agent rows it is.
    timeout: seconds to wait for an actor's answer (start-up waits at least 120 s; float("inf")
    or None: no limit). An actor
    that dies (or its node) or raises makes the call raise a RuntimeError naming the worker,
    its node and the cause; every actor is then killed, as on close() and garbage collection.
    """

    def __init__(self, env, num_envs=1, num_workers=None, batch_size=None, seed=None, report_interval=128,
                 threads_per_worker=1, timeout=60.0, address=None, **params):
        game = envs.get(env)
        game.make_params(**params)  # checks every param here, before any actor starts
        check_count(num_envs, "num_envs")
        parse_seed(seed, num_envs)  # checked before Ray starts
        if not is_int(threads_per_worker) or threads_per_worker < 1:
            raise ValueError(f"threads_per_worker must be an integer >= 1, got {threads_per_worker!r}")
        timeout = check_timeout(timeout)
        connect(address)
        cpus = int(ray.cluster_resources().get("CPU", 1))
        num_workers = check_split(num_envs, math.gcd(num_envs, max(1, cpus // threads_per_worker))
                                  if num_workers is None else num_workers)
        self._groups = batch_groups(num_envs, num_workers, batch_size)
        per = num_envs // num_workers
        specs = self._setup(game.name, game.observation_space, game.action_space, game.agents, num_envs,
                            len(self._groups[0]) * per, report_interval)
        for name, (shape, dtype) in specs.items():
            setattr(self, name, allocate(shape, dtype))
        self.num_workers, self.threads_per_worker, self._per = num_workers, int(threads_per_worker), per
        self._in_flight = []  # (group, its actors' result refs, when sent) not yet returned, oldest first
        self._current = None  # the group recv returned, whose actions send takes next
        self._error = None
        actor = ray.remote(_Worker).options(num_cpus=threads_per_worker, scheduling_strategy="SPREAD",
                                            max_restarts=0, max_task_retries=0)
        seeds = split_seed(seed, num_envs, num_workers)  # each actor its share of a seed list
        self._actors = [actor.remote(game, w * per, per, seeds[w], params, self.threads_per_worker)
                        for w in range(num_workers)]
        self._own(kill_actors, list(self._actors))
        self.timeout = max(timeout, 120.0)  # starting an actor imports numba and loads kernels
        self.workers = [None] * num_workers  # each actor's node id, node address, pid and threads
        self.workers = self._get(list(range(num_workers)), [a.where.remote() for a in self._actors])
        self.timeout = timeout

    # -- the interface --------------------------------------------------------------------
    def async_reset(self, seed=None):
        self._check_open()
        seeds = split_seed(seed, self.num_envs, self.num_workers)
        refs = [a.reset.remote(s) for a, s in zip(self._actors, seeds)]  # after any step still running
        now = time.monotonic()
        self._in_flight = [(g, [refs[w] for w in g], now) for g in self._groups]
        self._current = None

    def send(self, actions):
        g = self._to_send()
        self._write_actions(actions, self._rows(g))
        refs = [self._actors[w].step.remote(self.actions[self._rows([w])]) for w in g]
        self._count_send()
        self._in_flight.append((g, refs, time.monotonic()))
        self._current = None

    def recv(self):
        self._check_recv()
        i = self._ready_group() if len(self._in_flight) > 1 else 0
        g, refs, _ = self._in_flight.pop(i)
        for w, result in zip(g, self._get(g, refs)):  # each actor's arrays into its rows
            rows = self._rows([w])
            for name, array in zip(("observations", "rewards", "terminals", "truncations", "masks"), result):
                getattr(self, name)[rows] = array
        self._current = g
        return self._batch(self._rows(g))

    def _ready_group(self):
        """Async: the index of the first group in flight whose actors are all done; a group
        out longer than the timeout fails the backend, even while others keep coming back."""
        while True:
            now, waiting = time.monotonic(), []
            for j, (g, refs, sent) in enumerate(self._in_flight):
                pending = ray.wait(refs, num_returns=len(refs), timeout=0)[1]
                if not pending:
                    return j
                if now - sent > self.timeout:
                    late = [w for w, ref in zip(g, refs) if ref in pending]
                    self._fail(f"{self.name}: numbapuffer ray workers {late} did not answer within "
                               f"{self.timeout:g} s (hung in env code?)")
                waiting += pending
            deadline = min(sent for _, _, sent in self._in_flight) + self.timeout
            ray.wait(waiting, num_returns=1, timeout=time_left(deadline, now))

    def _log(self):
        """Means over every actor's episodes finished since the last read, plus "n"."""
        self._check_open()
        return logs.merge(self._get(list(range(self.num_workers)), [a.log.remote() for a in self._actors]))

    def close(self):
        self._finalizer()
        self._in_flight = []
        self.closed = True

    # -- talking to actors ------------------------------------------------------------------
    def _get(self, workers, refs):
        """The results of `refs` (one per worker of `workers`), each waited for at most the
        timeout; a dead, failing or late actor fails the backend, naming it."""
        out, deadline = [], time.monotonic() + self.timeout
        for w, ref in zip(workers, refs):
            try:
                out.append(ray.get(ref, timeout=time_left(deadline, time.monotonic())))
            except GetTimeoutError:
                self._fail(f"{self._worker_name(w)} did not answer within {self.timeout:g} s (hung in env code?)")
            except RayActorError as e:
                self._fail(f"{self._worker_name(w)} died: {_cause(e)}")
            except RayTaskError as e:
                self._fail(f"{self._worker_name(w)} raised an exception in env code:\n{e}")
        return out

    def _worker_name(self, w):
        lo = w * self._per
        where = self.workers[w]
        at = "(starting)" if where is None else f"(node {where['address']} id {where['node'][:12]}, pid {where['pid']})"
        return f"{self.name}: numbapuffer ray worker {w} {at}, games {lo}..{lo + self._per - 1},"

    def _fail(self, message):
        self._error = message
        self.close()
        raise RuntimeError(message)


def _cause(error):
    """The part of Ray's message about why an actor died (its first lines)."""
    lines = [x.strip() for x in str(error).splitlines() if x.strip()]
    return " ".join(lines[:6]) if lines else type(error).__name__


def connect(address=None):
    """Join the Ray cluster at `address` (None: $RAY_ADDRESS, else start a local Ray), unless
    this process already initialized Ray."""
    if not ray.is_initialized():
        ray.init(address=address, include_dashboard=False, log_to_driver=False)


def kill_actors(actors):
    """Kill every actor (their processes end; nothing is restarted). Not once Ray has shut
    down (at exit its own hook runs before this finalizer): calling into it then crashed the
    process now and then (signal 11), and actors die with the driver that owns them anyway."""
    if not ray.is_initialized():
        return
    for actor in actors:
        try:
            ray.kill(actor, no_restart=True)
        except Exception:  # Ray already shut down, or the actor gone: nothing left to kill
            pass


class _Worker:
    """A Ray actor: one native env of `games` games from global game `offset` on."""

    def __init__(self, game, offset, games, seed, params, threads):
        numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
        self.env = Env(game, games, seed=seed, game_offset=offset, report_interval=0, **params)

    def where(self):
        return {"node": ray.get_runtime_context().get_node_id(), "address": ray.util.get_node_ip_address(),
                "pid": os.getpid(), "threads": numba.get_num_threads()}

    def reset(self, seed):
        self.env.reset(seed=seed)
        return self._results()

    def step(self, actions):
        self.env.step(actions)
        return self._results()

    def log(self):
        return self.env.log()

    def _results(self):
        e = self.env
        return e.observations, e.rewards, e.terminals, e.truncations, e.masks
