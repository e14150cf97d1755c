"""Rware, multi-agent: PufferLib 3.0.0's Ocean robotic warehouse (after Papoudakis et al.'s
RWARE), the same maps, moves, rewards and observation as its C. `num_agents` robots per game
(agent k is robot k) fetch requested shelves to the goal and put them back.

Maps (cells in reading order, R rows x C columns): 1 tiny (11x10, 32 shelves), 2 small
  (10x20, 80), 3 medium (16x20, 144); goal cells on the bottom row (tiny) or the left edge.
  `num_requested_shelves` shelves, drawn at random, are requested at the start; one more is
  requested each time one is delivered. Robots start on random empty cells facing a random
  way.
Moves: a robot without a shelf drives under shelves; one carrying a shelf cannot enter a
  shelf's cell, and one carrying an emptied shelf cannot enter the goal. Robots move at
  once: those in a chain behind a robot that leaves follow it (the chain's head first); a
  loop of three or more robots turns round together when all can move; two robots facing
  each other, or a robot whose way is held by one that stays, do not move. (The C keeps each
  robot's last wanted cell until it moves, and works out the chains only in steps where some
  robot's forward way is open; ours does the same.)
Observation: Box(0, 2, (27,), float32): the robot's cell index / (R*C), (heading + 1) / 4
  (headings: 0 right, 1 down, 2 left, 3 up), what it carries (0 nothing, 1 a requested
  shelf, 2 an emptied one: the C declares Box(0, 1) but writes 2); then for its 8 neighbours
  (N, NE, E, SE, S, SW, W, NW): a robot there (1/0), that robot's (heading + 1) / 4, and
  (cell + 1) / 4 (cells: 0 floor, 1 shelf, 2 requested shelf, 3 goal; 0 past the edge).
Action: Discrete(5): 0 nothing, 1 forward, 2 turn left, 3 turn right, 4 load/unload.
Reward (per robot): 0.5 for lifting a requested shelf, 0.5 for unloading it at the goal,
  1 for putting the emptied shelf back on any free shelf cell.
Termination: none, the warehouse never ends (the C never sets terminals). A robot's
  episode, as the C logs it, is one round trip: putting a shelf back ends it (truncated: the
  robot goes on working). Log per round trip: episode_return, episode_length (steps since
  the last), score (1), perf (max(0, score - 0.01 * episode_length)).

Sizes fix the state record and the number of agents, so they are arguments of
`make_game(num_agents, map_choice)`; `game` has the defaults (4 robots, the tiny map).
Params: num_requested_shelves (4).

Where the C is not the game we did the sane thing: it reseeds the C library's generator
from the clock at every reset (all games made in one second start alike); ours draws from
each game's stream. Its robots see only the first other robot in their neighbourhood, and
cells across the map's left and right edges: ours see every robot, and nothing past an edge.
Placing robots at the start, robots not yet placed do not block a cell (the C counts their
last positions). A step in which every robot of a game finishes a round trip restarts the
game (the engine restarts a game whose agents are all done); the C goes on.

View: the warehouse (48-pixel cells), shelves grey, requested shelves teal, goals yellow,
  robots as coloured circles pointing their heading, a shelf they carry drawn under them.
  Play: robot 0 with up = forward, left/right = turn, space = load/unload; the others idle.
"""
from functools import partial

import numpy as np
from gymnasium import spaces
from numba import njit

from numbapuffer.engine.checks import check_count, check_range
from numbapuffer.core import Game, rand_int
from numbapuffer.engine.pickling import factory
from numbapuffer.engine.render import COLORS, View

f32 = np.float32
FLOOR, SHELF, REQUESTED, GOAL = 0, 1, 2, 3
UNLOADED, CARRYING_REQUESTED, CARRYING_EMPTY = 0, 1, 2
NOOP, FORWARD, LEFT, RIGHT, TOGGLE = 0, 1, 2, 3, 4
DX = np.array([1, 0, -1, 0], np.int32)  # headings: right, down, left, up
DY = np.array([0, 1, 0, -1], np.int32)
AROUND_X = np.array([0, 1, 1, 1, 0, -1, -1, -1], np.int32)  # N, NE, E, SE, S, SW, W, NW
AROUND_Y = np.array([-1, -1, 0, 1, 1, 1, 0, -1], np.int32)
SELF_OBS, OBS = 3, 27


def _map(rows):
    return np.array([[{".": FLOOR, "#": SHELF, "G": GOAL}[c] for c in row] for row in rows], np.int8)


_SHELF_ROW, _GOAL_ROW = "..########.########.", "G..........########."
MAPS = {
    1: _map(["." * 10] + [".##....##."] * 8 + ["." * 10, "....GG...."]),
    2: _map(["." * 20, _SHELF_ROW, _SHELF_ROW, "." * 20, _GOAL_ROW, _GOAL_ROW, "." * 20, _SHELF_ROW, _SHELF_ROW,
             "." * 20]),
    3: _map(["." * 20, _SHELF_ROW, _SHELF_ROW, "." * 20, _SHELF_ROW, _SHELF_ROW, "." * 20, _GOAL_ROW, _GOAL_ROW,
             "." * 20, _SHELF_ROW, _SHELF_ROW, "." * 20, _SHELF_ROW, _SHELF_ROW, "." * 20]),
}


@njit
def agent_at(s, cell):
    for k in range(s.loc.shape[0]):
        if s.loc[k] == cell:
            return k
    return -1


@njit
def request_shelf(s, shelves):
    """Request a random shelf cell that holds a plain shelf; False when the draw missed."""
    cell = shelves[rand_int(s, shelves.shape[0])]
    if s.cells[cell] == SHELF:
        s.cells[cell] = REQUESTED
        return True
    return False


@njit
def next_cell(s, k, cols):
    """The cell robot k would drive into, or -1 (the edge, or a cell its load may not enter)."""
    x, y = s.loc[k] % cols + DX[s.heading[k]], s.loc[k] // cols + DY[s.heading[k]]
    if x < 0 or x >= cols or y < 0 or y >= s.cells.shape[0] // cols:
        return -1
    cell = x + y * cols
    here = s.cells[cell]
    if s.load[k] != UNLOADED and (here == SHELF or here == REQUESTED):
        return -1
    if s.load[k] == CARRYING_EMPTY and here == GOAL:
        return -1
    return cell


@njit
def find_cycle(s, start):
    """Floyd's tortoise and hare along "the robot on my wanted cell"; marks a loop found."""
    if s.cycle[start] != -1 or s.target[start] == -1:
        return
    tortoise = agent_at(s, s.target[start])
    if tortoise == -1:
        return
    hare = agent_at(s, s.target[tortoise])
    if hare == -1:
        return
    while tortoise != hare:
        tortoise = agent_at(s, s.target[tortoise])
        if tortoise == -1:
            return
        hare = agent_at(s, s.target[hare])
        if hare == -1:
            return
        hare = agent_at(s, s.target[hare])
        if hare == -1:
            return
    tortoise = start
    while tortoise != hare:
        tortoise = agent_at(s, s.target[tortoise])
        hare = agent_at(s, s.target[hare])
    cycle_id = s.num_cycles
    s.num_cycles += 1
    k = tortoise
    while True:
        s.cycle[k] = cycle_id
        k = agent_at(s, s.target[k])
        if k == tortoise:
            break


@njit
def chain_weights(s):
    """Outside loops, a robot's weight is 1 + the largest weight of the robots wanting its cell."""
    n = s.loc.shape[0]
    for i in range(n):
        if s.cycle[i] != -1:
            continue
        leaf = True
        for j in range(n):
            if s.target[j] == s.loc[i]:
                leaf = False
                break
        if leaf:
            s.weight[i] = 1
    changed = True
    while changed:
        changed = False
        for i in range(n):
            if s.cycle[i] != -1:
                continue
            most = 0
            for j in range(n):
                if s.target[j] == s.loc[i]:
                    most = max(most, s.weight[j])
            if most == 0 or s.weight[i] == most + 1:
                continue
            s.weight[i] = most + 1
            changed = True


@njit
def want_forward(s, k, cols):
    cell = next_cell(s, k, cols)
    if cell == -1:
        return  # the robot keeps the cell it wanted before, and the chains stay as they were
    s.target[k] = cell
    for i in range(s.loc.shape[0]):
        s.cycle[i] = -1
        s.weight[i] = 0
    s.num_cycles = 0
    for i in range(s.loc.shape[0]):
        if s.cycle[i] == -1:
            find_cycle(s, i)
    chain_weights(s)


@njit
def drive(s, k, cols):
    cell = next_cell(s, k, cols)
    if cell == -1:
        return
    here = s.loc[k]
    if s.cells[cell] == GOAL and s.load[k] == CARRYING_REQUESTED:
        if s.cells[here] != GOAL:
            s.cells[here] = FLOOR
        s.loc[k] = cell
        return  # (the C leaves this robot's wanted cell set)
    if s.load[k] != UNLOADED:  # the shelf goes with the robot
        if s.cells[here] != GOAL:
            s.cells[here] = FLOOR
        s.cells[cell] = REQUESTED if s.load[k] == CARRYING_REQUESTED else SHELF
    s.loc[k] = cell
    s.target[k] = -1


@njit
def toggle(s, buf, a, k, layout, shelves):
    here = s.loc[k]
    cell, original = s.cells[here], layout[here]
    if cell == REQUESTED and s.load[k] == UNLOADED:
        buf.rewards[a + k] = 0.5
        s.load[k] = CARRYING_REQUESTED
    elif s.load[k] == CARRYING_EMPTY and cell == original and original != GOAL:
        s.load[k] = UNLOADED
        buf.rewards[a + k] = 1
        buf.truncations[a + k] = True  # a round trip done: the C's logged episode
        e = buf.episode[a + k]
        e.score = 1
        e.perf = max(f32(0), f32(1) - f32(0.01) * f32(e.episode_length + 1))
    elif s.load[k] == CARRYING_REQUESTED and cell == GOAL:
        s.load[k] = CARRYING_EMPTY
        buf.rewards[a + k] = 0.5
        while not request_shelf(s, shelves):
            pass


@njit
def observe(s, buf, a, cols):
    n = s.loc.shape[0]
    rows = s.cells.shape[0] // cols
    for k in range(n):
        obs = buf.observations[a + k]
        x, y = s.loc[k] % cols, s.loc[k] // cols
        obs[0] = f32(s.loc[k]) / f32(rows * cols)
        obs[1] = f32(s.heading[k] + 1) * f32(0.25)
        obs[2] = s.load[k]
        for j in range(8):
            o = SELF_OBS + 3 * j
            nx, ny = x + AROUND_X[j], y + AROUND_Y[j]
            obs[o] = 0
            obs[o + 1] = 0
            obs[o + 2] = 0
            if nx < 0 or nx >= cols or ny < 0 or ny >= rows:
                continue
            cell = nx + ny * cols
            for other in range(n):
                if other != k and s.loc[other] == cell:
                    obs[o] = 1
                    obs[o + 1] = f32(s.heading[other] + 1) * f32(0.25)
                    break
            obs[o + 2] = f32(s.cells[cell] + 1) * f32(0.25)


LAYOUTS = tuple(MAPS[m].ravel().copy() for m in (1, 2, 3))
SHELVES = tuple(np.flatnonzero(layout == SHELF).astype(np.int32) for layout in LAYOUTS)
LAYOUT_1, LAYOUT_2, LAYOUT_3 = LAYOUTS  # module constants, for Numba
SHELVES_1, SHELVES_2, SHELVES_3 = SHELVES


@njit
def the_map(s):
    """(layout, shelf cells, columns) of the game's map, known by its size (110, 200, 320 cells)."""
    n = s.cells.shape[0]
    if n == LAYOUT_1.shape[0]:
        return LAYOUT_1, SHELVES_1, 10
    if n == LAYOUT_2.shape[0]:
        return LAYOUT_2, SHELVES_2, 20
    return LAYOUT_3, SHELVES_3, 20


@njit
def reset(s, p, buf, a):
    layout, shelves, cols = the_map(s)
    size = layout.shape[0]
    for i in range(size):
        s.cells[i] = layout[i]
    requested = 0
    while requested < p.num_requested_shelves:
        requested += request_shelf(s, shelves)
    n = s.loc.shape[0]
    for k in range(n):
        s.loc[k] = -1
    for k in range(n):
        while True:
            cell = rand_int(s, size)
            if s.cells[cell] == FLOOR and agent_at(s, cell) == -1:
                break
        s.loc[k] = cell
        s.heading[k] = rand_int(s, 4)
        s.load[k] = UNLOADED
        s.target[k] = -1
        s.cycle[k] = -1
        s.weight[k] = 0
    s.num_cycles = 0
    observe(s, buf, a, cols)


@njit
def step(s, p, buf, a):
    layout, shelves, cols = the_map(s)
    n = s.loc.shape[0]
    moving = False
    for k in range(n):
        action = buf.actions[a + k]
        if action == LEFT:
            s.heading[k] = (s.heading[k] + 3) % 4
        elif action == RIGHT:
            s.heading[k] = (s.heading[k] + 1) % 4
        elif action == TOGGLE:
            toggle(s, buf, a, k, layout, shelves)
        elif action == FORWARD:
            want_forward(s, k, cols)
            moving = True
    if moving:
        move_loops(s, buf, a, cols)
        move_chains(s, buf, a, cols)
    observe(s, buf, a, cols)


@njit
def move_loops(s, buf, a, cols):
    n = s.loc.shape[0]
    for c in range(s.num_cycles):
        members, free = 0, True
        for k in range(n):
            if s.cycle[k] == c:
                members += 1
                if next_cell(s, k, cols) == -1:
                    free = False
        if members == 2 or not free:  # two robots cannot swap cells
            continue
        for k in range(n):
            if s.cycle[k] == c and buf.actions[a + k] == FORWARD:
                drive(s, k, cols)


@njit
def move_chains(s, buf, a, cols):
    n = s.loc.shape[0]
    top = 0
    for k in range(n):
        if s.cycle[k] == -1 and s.weight[k] > top:
            top = s.weight[k]
    for w in range(top, 0, -1):  # a chain's head first
        for k in range(n):
            if s.cycle[k] != -1 or s.weight[k] != w or buf.actions[a + k] != FORWARD:
                continue
            cell = next_cell(s, k, cols)
            if cell != -1 and agent_at(s, cell) == -1:
                drive(s, k, cols)


ROBOT_COLORS = ("blue", "green", "orange", "purple", "pink", "red", "white", "yellow")
CELL = 48


def draw(surface, s, p, cols):
    import pygame
    shades = {FLOOR: COLORS["field"], SHELF: COLORS["line"], REQUESTED: COLORS["teal"], GOAL: COLORS["yellow"]}
    for i, v in enumerate(s.cells):
        x, y = i % cols * CELL, i // cols * CELL
        pygame.draw.rect(surface, shades[int(v)], (x + 2, y + 2, CELL - 4, CELL - 4), border_radius=6)
    for k in range(s.loc.shape[0]):
        x, y = s.loc[k] % cols * CELL + CELL / 2, s.loc[k] // cols * CELL + CELL / 2
        if s.load[k] != UNLOADED:
            pygame.draw.rect(surface, COLORS["teal"] if s.load[k] == CARRYING_REQUESTED else COLORS["dim"],
                             (x - CELL / 2 + 4, y - CELL / 2 + 4, CELL - 8, CELL - 8), width=4, border_radius=6)
        color = COLORS[ROBOT_COLORS[k % len(ROBOT_COLORS)]]
        pygame.draw.circle(surface, color, (x, y), CELL * 0.3)
        h = int(s.heading[k])
        eye = (x + DX[h] * CELL * 0.18, y + DY[h] * CELL * 0.18)
        pygame.draw.circle(surface, COLORS["background"], eye, CELL * 0.08)


def idle_others(s, p, actions):
    for k in range(1, len(actions)):
        actions[k] = NOOP


@factory  # its games pickle as this call
def make_game(num_agents=4, map_choice=1):
    """A rware Game of these sizes (see the module docstring)."""
    if map_choice not in MAPS:
        raise ValueError(f"rware: map_choice must be one of {sorted(MAPS)}, got {map_choice!r}")
    rows, cols = MAPS[map_choice].shape
    shelves, floor = SHELVES[map_choice - 1], int((LAYOUTS[map_choice - 1] == FLOOR).sum())
    num_agents = check_count(num_agents, "num_agents", "rware: ", high=floor)
    state = np.dtype([
        ("cells", np.int8, (rows * cols,)),
        ("loc", np.int32, (num_agents,)), ("heading", np.int32, (num_agents,)), ("load", np.int32, (num_agents,)),
        # the moves' graph: each robot's wanted cell (-1 none), its loop (-1 none), its chain weight
        ("target", np.int32, (num_agents,)), ("cycle", np.int32, (num_agents,)), ("weight", np.int32, (num_agents,)),
        ("num_cycles", np.int32),
    ])

    def check(p):
        # Delivering requests a new shelf among the plain ones: each robot may hold one away
        check_range("rware", p, ("num_requested_shelves",), low=1, high=len(shelves) - num_agents - 1)

    view = View(partial(draw, cols=cols), size=(cols * CELL, rows * CELL), fps=6,
                keys={"up": FORWARD, "left": LEFT, "right": RIGHT, "space": TOGGLE}, idle=NOOP, bots=idle_others,
                help="robot 0: up forward, left/right turn, space load/unload")
    return Game("rware", state, reset, step, observation_space=spaces.Box(0, 2, (OBS,), np.float32),
                action_space=spaces.Discrete(5), agents=num_agents, params=dict(num_requested_shelves=4),
                check=check, log=("score", "perf"), view=view)


game = make_game()
