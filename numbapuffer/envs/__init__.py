"""The first-party envs. ENVS maps each env id (also its module, numbapuffer/envs/<id>.py,
which defines `game`) to the name in its gymnasium id, numbapuffer/<Name>-v0, or to None
for a multi-agent game (PettingZoo's API, not gymnasium's; registered under no id)."""
import importlib

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
    """The Game of `env`: a first-party env id, or a Game (returned as it is)."""
    if isinstance(env, Game):
        return env
    if not isinstance(env, str):
        raise TypeError(f"env must be an env id from numbapuffer.list_envs() or a Game, got {env!r}")
    if env not in ENVS:
        raise ValueError(f"unknown env {env!r}; known envs: {', '.join(sorted(ENVS))}")
    return importlib.import_module(f"numbapuffer.envs.{env}").game
