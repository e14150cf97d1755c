"""numbapuffer: reinforcement-learning environments in plain Python, compiled by Numba."""
from numbapuffer import envs, vector
from numbapuffer.engine import render  # noqa: F401  (npf.render.record, npf.vector.make)
from numbapuffer.tools.check import check_env
from numbapuffer.core import Env, Game, rand, rand_float, rand_int
from numbapuffer.engine.debug import GameStepError
from numbapuffer.engine.errors import GameCompileError
from numbapuffer.adapters.gymnasium import NumbaVecEnv, register
from numbapuffer.engine.render import View


def list_envs() -> list[str]:
    """Ids of the first-party envs."""
    return sorted(envs.ENVS)


def make(env: str | Game, num_envs: int = 1, seed: int | None = None, buf=None, render_mode: str | None = None,
         device: str = "cpu", **params) -> Env:
    """A native vector env of `num_envs` games: `env` is an id from list_envs() or a Game.
    device="cuda": the games and buffers live on the GPU (numbapuffer.gpu.env.CudaEnv;
    needs numba-cuda, `pip install "numbapuffer[cuda]"`)."""
    if device == "cuda":
        if buf is not None or render_mode is not None:
            raise ValueError('device="cuda" keeps its own buffers in GPU memory and does not render: '
                             "leave buf and render_mode unset")
        from numbapuffer.gpu.env import CudaEnv
        return CudaEnv(envs.get(env), num_envs=num_envs, seed=seed, **params)
    if device != "cpu":
        raise ValueError(f'device must be "cpu" or "cuda", got {device!r}')
    return Env(envs.get(env), num_envs=num_envs, seed=seed, buf=buf, render_mode=render_mode, **params)


register()  # numbapuffer/<Name>-v0 for gymnasium.make_vec

__all__ = ["Env", "Game", "View", "NumbaVecEnv", "make", "list_envs", "check_env", "rand", "rand_float", "rand_int",
           "vector", "GameCompileError", "GameStepError"]
