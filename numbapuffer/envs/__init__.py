"""The first-party envs. ENVS maps each env id (also its module, numbapuffer/envs/<id>.py,
which defines `game`) to the name in its gymnasium id, numbapuffer/<Name>-v0, or to None
for a multi-agent game (PettingZoo's API, not gymnasium's; registered under no id)."""
import importlib

from numbapuffer.core import Game

ENVS = {
    "breakout": "Breakout",
    "cartpole": "CartPole",
    "connect4": "Connect4",
    "connect4_selfplay": None,
    "pong": "Pong",
    "snake": None,
    "squared": "Squared",
}


def get(env):
    """The Game of `env`: a first-party env id, or a Game (returned as it is)."""
    if isinstance(env, Game):
        return env
    if not isinstance(env, str):
        raise TypeError(f"env must be an env id from numbapuffer.list_envs() or a Game, got {env!r}")
    if env not in ENVS:
        raise ValueError(f"unknown env {env!r}; known envs: {', '.join(sorted(ENVS))}")
    return importlib.import_module(f"numbapuffer.envs.{env}").game
