"""Debug mode (`make(..., debug=True)`, or NUMBAPUFFER_DEBUG=1): memory mistakes, with the line.

The fast kernels trust game code: an index past an observation row, into a neighbour's
agent rows or past a buffer silently overwrites memory, and a write to the params changes
them for every game. A debug env steps with the checked kernels instead (template.py's
CHECKED: bounds-checked copies of the game's functions, each game on its own rows only), and
after each call checks that the params are unchanged and observations and rewards finite.
When a check fails, the env is put back as it was before the call, and the call is replayed
game by game in plain Python from that copy (a game's random stream is in its record, so the
replay takes the same path) to find the game and the line, which the GameStepError names.
"""
import linecache
import traceback

import numpy as np

from numbapuffer.engine.errors import game_functions
from numbapuffer.engine.kernels import twin
from numbapuffer.engine.records import records, value_bytes

__all__ = ["GameStepError", "Checked"]

SAVED = ("state", "params", "episodes", "logs", "observations", "actions", "rewards", "terminals", "truncations",
         "masks")
# Where the kernels' own arrays differ from the env's public ones: env.params is a read-only
# view of _params, and the kernels read the checked copy of the actions.
OWN = {"params": "_params", "actions": "_kernel_actions"}


class GameStepError(RuntimeError):
    """Game code did something the engine cannot allow (found in debug mode). Attributes:
    game (name), index (the game's index, or None), step, function, filename, lineno."""

    def __init__(self, message, game, index=None, step=None, function=None, filename=None, lineno=None):
        super().__init__(message)
        self.game, self.index, self.step = game, index, step
        self.function, self.filename, self.lineno = function, filename, lineno


class _Finite(np.ndarray):
    """A float buffer that refuses NaN and infinities, for the replay."""

    def __setitem__(self, key, value):
        if not np.all(np.isfinite(value)):
            raise FloatingPointError(f"non-finite value {value} written")
        super().__setitem__(key, value)


class Checked:
    """Wraps an env's step and reset kernels with the checks above."""

    def __init__(self, env, module):
        self.env, self.module = env, module
        self.steps = 0  # step calls so far

    def wrap(self, kernel, call):
        """`kernel`, checked; `call` is "step" or "reset"."""
        def checked(*args):
            before = {name: getattr(self.env, OWN.get(name, name)).copy() for name in SAVED}
            done = None
            try:
                done = kernel(*args)  # the games it went through (engine/template.py)
                problem = self._problem(before)
            except Exception as e:  # bounds checks and game code raise here
                problem = f"{type(e).__name__}: {e}"
            if problem:
                for name, saved in before.items():
                    getattr(self.env, OWN.get(name, name))[...] = saved
                raise self._error(before, call, args, problem) from None
            self.steps += call == "step"
            return done
        return checked

    def _problem(self, before):
        env = self.env
        if value_bytes(env.params) != value_bytes(before["params"]):
            changed = [f for f in env.params.dtype.names if env.params[f].tobytes() != before["params"][f].tobytes()]
            return f"the params were written (p.{changed[0]})"
        for name in ("observations", "rewards"):
            x = getattr(env, name)
            if x.dtype.kind == "f" and not np.isfinite(x).all():
                k = np.argwhere(~np.isfinite(x))[0]
                return f"{name[:-1]} of agent {k[0]} is {x[tuple(k)]}"
        return None

    def _error(self, before, call, args, problem):
        env, name = self.env, self.env.game.name
        when = f"step {self.steps}" if call == "step" else "reset"
        found = self._replay(before, call, args)
        if found is None:
            return GameStepError(f"{name}: {when}: {problem} (the plain-Python replay of this call raised nothing, "
                                 "so the line is unknown)\nThe env is as it was before this call.", name,
                                 step=self.steps)
        i, e, frame = found
        A = env.agents_per_game
        if isinstance(e, IndexError):
            rows = "buf.<buffer>[a]" if A == 1 else f"buf.<buffer>[a] to [a + {A - 1}]"
            why = (f"IndexError: {e}: game code may index only its own agents' rows ({rows}) and inside each "
                   "observation row and state field")
        elif problem.startswith("the params were written") or isinstance(e, AttributeError) and "read-only" in str(e):
            why = ("game code wrote the params: one params record is shared by every game and thread; keep what "
                   "changes during a game in its state record")
        elif isinstance(e, FloatingPointError):
            why = f"{problem}: observations and rewards must be finite"
        else:
            why = f"{type(e).__name__}: {e}"
        lines = [f"{name}: game {i}, {when}: {why}"]
        fn = path = line = None
        if frame is not None:
            fn, path, line = frame
            lines += [f"  in {fn}() at {path}:{line}", "    " + linecache.getline(path, line).strip()]
        lines.append("The env is as it was before this call (debug mode).")
        return GameStepError("\n".join(lines), name, i, self.steps, fn, path, line)

    def _replay(self, before, call, args):
        """(game index, exception, (function, file, line) of the game's code) of the first game
        whose replay in plain Python raises; None if none does."""
        env, mod = self.env, self.module
        memo = {}
        plain = twin(mod.step_game if call == "step" else mod.reset_game, lambda py, fn: py, memo)
        c = {k: v.copy() for k, v in before.items()}
        c["params"].flags.writeable = False
        for k in ("observations", "rewards"):
            if c[k].dtype.kind == "f":
                c[k] = c[k].view(_Finite)
        n, f = env.num_agents, len(env.game.log_fields)
        state, params, episodes = records(c["state"]), records(c["params"]), records(c["episodes"])
        running = c["episodes"].view(np.float64).reshape(n, f)
        logs = c["logs"].view(np.float64).reshape(n, f + 1)
        codes = {py.__code__ for py in game_functions(env.game)}
        A = env.agents_per_game
        for i in range(env.num_envs):
            lo, hi = i * A, i * A + A
            buf = mod.Buffers(*(c[k][lo:hi] for k in SAVED[4:]), episodes[lo:hi])
            try:
                with np.errstate(all="ignore"):  # the replay's numpy warnings say less than its error
                    self._replay_game(plain, call, args, i, state, params, buf, running[lo:hi], logs[lo:hi])
            except Exception as e:
                mine = [(fr.f_code.co_name, fr.f_code.co_filename, line) for fr, line in traceback.walk_tb(e.__traceback__)
                        if fr.f_code in codes]
                return i, e, mine[-1] if mine else None
        return None

    @staticmethod
    def _replay_game(plain, call, args, i, state, params, buf, running, logs):
        if call == "step":
            plain(0, state[i:i + 1], params, buf, running, logs, args[-1])
        elif args[-3][i]:  # a reset's arguments end with (which, chunks, progress)
            plain(0, state[i:i + 1], params, buf, running)
