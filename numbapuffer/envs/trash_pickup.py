"""Trash pickup, multi-agent, the rules of PufferLib 3.0.0's Ocean TrashPickup: `num_agents`
agents share a `grid_size` x `grid_size` grid with `num_trash` pieces of trash and
`num_bins` bins; they carry trash to the bins. Agent k of a game is agent k of its team.

Start: agents, then bins, then trash on uniformly random distinct cells.
Moves: the agents move one after another, agent 0 first, each onto the grid as the earlier
  ones left it. A move off the grid or into another agent does nothing. Into trash: an agent
  that carries nothing picks it up and steps onto its cell (one at a time; carrying, it
  cannot enter trash). Into a bin: an agent carrying trash drops it in and stays where it
  is; one carrying nothing pushes the bin one cell on, if that cell is on the grid and
  empty (else nothing moves).
Observation: Box(0, 1, (5*(2*agent_sight_range+1)**2,), int8): the window of cells around
  the agent (the agent at the centre; rows from the top, y - range first), as 5 planes of
  the window one after another: plane 0 unused (always 0, as in the C), 1 trash, 2 a bin,
  3 an agent (the observer too), 4 that agent carries trash. Off the grid: all 0.
Action: Discrete(4): 0 up (y - 1), 1 down, 2 left (x - 1), 3 right.
Reward: 0.5 for picking up trash, 0.5 for dropping it in a bin, each to the agent that did
  it (PufferLib's step penalty is 0.0, so none).
Termination: every agent at once, when all trash is in the bins (none left on the grid or
  carried), or after `max_steps` steps (terminal too, as in the C: no truncation).
Log, per agent: episode_return (its own rewards), episode_length, and the team's figures,
  the same for every agent of a game: team_return (all the team's rewards: PufferLib's
  episode_return, logged per game), trash_collected (trash picked up), score (= trash
  collected) and perf (trash collected / num_trash). PufferLib's C counts the uncollected
  trash from the wrong entities for these three (with 2 bins: one bin in, the last two
  pieces of trash out); ours counts the trash.

Sizes fix the state and spaces: `make_game(grid_size, num_agents, agent_sight_range)`;
`game` has PufferLib's defaults (10, 3, 5). num_trash, num_bins and max_steps are params.
View (480x512 pixels at the default sizes): the grid (48-pixel cells), agents blue (a yellow
  dot: carrying), trash brown, bins
  grey, the trash left above. Play: arrow keys move agent 0; the others move at random.
"""
from functools import partial

import math

import numpy as np
from gymnasium import spaces
from numba import njit

from numbapuffer.engine.checks import INT32_MAX, check_count, check_range
from numbapuffer.core import Game, rand_int
from numbapuffer.engine.pickling import factory
from numbapuffer.engine.render import COLORS, View, text

EMPTY, TRASH, BIN, AGENT = 0, 1, 2, 3  # grid cells: agent k is AGENT + k
CARRYING = 4  # the observation's plane of carried trash
UP, DOWN, LEFT, RIGHT = 0, 1, 2, 3
DX = np.array([0, 0, -1, 1], np.int32)
DY = np.array([-1, 1, 0, 0], np.int32)
REWARD = np.float32(0.5)  # a pickup, a drop into a bin
MAX_AGENTS = 127 - AGENT + 1  # grid cells are int8

PARAMS = dict(num_trash=15, num_bins=2, max_steps=300)


@njit
def place(s, what):
    """`what` on a uniformly random empty cell; returns (x, y)."""
    n = s.grid.shape[0]
    while True:
        i = rand_int(s, n * n)
        x, y = i % n, i // n
        if s.grid[y, x] == EMPTY:
            s.grid[y, x] = what
            return x, y


@njit
def move(s, buf, a, k):
    n = s.grid.shape[0]
    act = buf.actions[a + k]
    x, y = s.x[k], s.y[k]
    nx, ny = x + DX[act], y + DY[act]
    if nx < 0 or nx >= n or ny < 0 or ny >= n:
        return
    there = s.grid[ny, nx]
    if there == TRASH and not s.carrying[k]:
        s.carrying[k] = 1
        s.trash_left -= 1
        s.collected += 1
        buf.rewards[a + k] += REWARD
    elif there == BIN:
        if s.carrying[k]:
            s.carrying[k] = 0
            buf.rewards[a + k] += REWARD
            return
        bx, by = nx + DX[act], ny + DY[act]
        if bx < 0 or bx >= n or by < 0 or by >= n or s.grid[by, bx] != EMPTY:
            return
        s.grid[by, bx] = BIN
    elif there != EMPTY:  # an agent, or trash while carrying
        return
    s.grid[y, x] = EMPTY
    s.grid[ny, nx] = AGENT + k
    s.x[k] = nx
    s.y[k] = ny


@njit
def observe(s, k, obs):
    n = s.grid.shape[0]
    plane = obs.shape[0] // 5
    r = np.int64(math.sqrt(plane) + 0.5) // 2  # math: CUDA has no np.sqrt
    side = 2 * r + 1
    for i in range(obs.shape[0]):  # mostly empty: clear it all, then mark what is there
        obs[i] = 0
    for dy in range(-r, r + 1):
        y = s.y[k] + dy
        if y < 0 or y >= n:
            continue
        for dx in range(-r, r + 1):
            x = s.x[k] + dx
            if 0 <= x < n:
                v = np.int64(s.grid[y, x])  # int8 cells: v * plane would wrap
                if v != EMPTY:
                    i = (dy + r) * side + dx + r
                    if v >= AGENT:
                        obs[AGENT * plane + i] = 1
                        obs[CARRYING * plane + i] = s.carrying[v - AGENT]
                    else:
                        obs[v * plane + i] = 1


@njit
def reset(s, p, buf, a):
    n = s.grid.shape[0]
    for y in range(n):
        for x in range(n):
            s.grid[y, x] = EMPTY
    agents = s.x.shape[0]
    for k in range(agents):
        s.x[k], s.y[k] = place(s, AGENT + k)
        s.carrying[k] = 0
    for _ in range(p.num_bins):
        place(s, BIN)
    for _ in range(p.num_trash):
        place(s, TRASH)
    s.trash_left = p.num_trash
    s.collected = 0
    s.t = 0
    for k in range(agents):
        observe(s, k, buf.observations[a + k])


@njit
def step(s, p, buf, a):
    agents = s.x.shape[0]
    for k in range(agents):
        move(s, buf, a, k)
    s.t += 1
    over = s.t >= p.max_steps
    if not over and s.trash_left == 0:
        over = True
        for k in range(agents):
            if s.carrying[k]:
                over = False
    if over:
        team = 0.0
        for k in range(agents):
            team += buf.episode[a + k].episode_return + buf.rewards[a + k]
        for k in range(agents):
            buf.terminals[a + k] = True
            e = buf.episode[a + k]
            e.team_return = team
            e.trash_collected = s.collected
            e.score = s.collected
            e.perf = s.collected / p.num_trash
    for k in range(agents):
        observe(s, k, buf.observations[a + k])


def bots(s, p, actions, rng=np.random.default_rng()):
    for k in range(1, len(actions)):
        actions[k] = rng.integers(4)


CELL, TOP = 48, 32


def draw(surface, s, p):
    import pygame
    n = s.grid.shape[0]
    text(surface, f"step {s.t}/{p.max_steps}   trash left {s.trash_left}", (8, 6), 22)
    surface.fill(COLORS["field"], (0, TOP, n * CELL, n * CELL))
    for y in range(n):
        for x in range(n):
            v = int(s.grid[y, x])
            box = pygame.Rect(x * CELL, TOP + y * CELL, CELL, CELL)
            pygame.draw.rect(surface, COLORS["line"], box, 1)
            if v == TRASH:
                pygame.draw.circle(surface, (150, 100, 50), box.center, CELL * 0.25)
            elif v == BIN:
                pygame.draw.rect(surface, (150, 150, 160), box.inflate(-CELL // 4, -CELL // 4), border_radius=4)
            elif v >= AGENT:
                pygame.draw.circle(surface, COLORS["blue"], box.center, CELL * 0.38)
                text(surface, v - AGENT, (box.x + CELL // 2 - 5, box.y + CELL // 2 - 9), 18)
                if s.carrying[v - AGENT]:
                    pygame.draw.circle(surface, COLORS["yellow"], (box.right - 9, box.top + 9), CELL * 0.12)


@factory  # its games pickle as this call
def make_game(grid_size=10, num_agents=3, agent_sight_range=5):
    """A trash pickup Game of these sizes (see the module docstring)."""
    n = check_count(grid_size, "grid_size", "trash_pickup: ", high=10000)
    agents = check_count(num_agents, "num_agents", "trash_pickup: ", high=MAX_AGENTS)
    sight = check_count(agent_sight_range, "agent_sight_range", "trash_pickup: ", high=1000)
    if agents > n * n:
        raise ValueError(f"trash_pickup: {agents} agents do not fit a {n}x{n} grid")
    state = np.dtype([
        ("grid", np.int8, (n, n)),  # [y, x]: EMPTY, TRASH, BIN or AGENT + k
        ("x", np.int32, (agents,)), ("y", np.int32, (agents,)), ("carrying", np.int8, (agents,)),
        ("trash_left", np.int32), ("collected", np.int32), ("t", np.int32),
    ])

    def check(p):
        check_range("trash_pickup", p, ("num_trash", "max_steps"), low=1, high=INT32_MAX)
        check_range("trash_pickup", p, ("num_bins",), low=0, high=INT32_MAX)
        if agents + p["num_trash"] + p["num_bins"] > n * n:
            raise ValueError(f"trash_pickup: {agents} agents, num_trash={p['num_trash']} and "
                             f"num_bins={p['num_bins']} do not fit a {n}x{n} grid")

    side = 2 * sight + 1
    view = View(draw, size=(n * CELL, TOP + n * CELL), fps=8,
                keys={"up": UP, "down": DOWN, "left": LEFT, "right": RIGHT}, idle=None, bots=partial(bots),
                help="arrows: move agent 0 (the others move at random)")
    return Game("trash_pickup", state, reset, step,
                observation_space=spaces.Box(0, 1, (5 * side * side,), np.int8), action_space=spaces.Discrete(4),
                agents=agents, params=PARAMS, check=check,
                log=("team_return", "trash_collected", "score", "perf"), view=view)


game = make_game()
