"""The first-party envs: env id -> module. Each module defines `game`, a numbapuffer Game."""
import importlib

ENVS = {
    "pong": "numbapuffer.envs.pong",
}


def get(name):
    """The Game of a first-party env id."""
    if name not in ENVS:
        raise ValueError(f"unknown env {name!r}; known envs: {', '.join(sorted(ENVS))}")
    return importlib.import_module(ENVS[name]).game
