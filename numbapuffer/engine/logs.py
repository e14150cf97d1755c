"""Episode logs: per-agent sums of finished episodes' stats, read as means and cleared.

An env keeps `logs`, a float64 record per agent with one field per log field plus `n`
(episodes finished). The kernels add a finished episode's stats to its agent's record;
reading takes the means over all agents, weighted by their counts, and clears the sums.
Reports (a step's infos) and log() do not take episodes from each other: a report carries
those finished since the last report, log() those finished since the last log() call.
"""
import copy

import numpy as np

from numbapuffer.engine.checks import is_int

__all__ = ["log_dtype", "means", "read", "read_per_agent", "merge", "Reports", "AgentReports"]


def log_dtype(fields, count=True):
    """The record of one agent's log: float64 `fields`, and `n` when `count`."""
    return np.dtype([(f, np.float64) for f in fields] + ([("n", np.float64)] if count else []), align=True)


def means(totals, n):
    """{field: total / n} and "n" (an int), from totals over `n` episodes; {} when n == 0.
    Every log numbapuffer reports is made here."""
    if n == 0:
        return {}
    out = {f: float(t / n) for f, t in totals.items()}
    out["n"] = int(n)
    return out


def read(logs, clear=True):
    """The means over every agent's finished episodes in `logs`, which is then cleared
    (unless `clear` is False)."""
    out = means({f: logs[f].sum() for f in logs.dtype.names if f != "n"}, logs["n"].sum())
    if clear:
        logs[...] = 0
    return out


def read_per_agent(logs):
    """Per agent: the means of its finished episodes (0 where none), "n", and the mask of the
    agents with any; (None, None) when no agent finished one. `logs` is then cleared."""
    n = logs["n"].copy()
    ended = n > 0
    if not ended.any():
        return None, None
    out = {f: np.divide(logs[f], n, out=np.zeros(len(n)), where=ended) for f in logs.dtype.names if f != "n"}
    out["n"] = n
    logs[...] = 0
    return out, ended


def merge(logs):
    """One log from several logs' means: each field weighted by its log's episode count."""
    logs = [log for log in logs if log]
    if len(logs) < 2:
        return dict(logs[0]) if logs else {}
    return means({k: sum(log[k] * log["n"] for log in logs) for k in logs[0] if k != "n"},
                 sum(log["n"] for log in logs))


class Reports:
    """The two readers of an env's finished episodes, which take nothing from each other:
    reports (a step's infos, every `interval` steps; never when 0) carry the episodes
    finished since the last report, log() those finished since its last call. Each is
    given `fresh`: the log of the episodes finished since either last read. `interval` is
    checked here, for every env and backend: "abc" used to pass make and fail every step
    after the games had moved."""

    def __init__(self, interval, prefix=""):
        if not is_int(interval) or interval < 0:
            raise ValueError(f"{prefix}report_interval must be an integer >= 0 (steps between reports in a step's "
                             f"infos; 0: never), got {interval!r}")
        self.interval = int(interval)
        self.steps = 0
        self.unreported, self.unlogged = {}, {}  # what the other reader took since this one's last read

    def due(self):
        """Count one step; True when this one reports."""
        self.steps += 1
        return bool(self.interval) and self.steps % self.interval == 0

    def report(self, fresh):
        """The log for a step's infos."""
        out, self.unreported = merge([self.unreported, fresh]), {}
        self.unlogged = merge([self.unlogged, fresh])
        return out

    def log(self, fresh):
        """What log() returns."""
        out, self.unlogged = merge([self.unlogged, fresh]), {}
        if self.interval:
            self.unreported = merge([self.unreported, fresh])
        return out

    def pending(self):
        """A copy of what either reader has yet to return (for snapshots and pickling)."""
        return copy.deepcopy((self.unreported, self.unlogged))

    def restore(self, pending):
        self.unreported, self.unlogged = copy.deepcopy(pending)


class AgentReports(Reports):
    """Reports per agent (NumbaVecEnv's infos["log"]) from an env's per-agent sums `logs`,
    which the reports and log() clear: what log() takes meanwhile is kept per agent."""

    def __init__(self, interval, logs):
        super().__init__(interval)
        self.held = np.zeros_like(logs)

    def report_per_agent(self, logs):
        """read_per_agent of the episodes finished since the last report."""
        self.unlogged = merge([self.unlogged, read(logs, clear=False)])
        self._hold(logs)
        return read_per_agent(self.held)

    def log_sums(self, logs):
        """The log of the episodes finished since the last call."""
        fresh = read(logs, clear=False)
        if self.interval:
            self._hold(logs)
        else:
            logs[...] = 0
        out, self.unlogged = merge([self.unlogged, fresh]), {}
        return out

    def _hold(self, logs):
        self.held.view(np.float64)[...] += logs.view(np.float64)
        logs[...] = 0
