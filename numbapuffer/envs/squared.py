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
Params: size, max_steps, and for PufferLib's rules: down_first (action 1 moves down and 2
  up), border_ends (a move off the grid ends the episode, terminal, with reward_fail),
  timeout_ends (the step past max_steps ends the episode, terminal, with reward_fail, before
  the target is looked at; else the max_steps-th step truncates with reward_fail), and
  reward_fail (0 by default).
Preset "pufferlib" (make("squared", preset="pufferlib")): PufferLib 3.0.0's Squared at its
  default size 11: actions 1 down, 2 up; -1 for leaving the grid or for a 34th step (its
  `tick > 3 * size`: max_steps 33, to set anew with another size), both terminal; +1 for the target. Its observation is the grid (size *
  size uint8 cells: 0 empty, 1 agent, 2 target), which a preset cannot change: the preset
  observes our 4 floats above. Its Log's episode_return is the last reward, the same as ours
  here (one reward an episode).
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
    check_range("squared", p, ("max_steps",), low=1, high=INT32_MAX - 1)  # the step count is int32
    check_range("squared", p, ("reward_fail",), low=-1e30, high=1e30)


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
    if p.down_first and (action == UP or action == DOWN):
        action = UP + DOWN - action
    # moves as sums of comparisons, one observe at the end: 1.5x the steps/s of an if-chain
    # with an observe on each way out
    x = s.x + (action == RIGHT) - (action == LEFT)
    y = s.y + (action == DOWN) - (action == UP)
    s.t += 1
    off = x < 0 or y < 0 or x >= p.size or y >= p.size
    if (p.timeout_ends and s.t > p.max_steps) or (off and p.border_ends):
        buf.rewards[a] = p.reward_fail  # the final observation keeps the agent on its last cell
        buf.terminals[a] = True
    else:
        s.x = min(max(x, 0), p.size - 1)
        s.y = min(max(y, 0), p.size - 1)
        if s.x == s.target_x and s.y == s.target_y:
            buf.rewards[a] = 1
            buf.terminals[a] = True
        elif s.t >= p.max_steps and not p.timeout_ends:
            buf.rewards[a] = p.reward_fail
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
            params=dict(size=11, max_steps=20, down_first=False, border_ends=False, timeout_ends=False,
                        reward_fail=np.float32(0)),
            check=check, view=VIEW,
            presets={"pufferlib": dict(max_steps=33, down_first=True, border_ends=True, timeout_ends=True,
                                       reward_fail=np.float32(-1))})
