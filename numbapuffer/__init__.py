"""numbapuffer: reinforcement-learning environments in plain Python, compiled by Numba."""
from numbapuffer import envs, render, vector  # noqa: F401  (npf.render.record, npf.vector.make)
from numbapuffer.check import check_env
from numbapuffer.core import Env, Game, rand, rand_float, rand_int
from numbapuffer.render import View
from numbapuffer.vector import NumbaVecEnv


def list_envs():
    """Ids of the first-party envs."""
    return sorted(envs.ENVS)


def make(env, num_envs=1, seed=None, buf=None, render_mode=None, **params):
    """A native vector env of `num_envs` games: `env` is an id from list_envs() or a Game."""
    game = env if isinstance(env, Game) else envs.get(env)
    return Env(game, num_envs=num_envs, seed=seed, buf=buf, render_mode=render_mode, **params)


vector.register()  # numbapuffer/<Name>-v0 for gymnasium.make_vec

__all__ = ["Env", "Game", "View", "NumbaVecEnv", "make", "list_envs", "check_env", "rand", "rand_float", "rand_int",
           "vector"]
