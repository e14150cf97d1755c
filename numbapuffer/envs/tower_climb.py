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
by the clock; ours is made once (`make_bank(seed=0)`) and stored below, so runs repeat.
Each episode plays a level drawn from the game's stream.

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
View: the ten floors, each a 10x10 grid seen from above: cubes grey, the goal yellow, the
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
import base64
import zlib

import numpy as np
from gymnasium import spaces
from numba import njit

from numbapuffer.engine.checks import check_range
from numbapuffer.core import Game, rand_int
from numbapuffer.engine.render import COLORS, View, text

f32 = np.float32
RIGHT, DOWN, LEFT, UP, GRAB, DROP = range(6)
W = 10                  # cells a side: x, z and floors
FLOOR = W * W
CELLS = W * FLOOR
DX = np.array([1, 0, -1, 0], np.int64)
DZ = np.array([0, 1, 0, -1], np.int64)
WRAP_X = np.array([[1, 1], [1, -1], [-1, -1], [-1, 1]], np.int64)
WRAP_Z = np.array([[-1, 1], [1, 1], [1, -1], [-1, -1]], np.int64)
WRAP_TURN = np.array([[DOWN, UP], [LEFT, RIGHT], [UP, DOWN], [RIGHT, LEFT]], np.int64)
LEFT_TURNS = np.array([3, 0, 1, 2], np.int64)
RIGHT_TURNS = np.array([1, 2, 3, 0], np.int64)
ILLEGAL, SUCCESS, DEATH = 0, 1, 2
# What a successful move did, for its reward (robot[EVENT]): nothing, a climb to floor
# robot[VALUE] above the spawn's, a step or hang down, a cube moved.
NOTHING, CLIMBED, FELL, MOVED = 0, 1, 2, 3
POS, FACING, HANGING, HELD, EVENT, VALUE = range(6)
OBS = 9 * 5 * 5 + 3
BANK = 50
QUEUE = 20  # scratch layout: 10 moved cubes, 10 affected cubes, then the falling queue
SCRATCH = QUEUE + CELLS
PARAMS = dict(num_maps=50, max_steps=60, reward_climb_row=f32(0.25), reward_fall_row=f32(0),
              reward_illegal_move=f32(-0.01), reward_move_block=f32(0.2))
# PufferLib's tuned training values (config/ocean/tower_climb.ini)
PRESETS = {"puffer": dict(reward_climb_row=f32(0.636873185634613), reward_fall_row=f32(-0.15898257493972778),
                          reward_illegal_move=f32(-0.003928301855921745), reward_move_block=f32(0.235064297914505))}

STATE = np.dtype([
    # cubes as bits, cell i in bit i % 8 of byte i // 8: 4096 games' cubes stay in cache (as
    # bytes, Tower Climb ran at 0.94x the C)
    ("blocks", np.uint8, (CELLS // 8,)), ("robot", np.int32, (6,)), ("goal", np.int32), ("level", np.int32),
    ("rows_cleared", np.int32), ("score", np.int32), ("t", np.int32), ("scratch", np.int16, (SCRATCH,)),
])


@njit
def cube(b, i):
    return 0 <= i < CELLS and (b[i >> 3] >> (i & 7)) & 1 != 0


@njit
def put_cube(b, i):
    b[i >> 3] |= np.uint8(1 << (i & 7))


@njit
def take_cube(b, i):
    b[i >> 3] &= np.uint8(255 - (1 << (i & 7)))


@njit
def stable(b, p):
    """A cube at p stands on the cell below it or on one of the four below its edges."""
    return (cube(b, p - FLOOR) or cube(b, p - FLOOR - 1) or cube(b, p - FLOOR + 1)
            or cube(b, p - FLOOR - W) or cube(b, p - FLOOR + W))


@njit
def will_fall(b, p, goal):
    return 0 <= p < CELLS and (cube(b, p) or p == goal) and not stable(b, p)


@njit
def enqueue_above(b, q, rear, p, goal):
    """Queue the cube above cell p and those at the edges above it that now fall."""
    above = p + FLOOR
    for c in (above, above - 1, above + 1, above - W, above + W):
        if rear < SCRATCH and will_fall(b, c, goal):
            q[rear] = c
            rear += 1
    return rear


@njit
def settle(b, q, affected, goal):
    """Let cubes fall after a move: the moved cubes (q[0:10]), the `affected` cubes at
    q[10:], and all resting on falling ones. 0 if the goal would fall (as the C: the cubes
    moved so far stay where they are)."""
    rear = QUEUE
    for i in range(affected):
        q[rear] = q[10 + i]
        rear += 1
    for i in range(10):
        if q[i] != -1:
            rear = enqueue_above(b, q, rear, q[i], goal)
    front = QUEUE
    while front < rear:
        c = q[front]
        front += 1
        if c == goal:
            return 0
        take_cube(b, c)
        p = c
        while p >= FLOOR:  # down until it stands (or leaves the world below floor 1)
            put_cube(b, p)
            if stable(b, p):
                break
            take_cube(b, p)
            p -= FLOOR
        rear = enqueue_above(b, q, rear, c, goal)
    return 1


@njit
def push(b, r, q, goal, offset):
    first = r[POS] + DX[r[FACING]] + DZ[r[FACING]] * W
    for i in range(10):
        q[i] = first if i == 0 else -1
    for i in range(10):
        if i != 0 and q[i - 1] == -1:
            break
        if cube(b, first + i * offset):
            q[i] = first + i * offset
    count = 0
    for i in range(10):  # the row moves by one: the first leaves its cell, each sets the next
        c = q[i]
        if c == -1:
            continue
        if i == 0:
            take_cube(b, c)
        x, z = c % W, (c % FLOOR) // W
        if (x == 0 and offset == -1) or (x == W - 1 and offset == 1) or (z == 0 and offset == -W) \
                or (z == W - 1 and offset == W):
            continue  # not off the world's edge
        put_cube(b, c + offset)
        q[10 + count] = c + offset
        count += 1
    r[HELD] = -1
    return settle(b, q, count, goal)


@njit
def pull(b, r, q, goal, offset):
    front = r[POS] + DX[r[FACING]] + DZ[r[FACING]] * W
    below_back = r[POS] + offset - FLOOR
    if cube(b, r[POS] + offset):
        return 0
    if cube(b, front):
        take_cube(b, front)
        put_cube(b, r[POS])
        if cube(b, below_back):
            r[HELD] = r[POS]
            r[POS] += offset
        else:
            r[POS] = below_back
            r[HANGING] = 1
            r[HELD] = -1
    for i in range(10):
        q[i] = -1
    q[0] = front
    return settle(b, q, 0, goal)


@njit
def apply(b, r, q, goal, action):
    """One action on cubes `b` and robot `r` (the C's applyAction): ILLEGAL, SUCCESS or DEATH;
    r[EVENT] (and r[VALUE]) say what a success did."""
    r[EVENT] = NOTHING
    pos, facing = r[POS], r[FACING]
    dx, dz = DX[facing], DZ[facing]
    x, z = pos % W, (pos % FLOOR) // W
    ahead = pos + dx + dz * W
    walkable = cube(b, ahead - FLOOR)
    in_front = 0 <= ahead < CELLS and (cube(b, ahead) or ahead == goal)
    arrow = 0 <= action < 4
    free = r[HANGING] == 0 and r[HELD] == -1
    if free and arrow:
        if action != facing:
            r[FACING] = action
            return SUCCESS
        if walkable and not in_front:
            r[POS] = ahead
            return SUCCESS
        if in_front:  # climb it
            above = pos + FLOOR
            target = above + dx + dz * W
            if above >= CELLS or target >= CELLS or cube(b, above) or cube(b, target) or above == goal \
                    or target == goal:
                return ILLEGAL
            r[EVENT] = CLIMBED
            r[VALUE] = above // FLOOR - 2
            r[POS] = target
            r[HANGING] = 0
            return SUCCESS
        below = ahead - FLOOR  # step off the edge
        if below < 0:
            return ILLEGAL
        r[EVENT] = FELL
        r[POS] = below
        if not cube(b, ahead - 2 * FLOOR):
            r[FACING] = (facing + 2) % 4
            r[HANGING] = 1
        return SUCCESS
    if r[HANGING] == 1 and arrow:
        if action == UP:
            top, above = ahead + FLOOR, pos + FLOOR
            if top < CELLS and above < CELLS and not cube(b, top) and not cube(b, above):
                r[POS] = top
                r[HANGING] = 0
                return SUCCESS
            return ILLEGAL
        if action == DOWN:
            return ILLEGAL
        side = facing
        if action == LEFT:
            side = (facing + 3) % 4
        elif action == RIGHT:
            side = (facing + 1) % 4
        step = DX[side] + DZ[side] * W
        ledge, path = ahead + step, pos + step
        inside = 0 <= x + dx < W and 0 <= z + dz < W
        if cube(b, ledge) and 0 <= path < CELLS and not cube(b, path):  # along the edge
            if cube(b, path + FLOOR) or not 0 <= path + FLOOR < CELLS:
                return ILLEGAL
            r[POS] = path
            return SUCCESS
        if cube(b, path):  # an inner corner: turn
            r[FACING] = LEFT_TURNS[facing] if action == LEFT else RIGHT_TURNS[facing]
            return SUCCESS
        if inside and not cube(b, path) and not cube(b, ledge):  # an outer corner: round it
            k = 0 if action == LEFT else 1
            target = x + WRAP_X[facing, k] + (z + WRAP_Z[facing, k]) * W + (pos // FLOOR) * FLOOR
            if cube(b, target + FLOOR):
                return ILLEGAL
            r[POS] = target
            r[FACING] = WRAP_TURN[facing, k]
            return SUCCESS
    if action == DROP and not free:
        below = pos - FLOOR
        while below > FLOOR and not cube(b, below):
            below -= FLOOR
        if below >= FLOOR:
            r[POS] = below + FLOOR
            r[HANGING] = 0
            return SUCCESS
        return DEATH
    if action == GRAB and free and in_front:
        r[HELD] = ahead
        return SUCCESS
    if action == GRAB and r[HELD] != -1:
        r[HELD] = -1
        return SUCCESS
    if arrow and in_front and r[HELD] != -1:
        offset = DX[action] + DZ[action] * W
        if facing == action:
            result = push(b, r, q, goal, offset)
        elif facing == (action + 2) % 4:
            result = pull(b, r, q, goal, offset)
        else:
            r[FACING] = action
            r[HELD] = -1
            result = 1
        if cube(b, r[POS]):  # a cube fell on the robot
            return DEATH
        if result == 1:
            r[EVENT] = MOVED
        return result
    return ILLEGAL


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
    s.rows_cleared = 0
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
        if event == CLIMBED and s.robot[VALUE] > s.rows_cleared:
            s.rows_cleared = s.robot[VALUE]
            s.score = s.rows_cleared
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


# ---------------------------------------------------------------------------------------
# The level bank: made by make_bank (the C's generator and solver), stored below.
# ---------------------------------------------------------------------------------------
@njit
def gen_level(g, blocks, goal_floor):
    """The C's gen_level: random cubes in a stepped pyramid below goal_floor, the spawn above
    the first cube of floor 1, the goal on goal_floor beside the top. (spawn, goal), -1 if none."""
    for i in range(CELLS):
        blocks[i] = 0
    spawn = goal = -1
    for y in range(W):
        for z in range(W - 1, -1, -1):
            for x in range(W):
                c = x + W * z + FLOOR * y
                if 1 <= x < 8 and 1 <= z < 8 and 1 <= y < goal_floor and z <= 8 - y:
                    blocks[c] = 1 if rand_int(g, 2) == 0 else 0
                    if spawn == -1 and y == 2 and blocks[c - FLOOR] == 1:
                        spawn = c
                        blocks[c] = 0
                if goal == -1 and y == goal_floor and (blocks[c + W - FLOOR] == 1 or blocks[c - 1 - FLOOR] == 1
                                                       or blocks[c + 1 - FLOOR] == 1):
                    if rand_int(g, 3) == 0 or (x == W - 1 and z == 0):
                        goal = c
    return spawn, goal


@njit
def pack(cells, bits):
    for i in range(CELLS // 8):
        bits[i] = 0
    for i in range(CELLS):
        if cells[i]:
            put_cube(bits, i)


@njit
def hash_state(bits, robot, size):
    h = np.uint64(0xcbf29ce484222325)
    for i in range(CELLS // 8):
        h = (h ^ np.uint64(bits[i])) * np.uint64(0x100000001b3)
    for k in range(4):
        h = (h ^ np.uint64(robot[k] & 0xFFFFFFFF)) * np.uint64(0x100000001b3)
    return np.int64(h % np.uint64(size))


@njit
def solve(cells, spawn, goal, min_moves, max_moves, limit):
    """The C's bfs from cubes `cells` (1000 bytes): 1 if the shortest way to stand on the goal
    takes min_moves..max_moves moves (0 also past `limit` states, as the C)."""
    n = CELLS // 8
    cap = 1 << 16
    states = np.zeros((cap, n), np.uint8)
    robots = np.zeros((cap, 4), np.int32)
    depth = np.zeros(cap, np.int32)
    table = np.full(4 * cap, -1, np.int64)
    b = np.zeros(n, np.uint8)
    r = np.zeros(6, np.int32)
    q = np.zeros(SCRATCH, np.int16)
    pack(cells, states[0])
    robots[0, 0], robots[0, 1], robots[0, 2], robots[0, 3] = spawn, UP, 0, -1
    table[hash_state(states[0], robots[0], len(table))] = 0
    back, front = 1, 0
    while front < back:
        if back >= limit:
            return 0
        if robots[front, POS] - FLOOR == goal:
            return 1 if depth[front] >= min_moves else 0
        if depth[front] < max_moves:
            for action in range(6):
                b[:] = states[front]
                for k in range(4):
                    r[k] = robots[front, k]
                if apply(b, r, q, goal, action) != SUCCESS:
                    continue
                if back + 1 >= cap:  # grow the store and rehash
                    cap *= 2
                    states2 = np.zeros((cap, n), np.uint8)
                    states2[:back] = states[:back]
                    robots2 = np.zeros((cap, 4), np.int32)
                    robots2[:back] = robots[:back]
                    depth2 = np.zeros(cap, np.int32)
                    depth2[:back] = depth[:back]
                    states, robots, depth = states2, robots2, depth2
                    table = np.full(4 * cap, -1, np.int64)
                    for i in range(back):
                        j = hash_state(states[i], robots[i], len(table))
                        while table[j] != -1:
                            j = (j + 1) % len(table)
                        table[j] = i
                j = hash_state(b, r, len(table))
                seen = False
                while table[j] != -1:
                    i = table[j]
                    if robots[i, 0] == r[0] and robots[i, 1] == r[1] and robots[i, 2] == r[2] and robots[i, 3] == r[3]:
                        seen = True
                        for w in range(n):
                            if states[i, w] != b[w]:
                                seen = False
                                break
                        if seen:
                            break
                    j = (j + 1) % len(table)
                if seen:
                    continue
                table[j] = back
                states[back] = b
                for k in range(4):
                    robots[back, k] = r[k]
                depth[back] = depth[front] + 1
                back += 1
        front += 1
    return 0


@njit
def make_levels(g, count, blocks, spawns, goals):
    for k in range(count):
        goal_floor = rand_int(g, 4) + 5
        while True:
            spawn, goal = gen_level(g, blocks[k], goal_floor)
            if spawn > 0 and goal >= 0 and solve(blocks[k], spawn, goal, 10, 15, 10_000_000):
                break
        spawns[k], goals[k] = spawn, goal


def make_bank(seed=0, count=BANK):
    """`count` levels as the C makes them, from a stream seeded by `seed`: (blocks uint8
    (count, 1000), spawns, goals). About a second a level."""
    g = np.zeros(1, np.dtype([("rng", np.uint64)]))
    g["rng"] = np.uint64(0x9E3779B97F4A7C15) ^ np.uint64(seed)
    blocks = np.zeros((count, CELLS), np.uint8)
    spawns, goals = np.zeros(count, np.int32), np.zeros(count, np.int32)
    make_levels(g[0], count, blocks, spawns, goals)
    return blocks, spawns, goals


def encode_bank(blocks, spawns, goals):
    raw = np.packbits(blocks, axis=1).tobytes() + spawns.astype("<i2").tobytes() + goals.astype("<i2").tobytes()
    text = base64.b64encode(zlib.compress(raw, 9)).decode()
    return [text[i:i + 100] for i in range(0, len(text), 100)]


def decode_bank(lines):
    raw = zlib.decompress(base64.b64decode("".join(lines)))
    n = len(raw) // (CELLS // 8 + 4)
    blocks = np.unpackbits(np.frombuffer(raw[:n * CELLS // 8], np.uint8).reshape(n, CELLS // 8), axis=1)
    rest = np.frombuffer(raw[n * CELLS // 8:], "<i2").astype(np.int32)
    return blocks.astype(np.uint8), rest[:n].copy(), rest[n:].copy()


BANK_DATA = [  # make_bank(seed=0), encode_bank'ed (tests/test_tower_climb.py makes it again)
    "eNq1WEtQG9kV7X7qj4QAqfX/S/iLPTCj2ITCDONIQgJcZZdbnvgz2ImlmElIBsfSRLEVm8QtEMILFnKVF154IVWx8MILUcXCC6eq",
    "G8QnVSyEh6RYsJCrWHjhBaqaBYssIvV73fJWEZIK/d6993Dfvfe8ex+GffbAX9+0hArPXK7aF4b2Js/rR3LiQumKbqb0EkpZZ3xj",
    "v5U0Lt+2c5K6Y46v2xrCGn0UH9HCwVYc+KqfjcM+34SJy4oLU6Pa+aWEhIHHdNjRP4auY/Ndbwd1NWcsPP9WZ+IL4sLmn9oyWh+S",
    "2vAffHv02DgPiKJ366m7BoOvCEMRJQZ3MkYp14WPyHMft/krSePZNaWs3r7+mSlPw+Av7nSsxRf/qK557ipymza7oiwuOJ7qR/Is",
    "lNLNVKZvSyqeRwo55m7yoBnXn2kUVK4wrOHFmFdY0D7jhQ4mwWqWgELq0fjCGenf5TqtviPa912/OlTZHOysOdM5Ek30qEhoOvdA",
    "MyIgITIdP3GiBTEn/mHhuLJH9JwRCu++UcOdxLdGMdq/AKWM6SXiSQuyPR11zGV3PY6a53hoaeL3VBBme9agDUSnoJCNEyZsLQAf",
    "s2vSkdL5jprnWqpiCCqFkuj58jSJR4NQqAN/HjFKezXdTcraLq7UzLZPXzHPezwOXS3QncPY7qSSF2OOW1in4B1AGHTY0ytplM+q",
    "jirmyqsGEl9IAJFFqUgQM6/AlcTJ9hS2jOiVL2mfShpjlwxytuuEZjzH3midwUqfR6RrxWglcsMYiogL7CNnyP9fKMTg/J1JCbxk",
    "rtd5k56nrxjT2J3rWjHb13/xOuRMRSDJPFYFMEQhej5/4qsWlFr5PpnJpk+JCWfLpJT3VAKktbEbat67B6VoPNwTl/fql6Y6wwFf",
    "UzH3thPRl+co0UiGjfzVJWThWXtXP5tCR6oLFHZMksrhOT1/RK73Aesw6/Mra/YM6bivjwQsJH0dOSwgWrNz3sRkC7a9Z6xjjvlI",
    "OWrgjkxh8iI1CpuJExF65MMElDL544UHksaeVyF7btvI1k1dbhj81Y8kH2VNWC2MDJ9P3netQJLJBchZ/BBKURuFiYiksnhRL6tb",
    "055mXFcea5thNr8218Ct/lzPXScBS5dTGVNLyHMsWCHG5cYrwshZ1jYaqZsqNAy+fwkLffB8L5Knaj7/KtahgKYt7UwGfwGFNCFO",
    "GZY09ro6j6jOseIf2uhUj7dTTDi8PGnu9ENnXltVxVIZZftaJXtB0ti8RMkxV8zWtx3fbzjmyesAz38Kiv2Bk+QORxwpuH3TLnco",
    "twOlVDPhyycllVen7DK4NdTUJnCnbOsHrE8sXdrHEA/I2Rj0I46DLhRzOu1PPJb+3e6/tB9VqSXDVloIdjO1L0TAx41Rfg/E+NLF",
    "e9BOWor+Xaukwt4wyZ4Ts/UeDt9qGHzxArMSX75J1OwBvxDpJVGppV2kIo46mU5F2MJKGss9FjnbzXSubqrYMPitIdO6x5IQnTFl",
    "nlscYIaHfaKzTWBRJ+OYL2xOtIDhgufcw553ejHhjMLz4Nc0D3eypx9kIii6BOfpk5uJgd+Yjojb8fbHFjp/8BCvgWvTJYLGUnAh",
    "8cSc6UqihJvPdcvjEuvTyOr6jVgz4G/GbVT87e9ExlSFouXv2gOw1IZ+1FE46lMso/6yNChiuW8Y2XMm1NTQEPTqqTL2d3Eqc2OV",
    "Q6NJgM3EiyEi4EWDomnD9/EHudTCKhmcDjTF7QnKuVrOjoqjidaX1Wp0q/BUy/a6g3gfonA6G7vbgoTz3tJwB0NPVRCDmdCrffA8",
    "7xt0ChXUOoN51nCmBX37rTN2fzTdJx7RVqE6OLlT4qyGLXxLBA5QqTFz2MB3kgafJOpn4pq37sduw+BeI4mFN0fUYu4qssuqjmFI",
    "18U/O2dKPyOMUHhvUA7UBCETugZ8Bv6u8YnFq08ViH6xEWTmeM6mJWH1/HyNnsmjbFdltln5SP10SS2D20OfmdppGDx7VSv4lVGD",
    "6OAGV3a4MTSl9oMNDtW5bvX5vk6mcL3lqBIu1+YudhXvm0Vwf4zVq1YRU9/TjbDoZkLDVYbkOt/7oU3mdiddP1LxRMPgeyfN6/iA",
    "3+UTLyCyiQvWWdhBHE6ZBO4V6uFGPIcyrRkop4zoDDXDtPi+vWMu3z3I1Oxp50v7p01r8Eid+l4NfGPo6iUV3jzbita53zznjx23",
    "ibNaJjV1xhWEnnuOm0IMSjiaZB0X5VKL4kcG/5Ag+MV74vFlH81x3c4UHJHfXu/AuxYRyRSzi8kWeJ4j6eI2AUdkbD7MOrUrkK4H",
    "Ltq5OAJnSJ6X7hdxw7hDjrlt9KCZZiJ2TRWI/vqqmEOUn9286ViF255ImucELWomQvH2cAvo1XHaGShjrHgJ6EhvT55rh20Z/mbS",
    "jWVR325fFfiv5GZiXCOnuH6u0Az44RM6EM2eFns4TVr7rt+AbiC3BhwbS+jAtAc9hVbEnHNp1lK3rJbatmtSkYXzlhE4NBzq3Vzs",
    "DWom1jH2jqTSraZlktHMNuX5p26M7vJYnTV7dpLZ1et8MIdexinFB0QytuA2G5BL7VT9YFGTTd1GXX6gA+wiI95GKVP5McIYQONS",
    "uG1lCd3JdKxED+TbdLZNKXuuDWqbupm4rVEU9lgg9u2r+b5xNbzuwV+7jEGBkG6jtneCMuC44f+fkWicxKnqHym+w6f0GyW+qqrf",
    "KVkKvtJIg5Ql6xbqv9Pik8S/VBwHDnBW8R48Ak5wDLjAf6qf3oPHwAP+BR4CPehRlECvIll9fw/+VpXsVThAsirxb/BTVboLfKGo",
    "/fawuv4T0IHpqpUvFMdAqWp1pyr1z6qN/wGTkjpI",
]

LEVEL_BLOCKS, LEVEL_SPAWN, LEVEL_GOAL = decode_bank(BANK_DATA)
LEVEL_BITS = np.packbits(LEVEL_BLOCKS, axis=1, bitorder="little")


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
