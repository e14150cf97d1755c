"""check_env: run an env through the engine's contract and report every problem in plain words.

Numba hides many mistakes: a float written into an integer buffer is truncated, 300 written
into uint8 wraps, an observation entry nobody writes keeps stale memory, np.random inside a
kernel draws from per-thread state, an exception inside a parallel kernel vanishes. Each
check below turns one of these into a sentence that names the game, the buffer, the agent,
the step and the value.

First the game plays in debug mode (numbapuffer.engine.debug), in a child process where the platform
forks: an index out of range, a neighbour's rows, a params write or a non-finite observation
comes back as a problem naming the line, and a game that aborts the process takes down the
child, not the caller. The other checks run only when that play found nothing.
"""
import os
import select
import signal
import time

import numba
import numpy as np
from gymnasium import spaces
from gymnasium.vector.utils import batch_space

from numbapuffer import envs
from numbapuffer.core import Env, Game, ended_games
from numbapuffer.engine.debug import GameStepError
from numbapuffer.engine.records import value_bytes


class Problems(list):
    """The problems check_env found (empty when none); shown one per line."""

    def __repr__(self):
        return "no problems found" if not self else "\n".join(f"- {p}" for p in self)


def check_env(env: str | Game | Env, num_envs: int = 64, steps: int = 1000, seed: int = 0, debug: bool = True,
              timeout: float = 600.0) -> "Problems":
    """Run `env` (an env id, a Game or an Env; an Env's params are kept) through the checks and
    return the Problems found: memory mistakes found in debug mode (debug=True; in a child
    process that must finish within `timeout` seconds), declaration, buffers, observations
    written and inside the space (and representable in its dtype), finite rewards, episodes
    finishing and logged, autoreset restarting a game as a fresh one, same results for the
    same seed, with the serial and parallel kernels, and on 1 and several threads, and bad
    actions rejected. Fresh envs of `num_envs` games are made; the given env is not touched."""
    game, params = _game_and_params(env)
    checker = _Checker(game, params, num_envs, steps, seed)
    checker.timeout = timeout
    for check in ((checker.checked_play,) if debug else ()) + (
            checker.declaration, checker.determinism, checker.random_play, checker.writes_every_observation,
            checker.integer_observations, checker.autoreset, checker.bad_actions):
        if checker.broken:
            break
        if checker.nondeterministic and check in (checker.writes_every_observation, checker.autoreset):
            continue  # they compare two runs, which differ anyway
        try:
            check()
        except Exception as e:  # a crash is a problem to report, not a reason to stop reporting
            checker.problem(f"{check.__name__} raised {type(e).__name__}: {e}")
    return checker.problems


def _game_and_params(env):
    if isinstance(env, Env):
        p = env.params[0]
        return env.game, {k: p[k].item() for k in env.game.defaults}
    if not isinstance(env, (str, Game)):
        raise TypeError(f"check_env takes an env id, a Game or an Env, got {type(env).__name__}")
    return envs.get(env), {}


class _Checker:
    def __init__(self, game, params, num_envs, steps, seed):
        self.game, self.params, self.n, self.steps, self.seed = game, params, num_envs, steps, seed
        self.problems = Problems()
        self.broken = False  # set when later checks cannot run
        self.nondeterministic = False  # set when two runs with the same seed differ
        self.actions = self.random_actions(max(steps, 50))

    def problem(self, text):
        self.problems.append(f"{self.game.name}: {text}")

    def make(self, **kw):
        return Env(self.game, num_envs=self.n, seed=self.seed, report_interval=0, **kw, **self.params)

    def random_actions(self, count):
        space = batch_space(self.game.action_space, self.n * self.game.agents)
        space.seed(self.seed)
        return np.stack([space.sample() for _ in range(count)])

    # ---------------------------------------------------------------------------------------
    def declaration(self):
        game, env = self.game, self.make()
        obs_space = game.observation_space
        bounded = np.isfinite(obs_space.low).all() and np.isfinite(obs_space.high).all()
        if not bounded and obs_space.dtype.kind in "iu":
            self.problem(f"observation space {obs_space} of integers needs finite bounds")
        try:
            obs, infos = env.reset(seed=self.seed)
        except Exception as e:
            self.broken = True
            return self.problem(f"reset raised {type(e).__name__}: {e}")
        try:
            env.step(self.actions[0])
        except Exception as e:
            self.broken = True
            return self.problem(f"step raised {type(e).__name__}: {e}")

    def play(self, env):
        """Reset `env` and step it with the random actions: `steps` steps, and on (up to 20
        times as many) until an episode ended, as long games (Pong) need. Yields (t, step's results)."""
        yield -1, env.reset(seed=self.seed)
        t, ended = 0, False
        while (t < self.steps or not ended) and t < 20 * self.steps:
            out = env.step(self.actions[t % len(self.actions)])
            ended = ended or bool((out[2] | out[3]).any())
            yield t, out
            t += 1

    def checked_play(self):
        """The play of random_play in debug mode, in a child process: memory mistakes with the line."""
        try:
            env = self.make(debug=True)
        except Exception as e:  # a compile error: short, with the line (errors.py)
            self.broken = True
            # the error already names the game and says it does not compile: problem() adds the name
            return self.problem(str(e).removeprefix(f"{self.game.name}: "))

        def play():
            try:
                for _ in self.play(env):
                    pass
            except GameStepError as e:  # without the game's name (problem() adds it) and the last line
                return str(e).split(": ", 1)[1].rsplit("\n", 1)[0]
        found = _in_child(play, self.timeout)
        if found:
            self.broken = True
            self.problem(found)

    def random_play(self):
        """Observations inside the space, finite rewards, and log() == the episodes seen."""
        env = self.make()
        space = self.game.observation_space
        low, high = space.low.astype(space.dtype), space.high.astype(space.dtype)
        per_game = self.game.log_per == "game"  # one episode per game, its agents' rewards summed
        rows = env.num_envs if per_game else env.num_agents
        returns, lengths = np.zeros(rows), np.zeros(rows)
        seen_returns, seen_lengths = [], []
        in_play = np.ones(env.num_agents, bool)
        for t, out in self.play(env):
            if t < 0:
                self.inside(out[0], low, high, "after reset")
                continue
            obs, rew, term, trunc, _ = out
            if not self.inside(obs, low, high, f"at step {t}"):
                return
            bad = ~np.isfinite(rew)
            if bad.any():
                k = np.flatnonzero(bad)[0]
                return self.problem(f"reward of agent {k} is {rew[k]} at step {t}: rewards must be finite")
            done = term | trunc
            if per_game:  # a game ends when each agent is done now or was out of play before this step
                rew = rew.reshape(rows, -1).sum(1)
                done, in_play = (done | ~in_play).reshape(rows, -1).all(1), env.masks.copy()
            returns += rew
            lengths += 1
            seen_returns += list(returns[done])
            seen_lengths += list(lengths[done])
            returns[done] = lengths[done] = 0
        log = env.log()
        if not seen_lengths:
            self.problem(f"no episode finished in {t + 1} random steps of {self.n} games: do games end "
                         "(terminals or truncations)?")
            return
        expected = {"episode_return": np.mean(seen_returns), "episode_length": np.mean(seen_lengths)}
        if set(log) != set(self.game.log_fields) | {"n"}:
            self.problem(f"log() has fields {sorted(log)}, expected {sorted(self.game.log_fields)} and 'n'")
        elif log["n"] != len(seen_lengths):
            self.problem(f"log() counts {log['n']} episodes but {len(seen_lengths)} ended")
        else:
            for k, v in expected.items():
                if not np.isclose(log[k], v, rtol=1e-5, atol=1e-6):
                    self.problem(f"log() {k} is {log[k]:.6g} but the episodes that ended average {v:.6g}")
            for k, v in log.items():
                if not np.isfinite(v):
                    self.problem(f"log() {k} is {v}")

    def inside(self, obs, low, high, when):
        ok = (obs >= low) & (obs <= high)  # False for NaN too
        if ok.all():
            return True
        k = np.argwhere(~ok)[0]
        agent, where = k[0], tuple(int(x) for x in k[1:])
        self.problem(f"observation {where} of agent {agent} is {obs[tuple(k)]} {when}, outside the observation "
                     f"space [{np.asarray(low)[where] if np.ndim(low) else low}, "
                     f"{np.asarray(high)[where] if np.ndim(high) else high}]")
        return False

    def writes_every_observation(self):
        """Buffers filled with 0 and with 1 before each call must agree afterwards: otherwise
        some entry is never written (it keeps stale values), or the game reads observations."""
        zeros, ones = self.make(), self.make()
        for t, a in enumerate([None] + list(self.actions[:200])):
            zeros.observations[:] = 0
            ones.observations[:] = 1
            if a is None:
                zeros.reset(seed=self.seed), ones.reset(seed=self.seed)
            else:
                zeros.step(a), ones.step(a)
            when = "reset" if a is None else f"step {t - 1}"
            if not _same(zeros.state, ones.state):
                return self.problem(f"the state after {when} depends on what the observation buffer held before: "
                                    "game code must not read observations")
            live = zeros.masks.reshape(-1, *[1] * (zeros.observations.ndim - 1))
            unwritten = (zeros.observations != ones.observations) & (live | (a is None))
            if unwritten.any():
                k = np.argwhere(unwritten)[0]
                return self.problem(f"{when} leaves observation {tuple(int(x) for x in k[1:])} of agent {k[0]} "
                                    "unwritten (it keeps stale memory): write every live agent's observation in full")

    def integer_observations(self):
        """Run a shadow env whose observations are float64: values it holds that the real,
        integer buffer cannot (fractions, or outside the dtype) were silently cast."""
        dtype = self.game.observation_space.dtype
        if dtype.kind not in "iub":
            return
        real, shadow = self.make(), self.make()
        # env.observations refuses rebinding (guards.held); the checker knowingly swaps the array
        # behind it, and use_serial then rebuilds the kernel arguments with the float64 buffer
        shadow._observations = np.zeros(real.observations.shape, np.float64)
        shadow.use_serial(True)
        real.use_serial(True)
        info = np.iinfo(dtype) if dtype.kind in "iu" else None
        for t, call in enumerate([None] + list(self.actions[:200])):
            if call is None:
                real.reset(seed=self.seed), shadow.reset(seed=self.seed)
            else:
                real.step(call), shadow.step(call)
            v = shadow.observations
            fraction = v != np.floor(v)
            wide = (v < info.min) | (v > info.max) if info else (v != 0) & (v != 1)
            for bad, what in ((fraction, "a fraction"), (wide, f"outside {dtype}'s range")):
                if bad.any():
                    k = tuple(int(x) for x in np.argwhere(bad)[0])
                    when = "reset" if call is None else f"step {t - 1}"
                    return self.problem(f"{when} writes {v[k]:g} ({what}) into observation {k[1:]} of agent {k[0]}; "
                                        f"the {dtype} buffer silently stores {real.observations[k]}")

    def autoreset(self):
        """same_step autoreset == stepping without autoreset, then resetting the finished games,
        and a restarted game == a brand-new one drawn from the same stream (else reset leaves
        some field of the state as the old game had it)."""
        env, manual, fresh = self.make(), self.make(autoreset="disabled"), self.make()
        for e in (env, manual):
            e.reset(seed=self.seed)
        for t, a in enumerate(self.actions[:self.steps]):
            env.step(a)
            manual.step(a)
            for name in ("rewards", "terminals", "truncations"):
                if not _same(getattr(manual, name), getattr(env, name)):
                    return self.problem(f"{name} at step {t} differ between autoreset and no autoreset")
            ended = ended_games(manual)
            if ended.any():
                fresh.state[ended] = np.zeros(1, fresh.state.dtype)
                fresh.state["rng"][ended] = manual.state["rng"][ended]
                fresh.reset(mask=ended)
                manual.reset(mask=ended)
                differ = [f for f in fresh.state.dtype.names if f not in self.game.scratch
                          and not _same(fresh.state[f][ended], env.state[f][ended])]
                if differ:
                    return self.problem(f"a game restarted at step {t} differs from a brand-new game in state "
                                        f"field(s) {', '.join(differ)}: reset must set every field")
            for name in ("observations", "masks", "state"):
                if not _same(self.kept(getattr(manual, name)), self.kept(getattr(env, name))):
                    return self.problem(f"{name} after step {t} differ between autoreset and resetting the "
                                        "finished games by hand")

    def kept(self, array):
        """`array` without the game's scratch fields (where it is the state)."""
        if array.dtype.names is None or not self.game.scratch:
            return array
        return array[[f for f in array.dtype.names if f not in self.game.scratch]]

    def determinism(self):
        """The same seed and actions give identical results: twice, with the serial and the
        parallel kernel, and with the parallel kernel on 1 and on all threads."""
        threads = numba.get_num_threads()
        most = max(threads, numba.config.NUMBA_NUM_THREADS)
        runs = [("first serial-kernel run", True, threads), ("second serial-kernel run", True, threads),
                (f"parallel-kernel run on {most} threads", False, most),
                ("parallel-kernel run on 1 thread", False, 1)]
        envs_ = []
        for _, serial, _ in runs:
            e = self.make()
            e.use_serial(serial)
            envs_.append(e)
        try:
            for k, e in enumerate(envs_):
                numba.set_num_threads(runs[k][2])
                e.reset(seed=self.seed)
            for t, a in enumerate(self.actions[:200]):
                outs = []
                for k, e in enumerate(envs_):
                    numba.set_num_threads(runs[k][2])
                    e.step(a)
                    outs.append([e.observations, e.rewards, e.terminals, e.truncations, e.masks, self.kept(e.state)])
                for k in range(1, len(runs)):
                    if not all(_same(x, y) for x, y in zip(outs[0], outs[k])):
                        self.nondeterministic = True
                        hint = ("draw randomness only from rand(s), rand_float(s), rand_int(s, n): np.random "
                                "inside kernels keeps one stream per thread")
                        return self.problem(f"the {runs[k][0]} differs from the {runs[0][0]} at step {t} with the "
                                            f"same seed and actions; {hint}")
        finally:
            numba.set_num_threads(threads)

    def bad_actions(self):
        """Bad actions raise an error naming the problem, before any game is touched."""
        env = self.make()
        env.reset(seed=self.seed)
        space, n = self.game.action_space, env.num_agents
        good = np.zeros((n, *space.shape), env.actions.dtype)
        bad = [None, good[:-1]]
        if isinstance(space, spaces.Discrete):
            bad += [good + space.start + space.n, good.astype(np.float32)]
        elif isinstance(space, spaces.Box):
            nan = good.copy()
            nan.reshape(-1)[0] = np.nan
            bad.append(nan)
        for a in bad:
            state = env.state.copy()
            try:
                env.step(a)
            except (TypeError, ValueError):
                if not _same(env.state, state):
                    self.problem("a rejected action changed the state")
            else:
                self.problem(f"step accepted bad actions {a if a is None else f'{a.dtype} {a.shape}'}")


def _same(x, y):
    """Bit-identical (NaN equals NaN, -0.0 differs from 0.0): what determinism promises."""
    return x.shape == y.shape and x.dtype == y.dtype and value_bytes(x) == value_bytes(y)


def _in_child(fn, timeout):
    """fn(), which returns a problem's text or None, run in a forked child process where the
    platform forks: an abort or a crash there becomes a problem's text, not the caller's end.
    (The child runs serial kernels only: OpenMP does not survive a fork.)"""
    if not hasattr(os, "fork"):
        return fn()
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report, then leave without running the parent's cleanup
        try:
            os.close(r)
            os.write(w, (fn() or "").encode())
        except BaseException as e:
            os.write(w, f"{type(e).__name__}: {e}".encode())
        finally:
            os._exit(0)
    os.close(w)
    out, deadline = [], time.monotonic() + timeout
    try:
        while True:
            if not select.select([r], [], [], max(0.0, deadline - time.monotonic()))[0]:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                return f"debug-mode play did not finish within {timeout:g} s: does some step never return?"
            data = os.read(r, 1 << 16)
            if not data:
                break
            out.append(data)
    finally:
        os.close(r)
    status = os.waitpid(pid, 0)[1]
    if os.WIFSIGNALED(status):
        name = signal.Signals(os.WTERMSIG(status)).name
        return (f"the game crashed the process ({name}) while playing in debug mode (run it with "
                "numbapuffer.make(..., debug=True) in a separate process to see where)")
    return b"".join(out).decode() or None
