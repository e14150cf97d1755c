"""What the serial and multiprocessing backends share: the interface of npf.vector.

    vec.async_reset(seed); vec.send(actions)
    obs, rewards, terminals, truncations, infos, env_ids, masks = vec.recv()
    vec.reset(seed) (async_reset + recv); vec.step(actions) (send + recv), both only when a
    batch is every game (batch_size == num_envs); vec.log(); vec.close()

A backend allocates (or maps) the buffers of all its games, and subclasses write
async_reset, send, recv, _log (the log of every game, read and cleared) and close.
"""
import math
import numbers
import os
import weakref

import numpy as np
from gymnasium.vector.utils import batch_space

from numbapuffer.engine import logs
from numbapuffer.engine.buffers import buffer_specs, check_memory
from numbapuffer.engine.checks import action_bounds, check_count, is_int, parse_seed, write_actions

__all__ = ["Backend", "Workers", "check_split", "split_seed", "batch_groups", "owned_finalizer", "check_timeout",
           "time_left", "MAX_TIMEOUT"]


class Backend:
    """Spaces, buffers, step and reset as send + recv, action checks before any game is
    touched, and infos carrying the log every `report_interval` batches sent (as the native
    env's step does)."""

    def _setup(self, name, observation_space, action_space, agents, num_envs, batch_size, report_interval):
        """Set the spaces and counts; returns the specs of the buffers of every game."""
        specs = buffer_specs(observation_space, action_space, num_envs * agents)
        check_memory(name, specs)
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
        self.reports = logs.Reports(report_interval)
        self._report_due = False
        self._lo, self._hi = action_bounds(action_space)
        self._env_ids = np.arange(self.num_agents)
        self.closed = False
        return specs

    def reset(self, seed=None):
        self._whole("reset(seed)", "async_reset(seed) and recv()")
        self.async_reset(seed)
        return self.recv()[0], []

    def step(self, actions):
        self._whole("step(actions)", "send(actions) and recv()")
        self.send(actions)
        return self.recv()[:5]

    def _whole(self, call, instead):
        """reset and step return no env_ids: they are for backends whose batch is every game."""
        if self.batch_size < self.num_envs:
            raise RuntimeError(f"{self.name}: with batch_size ({self.batch_size}) < num_envs ({self.num_envs}) "
                               f"each recv returns one batch of games, which vec.{call} would not name: use "
                               f"vec.{instead}, whose env_ids say which games came back")

    def log(self):
        """Means of the log fields over every game's episodes finished since the last call,
        and their count "n"; reports in infos take nothing from it."""
        return self.reports.log(self._log())

    def _write_actions(self, actions, rows):
        write_actions(self.name, self.single_action_space, self._lo, self._hi, actions, self.actions[rows])

    def _count_send(self):
        """One batch sent: a step toward the report interval."""
        self._report_due = self.reports.due() or self._report_due

    def _batch(self, rows):
        """What recv returns for agent rows `rows`: views of the buffers, and infos carrying
        the log when a report fell due since the last recv."""
        infos = []
        if self._report_due:
            self._report_due = False
            log = self.reports.report(self._log())
            if log:
                infos.append(log)
        return (self.observations[rows], self.rewards[rows], self.terminals[rows], self.truncations[rows],
                infos, self._env_ids[rows], self.masks[rows])

    def __reduce__(self):
        raise TypeError(f"a {type(self).__name__.lower()} vector env owns processes and cannot be pickled or copied: "
                        f"send what makes it (npf.vector.make's arguments), or pickle a native env "
                        f"(npf.make), whose games continue where they were")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        return f"{type(self).__name__}({self.name!r}, num_envs={self.num_envs})"


class Workers(Backend):
    """What the backends of worker processes share: workers of `_per` games each, in groups
    of a batch (`_groups`); send takes the actions of the group recv returned (`_current`);
    after a failure (`_error`) every call raises it again."""

    def _rows(self, group):
        """The agent rows of the games of the workers in `group`."""
        A = self.agents_per_game
        return slice(group[0] * self._per * A, (group[-1] + 1) * self._per * A)

    @property
    def timeout(self):
        """Seconds to wait for a worker's answer (float("inf"): no limit); checked when set."""
        return self._timeout

    @timeout.setter
    def timeout(self, value):
        self._timeout = check_timeout(value)

    def _own(self, shutdown, *args):
        """Make `shutdown(*args)` this backend's finalizer, run in this process only."""
        self._owner = os.getpid()
        self._finalizer = owned_finalizer(self, shutdown, *args)

    def _check_open(self):
        if self._error is not None:
            raise RuntimeError(self._error)
        if self.closed:
            raise RuntimeError(f"{self.name}: this vector env is closed")
        if os.getpid() != self._owner:  # a child forked from the owner: the workers answer the owner only
            raise RuntimeError(f"{self.name}: this vector env's workers belong to process {self._owner}; a process "
                               f"forked from it (this one, {os.getpid()}) cannot use them: make a new vector env here")

    def _to_send(self):
        """The group whose actions send takes: the one the last recv returned."""
        self._check_open()
        if self._current is None:
            raise RuntimeError(f"{self.name}: send takes the actions of the batch the last recv returned; "
                               "call recv (or reset) first")
        return self._current

    def _check_recv(self):
        self._check_open()
        if self._current is not None:
            raise RuntimeError(f"{self.name}: send the actions of the batch the last recv returned first")
        if not self._in_flight:
            raise RuntimeError(f"{self.name}: recv needs an async_reset or send first")


MAX_TIMEOUT = (2**31 - 1) // 1000  # seconds: poll() waits at most 2**31 - 1 ms


def check_timeout(timeout):
    """A backend's `timeout` as float seconds: a number > 0 and at most MAX_TIMEOUT (about 24
    days), or float("inf") or None for no limit (a dead worker is still noticed at once)."""
    if timeout is None:
        return math.inf
    if isinstance(timeout, bool) or not isinstance(timeout, numbers.Real):
        raise TypeError(f"timeout must be a number of seconds (or None for no limit), got {timeout!r}")
    seconds = float(timeout)
    if not 0 < seconds <= MAX_TIMEOUT and seconds != math.inf:
        raise ValueError(f"timeout must be > 0 and at most {MAX_TIMEOUT} seconds, or float('inf') or None for "
                         f"no limit; got {timeout!r}")
    return seconds


def time_left(deadline, now):
    """Seconds from `now` to `deadline` for a wait; None (wait as long as it takes) when the
    deadline is infinite (timeout float("inf"))."""
    return None if deadline == math.inf else max(0.0, deadline - now)


def check_split(num_envs, num_workers):
    """num_envs and num_workers checked, and the games split evenly between the workers."""
    check_count(num_envs, "num_envs")
    check_count(num_workers, "num_workers")
    if num_envs % num_workers:
        raise ValueError(f"num_envs ({num_envs}) must be a multiple of num_workers ({num_workers})")
    return int(num_workers)


def batch_groups(num_envs, num_workers, batch_size):
    """The workers of each batch of `batch_size` games (None: all of them), checked: a batch
    is whole workers' games and the batches divide num_envs (EnvPool-style async recv)."""
    per = num_envs // num_workers
    batch = num_envs if batch_size is None else batch_size
    if not is_int(batch) or batch < 1 or batch % per or num_envs % batch:
        raise ValueError(f"batch_size ({batch_size!r}) must divide num_envs ({num_envs}) and be a multiple "
                         f"of the games per worker ({per})")
    group = batch // per
    return [list(range(g, g + group)) for g in range(0, num_workers, group)]


def split_seed(seed, num_envs, parts):
    """Each part's share of a reset seed: an int is the same for all (game i's stream is
    (seed, i) wherever it runs), a list of one int per game is sliced."""
    seed = parse_seed(seed, num_envs)
    if not isinstance(seed, list):
        return [seed] * parts
    per = num_envs // parts
    return [seed[w * per:(w + 1) * per] for w in range(parts)]


def owned_finalizer(obj, fn, *args):
    """weakref.finalize(obj, fn, *args) (on close, garbage collection or exit) that acts only
    in the process that made it. A child forked from that process (os.fork) holds a copy of
    `obj`: its exit must not stop the parent's workers or free the parent's memory."""
    return weakref.finalize(obj, _in_owner, os.getpid(), fn, *args)


def _in_owner(pid, fn, *args):
    if os.getpid() == pid:
        fn(*args)
