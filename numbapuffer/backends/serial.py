"""The serial backend: several envs stepped in turn in this process, over one set of buffers.

Either `num_workers` native envs over consecutive slices of the buffers, or plain
single-agent gymnasium envs (`lambda: gymnasium.make(...)`) emulated as one native env.
"""
import gymnasium
import numpy as np
from gymnasium import spaces

from numbapuffer import envs
from numbapuffer.engine import logs
from numbapuffer.backends.base import Backend, check_split, split_seed
from numbapuffer.engine.buffers import BUFFERS, allocate
from numbapuffer.engine.checks import check_count, parse_seed
from numbapuffer.core import Env, Game

__all__ = ["Serial"]


class Serial(Backend):
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
            check_count(num_envs, "num_envs")
            seed = parse_seed(seed, num_envs)  # checked now: the first reset uses it
            gym_envs = [env() for _ in range(num_envs)]
            _Gymnasium.check(gym_envs)
            first = gym_envs[0]
            name = first.spec.id if first.spec is not None else type(first.unwrapped).__name__
            specs = self._setup(name, first.observation_space, first.action_space, 1, num_envs, None,
                                report_interval)
            self._allocate(specs)
            self.envs = [_Gymnasium(gym_envs, self._buffers(0, num_envs), seed)]
        else:
            game = envs.get(env)
            num_workers = check_split(num_envs, 1 if num_workers is None else num_workers)
            specs = self._setup(game.name, game.observation_space, game.action_space, game.agents, num_envs,
                                None, report_interval)
            self._allocate(specs)
            per = num_envs // num_workers
            seeds = split_seed(seed, num_envs, num_workers)
            self.envs = [Env(game, per, seed=seeds[w], buf=self._buffers(w * per, (w + 1) * per),
                             game_offset=w * per, report_interval=0, **params) for w in range(num_workers)]
        self._sent = False

    def _allocate(self, specs):
        for name, (shape, dtype) in specs.items():
            setattr(self, name, allocate(shape, dtype))

    def _buffers(self, lo, hi):
        rows = slice(lo * self.agents_per_game, hi * self.agents_per_game)
        return {k: getattr(self, k)[rows] for k in BUFFERS}

    def async_reset(self, seed=None):
        seeds = split_seed(seed, self.num_envs, len(self.envs))
        for e, s in zip(self.envs, seeds):
            e.reset(seed=s)
        self._sent = True

    def send(self, actions):
        self._write_actions(actions, slice(None))  # all checked before any game moves
        for e in self.envs:
            e.step(e.actions)
        self._sent = True
        self._count_send()

    def recv(self):
        if not self._sent:
            raise RuntimeError(f"{self.name}: recv needs an async_reset or send first")
        self._sent = False
        return self._batch(slice(None))

    def _log(self):
        return logs.merge([e.log() for e in self.envs])

    def close(self):
        for e in self.envs:
            e.close()
        self.closed = True

    def __reduce__(self):
        # Native envs only: rebuilt over new buffers, each given its env's snapshot.
        if not isinstance(self.envs[0], Env):
            raise TypeError(f"{self.name}: a serial backend over gymnasium envs cannot be pickled or copied: "
                            "send the creator of its envs instead")
        made = (self.envs[0].game, self.num_envs, len(self.envs), None, None, self.reports.interval)
        return _unpickle, (made, self.envs[0].param_values(), [e.snapshot() for e in self.envs], self._sent,
                           self.reports.steps, self._report_due, self.reports.pending())


def _unpickle(made, params, snapshots, sent, report_steps, report_due, report_pending):
    vec = Serial(*made, **params)
    for e, snapshot in zip(vec.envs, snapshots):
        e.restore(snapshot)
    vec._sent, vec.reports.steps, vec._report_due = sent, report_steps, report_due
    vec.reports.restore(report_pending)
    return vec


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
        self._sums = {"episode_return": 0.0, "episode_length": 0.0}  # over finished episodes
        self._episodes = 0

    def reset(self, seed=None):
        if seed is None:
            seed, self._seed = self._seed, None
        n, b = len(self.envs), self.buf
        seeds = [None] * n if seed is None else [seed + i for i in range(n)] if isinstance(seed, int) else seed
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
                self._sums["episode_return"] += self._returns[i]
                self._sums["episode_length"] += self._lengths[i]
                self._episodes += 1
                self._returns[i], self._lengths[i] = 0, 0
                obs = e.reset()[0]
            b["observations"][i] = obs

    def log(self):
        out = logs.means(self._sums, self._episodes)
        self._sums = dict.fromkeys(self._sums, 0.0)
        self._episodes = 0
        return out

    def close(self):
        for e in self.envs:
            e.close()
