"""Tetris, the rules of PufferLib 3.0.0's Ocean Tetris: steer falling tetrominoes on a
`n_rows` x `n_cols` well, clear full rows.

A piece spawns at row 0, column n_cols // 2, rotation 0 (rows grow downward; a piece's
position is the top-left corner of its 4x4 box). Every step the tick counters advance, the
action is applied, then every 4th tick since the piece spawned gravity moves it down one row,
or places it when it cannot go down. Placing a piece writes it into the well, clears each
full row among the rows it covers (the rows above fall), then spawns the next piece of the
deck, unless that piece does not fit at the spawn point or 10000 ticks have passed: then the
game ends. The deck is a ring of `deck_size` pieces drawn uniformly from the game's stream;
the piece that leaves it is replaced by a fresh draw.

Observation: Box(0, 3, (n_rows*n_cols + 6 + 7*(deck_size + 1),), float32), the C's buffer:
  the well row by row (0 empty, 1 filled, 2 the falling piece); then tick / 10000,
  ticks since the last fall / 4, piece row / n_rows, piece column / n_cols, the rotation
  (0-3, as it is), can-hold (0/1); then, from the 5th of those six on, one-hot the pieces of
  the deck starting with the current one, then one-hot the held piece (none: all 0). As in
  the C, the deck's one-hots start 2 entries early, over the rotation and can-hold entries
  (a 1 written there wins), and the last 2 entries are always 0. PufferLib declares
  Box(0, 1) but writes 2 (the falling piece) and the rotation (up to 3): ours says 3.
Action: Discrete(7): 0 nothing, 1 left, 2 right, 3 rotate (clockwise, if the turned piece
  fits and stays in the well), 4 soft drop (one row down), 5 hard drop (down as far as it
  goes, then placed at once), 6 hold (swap the piece with the held one, once per placed
  piece; with nothing held, the next deck piece comes in). An action that cannot be done
  does nothing.
Reward: 0.01 a soft-drop row, 0.02 a hard-drop row; clearing 1/2/3/4 rows with one piece:
  0.1/0.3/0.5/1.0.
Termination: the next piece does not fit at the spawn point, or a piece is placed after
  10000 ticks (terminal, as in the C; no truncation).
Log: episode_return, episode_length, score (soft-drop rows 1 point, hard-drop rows 2, cleared
  rows 100/300/500/1000), perf (score / 12565, the C's reference best), lines_deleted,
  avg_combo (rows cleared per clearing placement; 1 with none), atn_frac_soft_drop,
  atn_frac_hard_drop, atn_frac_rotate (the share of steps with that action).

Sizes fix the state and observation, so they are `make_game(n_cols, n_rows, deck_size)`'s
arguments; `game` has PufferLib's defaults (10, 20, 3). There are no other params: the C's
constants are module constants.

Hold, as in the C: whether it may swap is judged with the held piece in the current piece's
rotation, one column right of it, though the swapped-in piece is then put at the spawn
point in rotation 0. Cells of that test that fall past the well's right edge read the next
row (the C indexes the well as one flat array); cells past the well's last row, which the C
reads from beyond its array, read as empty here.

View (424x688 pixels at the default sizes): the well (32-pixel cells) beside the deck and the
  held piece, score and tick above.
Play: left/right arrows move, up rotates, down soft-drops, space hard-drops, c holds.
"""
import numpy as np
from gymnasium import spaces
from numba import njit

from numbapuffer.engine.checks import check_count
from numbapuffer.core import Game, rand_int
from numbapuffer.engine.pickling import factory
from numbapuffer.engine.render import COLORS, View, text

f32 = np.float32
NOOP, LEFT, RIGHT, ROTATE, SOFT_DROP, HARD_DROP, HOLD = range(7)
PIECES, ROTATIONS = 7, 4
TICKS_FALL = 4
MAX_TICKS = 10000
PERSONAL_BEST = 12565  # the C's reference score for `perf`
SCORE_SOFT_DROP, SCORE_HARD_DROP = 1, 2
REWARD_SOFT_DROP, REWARD_HARD_DROP = f32(0.01), f32(0.02)
SCORE_ROWS = np.array([0, 100, 300, 500, 1000], np.int32)
REWARD_ROWS = np.array([0, 0.1, 0.3, 0.5, 1.0], np.float32)

# The pieces in the C's order (O I S Z T L J) and its order of rotations, each drawn in its
# box from the top-left corner.
DRAWN = [
    ["##|##", "##|##", "##|##", "##|##"],
    ["#|#|#|#", "####", "#|#|#|#", "####"],
    ["#.|##|.#", ".##|##.", "#.|##|.#", ".##|##."],
    [".#|##|#.", "##.|.##", ".#|##|#.", "##.|.##"],
    [".#|##|.#", ".#.|###", "#.|##|#.", "###|.#."],
    ["#.|#.|##", "###|#..", "##|.#|.#", "..#|###"],
    [".#|.#|##", "#..|###", "##|#.|#.", "###|..#"],
]


def shapes():
    cells = np.zeros((PIECES, ROTATIONS, 4, 4), np.int8)
    for t, rots in enumerate(DRAWN):
        for r, drawing in enumerate(rots):
            for i, line in enumerate(drawing.split("|")):
                for j, ch in enumerate(line):
                    cells[t, r, i, j] = ch == "#"
    rows = cells.any(3).sum(2).astype(np.int32)  # the box each piece fills
    cols = cells.any(2).sum(2).astype(np.int32)
    return cells, rows, cols


SHAPE, FILL_ROWS, FILL_COLS = shapes()


@njit
def fits(s, t, rot, row, col):
    """Piece t in rotation rot with its box at (row, col) overlaps nothing in the well (the
    box must be inside it)."""
    for r in range(FILL_ROWS[t, rot]):
        for c in range(FILL_COLS[t, rot]):
            if SHAPE[t, rot, r, c] and s.grid[row + r, col + c] > 0:
                return False
    return True


@njit
def can_hold(s):
    if s.can_swap == 0:
        return False
    if s.hold < 0:
        return True
    rows, cols = s.grid.shape
    t, rot = s.hold, s.rot
    for r in range(FILL_ROWS[t, rot]):
        for c in range(FILL_COLS[t, rot]):
            i = (s.row + r) * cols + s.col + 1 + c  # flat, as the C's test (see the docstring)
            if SHAPE[t, rot, r, c] and i < rows * cols and s.grid[i // cols, i % cols] > 0:
                return False
    return True


@njit
def can_fall(s):
    t, rot = s.piece, s.rot
    return s.row < s.grid.shape[0] - FILL_ROWS[t, rot] and fits(s, t, rot, s.row + 1, s.col)


@njit
def spawn(s):
    """The next piece of the deck comes in; the one that left is replaced by a fresh draw."""
    n = s.deck.shape[0]
    s.deck[s.deck_pos] = rand_int(s, PIECES)
    s.deck_pos = (s.deck_pos + 1) % n
    s.piece = s.deck[s.deck_pos]
    s.rot = 0
    s.row = 0
    s.col = s.grid.shape[1] // 2
    s.tick_fall = 0


@njit
def place(s, buf, a):
    """Write the piece into the well, clear full rows, spawn the next piece; True when the game
    ends instead."""
    t, rot = s.piece, s.rot
    rows, cols = s.grid.shape
    s.can_swap = 1
    for r in range(FILL_ROWS[t, rot]):
        for c in range(FILL_COLS[t, rot]):
            if SHAPE[t, rot, r, c]:
                s.grid[s.row + r, s.col + c] = t + 1
    cleared = 0
    check = s.row + FILL_ROWS[t, rot] - 1
    for _ in range(FILL_ROWS[t, rot]):
        full = True
        for c in range(cols):
            if s.grid[check, c] == 0:
                full = False
                break
        if full:  # the rows above fall one row; the same row is checked again
            for r in range(check, 0, -1):
                for c in range(cols):
                    s.grid[r, c] = s.grid[r - 1, c]
            for c in range(cols):
                s.grid[0, c] = 0
            cleared += 1
        else:
            check -= 1
    if cleared > 0:
        s.combos += 1
        s.lines += cleared
        s.score += SCORE_ROWS[cleared]
        buf.rewards[a] += REWARD_ROWS[cleared]
    nxt = s.deck[(s.deck_pos + 1) % s.deck.shape[0]]
    if not fits(s, nxt, 0, 0, cols // 2) or s.tick >= MAX_TICKS:
        buf.terminals[a] = True
        e = buf.episode[a]
        e.score = s.score
        e.perf = s.score / PERSONAL_BEST
        e.lines_deleted = s.lines
        e.avg_combo = s.lines / s.combos if s.combos > 0 else 1.0
        e.atn_frac_soft_drop = s.soft_drops / s.tick
        e.atn_frac_hard_drop = s.hard_drops / s.tick
        e.atn_frac_rotate = s.rotates / s.tick
        return True
    spawn(s)
    return False


@njit
def observe(s, obs):
    rows, cols = s.grid.shape
    n = s.deck.shape[0]
    for r in range(rows):
        for c in range(cols):
            obs[r * cols + c] = f32(1) if s.grid[r, c] > 0 else f32(0)
    t, rot = s.piece, s.rot
    for r in range(FILL_ROWS[t, rot]):
        for c in range(FILL_COLS[t, rot]):
            if SHAPE[t, rot, r, c]:
                obs[(s.row + r) * cols + s.col + c] = 2
    o = rows * cols
    for i in range(o, obs.shape[0]):
        obs[i] = 0
    obs[o] = f32(s.tick) / f32(MAX_TICKS)
    obs[o + 1] = f32(s.tick_fall) / f32(TICKS_FALL)
    obs[o + 2] = f32(s.row) / f32(rows)
    obs[o + 3] = f32(s.col) / f32(cols)
    obs[o + 4] = s.rot
    obs[o + 5] = s.can_swap
    for j in range(n):  # from o + 4 on, as the C (see the docstring)
        obs[o + 4 + j * PIECES + np.int32(s.deck[(s.deck_pos + j) % n])] = 1
    if s.hold >= 0:
        obs[o + 4 + n * PIECES + s.hold] = 1


@njit
def reset(s, p, buf, a):
    for r in range(s.grid.shape[0]):
        for c in range(s.grid.shape[1]):
            s.grid[r, c] = 0
    for j in range(s.deck.shape[0]):
        s.deck[j] = rand_int(s, PIECES)
    s.deck_pos = 0
    s.hold = -1
    s.can_swap = 1
    s.tick = 0
    s.score = 0
    s.lines = 0
    s.combos = 0
    s.soft_drops = 0
    s.hard_drops = 0
    s.rotates = 0
    spawn(s)
    observe(s, buf.observations[a])


@njit
def step(s, p, buf, a):
    s.tick += 1
    s.tick_fall += 1
    action = buf.actions[a]
    t, rot = s.piece, s.rot
    if action == LEFT:
        if s.col > 0 and fits(s, t, rot, s.row, s.col - 1):
            s.col -= 1
    elif action == RIGHT:
        if s.col < s.grid.shape[1] - FILL_COLS[t, rot] and fits(s, t, rot, s.row, s.col + 1):
            s.col += 1
    elif action == ROTATE:
        s.rotates += 1
        nxt = (rot + 1) % ROTATIONS
        if (s.col <= s.grid.shape[1] - FILL_COLS[t, nxt] and s.row <= s.grid.shape[0] - FILL_ROWS[t, nxt]
                and fits(s, t, nxt, s.row, s.col)):
            s.rot = nxt
    elif action == SOFT_DROP:
        s.soft_drops += 1
        if can_fall(s):
            s.row += 1
            s.score += SCORE_SOFT_DROP
            buf.rewards[a] += REWARD_SOFT_DROP
    elif action == HOLD:
        if can_hold(s):
            held = s.hold
            s.hold = t
            s.can_swap = 0
            if held < 0:
                spawn(s)
            else:
                s.piece = held
                s.deck[s.deck_pos] = held
                s.rot = 0
                s.row = 0
                s.col = s.grid.shape[1] // 2
                s.tick_fall = 0
    elif action == HARD_DROP:
        s.hard_drops += 1
        while can_fall(s):
            s.row += 1
            s.score += SCORE_HARD_DROP
            buf.rewards[a] += REWARD_HARD_DROP
        if place(s, buf, a):
            observe(s, buf.observations[a])
            return
    if s.tick_fall == TICKS_FALL:
        s.tick_fall = 0
        if can_fall(s):
            s.row += 1
        elif place(s, buf, a):
            observe(s, buf.observations[a])
            return
    observe(s, buf.observations[a])


CELL = 32
PIECE_COLORS = [(255, 220, 60), (80, 220, 235), (110, 210, 110), (235, 90, 90), (170, 110, 220),
                (245, 160, 60), (90, 130, 240)]


def draw(surface, s, p, top=40):
    import pygame
    rows, cols = s.grid.shape
    text(surface, f"score {s.score}   tick {s.tick}", (8, 8), 24)
    surface.fill(COLORS["line"], (0, top, cols * CELL + 8, rows * CELL + 8))
    surface.fill(COLORS["field"], (4, top + 4, cols * CELL, rows * CELL))

    def cell(x, y, color):
        pygame.draw.rect(surface, color, (x + 1, y + 1, CELL - 2, CELL - 2), border_radius=4)

    for r in range(rows):
        for c in range(cols):
            if s.grid[r, c] > 0:
                cell(4 + c * CELL, top + 4 + r * CELL, PIECE_COLORS[s.grid[r, c] - 1])
    t, rot = int(s.piece), int(s.rot)
    for r, c in np.argwhere(SHAPE[t, rot]):
        cell(4 + (s.col + c) * CELL, top + 4 + (s.row + r) * CELL, PIECE_COLORS[t])
    x0, small = cols * CELL + 24, CELL // 2
    n = s.deck.shape[0]
    text(surface, "next", (x0, top), 20)
    for j in range(1, n):
        t = int(s.deck[(s.deck_pos + j) % n])
        for r, c in np.argwhere(SHAPE[t, 0]):
            pygame.draw.rect(surface, PIECE_COLORS[t], (x0 + c * small, top + 28 + (j - 1) * 80 + r * small,
                                                        small - 1, small - 1), border_radius=2)
    y = top + 28 + max(n - 1, 1) * 80
    text(surface, "hold", (x0, y), 20, COLORS["text"] if s.can_swap else COLORS["dim"])
    if s.hold >= 0:
        for r, c in np.argwhere(SHAPE[s.hold, 0]):
            pygame.draw.rect(surface, PIECE_COLORS[s.hold], (x0 + c * small, y + 28 + r * small, small - 1, small - 1),
                             border_radius=2)


@factory  # its games pickle as this call
def make_game(n_cols=10, n_rows=20, deck_size=3):
    """A Tetris Game with a well of n_rows x n_cols and a deck of deck_size pieces."""
    # the I piece stands 4 rows high and the spawn point is n_cols // 2: every spawned piece
    # must fit inside the well; int8 cells, int32 positions
    n_cols = check_count(n_cols, "n_cols", "tetris: ", high=10000)
    n_rows = check_count(n_rows, "n_rows", "tetris: ", high=10000)
    deck_size = check_count(deck_size, "deck_size", "tetris: ", high=10000)
    if n_cols < 4 or n_rows < 4:
        raise ValueError(f"tetris: the well must be at least 4x4 (every piece must fit at the spawn point), "
                         f"got n_rows={n_rows}, n_cols={n_cols}")
    state = np.dtype([
        ("grid", np.int8, (n_rows, n_cols)),  # 0 empty, else the piece + 1 that filled it
        ("deck", np.int8, (deck_size,)),
        ("deck_pos", np.int32), ("piece", np.int32), ("rot", np.int32), ("row", np.int32), ("col", np.int32),
        ("hold", np.int32), ("can_swap", np.int32), ("tick", np.int32), ("tick_fall", np.int32),
        ("score", np.int32), ("lines", np.int32), ("combos", np.int32),
        ("soft_drops", np.int32), ("hard_drops", np.int32), ("rotates", np.int32),
    ])
    size = (n_cols * CELL + 24 + 4 * (CELL // 2) + 16, 40 + max(n_rows * CELL + 8, 28 + deck_size * 80 + 80))
    view = View(draw, size=size, fps=8,
                keys={"left": LEFT, "right": RIGHT, "up": ROTATE, "down": SOFT_DROP, "space": HARD_DROP, "c": HOLD},
                idle=NOOP, help="arrows: move, up: rotate, down/space: drop, c: hold")
    return Game("tetris", state, reset, step,
                observation_space=spaces.Box(0, 3, (n_rows * n_cols + 6 + PIECES * (deck_size + 1),), np.float32),
                action_space=spaces.Discrete(7),
                log=("score", "perf", "lines_deleted", "avg_combo", "atn_frac_soft_drop", "atn_frac_hard_drop",
                     "atn_frac_rotate"), view=view)


game = make_game()
