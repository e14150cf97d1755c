"""Squared: walk to the target on a small square grid. A sanity env: any working trainer
should learn it in seconds (a random walk rarely makes it in time; the straight path does).

Observation: Box(0, 1, (4,), float32): the agent's column and row, the target's column and
  row, each divided by size - 1.
Action: Discrete(5): 0 stay, 1 up (row - 1), 2 down (row + 1), 3 left (column - 1),
  4 right (column + 1); a move into the border leaves the agent where it is.
Reward: +1 on reaching the target, 0 otherwise.
Termination: reaching the target; truncation after `max_steps` steps.
Start: the agent in the centre cell, the target on any other cell, uniformly from the
  game's stream.
Log: episode_return (the share of episodes that reached the target), episode_length.
View: the grid (36-pixel cells, 404x432 pixels at the default size), the agent blue, the
  target yellow. Play: arrow keys.
"""
import numpy as np
from gymnasium import spaces
from numba import njit

from numbapuffer.engine.checks import INT32_MAX, check_range
from numbapuffer.core import Game, rand_int
from numbapuffer.engine.render import COLORS, View, text

STAY, UP, DOWN, LEFT, RIGHT = 0, 1, 2, 3, 4

STATE = np.dtype([("x", np.int32), ("y", np.int32), ("target_x", np.int32), ("target_y", np.int32),
                  ("t", np.int32)])


def check(p):
    # rand_int(s, n) needs n < 2**32: the target is drawn from size * size - 1 cells
    check_range("squared", p, ("size",), low=2, high=2**16)
    check_range("squared", p, ("max_steps",), low=1, high=INT32_MAX)  # the step count is int32


@njit
def observe(s, p, obs):
    scale = np.float32(1) / np.float32(p.size - 1)
    obs[0] = np.float32(s.x) * scale
    obs[1] = np.float32(s.y) * scale
    obs[2] = np.float32(s.target_x) * scale
    obs[3] = np.float32(s.target_y) * scale


@njit
def reset(s, p, buf, a):
    centre = p.size // 2
    s.x = centre
    s.y = centre
    cell = rand_int(s, p.size * p.size - 1)  # every cell but the centre's
    if cell >= centre * p.size + centre:
        cell += 1
    s.target_x = cell % p.size
    s.target_y = cell // p.size
    s.t = 0
    observe(s, p, buf.observations[a])


@njit
def step(s, p, buf, a):
    action = buf.actions[a]
    if action == UP:
        s.y = max(s.y - 1, 0)
    elif action == DOWN:
        s.y = min(s.y + 1, p.size - 1)
    elif action == LEFT:
        s.x = max(s.x - 1, 0)
    elif action == RIGHT:
        s.x = min(s.x + 1, p.size - 1)
    s.t += 1
    if s.x == s.target_x and s.y == s.target_y:
        buf.rewards[a] = 1
        buf.terminals[a] = True
    elif s.t >= p.max_steps:
        buf.truncations[a] = True
    observe(s, p, buf.observations[a])


TOP = 32  # pixels: the strip with the step count


def cell_size(p):
    return max(8, min(36, 440 // p.size))


def draw(surface, s, p):
    import pygame
    cell = cell_size(p)
    text(surface, f"step {s.t}/{p.max_steps}", (8, 8), 24)
    for r in range(p.size):
        for c in range(p.size):
            pygame.draw.rect(surface, COLORS["field"], (4 + c * cell + 1, TOP + r * cell + 1, cell - 2, cell - 2),
                             border_radius=max(cell // 8, 1))
    target = pygame.Rect(4 + s.target_x * cell, TOP + s.target_y * cell, cell, cell)
    pygame.draw.rect(surface, COLORS["yellow"], target.inflate(-cell // 4, -cell // 4), width=max(cell // 10, 2),
                     border_radius=max(cell // 6, 1))
    pygame.draw.rect(surface, COLORS["yellow"], target.inflate(-cell // 2, -cell // 2), border_radius=max(cell // 10, 1))
    agent = (4 + (s.x + 0.5) * cell, TOP + (s.y + 0.5) * cell)
    pygame.draw.circle(surface, COLORS["blue"], agent, cell * 0.32)


VIEW = View(draw, size=lambda p: (p.size * cell_size(p) + 8, TOP + p.size * cell_size(p) + 4), fps=8,
            keys={"up": UP, "down": DOWN, "left": LEFT, "right": RIGHT}, idle=STAY, help="arrows: walk to the yellow square")

game = Game("squared", STATE, reset, step,
            observation_space=spaces.Box(0, 1, (4,), np.float32), action_space=spaces.Discrete(5),
            params=dict(size=11, max_steps=20), check=check, view=VIEW)
