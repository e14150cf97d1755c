"""Tower Climb: PufferLib's Ocean Tower Climb, a block-pushing climbing puzzle in the manner
of Catherine. A robot in a 10x10x10 world of cubes (cell x + 10 z + 100 y; y is the floor)
climbs to stand on the goal, moving cubes to build its way up.

Rules: an arrow (0 right +x, 1 down +z, 2 left -x, 3 up -z) first turns the robot to face
that way; facing it, the robot walks onto a floor cell (a cube below), climbs a cube in
front (one cube high, with room above), or steps off an edge: onto the cube a floor below,
else it hangs from the edge, facing back. Hanging, it shimmies left or right along edges
(round corners), climbs up with 3 (up) or lets go with 5 (drop) down to the next cube
below; with none, it falls off the tower and dies. 4 (grab) takes hold of the cube or goal
in front, or lets go; holding, the facing arrow pushes the row of cubes in front by one
cell, the opposite arrow pulls the cube one cell back (the robot steps back or, with no
floor behind it, hangs below), a side arrow turns and lets go. Moved cubes stand if any of
the five cells below them (straight down or at an edge) holds a cube; others fall until
they do, and those resting on them in turn. A cube landing on the robot kills it.

Levels: `num_maps` levels of a bank of 50, made as the C makes its levels: random cubes,
the spawn on floor 2, the goal on floor 5-8, kept when a breadth-first search finds the
shortest solution to take 10 to 15 moves. The C makes a fresh bank at every start, seeded
by the clock; ours is made once (`make_bank(seed=0)`) and stored (tower_climb_levels.py),
so runs repeat. Each episode plays a level drawn from the game's stream.

Observation: Box(0, 255, (228,), uint8): a 9 (x) by 5 (z) by 5 (floors) window around the
  robot (centred on it and the floor above, shifted to stay inside the world), index
  x + 9 z + 45 floor: 0 empty, 1 cube, 2 goal, 3 robot; then the robot's orientation
  (0-3), hanging (0/1) and holding a cube (0/1).
Action: Discrete(6): 0-3 the arrows above, 4 grab/release, 5 drop.
Reward: `reward_illegal_move` for an action that does nothing, `reward_climb_row` for the
  first climb to each new height, `reward_fall_row` for stepping or hanging down,
  `reward_move_block` for a push, pull or turn holding a cube, -1 for dying, +1 for
  standing on the goal (each replaces, not adds to, the step's others).
Termination: standing on the goal, or dying; truncation after `max_steps` (60) steps.
Log: episode_return, episode_length, score (the highest floor climbed above the spawn's),
  perf (1 if the goal was reached).
View (776x390 pixels at the default sizes): the ten floors, each a 10x10 grid seen from above:
  cubes grey, the goal yellow, the
  robot red with a mark for its facing. Play: arrows move, space grabs, x drops.

Deviations from the C, where it does something that is not the game:
- The C never reports an end: it resets and clears `terminals` in the same step, and at
  the time limit it resets with neither flag; ours set `terminals` on the goal or death
  and `truncations` after 60 steps (the C plays 60 actions, 61 when the previous episode
  timed out, and logs 61 for a timeout).
- Reads of cells outside the world (the C reads past its bitmask above the top floor)
  count as empty; the C's level maker keeps a stale spawn or goal when an attempt makes
  none, ours draws again. The observation is written after an illegal move too (the C
  skips it; such a move can still have moved cubes).
- The logged episode_return is the sum of the rewards given; the C's also counts a climb
  reward that the goal's reward replaced in the same step.
"""
import numpy as np
from gymnasium import spaces
from numba import njit

from numbapuffer.engine.checks import check_range
from numbapuffer.core import Game, rand_int
from numbapuffer.envs.tower_climb_levels import BANK, LEVEL_BITS, LEVEL_GOAL, LEVEL_SPAWN
from numbapuffer.envs.tower_climb_rules import (CELLS, CLIMBED, DEATH, DOWN, DROP, EVENT, FACING, FELL, FLOOR, GRAB,
                                                HANGING, HELD, ILLEGAL, LEFT, MOVED, NOTHING, POS, RIGHT, SCRATCH, UP,
                                                VALUE, W, apply, cube)
from numbapuffer.engine.render import COLORS, View, text

f32 = np.float32
OBS = 9 * 5 * 5 + 3
PARAMS = dict(num_maps=50, max_steps=60, reward_climb_row=f32(0.25), reward_fall_row=f32(0),
              reward_illegal_move=f32(-0.01), reward_move_block=f32(0.2))
# PufferLib's tuned training values (config/ocean/tower_climb.ini)
PRESETS = {"puffer": dict(reward_climb_row=f32(0.636873185634613), reward_fall_row=f32(-0.15898257493972778),
                          reward_illegal_move=f32(-0.003928301855921745), reward_move_block=f32(0.235064297914505))}

STATE = np.dtype([
    # cubes as bits, cell i in bit i % 8 of byte i // 8: 4096 games' cubes stay in cache (as
    # bytes, Tower Climb ran at 0.94x the C)
    ("blocks", np.uint8, (CELLS // 8,)), ("robot", np.int32, (6,)), ("goal", np.int32), ("level", np.int32),
    ("score", np.int32), ("t", np.int32), ("scratch", np.int16, (SCRATCH,)),
])


@njit
def window(centre, size, limit):
    lo = centre - size // 2
    if size > limit:
        return 0
    if lo < 0:
        return 0
    if lo + size > limit:
        return max(limit - size, 0)
    return lo


@njit
def observe(s, obs):
    pos = s.robot[POS]
    y0 = window(pos // FLOOR + 1, 5, W)
    x0 = window(pos % W, 9, W)
    z0 = window((pos % FLOOR) // W, 5, W)
    for y in range(5):
        for z in range(5):
            for x in range(9):
                c = (y + y0) * FLOOR + (z + z0) * W + x + x0
                obs[x + 9 * z + 45 * y] = 3 if c == pos else (2 if c == s.goal else cube(s.blocks, c))
    obs[225] = s.robot[FACING]
    obs[226] = s.robot[HANGING]
    obs[227] = s.robot[HELD] != -1


@njit
def reset(s, p, buf, a):
    k = rand_int(s, p.num_maps)
    s.level = k
    for i in range(CELLS // 8):
        s.blocks[i] = LEVEL_BITS[k, i]
    s.goal = LEVEL_GOAL[k]
    s.robot[POS] = LEVEL_SPAWN[k]
    s.robot[FACING] = UP
    s.robot[HANGING] = 0
    s.robot[HELD] = -1
    s.robot[EVENT] = NOTHING
    s.robot[VALUE] = 0
    for i in range(SCRATCH):
        s.scratch[i] = 0
    s.score = 0
    s.t = 0
    observe(s, buf.observations[a])


@njit
def step(s, p, buf, a):
    s.t += 1
    result = apply(s.blocks, s.robot, s.scratch, s.goal, buf.actions[a])
    if result == ILLEGAL:
        buf.rewards[a] = p.reward_illegal_move
    elif result == DEATH:
        buf.rewards[a] = -1
        buf.terminals[a] = True
    else:
        event = s.robot[EVENT]
        if event == CLIMBED and s.robot[VALUE] > s.score:
            s.score = s.robot[VALUE]
            buf.rewards[a] = p.reward_climb_row
        elif event == FELL:
            buf.rewards[a] = p.reward_fall_row
        elif event == MOVED:
            buf.rewards[a] = p.reward_move_block
        if s.robot[POS] - FLOOR == s.goal:
            buf.rewards[a] = 1
            buf.terminals[a] = True
            buf.episode[a].perf = 1
    if not buf.terminals[a] and s.t >= p.max_steps:
        buf.truncations[a] = True
    buf.episode[a].score = s.score
    observe(s, buf.observations[a])


def check(p):
    check_range("tower_climb", p, ("num_maps",), low=1, high=BANK)
    check_range("tower_climb", p, ("max_steps",), low=1, high=2**31 - 1)


FACE = {RIGHT: (1, 0), DOWN: (0, 1), LEFT: (-1, 0), UP: (0, -1)}
CELL, GAP = 14, 12


def draw(surface, s, p):
    import pygame
    surface.fill(COLORS["background"])
    text(surface, f"step {s.t}/{p.max_steps}   level {s.level}   best floor +{s.score}", (8, 6), 22)
    pos = int(s.robot[POS])
    for y in range(W):
        ox, oy = 8 + (y % 5) * (W * CELL + GAP), 48 + (1 - y // 5) * (W * CELL + GAP + 16)
        text(surface, f"floor {y}", (ox, oy - 16), 16, COLORS["dim"])
        for z in range(W):
            for x in range(W):
                c = x + W * z + FLOOR * y
                color = COLORS["field"]
                if (s.blocks[c >> 3] >> (c & 7)) & 1:
                    color = (150, 150, 160)
                if c == s.goal:
                    color = COLORS["yellow"]
                pygame.draw.rect(surface, color, (ox + x * CELL, oy + z * CELL, CELL - 1, CELL - 1))
                if c == pos:
                    centre = (ox + x * CELL + CELL // 2, oy + z * CELL + CELL // 2)
                    pygame.draw.circle(surface, COLORS["red"], centre, CELL // 2 - 1)
                    fx, fz = FACE[int(s.robot[FACING])]
                    pygame.draw.line(surface, COLORS["text"], centre, (centre[0] + fx * CELL // 2,
                                                                       centre[1] + fz * CELL // 2), 2)


VIEW = View(draw, size=(16 + 5 * (W * CELL + GAP), 54 + 2 * (W * CELL + GAP + 16)), fps=6,
            keys={"right": RIGHT, "down": DOWN, "left": LEFT, "up": UP, "space": GRAB, "x": DROP}, idle=None,
            help="arrows: turn/move/climb, space: grab, x: drop")

game = Game("tower_climb", STATE, reset, step, observation_space=spaces.Box(0, 255, (OBS,), np.uint8),
            action_space=spaces.Discrete(6), params=PARAMS, presets=PRESETS, check=check, log=("score", "perf"),
            view=VIEW)
