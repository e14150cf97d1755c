"""Stable-Baselines3's face of a native env: `vec_env(env, num_envs, **params)`, one
`stable_baselines3.common.vec_env.VecEnv` over one native env of `num_envs` games.

    from stable_baselines3 import PPO
    from stable_baselines3.common.vec_env import VecMonitor
    import numbapuffer.sb3
    model = PPO("MlpPolicy", VecMonitor(numbapuffer.sb3.vec_env("cartpole", 16)), n_steps=128)

SB3's conventions: a game that ends restarts in the same step, the returned observation is
the new game's first, and infos[i]["terminal_observation"] holds the last one of the game
that ended ("TimeLimit.truncated" says it was cut by the time limit). Episode returns and
lengths for SB3's logs come from VecMonitor, as for any VecEnv. seed(s) seeds the next
reset (game i gets stream s + i). The games are the rows of one native env, so attributes are
the native env's, shared by all games: get_attr reads them, set_attr sets a game param
(on all games at once), env_method("render") draws the games asked for. SB3 is imported
only when a vec env is made.
"""
import functools

import numpy as np

from numbapuffer import envs
from numbapuffer.core import Env, Game

__all__ = ["vec_env"]


def vec_env(env: str | Game, num_envs: int = 1, seed: int | None = None, render_mode: str | None = None, **params):
    """A stable_baselines3 VecEnv of `num_envs` games of single-agent game `env` (an id from
    list_envs() or a Game), stepped by one kernel call per step."""
    game = envs.get(env)
    if game.agents != 1:
        raise ValueError(f"{game.name} has {game.agents} agents per game; an SB3 VecEnv is for single-agent games")
    # Without autoreset: the last observation of a game that ends is copied out before
    # the game restarts (SB3's terminal_observation).
    return vec_env_class()(Env(game, num_envs, seed=seed, render_mode=render_mode, report_interval=0,
                               autoreset="disabled", **params))


@functools.cache
def vec_env_class():
    """The VecEnv class over a native env (made on first use: it subclasses SB3's)."""
    from stable_baselines3.common.vec_env import VecEnv

    class NumbaSB3VecEnv(VecEnv):
        """An SB3 VecEnv whose sub-envs are the games of one native env, `env`."""

        def __init__(self, env: Env):
            self.env = env
            self._actions = None
            super().__init__(env.num_envs, env.single_observation_space, env.single_action_space)

        def reset(self):
            seeds = None if all(s is None for s in self._seeds) else [0 if s is None else s for s in self._seeds]
            self._reset_seeds()
            self._reset_options()
            obs, _ = self.env.reset(seed=seeds)
            self.reset_infos = [{} for _ in range(self.num_envs)]
            return obs.copy()

        def step_async(self, actions):
            self._actions = actions

        def step_wait(self):
            e = self.env
            obs, rewards, terminals, truncations, _ = e.step(self._actions)
            dones = terminals | truncations
            rewards = rewards.copy()
            infos = [{} for _ in range(self.num_envs)]
            if dones.any():
                ended = np.flatnonzero(dones)
                for i in ended:
                    infos[i]["terminal_observation"] = obs[i].copy()
                    infos[i]["TimeLimit.truncated"] = bool(truncations[i] and not terminals[i])
                e.reset(mask=dones)
            return obs.copy(), rewards, dones, infos

        def close(self):
            self.env.close()

        def get_attr(self, attr_name, indices=None):
            value = getattr(self.env, attr_name)  # AttributeError as SB3 expects for a missing one
            return [value for _ in self._get_indices(indices)]

        def set_attr(self, attr_name, value, indices=None):
            game = self.env.game
            if attr_name not in game.defaults:
                known = ", ".join(game.defaults) or "none"
                raise ValueError(f"{game.name}: set_attr sets a game param (known: {known}), got {attr_name!r}; "
                                 f"other attributes belong to the one native env of all games")
            if sorted(self._get_indices(indices)) != list(range(self.num_envs)):
                raise ValueError(f"{game.name}: params are shared by all games of the native env: set_attr "
                                 f"{attr_name!r} with indices=None")
            self.env.set_params(**{attr_name: value})  # checked as make; the games restart at the next reset

        def env_method(self, method_name, *method_args, indices=None, **method_kwargs):
            if method_name != "render":
                raise ValueError(f"{self.env.game.name}: env_method calls 'render' (one frame per game); the games "
                                 f"share one native env: call vec.env.{method_name}(...) on it")
            return [self.env.render(i) for i in self._get_indices(indices)]

        def env_is_wrapped(self, wrapper_class, indices=None):
            return [False for _ in self._get_indices(indices)]  # no gymnasium wrapper: the games are native

        def get_images(self):
            if self.render_mode != "rgb_array":
                return [None for _ in range(self.num_envs)]
            return [self.env.render(i) for i in range(self.num_envs)]

        def __repr__(self):
            return f"numbapuffer.sb3.vec_env({self.env.game.name!r}, {self.num_envs})"

    NumbaSB3VecEnv.__module__ = __name__
    return NumbaSB3VecEnv
