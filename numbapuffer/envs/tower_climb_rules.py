"""The rules of Tower Climb (numbapuffer/envs/tower_climb.py, whose docstring states them):
its world of cubes kept as bits, and one action's effect on the cubes and the robot (the
C's applyAction), shared by the env's step and the level solver (tower_climb_levels.py)."""
import numpy as np
from numba import njit

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
POS, FACING, HANGING, HELD, EVENT, VALUE = range(6)  # the robot record (the state's `robot`)
QUEUE = 20  # scratch layout: 10 moved cubes, 10 affected cubes, then the falling queue
SCRATCH = QUEUE + CELLS


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
        if inside and not cube(b, ledge):  # an outer corner: round it
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
