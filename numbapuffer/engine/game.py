"""The game declaration: what a game author writes besides game code (see numbapuffer.core)."""
import pickle
import re
import sys

import numba
import numpy as np
from gymnasium import spaces

from numbapuffer.engine.checks import check_param, param_dtype
from numbapuffer.engine.pickling import importable, module_attribute
from numbapuffer.engine.render import View

__all__ = ["Game"]


class Game:
    """What a game author declares; everything else is derived by the engine.

    name: the env id. state: numpy record dtype of one game (the engine appends `rng`).
    reset, step: the per-game @njit functions (see the module docstring).
    observation_space, action_space: of one agent. agents: agents per game.
    params: name -> default; the default's type is the field's type (np.float32(8) is
    float32, a Python int is int64, a Python float float64). check: optional Python
    function of the params dict that raises ValueError naming a bad value.
    log: extra per-episode log fields beyond episode_return and episode_length, which the
    engine keeps itself; the step function sets or adds to `buf.episode[agent].<field>`.
    view: optional numbapuffer.engine.render.View (drawing from the state record, frame size and
    rate, keys for human play); a game with one offers render modes "human" and "rgb_array".
    action_mask: for a Discrete(n) action, the slice of the (flat) observation that holds
    the legal-move mask (1 legal, 0 not; n entries), which trainers and the PettingZoo
    adapter read; None when every action is always legal.
    presets: name -> params overrides, chosen by `make(..., preset=name)` (params given by
    keyword still win), e.g. {"pufferlib": {...}} for PufferLib's configuration of a game.
    sizes: name -> int, the sizes that shape the state (a board's side, a deck), which game
    code reads as params (`p.size`) but nobody can change after the Game is made: a game
    of another size is another Game, made by a `@factory` function (see snake.make_game).
    scratch: names of state fields that hold working memory game code overwrites before it
    reads (a flood fill's queue): check_env does not ask reset to set them, nor compares them.
    log_per: "agent" (each agent's episodes are logged: `n` counts agents' episodes) or
    "game" (one episode per game: episode_return sums the game's agents' rewards, the count is
    of games, and game code writes its own log fields into `buf.episode[a]`, a = the game's
    first agent), for games whose stats belong to the team, not to one agent.
    """

    def __init__(self, name: str, state, reset, step, observation_space: spaces.Box, action_space: spaces.Space,
                 agents: int = 1, params: dict | None = None, check=None, log=(), view: View | None = None,
                 action_mask: slice | None = None, presets: dict | None = None, sizes: dict | None = None,
                 scratch=(), log_per: str = "agent"):
        if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
            raise ValueError(f"game name {name!r} must be lowercase letters, digits and _")
        state = np.dtype(state)
        if state.names is None:
            raise TypeError(f"{name}: state must be a structured (record) dtype")
        if "rng" in state.names:
            raise ValueError(f"{name}: state field 'rng' is reserved for the engine's random stream")
        for fn, what in ((reset, "reset"), (step, "step")):
            if not isinstance(fn, numba.core.registry.CPUDispatcher) and not (numba.config.DISABLE_JIT and callable(fn)):
                raise TypeError(f"{name}: {what} must be an @njit function")
        if not isinstance(observation_space, spaces.Box):
            raise TypeError(f"{name}: observation_space must be a gymnasium Box")
        if not observation_space.dtype.isnative:
            raise TypeError(f"{name}: observation_space has dtype {observation_space.dtype} (non-native byte order); "
                            f"compiled code needs native numbers")
        if not isinstance(action_space, (spaces.Discrete, spaces.MultiDiscrete, spaces.Box)):
            raise TypeError(f"{name}: action_space must be Discrete, MultiDiscrete or Box")
        if view is not None and not isinstance(view, View):
            raise TypeError(f"{name}: view must be a numbapuffer.engine.render.View, got {type(view).__name__}")
        if action_mask is not None:
            size = len(range(int(np.prod(observation_space.shape)))[action_mask])
            if not isinstance(action_space, spaces.Discrete) or size != action_space.n:
                raise ValueError(f"{name}: action_mask {action_mask} must select {getattr(action_space, 'n', '?')} "
                                 f"entries of the observation for a Discrete action, got {size} for {action_space}")
        self.name = name
        # Aligned records (C struct layout): CUDA cannot load a misaligned field, and the CPU
        # kernels run as fast on them (benchmarks/pong_vs_c.py, 2026-11-29).
        self.state = np.dtype([(f, state.fields[f][0]) for f in state.names] + [("rng", np.uint64)], align=True)
        self.reset, self.step = reset, step
        self.observation_space, self.action_space = observation_space, action_space
        self.agents = int(agents)
        self.defaults = dict(params or {})
        self.sizes = _sizes(name, sizes, self.defaults)
        self.params = np.dtype([(k, param_dtype(v)) for k, v in {**self.defaults, **self.sizes}.items()]
                               or [("_", np.int64)], align=True)
        self.scratch = tuple(scratch)
        for f in self.scratch:
            if f not in state.names:
                raise ValueError(f"{name}: scratch field {f!r} is not a state field ({', '.join(state.names)})")
        if log_per not in ("agent", "game"):
            raise ValueError(f"{name}: log_per must be 'agent' or 'game', got {log_per!r}")
        self.log_per = log_per
        self.check = check
        self.log_fields = ("episode_return", "episode_length") + tuple(f for f in log if f not in
                                                                       ("episode_return", "episode_length"))
        self.view = view
        self.render_modes = ("human", "rgb_array") if view is not None else ()
        self.action_mask = action_mask
        self.presets = {k: dict(v) for k, v in (presets or {}).items()}
        for preset, values in self.presets.items():
            unknown = [k for k in values if k not in self.defaults]
            if unknown:
                raise ValueError(f"{name}: preset {preset!r} sets unknown parameter {unknown[0]!r}")

    def __repr__(self):
        return f"Game({self.name!r})"

    # A game is a declaration, not data: copies are the game itself, and pickles are recipes
    # (its module and name, the factory call that made it, or its declaration: pickling.py).
    def __reduce__(self):
        return _reduce(self)

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self

    def make_params(self, preset: str | None = None, **overrides) -> np.ndarray:
        """The params record (array of length 1) for these overrides over a preset's, checked."""
        if preset is not None:
            if preset not in self.presets:
                known = ", ".join(repr(k) for k in self.presets) or "none"
                raise ValueError(f"{self.name}: unknown preset {preset!r} (known: {known})")
            overrides = {**self.presets[preset], **overrides}
        fixed = [k for k in overrides if k in self.sizes]
        if fixed:
            raise TypeError(f"{self.name}: {fixed[0]!r} is a size of this game ({self.sizes[fixed[0]]}), fixed when its "
                            f"Game was made: make a Game of another size with the function that made this one")
        unknown = [k for k in overrides if k not in self.defaults]
        if unknown:
            known = ", ".join(self.defaults) or "none"
            # worded as Python's own, which callers such as TorchRL's GymEnv recognise (it then drops the keyword)
            raise TypeError(f"{self.name}: got an unexpected keyword argument {unknown[0]!r} (known params: {known})")
        values = {k: check_param(self.name, k, overrides.get(k, v), self.params[k]) for k, v in self.defaults.items()}
        if self.check is not None:
            self.check({**values, **self.sizes})
        out = np.zeros(1, self.params)
        for k, v in {**values, **self.sizes}.items():
            out[k] = v
        return out


def _sizes(name, sizes, params):
    out = {}
    for k, v in (sizes or {}).items():
        if k in params:
            raise ValueError(f"{name}: {k!r} is both a param and a size")
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or not 0 < v < 2**31:
            raise ValueError(f"{name}: size {k!r} must be a positive int below 2**31, got {v!r}")
        out[k] = int(v)
    return out


def _reduce(game):
    """Game.__reduce__: by reference, by factory call, or by value (numbapuffer.engine.pickling)."""
    ref = module_attribute(game)
    if ref is not None:
        return _attribute, ref
    made_by = getattr(game, "made_by", None)
    if made_by is not None and importable(sys.modules.get(made_by[0].__module__), main=False):
        return _call, made_by
    args = (game.name, game.state.descr[:-1], game.reset, game.step, game.observation_space, game.action_space,
            game.agents, game.defaults, game.check, game.log_fields, game.view, game.action_mask, game.presets,
            game.sizes, game.scratch, game.log_per)
    import cloudpickle  # a dependency of gymnasium; only games defined in __main__ need it
    try:
        data = cloudpickle.dumps(args)
    except Exception as e:
        raise pickle.PicklingError(
            f"game {game.name!r} cannot be pickled by value ({type(e).__name__}: {e}). Define the game and its "
            f"functions at the top level of a module file (e.g. mygame.py, with `game = Game(...)`), and import "
            f"it from there: it then pickles by reference.") from e
    return _from_value, (data,)


def _attribute(module, attr):
    return getattr(__import__(module, fromlist=[attr]), attr)


def _call(make, args, kwargs):
    return make(*args, **kwargs)


def _from_value(data):
    return Game(*pickle.loads(data))
