"""Pacman: PufferLib 3.0.0's Ocean Pacman, the same maze, ghosts, rewards and observation as its
C: eat the 240 dots and 4 power pellets of the classic 28x31 maze while four ghosts hunt you.

Moves: one tile a step; an action into a wall keeps the current direction (a wall there too:
  stay). The row-14 tunnel wraps left and right edges.
Ghosts (pinky, blinky, inky, clyde; from the ghost house): each waits a random
  start_timeout in [min_start_timeout, max_start_timeout) steps, then moves one tile a step,
  never straight back, taking at a junction the open tile nearest (squared distance) its
  target. Modes alternate scatter (targets: the four corners) `scatter_mode_length` steps and
  chase `chase_mode_length` steps, from scatter at the first step, for max_mode_changes + 1
  changes, then stay. Chase targets: pinky 4 tiles ahead of the player, blinky the player,
  inky the point mirroring blinky through 2 tiles ahead of the player, clyde the player when
  more than 8 tiles away, else its corner. Every mode change, and a power pellet, turns all
  ghosts round. A power pellet frightens the ghosts for `frightened_time` steps: they move
  every other step, choosing at random; one that touches the player goes back to its spawn
  tile (eyes), not frightened again until it gets there.
Catch: a ghost within one tile of the player, in its row or column, after it moves.

Observation: Box(0, 1, (291,), float32): the player's x / 28 and y / 31, its direction as
  one-hot (up, down, left, right), whether it can move up, down, left, right, the frightened
  time left / frightened_time; then per ghost x / 28, y / 31, its direction one-hot (up,
  down, left, right), normal, frightened, returning to spawn; then 244 pickups (the 240 dots
  and 4 pellets in reading order) as 1 there, 0 eaten.
Action: Discrete(4): 0 down, 1 up, 2 right, 3 left.
Reward: +1 per dot or pellet eaten, +1 per frightened ghost caught.
Termination: caught by a ghost, every pickup eaten, or 10000 steps (MAX_STEPS: terminal,
  as in the C, not a truncation).
Log: episode_return (the rewards: pickups and ghosts), episode_length, score (pickups
  eaten). The C logs its score as its episode_return too, and its episode_length is the
  last finished episode's, not a mean: ours are the sums of the step figures, as for every
  env. A ghost with no way on (the maze has no dead end, so never) turns back: the C reads
  an empty list there.

View (560x660 pixels at the default sizes): the maze (20-pixel tiles) under a strip with the
  score; ghosts red, pink, cyan and
  orange, blue while frightened, eyes while going home. Play: arrow keys.
"""
import numpy as np
from gymnasium import spaces
from numba import njit

from numbapuffer.engine.checks import INT32_MAX, check_range
from numbapuffer.core import Game, rand_int
from numbapuffer.engine.render import COLORS, View, text

f32 = np.float32
MAZE = (
    "############################",
    "#............##............#",
    "#.####.#####.##.#####.####.#",
    "#x####.#####.##.#####.####x#",
    "#.####.#####.##.#####.####.#",
    "#..........................#",
    "#.####.##.########.##.####.#",
    "#.####.##.########.##.####.#",
    "#......##....##....##......#",
    "######.##### ## #####.######",
    "######.##### ## #####.######",
    "######.##   1234   ##.######",
    "######.## ######## ##.######",
    "######.## ######## ##.######",
    "      .   ########   .      ",
    "######.## ######## ##.######",
    "######.## ######## ##.######",
    "######.##          ##.######",
    "######.## ######## ##.######",
    "######.## ######## ##.######",
    "#............##............#",
    "#.####.#####.##.#####.####.#",
    "#.####.#####.##.#####.####.#",
    "#x..##.......p .......##..x#",
    "###.##.##.########.##.##.###",
    "###.##.##.########.##.##.###",
    "#......##....##....##......#",
    "#.##########.##.##########.#",
    "#.##########.##.##########.#",
    "#..........................#",
    "############################",
)
HEIGHT, WIDTH = len(MAZE), len(MAZE[0])
CELLS = np.array([list(row) for row in MAZE])
WALLS = CELLS == "#"
POWER = CELLS == "x"
PICKUP_INDEX = np.full((HEIGHT, WIDTH), -1, np.int32)  # pickup k's tile, in reading order
PICKUP_INDEX[(CELLS == ".") | POWER] = np.arange(int(((CELLS == ".") | POWER).sum()))
NUM_PICKUPS = int((PICKUP_INDEX >= 0).sum())  # 244
DOTS = np.argwhere(CELLS == ".").astype(np.int32)  # (y, x) of the dots: random player starts
PLAYER_START = np.argwhere(CELLS == "p")[0].astype(np.int32)
NUM_GHOSTS = 4
PINKY, BLINKY, INKY, CLYDE = range(NUM_GHOSTS)
GHOST_START = np.array([np.argwhere(CELLS == t)[0] for t in "3214"], np.int32)  # (y, x) by ghost
CORNER_X = np.array([3, WIDTH - 4, WIDTH - 1, 0], np.int32)
CORNER_Y = np.array([-3, -3, HEIGHT, HEIGHT], np.int32)
DOWN, UP, RIGHT, LEFT = 0, 1, 2, 3  # reversing a direction flips its low bit
DX = np.array([0, 0, 1, -1], np.int32)
DY = np.array([1, -1, 0, 0], np.int32)
MAX_STEPS = 10000
PINKY_LEAD, INKY_LEAD, CLYDE_RADIUS = 4, 2, 8
PLAYER_OBS, GHOST_OBS = 11, 9
OBS = PLAYER_OBS + GHOST_OBS * NUM_GHOSTS + NUM_PICKUPS
INV_W, INV_H = f32(1) / f32(WIDTH), f32(1) / f32(HEIGHT)

PARAMS = dict(randomize_starting_position=False, min_start_timeout=0, max_start_timeout=49, frightened_time=35,
              max_mode_changes=6, scatter_mode_length=70, chase_mode_length=140)

STATE = np.dtype([
    ("x", np.int32), ("y", np.int32), ("direction", np.int32), ("score", np.int32), ("steps", np.int32),
    ("remaining", np.int32), ("frightened_left", np.int32), ("mode_left", np.int32), ("mode_changes", np.int32),
    ("scatter", np.bool_), ("reverse", np.bool_), ("caught", np.bool_),
    ("gx", np.int32, (NUM_GHOSTS,)), ("gy", np.int32, (NUM_GHOSTS,)), ("gdir", np.int32, (NUM_GHOSTS,)),
    ("timeout", np.int32, (NUM_GHOSTS,)), ("tx", np.int32, (NUM_GHOSTS,)), ("ty", np.int32, (NUM_GHOSTS,)),
    ("frightened", np.uint8, (NUM_GHOSTS,)), ("returning", np.uint8, (NUM_GHOSTS,)),
    ("half_move", np.uint8, (NUM_GHOSTS,)),  # a frightened ghost moves every other step
    ("pickups", np.float32, (NUM_PICKUPS,)),
])


def check(p):
    check_range("pacman", p, ("min_start_timeout", "max_mode_changes", "scatter_mode_length", "chase_mode_length"),
                low=0, high=INT32_MAX)
    check_range("pacman", p, ("frightened_time",), low=1, high=INT32_MAX)  # the observation divides by it
    check_range("pacman", p, ("max_start_timeout",), low=p["min_start_timeout"], high=INT32_MAX)


@njit
def wrap_x(x):
    return WIDTH - 1 if x < 0 else (0 if x >= WIDTH else x)


@njit
def can_move(x, y, d):
    return not WALLS[y + DY[d], wrap_x(x + DX[d])]


@njit
def observe(s, p, obs):
    obs[0] = f32(s.x) * INV_W
    obs[1] = f32(s.y) * INV_H
    obs[2] = s.direction == UP
    obs[3] = s.direction == DOWN
    obs[4] = s.direction == LEFT
    obs[5] = s.direction == RIGHT
    obs[6] = can_move(s.x, s.y, UP)
    obs[7] = can_move(s.x, s.y, DOWN)
    obs[8] = can_move(s.x, s.y, LEFT)
    obs[9] = can_move(s.x, s.y, RIGHT)
    obs[10] = f32(s.frightened_left) / f32(p.frightened_time)
    for i in range(NUM_GHOSTS):
        o = PLAYER_OBS + i * GHOST_OBS
        obs[o] = f32(s.gx[i]) * INV_W
        obs[o + 1] = f32(s.gy[i]) * INV_H
        obs[o + 2] = s.gdir[i] == UP
        obs[o + 3] = s.gdir[i] == DOWN
        obs[o + 4] = s.gdir[i] == LEFT
        obs[o + 5] = s.gdir[i] == RIGHT
        obs[o + 6] = not s.frightened[i] and not s.returning[i]
        obs[o + 7] = s.frightened[i]
        obs[o + 8] = s.returning[i]
    o = PLAYER_OBS + GHOST_OBS * NUM_GHOSTS
    for k in range(NUM_PICKUPS):
        obs[o + k] = s.pickups[k]


@njit
def reset(s, p, buf, a):
    s.score = 0
    s.steps = 0
    s.scatter = False
    s.reverse = False
    s.caught = False
    s.mode_left = 0
    s.mode_changes = 0
    s.frightened_left = 0
    s.remaining = NUM_PICKUPS
    for k in range(NUM_PICKUPS):
        s.pickups[k] = 1
    for i in range(NUM_GHOSTS):
        s.gy[i] = GHOST_START[i, 0]
        s.gx[i] = GHOST_START[i, 1]
        s.gdir[i] = UP
        s.tx[i] = 0
        s.ty[i] = 0
        lo, hi = p.min_start_timeout, p.max_start_timeout
        s.timeout[i] = lo if lo == hi else lo + rand_int(s, hi - lo)
        s.frightened[i] = 0
        s.returning[i] = 0
        s.half_move[i] = 0
    if p.randomize_starting_position:
        k = rand_int(s, len(DOTS))
        s.y, s.x = DOTS[k, 0], DOTS[k, 1]
    else:
        s.y, s.x = PLAYER_START[0], PLAYER_START[1]
    s.direction = RIGHT
    observe(s, p, buf.observations[a])


@njit
def chase_targets(s):
    s.tx[PINKY] = s.x + PINKY_LEAD * DX[s.direction]
    s.ty[PINKY] = s.y + PINKY_LEAD * DY[s.direction]
    s.tx[BLINKY] = s.x
    s.ty[BLINKY] = s.y
    s.tx[INKY] = 2 * (s.x + INKY_LEAD * DX[s.direction]) - s.gx[BLINKY]
    s.ty[INKY] = 2 * (s.y + INKY_LEAD * DY[s.direction]) - s.gy[BLINKY]
    dx, dy = s.x - s.gx[CLYDE], s.y - s.gy[CLYDE]
    if dx * dx + dy * dy > CLYDE_RADIUS * CLYDE_RADIUS:
        s.tx[CLYDE] = s.x
        s.ty[CLYDE] = s.y
    else:
        s.tx[CLYDE] = CORNER_X[CLYDE]
        s.ty[CLYDE] = CORNER_Y[CLYDE]


@njit
def player_move(s, p, buf, a, action):
    d = action
    if not can_move(s.x, s.y, d):
        d = s.direction
    else:
        s.direction = d
    if not can_move(s.x, s.y, d):
        return
    s.x = wrap_x(s.x + DX[d])
    s.y = s.y + DY[d]
    k = PICKUP_INDEX[s.y, s.x]
    if k >= 0 and s.pickups[k] > 0:
        if POWER[s.y, s.x]:
            s.frightened_left = p.frightened_time
            s.reverse = True
            for i in range(NUM_GHOSTS):
                s.frightened[i] = not s.returning[i]
        s.score += 1
        buf.rewards[a] += 1
        s.remaining -= 1
        s.pickups[k] = 0


@njit
def ghost_direction(s, i):
    back = s.gdir[i] ^ 1
    if s.reverse and not s.returning[i]:
        return back
    best, best_distance, options, choice = back, INT32_MAX, 0, -1
    if s.frightened[i]:  # count the options, draw one, then find it
        for d in range(4):
            if d != back and can_move(s.gx[i], s.gy[i], d):
                options += 1
        if options > 1:
            choice = rand_int(s, options)
    for d in range(4):
        if d == back or not can_move(s.gx[i], s.gy[i], d):
            continue
        if choice >= 0:
            if choice == 0:
                return d
            choice -= 1
            continue
        dx, dy = s.gx[i] + DX[d] - s.tx[i], s.gy[i] + DY[d] - s.ty[i]
        distance = dx * dx + dy * dy
        if distance < best_distance:  # the first of equals wins
            best, best_distance = d, distance
    return best


@njit
def ghost_move(s, buf, a, i):
    s.timeout[i] -= 1
    if s.frightened[i] and s.half_move[i]:
        s.half_move[i] = 0
    else:
        s.half_move[i] = 1
        if s.returning[i]:
            s.tx[i] = GHOST_START[i, 1]
            s.ty[i] = GHOST_START[i, 0]
        d = ghost_direction(s, i)
        s.gdir[i] = d
        if s.timeout[i] < 0 and can_move(s.gx[i], s.gy[i], d):
            s.gx[i] = wrap_x(s.gx[i] + DX[d])
            s.gy[i] = s.gy[i] + DY[d]
    if s.returning[i]:
        if s.gx[i] == GHOST_START[i, 1] and s.gy[i] == GHOST_START[i, 0]:
            s.returning[i] = 0
    elif ((abs(s.gx[i] - s.x) <= 1 and s.gy[i] == s.y) or (abs(s.gy[i] - s.y) <= 1 and s.gx[i] == s.x)):
        if s.frightened[i]:
            s.frightened[i] = 0
            s.half_move[i] = 0
            s.returning[i] = 1
            buf.rewards[a] += 1
        else:
            s.caught = True


@njit
def step(s, p, buf, a):
    s.steps += 1
    s.reverse = False
    s.caught = False
    if s.frightened_left > 0:
        s.frightened_left -= 1
    else:
        for i in range(NUM_GHOSTS):
            s.frightened[i] = 0
            s.half_move[i] = 0
    if s.mode_changes <= p.max_mode_changes:
        s.mode_left -= 1
        if s.mode_left <= 0:
            s.scatter = not s.scatter
            s.reverse = True
            s.mode_changes += 1
            s.mode_left = p.scatter_mode_length if s.scatter else p.chase_mode_length
    if s.scatter:
        for i in range(NUM_GHOSTS):
            s.tx[i] = CORNER_X[i]
            s.ty[i] = CORNER_Y[i]
    else:
        chase_targets(s)
    player_move(s, p, buf, a, buf.actions[a])
    for i in range(NUM_GHOSTS):
        ghost_move(s, buf, a, i)
    observe(s, p, buf.observations[a])
    if s.caught or s.steps >= MAX_STEPS or s.remaining <= 0:
        buf.terminals[a] = True
        buf.episode[a].score = s.score


TILE, TOP = 20, 40
GHOST_COLORS = ("pink", "red", "teal", "orange")


def draw(surface, s, p):
    import pygame
    text(surface, f"score {s.score}", (8, 10), 26)
    for y in range(HEIGHT):
        for x in range(WIDTH):
            px, py = x * TILE, TOP + y * TILE
            if WALLS[y, x]:
                pygame.draw.rect(surface, (40, 60, 170), (px + 1, py + 1, TILE - 2, TILE - 2), border_radius=4)
            elif PICKUP_INDEX[y, x] >= 0 and s.pickups[PICKUP_INDEX[y, x]] > 0:
                pygame.draw.circle(surface, COLORS["white"], (px + TILE / 2, py + TILE / 2), 6 if POWER[y, x] else 2)
    centre = (s.x * TILE + TILE / 2, TOP + s.y * TILE + TILE / 2)
    pygame.draw.circle(surface, COLORS["yellow"], centre, TILE * 0.45)
    mouth = {DOWN: (0, 1), UP: (0, -1), RIGHT: (1, 0), LEFT: (-1, 0)}[int(s.direction)]
    tip = (centre[0] + mouth[0] * TILE * 0.5, centre[1] + mouth[1] * TILE * 0.5)
    side = (mouth[1] * TILE * 0.3, mouth[0] * TILE * 0.3)
    pygame.draw.polygon(surface, COLORS["background"], [centre, (tip[0] + side[0], tip[1] + side[1]),
                                                        (tip[0] - side[0], tip[1] - side[1])])
    for i in range(NUM_GHOSTS):
        gx, gy = s.gx[i] * TILE + TILE / 2, TOP + s.gy[i] * TILE + TILE / 2
        if not s.returning[i]:
            color = COLORS["blue"] if s.frightened[i] else COLORS[GHOST_COLORS[i]]
            pygame.draw.circle(surface, color, (gx, gy - 2), TILE * 0.42)
            pygame.draw.rect(surface, color, (gx - TILE * 0.42, gy - 2, TILE * 0.84, TILE * 0.45))
        for ex in (-4, 4):
            pygame.draw.circle(surface, COLORS["white"], (gx + ex, gy - 3), 3)


VIEW = View(draw, size=(WIDTH * TILE, TOP + HEIGHT * TILE), fps=10,
            keys={"down": DOWN, "up": UP, "right": RIGHT, "left": LEFT},
            idle=lambda s, p, last: s.direction if last is None else last, help="arrows: steer")

game = Game("pacman", STATE, reset, step, observation_space=spaces.Box(0, 1, (OBS,), np.float32),
            action_space=spaces.Discrete(4), params=PARAMS, check=check, log=("score",), view=VIEW)
