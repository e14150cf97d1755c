"""Grid: PufferLib 3.0.0's Ocean Grid in its default configuration (grid.py): walk a random
maze from its top-left corner to the goal in its bottom-right corner, seeing only the cells
around you.

Maps: a pool of `num_maps` mazes; each game starts on one drawn uniformly from the pool.
Map k of the pool is always the same maze (it is made from a stream seeded by k alone, so
every game and thread shares the pool without storing it): a square of side `map_size`, or
with map_size = -1 a side drawn uniformly from 5 .. max_size - 1, made odd by taking one
off; carved by the growing-tree algorithm from a random odd cell, taking the newest cell
(depth first, long corridors) or, with chance 1 - difficulty, a random one (branchy), with
the map's difficulty uniform in [0, 1). Walls surround it; cells are odd (row, column)
pairs joined through the even ones. The agent starts at (1, 1) facing east (+x), the goal
is at (side - 2, side - 2). The maze lies in the top-left corner of a max_size x max_size
grid whose other cells are walls.

Observation: Box(0, 255, ((2*vision+1)**2,), uint8): the cells of the grid within `vision`
  rows and columns of the agent, row by row from the top-left, the agent in the centre:
  0 empty, 1 wall, 3 goal, 6 the agent; cells past the grid's edge read 0.
Action: Discrete(5): 0 stay, 1 forward, 2 turn left then step, 3 turn right then step,
  4 turn back then step (the agent faces the new way even when a wall stops the step).
Reward: 1 on reaching the goal, 0 otherwise.
Termination: reaching the goal; truncation after 2 * side * side steps (the map's horizon).
Log: episode_return, episode_length, score and perf (both 1 for a goal reached, 0 not:
  the C's three names for one figure).

Sizes fix the state record, so they are arguments of `make_game(max_size, vision)`; `game`
has PufferLib's defaults (max_size 9, vision 5). Params: num_maps (1000), map_size (-1).

Where the C is not the game we did the sane thing: its maps come from `srand(time(NULL))`
(a new pool every run: ours is the same every run); it leaves the previous, larger map's
rows below a smaller map (stale walls and goals in the observation: ours are walls, like the
columns to its right); it ends an episode at the horizon without setting terminal or
truncation (ours sets truncation). Its positions are floats moved by sin and cos of a float
heading; they always land on whole cells, which is what ours stores. Keys, doors and lava of
its other levels never occur in its maze levels and are left out.

View (296x324 pixels at the default sizes): the max_size x max_size grid (32-pixel cells),
  walls grey, the goal green, the agent
  a blue circle pointing the way it faces. Play: up = forward, left/right = turn and step,
  down = turn back and step.
"""
from functools import partial

import math

import numpy as np
from gymnasium import spaces
from numba import njit

from numbapuffer.engine.checks import INT32_MAX, check_count, check_range
from numbapuffer.core import Game, rand_float, rand_int
from numbapuffer.engine.pickling import factory
from numbapuffer.engine.render import COLORS, View, text

EMPTY, WALL, GOAL, AGENT = 0, 1, 3, 6
PASS, FORWARD, TURN_LEFT, TURN_RIGHT, BACK = 0, 1, 2, 3, 4
# Headings: 0 east (+x), 1 south (+y, down), 2 west, 3 north.
DX = np.array([1, 0, -1, 0], np.int32)
DY = np.array([0, 1, 0, -1], np.int32)
TURN = np.array([0, 0, 3, 1, 2], np.int32)  # quarter turns clockwise, by action
# The carving order's four neighbours: west, south, east, north.
CARVE_X = np.array([-1, 0, 1, 0], np.int32)
CARVE_Y = np.array([0, 1, 0, -1], np.int32)
MIN_SIDE = 5
PARAMS = dict(num_maps=1000, map_size=-1)


@njit
def map_stream(k):
    """The stream state that makes map k of the pool (splitmix64 of k, never 0)."""
    z = np.uint64(k) * np.uint64(0x9E3779B97F4A7C15) + np.uint64(0x5DEECE66D)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    z = z ^ (z >> np.uint64(31))
    return z if z != 0 else np.uint64(0x9E3779B97F4A7C15)


@njit
def carve(s, side, difficulty):
    """The growing-tree maze of odd side `side` in the top-left of s.grid (all walls)."""
    for y in range(1, side - 1, 2):
        for x in range(1, side - 1, 2):
            s.grid[y, x] = EMPTY
    x = rand_int(s, side - 1) | 1
    y = rand_int(s, side - 1) | 1
    s.visited[y, x] = 1
    s.cells[0, 0] = x
    s.cells[0, 1] = y
    n = 1
    while n > 0:
        if rand_int(s, 1000) > np.float32(1000) * difficulty:  # grow from a random cell, not the newest
            i = rand_int(s, n)
            for j in range(2):
                s.cells[n - 1, j], s.cells[i, j] = s.cells[i, j], s.cells[n - 1, j]
        x, y = s.cells[n - 1, 0], s.cells[n - 1, 1]
        for i in range(4):  # shuffle the order of the neighbours in place
            ii = i + rand_int(s, 4 - i)
            s.dirs[i], s.dirs[ii] = s.dirs[ii], s.dirs[i]
        made_path = False
        for i in range(4):
            d = s.dirs[i]
            nx, ny = x + 2 * CARVE_X[d], y + 2 * CARVE_Y[d]
            if nx <= 0 or nx >= side - 1 or ny <= 0 or ny >= side - 1 or s.visited[ny, nx]:
                continue
            s.visited[ny, nx] = 1
            s.cells[n, 0] = nx
            s.cells[n, 1] = ny
            s.grid[y + CARVE_Y[d], x + CARVE_X[d]] = EMPTY
            n += 1
            made_path = True
            break
        if not made_path:
            n -= 1


@njit
def load_map(s, p, k):
    """Map k of the pool into s.grid, from its own stream (the game's is left as it was)."""
    game_stream = s.rng
    s.rng = map_stream(k)
    max_size = s.grid.shape[0]
    side = p.map_size if p.map_size != -1 else MIN_SIDE + rand_int(s, max_size - MIN_SIDE)
    if side % 2 == 0:
        side -= 1
    difficulty = rand_float(s)
    for y in range(max_size):
        for x in range(max_size):
            s.grid[y, x] = WALL
    for i in range(4):
        s.dirs[i] = i
    carve(s, side, difficulty)
    s.rng = game_stream
    for y in range(max_size):  # clear the carving's scratch: a restarted game equals a new one
        for x in range(max_size):
            s.visited[y, x] = 0
    for i in range(s.cells.shape[0]):
        s.cells[i, 0] = 0
        s.cells[i, 1] = 0
    for i in range(4):
        s.dirs[i] = i
    s.side = side
    s.grid[side - 2, side - 2] = GOAL
    s.x = 1
    s.y = 1
    s.grid[1, 1] = AGENT
    s.heading = 0


@njit
def observe(s, obs, vision):
    side = 2 * vision + 1
    max_size = s.grid.shape[0]
    for i in range(side):
        r = s.y - vision + i
        for j in range(side):
            c = s.x - vision + j
            obs[i * side + j] = s.grid[r, c] if 0 <= r < max_size and 0 <= c < max_size else EMPTY


@njit
def reset(s, p, buf, a):
    load_map(s, p, rand_int(s, p.num_maps))
    s.tick = 0
    s.vision = int(math.sqrt(buf.observations.shape[1]) + 0.5) // 2  # the window is 2 * vision + 1 a side
    observe(s, buf.observations[a], s.vision)


@njit
def step(s, p, buf, a):
    s.tick += 1
    action = buf.actions[a]
    if action != PASS:
        s.heading = (s.heading + TURN[action]) % 4
        x, y = s.x + DX[s.heading], s.y + DY[s.heading]
        dest = s.grid[y, x]  # the maze's walls keep (x, y) inside the grid
        if dest != WALL:
            if dest == GOAL:
                buf.rewards[a] = 1
                buf.terminals[a] = True
                buf.episode[a].score = 1
                buf.episode[a].perf = 1
            s.grid[s.y, s.x] = EMPTY
            s.grid[y, x] = AGENT
            s.x = x
            s.y = y
    if s.tick >= 2 * s.side * s.side and not buf.terminals[a]:
        buf.truncations[a] = True
    observe(s, buf.observations[a], s.vision)


SHADES = {EMPTY: COLORS["field"], WALL: COLORS["line"], GOAL: COLORS["green"]}


def draw(surface, s, p, cell, top):
    import pygame
    text(surface, f"step {s.tick}/{2 * s.side * s.side}", (8, 8), 24)
    n = s.grid.shape[0]
    for r in range(n):
        for c in range(n):
            v = int(s.grid[r, c])
            pygame.draw.rect(surface, SHADES.get(v, COLORS["field"]),
                             (4 + c * cell, top + r * cell, cell - 1, cell - 1),
                             border_radius=max(cell // 8, 1))
    cx, cy = 4 + (s.x + 0.5) * cell, top + (s.y + 0.5) * cell
    pygame.draw.circle(surface, COLORS["blue"], (cx, cy), cell * 0.36)
    h = int(s.heading)
    pygame.draw.circle(surface, COLORS["white"], (cx + DX[h] * cell * 0.22, cy + DY[h] * cell * 0.22), cell * 0.1)


@factory  # its games pickle as this call
def make_game(max_size=9, vision=5):
    """A grid Game of these sizes (see the module docstring)."""
    max_size = check_count(max_size, "max_size", "grid: ", high=127)  # cell coordinates are int8
    if max_size <= MIN_SIDE:
        raise ValueError(f"grid: max_size must be > {MIN_SIDE}, got {max_size}")
    vision = check_count(vision, "vision", "grid: ", high=127)
    state = np.dtype([
        ("grid", np.uint8, (max_size, max_size)),
        ("visited", np.uint8, (max_size, max_size)),  # maze carving's scratch
        ("cells", np.int8, (max_size * max_size, 2)),  # maze carving's stack of (x, y)
        ("dirs", np.int8, (4,)),
        ("x", np.int32), ("y", np.int32), ("heading", np.int32),
        ("side", np.int32), ("tick", np.int32),
        ("vision", np.int32),  # the observation's, set by reset
    ])

    def check(p):
        check_range("grid", p, ("num_maps",), low=1, high=INT32_MAX)
        if p["map_size"] != -1:
            check_range("grid", p, ("map_size",), low=MIN_SIDE, high=max_size)

    side = 2 * vision + 1
    cell, top = max(8, min(32, 480 // max_size)), 32
    view = View(partial(draw, cell=cell, top=top), size=(max_size * cell + 8, top + max_size * cell + 4),
                fps=8, keys={"up": FORWARD, "left": TURN_LEFT, "right": TURN_RIGHT, "down": BACK}, idle=PASS,
                help="up: forward, left/right: turn and step, down: turn back")
    return Game("grid", state, reset, step,
                observation_space=spaces.Box(0, 255, (side * side,), np.uint8), action_space=spaces.Discrete(5),
                params=PARAMS, check=check, log=("score", "perf"), view=view)


game = make_game()
