"""The first-party envs. ENVS maps each env id (also its module, numbapuffer/envs/<id>.py,
which defines `game`) to the name in its gymnasium id, numbapuffer/<Name>-v0."""
import importlib

ENVS = {
    "breakout": "Breakout",
    "cartpole": "CartPole",
    "connect4": "Connect4",
    "connect4_selfplay": "Connect4Selfplay",
    "pong": "Pong",
    "snake": "Snake",
    "squared": "Squared",
}


def get(name):
    """The Game of a first-party env id."""
    if name not in ENVS:
        raise ValueError(f"unknown env {name!r}; known envs: {', '.join(sorted(ENVS))}")
    return importlib.import_module(f"numbapuffer.envs.{name}").game
