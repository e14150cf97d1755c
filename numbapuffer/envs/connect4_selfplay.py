"""Connect Four in self-play: both sides are agents, two per game. Rules, observation,
action, reward and termination are in numbapuffer/envs/connect4.py, which defines this game
as `selfplay`; this module gives it its own env id."""
from numbapuffer.envs.connect4 import env, parallel_env
from numbapuffer.envs.connect4 import selfplay as game

__all__ = ["game", "parallel_env", "env"]
