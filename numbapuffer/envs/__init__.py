"""The first-party envs. ENVS maps each env id (also its module, numbapuffer/envs/<id>.py,
which defines `game`) to the name in its gymnasium id, numbapuffer/<Name>-v0, or to None
for a multi-agent game (PettingZoo's API, not gymnasium's; registered under no id).

A user's Game is named as `path/to/my_env.py:game` or `my_package.my_env:game` (is_spec):
get() imports that one file or module, as its caller (the command line, a script) asked, and
nothing else. A file is imported by its name, from its folder put at the end of sys.path,
so that processes spawned later (backends' workers) and the kernel cache import it again.
"""
import importlib
import os
import sys

from numbapuffer.core import Game

ENVS = {
    "acrobot": "Acrobot",
    "blastar": "Blastar",
    "boids": "Boids",
    "breakout": "Breakout",
    "breakout_pixels": "BreakoutPixels",
    "cartpole": "CartPole",
    "checkers": "Checkers",
    "connect4": "Connect4",
    "connect4_selfplay": None,
    "enduro": "Enduro",
    "freeway": "Freeway",
    "go": "Go",
    "grid": "Grid",
    "moba": None,
    "mountaincar": "MountainCar",
    "mountaincar_continuous": "MountainCarContinuous",
    "pacman": "Pacman",
    "pendulum": "Pendulum",
    "pong": "Pong",
    "pong_pixels": "PongPixels",
    "rware": None,
    "snake": None,
    "squared": "Squared",
    "target": None,
    "tetris": "Tetris",
    "tower_climb": "TowerClimb",
    "trash_pickup": None,
    "tripletriad": "TripleTriad",
}
# gymnasium's time limit of the ports of its envs (their `max_steps` param's default, which a
# test holds equal): the `max_episode_steps` of their gymnasium ids' specs.
MAX_EPISODE_STEPS = {"acrobot": 500, "cartpole": 500, "mountaincar": 200, "mountaincar_continuous": 999,
                     "pendulum": 200}


def get(env):
    """The Game of `env`: a first-party env id, a user's Game by file or module
    ("my_env.py:game", "my_package.my_env:game"), or a Game (returned as it is)."""
    if isinstance(env, Game):
        return env
    if not isinstance(env, str):
        raise TypeError(f"env must be an env id from numbapuffer.list_envs() or a Game, got {env!r}")
    if is_spec(env):
        return load(env)
    if env not in ENVS:
        raise ValueError(f"unknown env {env!r}; known envs: {', '.join(sorted(ENVS))}, or a Game of yours as "
                         f"path/to/my_env.py:game or my_package.my_env:game")
    return importlib.import_module(f"numbapuffer.envs.{env}").game


def is_spec(env) -> bool:
    """Whether `env` names a user's Game: FILE.py:NAME or MODULE:NAME (a gymnasium id such
    as ale_py:ALE/Pong-v5 is not one: its right side is no Python name)."""
    if not isinstance(env, str) or env.count(":") != 1:
        return False
    where, name = env.split(":")
    module = where.endswith(".py") or all(part.isidentifier() for part in where.split("."))
    return bool(where) and module and name.isidentifier()


def load(spec: str) -> Game:
    """The Game that `spec` (FILE.py:NAME or MODULE:NAME) names; a clear error when the file,
    module or name is missing or the name is not a Game."""
    where, name = spec.split(":")
    if where.endswith(".py"):
        path = os.path.realpath(where)
        if not os.path.isfile(path):
            raise ValueError(f"{spec}: no file {where}")
        folder, module_name = os.path.split(path)
        module_name = module_name[:-3]
        if not module_name.isidentifier():
            raise ValueError(f"{spec}: {module_name!r} is not a Python module name: rename the file")
        if folder not in sys.path:
            sys.path.append(folder)
        module = _import(spec, module_name)
        found = os.path.realpath(getattr(module, "__file__", "") or "")
        if found != path:
            raise ValueError(f"{spec}: a module {module_name!r} is already importable from {found}: rename your file")
    else:
        module = _import(spec, where)
    game = getattr(module, name, None)
    if not isinstance(game, Game):
        what = "nothing" if game is None else f"a {type(game).__name__}"
        raise ValueError(f"{spec}: {module.__name__}.{name} is {what}, not a numbapuffer Game")
    return game


def _import(spec, module_name):
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as e:
        if e.name != module_name.split(".")[0] and e.name != module_name:
            raise  # the user's module itself imports something missing: its own error
        raise ValueError(f"{spec}: no module named {module_name!r}") from None
