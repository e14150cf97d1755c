"""Episode logs: per-agent sums of finished episodes' stats, read as means and cleared.

An env keeps `logs`, a float64 record per agent with one field per log field plus `n`
(episodes finished). The kernels add a finished episode's stats to its agent's record;
reading takes the means over all agents, weighted by their counts, and clears the sums.
"""
import numpy as np

__all__ = ["log_dtype", "means", "read", "read_per_agent", "merge", "Reports"]


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


def read(logs):
    """The means over every agent's finished episodes in `logs`, which is then cleared."""
    out = means({f: logs[f].sum() for f in logs.dtype.names if f != "n"}, logs["n"].sum())
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
    if not logs:
        return {}
    return means({k: sum(log[k] * log["n"] for log in logs) for k in logs[0] if k != "n"},
                 sum(log["n"] for log in logs))


class Reports:
    """When a step's infos carry the log: every `interval` steps (never when 0)."""

    def __init__(self, interval):
        self.interval = interval
        self.steps = 0

    def due(self):
        """Count one step; True when this one reports."""
        self.steps += 1
        return bool(self.interval) and self.steps % self.interval == 0

    def infos(self, read):
        """Count one step; its infos: [read()] when this step reports and an episode ended."""
        log = read() if self.due() else None
        return [log] if log else []
