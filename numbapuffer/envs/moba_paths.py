"""MOBA's pathing (numbapuffer/envs/moba.py): the way a creep, a neutral or a scripted hero
steps towards a cell, as the C finds it.

The C keeps one shared table of 128^4 bytes (a step for every destination and source cell),
filled lazily by a breadth-first search out from each destination the first time a game
paths there: the cells in the order the search reaches them, the 8 neighbours of a cell
tried up, down, left, right, up-right, down-right, down-left, up-left, each cell taking the
step back to the neighbour it was first reached from. Only walls block the search (towers,
creeps and heroes do not), so the table is a function of the map alone: the map's walls less
the towers' cells (towers stand on cleared ground). Ours holds the same steps in 2.8 MB (two
steps a byte), made once at import (cached compiled code, ~0.1 s):
- STATIC: every cell's step towards each lane waypoint and neutral camp (the destinations
  fixed by the map: 85 tables of 128x128);
- NEAR: for every open destination cell, the step of each source within R cells (Chebyshev)
  whose search depth is at most R; a breadth-first search limited to that window finds
  exactly these, in the same order (a cell of depth k <= R is reached by the same cells in
  the same order as in the whole search), and marks the others UNKNOWN;
- anything else (a chase after a target more than R steps away: a hero that died and
  respawned at its base) searches the whole map from the destination, stopping at the
  source, into the game's scratch (`seen`, `queue`).
A step is 0-7 (ATN_Y, ATN_X), or NO_STEP (8: at the destination, a wall, or unreachable).
"""
import numpy as np
from numba import njit

from numbapuffer.envs.moba_data import (CELLS, NEUTRAL_CAMP_X, NEUTRAL_CAMP_Y, SIDE, TOWER_X, TOWER_Y, WALLS,
                                        WAYPOINT_X, WAYPOINT_Y, WAYPOINTS_N)

R = 9
WINDOW = 2 * R + 1
NO_STEP, UNKNOWN, UNSEEN = 8, 9, 255
# neighbour k of a cell is (NDY[k], NDX[k]) from it; a cell reached from there steps back
NDY = np.array([-1, 1, 0, 0, -1, 1, 1, -1], np.int64)
NDX = np.array([0, 0, -1, 1, 1, 1, -1, -1], np.int64)
ATN_Y = (-NDY).astype(np.float32)
ATN_X = (-NDX).astype(np.float32)

BLOCKED = WALLS.copy()
BLOCKED[TOWER_Y.astype(np.int64) * SIDE + TOWER_X.astype(np.int64)] = False


@njit(cache=True)
def search(blocked, dst, stop, steps, queue, window):
    """Breadth-first search out from cell `dst` (as the C's), writing each reached cell's step
    into `steps` (UNSEEN beforehand); within `window` cells of dst (Chebyshev) if window >= 0.
    Stops once cell `stop` has its step (-1: never); returns that step, or UNSEEN."""
    if blocked[dst]:
        return UNSEEN
    dy0, dx0 = dst // SIDE, dst % SIDE
    steps[dst] = 0
    queue[0] = dst
    head, tail = 0, 1
    while head < tail:
        c = queue[head]
        head += 1
        cy, cx = c // SIDE, c % SIDE
        for k in range(8):
            ny, nx = cy + NDY[k], cx + NDX[k]
            if ny < 0 or ny >= SIDE or nx < 0 or nx >= SIDE:
                continue
            if window >= 0 and (abs(ny - dy0) > window or abs(nx - dx0) > window):
                continue
            n = ny * SIDE + nx
            if steps[n] != UNSEEN:
                continue
            if blocked[n]:
                steps[n] = NO_STEP
            else:
                steps[n] = k
                queue[tail] = n
                tail += 1
            if n == stop:
                return steps[n]
    steps[dst] = NO_STEP
    return steps[stop] if stop >= 0 else UNSEEN


@njit(cache=True)
def static_tables(blocked, dsts):
    out = np.full((dsts.shape[0], CELLS), UNSEEN, np.uint8)
    queue = np.zeros(CELLS, np.int64)
    for i in range(dsts.shape[0]):
        search(blocked, dsts[i], -1, out[i], queue, -1)
        for c in range(CELLS):
            if out[i, c] == UNSEEN:
                out[i, c] = NO_STEP
    return out


@njit(cache=True)
def near_tables(blocked, open_cells):
    out = np.full((open_cells.shape[0], WINDOW * WINDOW), UNKNOWN, np.uint8)
    steps = np.full(CELLS, UNSEEN, np.uint8)
    depth = np.zeros(CELLS, np.int64)
    queue = np.zeros(CELLS, np.int64)
    for i in range(open_cells.shape[0]):
        d = open_cells[i]
        dy, dx = d // SIDE, d % SIDE
        search(blocked, d, -1, steps, queue, R)
        depth[d] = 0
        for y in range(max(dy - R, 0), min(dy + R + 1, SIDE)):  # depth of each cell from its step
            for x in range(max(dx - R, 0), min(dx + R + 1, SIDE)):
                depth[y * SIDE + x] = -1
        depth[d] = 0
        changed = True
        while changed:  # few sweeps: depths follow the steps back to d
            changed = False
            for y in range(max(dy - R, 0), min(dy + R + 1, SIDE)):
                for x in range(max(dx - R, 0), min(dx + R + 1, SIDE)):
                    c = y * SIDE + x
                    k = steps[c]
                    if depth[c] >= 0 or k >= 8:
                        continue
                    parent = (y - NDY[k]) * SIDE + (x - NDX[k])
                    if depth[parent] >= 0:
                        depth[c] = depth[parent] + 1
                        changed = True
        for y in range(max(dy - R, 0), min(dy + R + 1, SIDE)):
            for x in range(max(dx - R, 0), min(dx + R + 1, SIDE)):
                c = y * SIDE + x
                k = steps[c]
                j = (y - dy + R) * WINDOW + (x - dx + R)
                if c == d or k == NO_STEP:
                    out[i, j] = NO_STEP  # a wall next to a reached cell: never a source
                elif k < 8 and depth[c] <= R:
                    out[i, j] = k
                steps[c] = UNSEEN
    return out


def _static_destinations():
    wp = [int(WAYPOINT_Y[lane, w]) * SIDE + int(WAYPOINT_X[lane, w]) for lane in range(6)
          for w in range(WAYPOINTS_N[lane])]
    camps = [int(y) * SIDE + int(x) for y, x in zip(NEUTRAL_CAMP_Y, NEUTRAL_CAMP_X)]
    dsts = sorted(set(wp + camps))
    waypoint_table = np.zeros((6, 14), np.int32)
    for lane in range(6):
        for w in range(WAYPOINTS_N[lane]):
            waypoint_table[lane, w] = dsts.index(int(WAYPOINT_Y[lane, w]) * SIDE + int(WAYPOINT_X[lane, w]))
    camp_table = np.array([dsts.index(c) for c in camps], np.int32)
    return np.array(dsts, np.int64), waypoint_table, camp_table


def pack(table):
    """Two steps a byte (the even column low): Numba freezes a global array into compiled code
    (and its cache) only up to 1 MB, so the tables are packed and NEAR is cut in three."""
    table = np.concatenate([table, np.zeros((table.shape[0], table.shape[1] % 2), np.uint8)], axis=1)
    return (table[:, 0::2] | (table[:, 1::2] << 4)).astype(np.uint8)


_DSTS, WAYPOINT_TABLE, CAMP_TABLE = _static_destinations()
STATIC = pack(static_tables(BLOCKED, _DSTS))
NEAR_INDEX = np.full(CELLS, -1, np.int32)  # open cell -> its row of NEAR
_OPEN = np.flatnonzero(~BLOCKED)
NEAR_INDEX[_OPEN] = np.arange(_OPEN.size)
_NEAR = pack(near_tables(BLOCKED, _OPEN))
NEAR_ROWS = 10**6 // _NEAR.shape[1]
NEAR0, NEAR1, NEAR2 = _NEAR[:NEAR_ROWS], _NEAR[NEAR_ROWS:2 * NEAR_ROWS], _NEAR[2 * NEAR_ROWS:]
assert 2 * NEAR_ROWS < _NEAR.shape[0] <= 3 * NEAR_ROWS and STATIC.nbytes <= 10**6


@njit
def nibble(row, j):
    v = np.int64(row[j >> 1])
    return (v >> 4) if j & 1 else (v & 15)


@njit
def static_step(table, c):
    """The step from cell c towards STATIC destination `table`."""
    return nibble(STATIC[table], c)


@njit
def step_towards(s, dst_y, dst_x, src_y, src_x):
    """The C's step from cell (src_y, src_x) towards cell (dst_y, dst_x): 0-7, or NO_STEP."""
    if dst_y < 0 or dst_y >= SIDE or dst_x < 0 or dst_x >= SIDE:
        return NO_STEP
    d = dst_y * SIDE + dst_x
    row = NEAR_INDEX[d]
    if row < 0:
        return NO_STEP
    oy, ox = src_y - dst_y, src_x - dst_x
    if -R <= oy <= R and -R <= ox <= R:
        j = (oy + R) * WINDOW + ox + R
        if row < NEAR_ROWS:
            k = nibble(NEAR0[row], j)
        elif row < 2 * NEAR_ROWS:
            k = nibble(NEAR1[row - NEAR_ROWS], j)
        else:
            k = nibble(NEAR2[row - 2 * NEAR_ROWS], j)
        if k != UNKNOWN:
            return k
    if src_y < 0 or src_y >= SIDE or src_x < 0 or src_x >= SIDE:
        return NO_STEP
    s.far_searches += 1
    for c in range(CELLS):
        s.seen[c] = UNSEEN
    k = search(BLOCKED, d, src_y * SIDE + src_x, s.seen, s.queue, -1)
    return NO_STEP if k == UNSEEN else np.int64(k)
