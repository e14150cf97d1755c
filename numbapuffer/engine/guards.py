"""What keeps an env's games its own (numbapuffer.core.Env): one call at a time, arrays that
are written into but never rebound, and snapshots checked whole before any of it is written.
Each turns a careless use (a second thread, `env.actions = ...`, an edited or truncated
snapshot) into a clear error raised before anything changed, instead of games that no
sequence of steps produces."""
import contextlib
import operator
import threading

import numpy as np

from numbapuffer.engine.buffers import BUFFERS
from numbapuffer.engine.checks import is_int

__all__ = ["SNAPSHOT", "Turn", "held", "check_snapshot"]

# The arrays that, with the report count, decide everything an env does next (Env.snapshot).
SNAPSHOT = ("state", "params") + BUFFERS + ("episodes", "logs")
# and the rest of a snapshot, checked by check_snapshot
SCALARS = ("game", "ready", "report_steps", "report_pending", "infos")


class Turn:
    """Gymnasium's contract, enforced: one env, one thread at a time. The parallel kernels
    release the GIL, so a second thread inside the same env would step games half-stepped by
    the first, or copy them torn. Each public call that reads or writes the games holds a
    non-blocking lock: a call made while another is inside raises a RuntimeError saying so,
    instead of waiting (a lock that waited would hide the mistake, and costs the same)."""

    def __init__(self, name):
        self.name = name
        self.lock = threading.Lock()
        self.inside = None  # (call, thread id) of the call inside

    def enter(self, call):
        if not self.lock.acquire(False):
            what, ident = self.inside or ("a call", None)
            where = ("the same thread (from a callback or signal handler inside it)"
                     if ident == threading.get_ident() else "another thread")
            raise RuntimeError(f"{self.name}: {call}() called while {what}() is running in {where}; an env takes "
                               f"one call at a time (gymnasium's contract: one env, one thread at a time). Give each "
                               f"thread its own env, or hold a lock of your own around every call to this one.")
        self.inside = (call, threading.get_ident())

    def leave(self):
        self.inside = None
        self.lock.release()

    @contextlib.contextmanager
    def __call__(self, call):
        self.enter(call)
        try:
            yield
        finally:
            self.leave()


def held(name):
    """The property env.<name> of a buffer or the state, kept in env._<name>: the kernels hold
    the arrays the env was made with, so assigning a new one would be silently ignored (the
    games would play other actions, step would return frozen observations). Writing into it
    is the interface."""
    def rebind(self, value=None):
        how = ("only the buffers can be handed in" if name == "state" else
               "to have the env use arrays of your own, hand them in when making it")
        raise AttributeError(f"{self.game.name}: env.{name} cannot be replaced: the kernels keep the array the env "
                             f"was made with. Write into it instead (env.{name}[...] = ...); {how}: "
                             f"make(..., buf=...) with observations, actions, rewards, terminals, truncations, masks")
    return property(operator.attrgetter("_" + name), rebind, rebind, doc=f"env.{name} (never rebound: guards.held)")


def check_snapshot(env, snapshot):
    """Raise a ValueError naming the first problem of `snapshot` for `env`: not a snapshot of
    this game, a key missing, an array of another dtype or shape, params that make would
    refuse, or report counts that are not counts. Nothing is written: restore() writes only
    what passed. A snapshot is data that anyone may have edited (or a file cut short)."""
    name = env.game.name
    if not isinstance(snapshot, dict) or snapshot.get("game") != name:
        got = snapshot.get("game") if isinstance(snapshot, dict) else type(snapshot).__name__
        raise ValueError(f"{name}: restore takes a snapshot() of a {name} env, got one of {got!r}")
    missing = [k for k in SNAPSHOT + SCALARS if k not in snapshot]
    if missing:
        raise ValueError(f"{name}: the snapshot lacks {', '.join(map(repr, missing))} (not a whole snapshot())")
    for k in SNAPSHOT:
        mine, theirs = getattr(env, k), snapshot[k]
        if not isinstance(theirs, np.ndarray) or theirs.shape != mine.shape or theirs.dtype != mine.dtype:
            what = f"{theirs.dtype}{theirs.shape}" if isinstance(theirs, np.ndarray) else type(theirs).__name__
            raise ValueError(f"{name}: snapshot[{k!r}] is {what}, this env's is {mine.dtype}{mine.shape} "
                             f"(a snapshot of an env of another size or version of the game?)")
    try:  # the params by the rule of make
        env.game.make_params(**{k: snapshot["params"][k][0].item() for k in env.game.defaults})
    except ValueError as e:
        raise ValueError(f"{e} (in the snapshot's params)") from None
    pending = snapshot["report_pending"]
    for k, ok in (("ready", isinstance(snapshot["ready"], (bool, np.bool_))),
                  ("report_steps", is_int(snapshot["report_steps"]) and snapshot["report_steps"] >= 0),
                  ("report_pending", isinstance(pending, (tuple, list)) and len(pending) == 2
                   and all(_is_log(log) for log in pending)),
                  ("infos", isinstance(snapshot["infos"], list) and all(_is_log(log) for log in snapshot["infos"]))):
        if not ok:
            raise ValueError(f"{name}: snapshot[{k!r}] is {_short(snapshot[k])}, not what snapshot() writes there")


def _is_log(log):
    """A log as log() returns it: {} or {field: number, ..., "n": count}."""
    return isinstance(log, dict) and all(isinstance(k, str) and isinstance(v, (int, float, np.integer, np.floating))
                                         and not isinstance(v, bool) for k, v in log.items())


def _short(v):
    r = repr(v)
    return r if len(r) <= 60 else r[:50] + "..."
