"""Snake, multi-agent: `num_snakes` snakes per game share a walled grid with food; each snake
is an agent (agent k of a game is snake k).

Observation: Box(0, 5, (2*vision+1, 2*vision+1), int8): the cells around the snake's head
  (the head is the centre; row 0 is the top, the "up" side): 0 empty, 1 food, 2 wall, 3 the
  snake's own body or head, 4 another snake's body, 5 another snake's head.
Action: Discrete(4): 0 up, 1 down, 2 left, 3 right. A move back onto the snake's own neck
  (reversing) is ignored: the snake goes straight on.
Order: within a step the snakes move one after another, snake 0 first, each onto the grid
  as the earlier ones left it. A snake that does not eat moves its tail first, so it may
  follow its own tail (or another's that has just moved).
Reward: `reward_food` for eating (the snake then grows by one, up to `max_length`, and new
  food appears on a random empty cell), `reward_death` for dying, 0 otherwise.
Termination: a snake dies when its head moves into a wall or any snake's body or head.
  Its episode ends (terminal for that agent) and, with `respawn` (the default), it
  reappears at once with length 1 on a random empty cell: the observation returned is that
  of its new life, while the game goes on. Without `respawn`, a dead snake stays off the
  grid with its `masks` entry False, and the game restarts once every snake is dead.
  Truncation: a life is cut after `max_steps` steps (0: never), the snake then respawns
  the same way. The whole game restarts only in a step in which all its snakes are done.
Log: per snake life: episode_return, episode_length (steps since it spawned), score (food
  eaten).
PufferLib's rules, as params: head_first (a snake's new head cell is looked at before any
  tail moves on, so a move onto a cell a tail leaves this step kills), corpses (a snake that
  dies leaves every other segment of its body as a corpse, those at an even count from its
  tail end: food that gives `reward_corpse` and growth but is not replaced; observed as
  food; snakes and food may spawn on corpses).
Preset "pufferlib": PufferLib 3.0.0's Snake rules and Python defaults: head_first, corpses,
  reward_food = reward_corpse = 0.1, reward_death -1, food 4096, no truncation (max_steps
  0). Its sizes are make_game's (a preset sets params only): PufferLib's game is
  npf.make(make_game(**PUFFERLIB_SIZES), preset="pufferlib"), 256 snakes on 640x360 cells
  counting the walls (630x350 inside), vision 5, max_length 845 (the C's 1023 would let 256
  snakes and the food overfill the grid, which check refuses; random play never comes
  near). Its observation is the raw grid (0 empty, 1 food, 2 corpse, 3 wall, 4-7 a snake's
  colour by its index), which does not fit Box(0, 5): the preset observes our codes above.
  Where the C's code has slips that are not the game, these rules do the sane thing: a
  death is terminal for that snake's agent (the C never sets terminals: its episodes show
  only in its log), and food eaten is replaced after every snake has moved (the C's at
  once, inside the loop). Its Log's score is the snake's length at death, ours food eaten.

Sizes fix the state record and the number of agents, so they are arguments of
`make_game(num_snakes, width, height, vision, max_length)`; `game` has the defaults. The
other knobs are params (PARAMS). The grid carries a border of `vision` wall cells, so an
observation window never leaves it.

View: the grid inside its walls (cells of 480 // max(width, height) pixels, 4 to 20;
  488x520 pixels at the default size), one colour per snake, food red, each snake's length
  at the top. Play: arrow keys steer snake 0 (it keeps going the way it was last steered);
  the other snakes follow `greedy`: the move toward the nearest food among those that do
  not die at once.

PettingZoo: `parallel_env(**kwargs)` and `env(**kwargs)` (AEC) give one game, agents
snake_0, snake_1, ..., with respawn off: a snake that dies leaves the episode for good, and
the episode ends when every snake has died or after `max_cycles` steps.
"""
import numpy as np
from gymnasium import spaces
from numba import njit

import colorsys
from functools import partial

from numbapuffer.engine.checks import INT32_MAX, check_count, check_range
from numbapuffer.core import Game, rand_int
from numbapuffer.engine.pickling import factory
from numbapuffer.engine.render import COLORS, View, text
from numbapuffer.adapters.pettingzoo import AECEnv, ParallelEnv

f32 = np.float32
# Grid cells: snake k's body is SNAKE + 2k, its head SNAKE + 2k + 1.
EMPTY, FOOD, WALL, SNAKE = 0, 1, 2, 3
CORPSE = -1  # below EMPTY: spawns may take it (`<= EMPTY`), death tests (`> FOOD`) let it be
# Observation cells beyond EMPTY, FOOD and WALL.
OWN, OTHER, OTHER_HEAD = 3, 4, 5
MAX_SNAKES = (32767 - SNAKE + 1) // 2  # grid cells are int8 up to 62 snakes, else int16
UP, DOWN, LEFT, RIGHT = 0, 1, 2, 3
DR = np.array([-1, 1, 0, 0], np.int16)
DC = np.array([0, 0, -1, 1], np.int16)

SIZES = ("num_snakes", "width", "height", "vision", "max_length")  # make_game's arguments
PARAMS = dict(food=8, reward_food=f32(0.1), reward_death=f32(-1), max_steps=1000, respawn=True,
              head_first=False, corpses=False, reward_corpse=f32(0.1))
PRESETS = {"pufferlib": dict(food=4096, max_steps=0, head_first=True, corpses=True)}
PUFFERLIB_SIZES = dict(num_snakes=256, width=630, height=350, vision=5, max_length=845)


@njit
def random_empty(s, vision):
    """A random empty cell inside the walls: a few uniform tries, then the first empty cell
    from a random start (make_game guarantees one exists)."""
    height, width = s.grid.shape[0] - 2 * vision, s.grid.shape[1] - 2 * vision
    for _ in range(16):
        r, c = vision + rand_int(s, height), vision + rand_int(s, width)
        if s.grid[r, c] <= EMPTY:
            return r, c
    start = rand_int(s, height * width)
    for i in range(height * width):
        x = (start + i) % (height * width)
        r, c = vision + x // width, vision + x % width
        if s.grid[r, c] <= EMPTY:
            return r, c
    return vision, vision


@njit
def spawn(s, k, vision):
    r, c = random_empty(s, vision)
    s.head[k] = 0
    s.body_r[k, 0] = r
    s.body_c[k, 0] = c
    s.length[k] = 1
    s.age[k] = 0
    s.grid[r, c] = SNAKE + 2 * k + 1


@njit
def end_life(s, p, buf, a, k, vision):
    """Take snake k off the grid; respawn it, or leave it out of play (masks False)."""
    max_length = s.body_r.shape[1]
    h, n = s.head[k], s.length[k]
    for i in range(n):
        j = h - i if h >= i else h - i + max_length
        s.grid[s.body_r[k, j], s.body_c[k, j]] = CORPSE if p.corpses and (n - i) % 2 == 0 else EMPTY
    if p.respawn:
        spawn(s, k, vision)
    else:
        s.length[k] = 0  # body_r/body_c[k, head] still hold where it died, for its final observation
        buf.masks[a + k] = False


@njit
def place_food(s, p, vision):
    while s.num_food < p.food:
        r, c = random_empty(s, vision)
        s.grid[r, c] = FOOD
        s.num_food += 1


@njit
def die(s, p, buf, a, k, vision):
    buf.rewards[a + k] = p.reward_death
    buf.terminals[a + k] = True
    end_life(s, p, buf, a, k, vision)


@njit
def move(s, p, buf, a, k, vision):
    max_length = s.body_r.shape[1]
    h, n = s.head[k], s.length[k]
    r, c = s.body_r[k, h], s.body_c[k, h]
    act = buf.actions[a + k]
    nr, nc = r + DR[act], c + DC[act]
    if n > 1:
        j = h - 1 if h > 0 else max_length - 1
        if nr == s.body_r[k, j] and nc == s.body_c[k, j]:  # back onto its neck: straight on instead
            nr, nc = 2 * r - nr, 2 * c - nc
    s.age[k] += 1
    cell = s.grid[nr, nc]
    if p.head_first and cell > FOOD:  # before the tails move on
        die(s, p, buf, a, k, vision)
        return
    grow = False
    if cell == FOOD:
        buf.rewards[a + k] = p.reward_food
        buf.episode[a + k].score += 1
        s.num_food -= 1
        grow = n < max_length
    elif cell == CORPSE:
        buf.rewards[a + k] = p.reward_corpse
        grow = n < max_length
    s.grid[r, c] = SNAKE + 2 * k  # the old head becomes body
    if not grow:  # the tail moves on before the head arrives
        t = h - n + 1 if h >= n - 1 else h - n + 1 + max_length
        s.grid[s.body_r[k, t], s.body_c[k, t]] = EMPTY
    if s.grid[nr, nc] > FOOD:  # a wall or a snake
        die(s, p, buf, a, k, vision)
        return
    h = h + 1 if h + 1 < max_length else 0
    s.head[k] = h
    s.body_r[k, h] = nr
    s.body_c[k, h] = nc
    s.grid[nr, nc] = SNAKE + 2 * k + 1
    s.length[k] = n + grow
    if p.max_steps > 0 and s.age[k] >= p.max_steps:
        buf.truncations[a + k] = True
        end_life(s, p, buf, a, k, vision)


@njit
def observe(s, k, obs, vision):
    h = s.head[k]
    r0, c0 = s.body_r[k, h] - vision, s.body_c[k, h] - vision
    own = SNAKE + 2 * k
    for i in range(obs.shape[0]):
        for j in range(obs.shape[1]):
            v = s.grid[r0 + i, c0 + j]
            if v >= SNAKE:
                v = OWN if v - own < 2 and v >= own else OTHER + ((v - SNAKE) & 1)
            elif v < EMPTY:
                v = FOOD  # a corpse
            obs[i, j] = v


@njit
def reset(s, p, buf, a):
    vision = (buf.observations.shape[1] - 1) // 2
    rows, cols = s.grid.shape
    for r in range(rows):
        for c in range(cols):
            inside = vision <= r < rows - vision and vision <= c < cols - vision
            s.grid[r, c] = EMPTY if inside else WALL
    s.num_food = 0
    for k in range(s.length.shape[0]):
        for i in range(s.body_r.shape[1]):  # no trace of the last game: a restarted game is a fresh one
            s.body_r[k, i] = 0
            s.body_c[k, i] = 0
        spawn(s, k, vision)
    place_food(s, p, vision)
    for k in range(s.length.shape[0]):
        observe(s, k, buf.observations[a + k], vision)


@njit
def step(s, p, buf, a):
    vision = (buf.observations.shape[1] - 1) // 2
    for k in range(s.length.shape[0]):
        if s.length[k] > 0:
            move(s, p, buf, a, k, vision)
    place_food(s, p, vision)
    for k in range(s.length.shape[0]):
        if buf.masks[a + k] or buf.terminals[a + k] or buf.truncations[a + k]:
            observe(s, k, buf.observations[a + k], vision)


def greedy(s, k, vision):
    """Snake k's move toward the nearest food among the moves that do not die at once (any
    move when none is safe): the built-in policy of the snakes a person does not steer."""
    h, n = s.head[k], s.length[k]
    if n == 0:
        return UP
    r, c = int(s.body_r[k, h]), int(s.body_c[k, h])
    neck = (int(s.body_r[k, h - 1]), int(s.body_c[k, h - 1])) if n > 1 else None
    food = np.argwhere(s.grid == FOOD)
    best, best_key = UP, None
    for act in (UP, DOWN, LEFT, RIGHT):
        nr, nc = r + DR[act], c + DC[act]
        if (nr, nc) == neck:
            continue
        dist = np.abs(food - (nr, nc)).sum(1).min() if len(food) else 0
        key = (s.grid[nr, nc] > FOOD, dist)
        if best_key is None or key < best_key:
            best, best_key = act, key
    return best


def bots(s, p, actions, vision):
    for k in range(1, len(actions)):
        actions[k] = greedy(s, k, vision)


CHECKER = (36, 39, 49)


def snake_colors(n):
    """n distinct, bright colours: the palette's first, then evenly spaced hues away from the
    food's red."""
    first = [COLORS[c] for c in ("blue", "green", "orange", "purple", "pink", "teal", "yellow")]
    more = [tuple(round(255 * v) for v in colorsys.hsv_to_rgb(0.06 + 0.88 * (k + 0.5) / n, 0.5, 1.0))
            for k in range(n)]
    return (first + more)[:n]


def draw(surface, s, p, vision, cell, top):
    import pygame
    rows, cols = s.grid.shape[0] - 2 * vision, s.grid.shape[1] - 2 * vision
    colors = snake_colors(s.length.shape[0])
    pygame.draw.rect(surface, COLORS["line"], (0, top, cols * cell + 8, rows * cell + 8), border_radius=6)
    surface.fill(COLORS["field"], (4, top + 4, cols * cell, rows * cell))
    for r in range(rows):  # a faint checkerboard, to count cells by
        for c in range(r % 2, cols, 2):
            surface.fill(CHECKER, (4 + c * cell, top + 4 + r * cell, cell, cell))

    def box(r, c, inset=0):
        return pygame.Rect(4 + (c - vision) * cell + inset, top + 4 + (r - vision) * cell + inset,
                           cell - 2 * inset, cell - 2 * inset)

    for r, c in np.argwhere(s.grid == FOOD):
        pygame.draw.circle(surface, COLORS["red"], box(r, c).center, cell * 0.36)
        pygame.draw.circle(surface, (255, 180, 180), box(r, c).move(-cell // 8, -cell // 8).center, cell * 0.1)
    inset, radius = max(cell // 6, 1), max(cell // 4, 1)
    max_length = s.body_r.shape[1]
    x = 6
    for k in range(s.length.shape[0]):
        n, h = s.length[k], s.head[k]
        body = [(int(s.body_r[k, (h - i) % max_length]), int(s.body_c[k, (h - i) % max_length])) for i in range(n)]
        for i in range(n - 1, -1, -1):  # tail first, so the head is drawn on top
            part = box(*body[i], inset)
            if i > 0:  # join this segment to the one nearer the head
                part = part.union(box(*body[i - 1], inset))
            pygame.draw.rect(surface, colors[k], part, border_radius=radius)
        if n:  # the head: a lighter square with eyes looking the way it went
            head = box(*body[0], inset // 2)
            pygame.draw.rect(surface, [min(255, v + 60) for v in colors[k]], head, border_radius=radius)
            dr, dc = (body[0][0] - body[1][0], body[0][1] - body[1][1]) if n > 1 else (-1, 0)
            for side in (-1, 1):
                ex = head.centerx + (dc * 0.2 + side * dr * 0.22) * cell
                ey = head.centery + (dr * 0.2 + side * dc * 0.22) * cell
                pygame.draw.circle(surface, COLORS["background"], (ex, ey), max(cell * 0.11, 1))
        pygame.draw.rect(surface, colors[k], (x, 9, 14, 14), border_radius=3)
        x = text(surface, n, (x + 20, 8), 24, COLORS["text"] if n else COLORS["dim"]).right + 16


@factory  # its games pickle as this call
def make_game(num_snakes=4, width=24, height=24, vision=5, max_length=64):
    """A snake Game of these sizes (see the module docstring)."""
    side_max = np.iinfo(np.int16).max  # grid coordinates are int16
    num_snakes = check_count(num_snakes, "num_snakes", "snake: ", high=MAX_SNAKES)
    width, height = check_count(width, "width", "snake: "), check_count(height, "height", "snake: ")
    vision = check_count(vision, "vision", "snake: ")
    max_length = check_count(max_length, "max_length", "snake: ")
    if max(width, height) + 2 * vision > side_max:
        raise ValueError(f"snake: the grid (with its border of vision cells) must be at most {side_max} cells a "
                         f"side, got {height + 2 * vision}x{width + 2 * vision}")
    if num_snakes * max_length > width * height:
        raise ValueError(f"snake: {num_snakes} snakes of max_length {max_length} do not fit a {width}x{height} grid")
    state = np.dtype([
        ("grid", np.int8 if SNAKE + 2 * num_snakes <= 128 else np.int16, (height + 2 * vision, width + 2 * vision)),
        ("body_r", np.int16, (num_snakes, max_length)),  # ring buffers of grid cells, head at `head`
        ("body_c", np.int16, (num_snakes, max_length)),
        ("head", np.int32, (num_snakes,)),
        ("length", np.int32, (num_snakes,)),  # 0: out of play (dead, respawn off)
        ("age", np.int32, (num_snakes,)),     # steps since spawning
        ("num_food", np.int32),
    ])

    def check(p):
        check_range("snake", p, ("food", "max_steps"), low=0, high=INT32_MAX)  # int32 counters
        check_range("snake", p, ("reward_food", "reward_death", "reward_corpse"), low=-1e30, high=1e30)
        if num_snakes * max_length + p["food"] > width * height:
            raise ValueError(f"snake: {num_snakes} snakes of max_length {max_length} and food={p['food']} "
                             f"do not fit a {width}x{height} grid")

    side = 2 * vision + 1
    cell, top = max(4, min(20, 480 // max(width, height))), 32  # pixels: a grid cell, the strip of lengths
    view = View(partial(draw, vision=vision, cell=cell, top=top), size=(width * cell + 8, top + height * cell + 8),
                fps=10, keys={"up": UP, "down": DOWN, "left": LEFT, "right": RIGHT},
                idle=lambda s, p, last: greedy(s, 0, vision) if last is None else last,
                bots=partial(bots, vision=vision), help="arrows: steer the blue snake")
    return Game("snake", state, reset, step, observation_space=spaces.Box(0, OTHER_HEAD, (side, side), np.int8),
                action_space=spaces.Discrete(4), agents=num_snakes, params=PARAMS, check=check, log=("score",),
                view=view, presets=PRESETS)


game = make_game()


def parallel_env(max_cycles=1000, render_mode=None, seed=None, **kwargs):
    """One game as a PettingZoo ParallelEnv, agents snake_0, snake_1, ...: a snake that dies
    leaves the episode and does not respawn. kwargs: make_game's sizes and PARAMS but respawn."""
    if "respawn" in kwargs:
        raise ValueError("snake: respawn is always off in PettingZoo (an agent that is done never comes back)")
    sizes = {k: kwargs.pop(k) for k in SIZES if k in kwargs}
    g = make_game(**sizes)
    return ParallelEnv(g, agent_names=[f"snake_{k}" for k in range(g.agents)], max_cycles=max_cycles,
                       render_mode=render_mode, seed=seed, respawn=False, **kwargs)


def env(**kwargs):
    """parallel_env(**kwargs) in PettingZoo's AEC form."""
    return AECEnv(parallel_env(**kwargs))
