"""PufferLib's face of a native env: `env_creator(env, **params)` for `pufferlib.vector.make`.

    import pufferlib.vector
    import numbapuffer.pufferlib
    creator = numbapuffer.pufferlib.env_creator("pong", max_score=3)
    vecenv = pufferlib.vector.make(creator, env_kwargs={"num_envs": 4096})            # Native
    vecenv = pufferlib.vector.make(creator, backend="Multiprocessing", num_envs=4,
                                   num_workers=2, batch_size=2, env_kwargs={"num_envs": 1024})

Each env the creator makes is a real `pufferlib.PufferEnv` over one native env of
`num_envs` games, which writes straight into the buffers PufferLib hands it through
`buf=` (shared memory in Multiprocessing, slices in Serial): nothing is copied. pufferlib
is imported only when a creator makes an env, so numbapuffer never needs it installed.
"""
import functools

from numbapuffer import envs
from numbapuffer.core import Env, Game

__all__ = ["env_creator", "Creator"]


def env_creator(env: str | Game, **params) -> "Creator":
    """A creator of PufferLib envs of game `env` (an id from list_envs() or a Game): called as
    PufferLib calls creators, `creator(num_envs=1, buf=None, seed=0, **more_params)`, it
    returns a `pufferlib.PufferEnv`. Params given here are the defaults of every env it makes;
    keywords at the call win. An unknown id or param raises here, before PufferLib starts any
    worker."""
    creator = Creator(envs.get(env), params)
    creator.game.make_params(**params)  # check the params now: a worker's error would reach no one
    return creator


class Creator:
    """What env_creator returns: picklable (the game by reference, the params), so spawned
    workers and Ray actors can take it too."""

    def __init__(self, game: Game, params: dict):
        self.game, self.params = game, dict(params)

    def __call__(self, num_envs: int = 1, buf=None, seed: int | None = 0, render_mode: str | None = None, **params):
        return puffer_env_class()(Env(self.game, num_envs, seed=seed, buf=buf, render_mode=render_mode,
                                      **{**self.params, **params}))

    def __repr__(self):
        return f"env_creator({self.game.name!r}, **{self.params!r})"


@functools.cache
def puffer_env_class():
    """The PufferEnv class over a native env (made on first use: it subclasses pufferlib's)."""
    import pufferlib

    class PufferEnv(pufferlib.PufferEnv):
        """A `pufferlib.PufferEnv` whose buffers are the native env's own: `env` steps the
        games, PufferLib reads the same arrays. `env` is the native env (numbapuffer.Env)."""

        def __init__(self, env: Env):
            self.env = env
            self.single_observation_space = env.single_observation_space
            self.single_action_space = env.single_action_space
            self.num_agents = env.num_agents
            self.render_mode = env.render_mode
            # PufferLib's checks run on the spaces; then its buffers are set to the env's
            super().__init__(buf={k: getattr(env, k) for k in ("observations", "actions", "rewards", "terminals",
                                                                "truncations", "masks")})

        def reset(self, seed=None):
            _, infos = self.env.reset(seed)
            return self.observations, _for_pufferlib(infos)

        def step(self, actions):
            _, _, _, _, infos = self.env.step(actions)
            return self.observations, self.rewards, self.terminals, self.truncations, _for_pufferlib(infos)

        def log(self):
            return self.env.log()

        def render(self):
            return self.env.render()

        def close(self):
            self.env.close()

        def __reduce__(self):  # rebuilt over the unpickled native env, so the buffers stay one set
            return puffer_env_class(), (self.env,)

        def __repr__(self):
            return f"numbapuffer.pufferlib.PufferEnv({self.env!r})"

    # found again by name when pickled: see __getattr__ below
    PufferEnv.__module__, PufferEnv.__qualname__ = __name__, "PufferEnv"
    return PufferEnv


def _for_pufferlib(infos):
    """The native reports without their episode count "n": PufferLib averages every entry of
    an info dict as a user stat, and a mean count of episodes per report means nothing."""
    return [{k: v for k, v in info.items() if k != "n"} for info in infos] if infos else infos


def __getattr__(name):
    if name == "PufferEnv":  # the class, importing pufferlib only when asked for
        return puffer_env_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
