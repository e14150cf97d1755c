"""Connect Four on a 6x7 board, against a built-in opponent (`game`) or in self-play (`selfplay`).

Board: `board[r, c]`, row 0 at the top; a piece dropped in column c lands on the lowest
empty row. +1 is the first player's piece, -1 the second's.

`game` (env id "connect4", one agent): the agent plays +1 and always moves first; after
  each of its moves the opponent (-1) answers at once: it completes four when it can,
  else blocks a column where the agent would complete four, else plays a random legal
  column drawn from the game's own stream. Param `opponent_depth` d >= 1 makes it search
  instead, as PufferLib 3.0's opponent does with d = 3: negamax over its move and the
  next d - 1 plies (a win k plies ahead scores d + 1 - k, for the side that makes it;
  positions not decided within d plies score 0), an immediate win taken first, ties
  broken at random. d = 0 (the default) is the opponent above. Param `search_sums` makes
  the search PufferLib's own: a position is worth 10^k to the side that has just won with
  k plies of the search left, and otherwise minus the SUM (not the best) of the worths of
  every reply, 0 when no plies are left or the board is full; the opponent takes an
  immediate win, else a move of the greatest worth searched d plies past it (ties at
  random), and answers the agent's first piece in column 3 with column 2 and in column 4
  with column 3 (PufferLib's opening book).
`selfplay` (env id "connect4_selfplay", two agents per game): agent 0 plays +1 and moves
  first, agent 1 plays -1. Only the agent to move acts: its `masks` entry is True, the
  other's is False and that agent's action is ignored.

Observation: Box(-1, 1, (49,), float32): entries 0..41 the board row by row from the
  observing agent's side (+1 own piece, -1 the other side's, 0 empty); entries 42..48 the
  legal-move mask, 1 for each column with room, given to the agent to move; all 0 for the
  agent not to move and in the final observation of a finished game.
Action: Discrete(7): the column to drop a piece in.
Reward (at the end of a game, 0 before): win +1, loss -1, draw 0. A move into a full
  column is illegal: the mover loses (-1, and +1 to the other agent in self-play), the
  board is unchanged.
Termination: four in a row (horizontal, vertical or diagonal), a full board (draw) or an
  illegal move; in self-play both agents are terminal in that step. No truncation (a game
  lasts at most 42 moves).
Log: episode_return, episode_length (steps, counting the other side's turns in
  self-play), win, draw, illegal (1 for an episode that ended that way, else 0).
View: 448x464 pixels (width x height), the first player's pieces red, the second's
  yellow, a finished four ringed in white. Play: keys 1-7 or a click on a column; in
  self-play one person plays both sides.
PettingZoo: `parallel_env()` and `env()` (AEC) give one self-play game, agents player_0
  and player_1, each agent's observation a dict {"observation", "action_mask"} as in
  PettingZoo's classic connect_four (its infos carry the mask too). In the parallel form
  the player not to move may be left out of the actions; the AEC form selects only the
  player to move.
Preset "pufferlib" (make("connect4", preset="pufferlib")): PufferLib 3.0.0's Connect4
  opponent, opponent_depth 3 with search_sums. Its C restarts a finished game in the step
  after it ends (action ignored, reward 0): for its exact sequence of steps add
  autoreset="next_step" (an Env argument, which a preset cannot set). Its observation is
  42 floats (+1 the agent's, -1 the opponent's pieces, column by column from the bottom),
  no legal-move mask, which a preset cannot change: the preset observes our 49 above.
  Where the C's code has slips that are not the game, these rules do the sane thing: a
  full board is a draw (the C never checks, so the agent's next move into the full board
  loses), and the log counts every episode (the C's reset clears episodes not yet read).
"""
import numpy as np
from gymnasium import spaces
from numba import njit

from numbapuffer.core import Game, rand_int
from numbapuffer.engine.render import COLORS, View, text
from numbapuffer.adapters.pettingzoo import AECEnv, ParallelEnv

ROWS, COLS = 6, 7
CELLS = ROWS * COLS
f32 = np.float32

STATE = np.dtype([
    ("board", np.int8, (ROWS, COLS)),
    ("heights", np.int8, (COLS,)),  # pieces in each column
    ("moves", np.int8),             # pieces on the board
    ("turn", np.int8),              # self-play: the agent to move (0 or 1)
])

OBSERVATION = spaces.Box(np.r_[-np.ones(CELLS), np.zeros(COLS)].astype(np.float32), np.ones(CELLS + COLS, np.float32),
                         dtype=np.float32)
ACTION = spaces.Discrete(COLS)
LOG = ("win", "draw", "illegal")
U1, U2, U6, U7, U8, U12, U14, U16 = (np.uint64(k) for k in (1, 2, 6, 7, 8, 12, 14, 16))


@njit
def cell(c, h):
    """Bit of column c, height h (from the bottom) in a bitboard: bit 7c + h. Bit 6 of each
    column stays empty, so no line wraps from one column into the next."""
    return U1 << np.uint64(7 * c + h)


@njit
def bits(s, piece):
    """The cells holding `piece`, as a bitboard."""
    b = np.uint64(0)
    for c in range(COLS):
        for h in range(s.heights[c]):
            if s.board[ROWS - 1 - h, c] == piece:
                b |= cell(c, h)
    return b


@njit
def four(b):
    """Whether bitboard b holds four in a row: vertical, horizontal, and both diagonals."""
    m = b & (b >> U1)
    if m & (m >> U2):
        return True
    m = b & (b >> U7)
    if m & (m >> U14):
        return True
    m = b & (b >> U6)
    if m & (m >> U12):
        return True
    m = b & (b >> U8)
    return (m & (m >> U16)) != 0


@njit
def drop(s, c, piece):
    """Drop `piece` in column c, which has room."""
    s.board[ROWS - 1 - s.heights[c], c] = piece
    s.heights[c] += 1
    s.moves += 1


@njit
def opponent_column(s, mine, theirs):
    """The reply of the side whose pieces are `mine`: a column that completes four, else one
    where the other side would complete four, else a random legal column."""
    for b in (mine, theirs):
        for c in range(COLS):
            if s.heights[c] < ROWS and four(b | cell(c, s.heights[c])):
                return c
    legal = 0
    for c in range(COLS):
        legal += s.heights[c] < ROWS
    k = rand_int(s, legal)
    for c in range(COLS):
        if s.heights[c] < ROWS:
            if k == 0:
                return c
            k -= 1
    return -1  # unreachable: the board is never full here


# Moves as bitboard arithmetic: adding a column's bottom bit to the occupied cells lands on
# the column's first empty cell.
COL_BOTTOM = np.array([1 << (7 * c) for c in range(COLS)], np.uint64)
COL_CELLS = np.array([0x3F << (7 * c) for c in range(COLS)], np.uint64)
COL_TOP = np.array([1 << (7 * c + ROWS - 1) for c in range(COLS)], np.uint64)


@njit
def negamax(me, them, moves, depth):
    """Value for the side to move (cells `me`; the other side's `them`; `moves` pieces on
    the board) searching `depth` >= 1 plies: depth for a win now, minus the other side's
    value after each move, 0 for a draw or an undecided position."""
    if moves == CELLS:
        return 0
    occupied = me | them
    for c in range(COLS):
        if not occupied & COL_TOP[c] and four(me | ((occupied + COL_BOTTOM[c]) & COL_CELLS[c])):
            return depth
    if depth == 1:
        return 0
    best = -CELLS
    for c in range(COLS):
        if not occupied & COL_TOP[c]:
            best = max(best, -negamax(them, me | ((occupied + COL_BOTTOM[c]) & COL_CELLS[c]), moves + 1, depth - 1))
    return best


@njit
def searched_column(s, mine, theirs, depth):
    """The reply of the side whose pieces are `mine`, by a negamax of `depth` plies: an
    immediate win first, then the best value, ties broken at random."""
    for c in range(COLS):
        if s.heights[c] < ROWS and four(mine | cell(c, s.heights[c])):
            return c
    best, ties, choice = -CELLS - 1, 0, -1
    for c in range(COLS):
        if s.heights[c] < ROWS:
            v = 0 if depth == 1 else -negamax(theirs, mine | cell(c, s.heights[c]), s.moves + 1, depth - 1)
            if v > best:
                best, ties = v, 0
            if v == best:  # each of the best so far kept with chance 1/ties: uniform among them
                ties += 1
                if rand_int(s, ties) == 0:
                    choice = c
    return choice


POW10 = np.array([10 ** k for k in range(9)], np.int64)  # search_sums: a win's worth, by plies left


@njit
def summed_worth(to_move, moved, moves, depth):
    """search_sums: the worth of a position to the side that has just moved (cells `moved`;
    the other side's `to_move`; `moves` pieces on the board), `depth` plies left."""
    if four(moved):
        return POW10[depth]
    if four(to_move) or depth == 0 or moves == CELLS:
        return 0
    occupied = to_move | moved
    worth = 0
    for c in range(COLS):
        if not occupied & COL_TOP[c]:
            worth -= summed_worth(moved, to_move | ((occupied + COL_BOTTOM[c]) & COL_CELLS[c]), moves + 1, depth - 1)
    return worth


@njit
def summed_column(s, mine, theirs, depth):
    """search_sums: the reply of the side whose pieces are `mine` (PufferLib's opponent)."""
    if s.moves == 1:  # the opening book, against the agent's first piece
        if theirs == cell(3, 0):
            return 2
        if theirs == cell(4, 0):
            return 3
    for c in range(COLS):
        if s.heights[c] < ROWS and four(mine | cell(c, s.heights[c])):
            return c
    best, ties, choice = np.int64(0), 0, -1
    for c in range(COLS):
        if s.heights[c] < ROWS:
            v = summed_worth(theirs, mine | cell(c, s.heights[c]), s.moves + 1, depth)
            if ties == 0 or v > best:
                best, ties = v, 0
            if v == best:  # each of the best so far kept with chance 1/ties: uniform among them
                ties += 1
                if rand_int(s, ties) == 0:
                    choice = c
    return choice


@njit
def observe(s, obs, piece, to_move):
    for r in range(ROWS):
        for c in range(COLS):
            obs[r * COLS + c] = s.board[r, c] * piece
    for c in range(COLS):
        obs[CELLS + c] = f32(1) if to_move and s.heights[c] < ROWS else f32(0)


@njit
def clear(s):
    for r in range(ROWS):
        for c in range(COLS):
            s.board[r, c] = 0
    for c in range(COLS):
        s.heights[c] = 0
    s.moves = 0
    s.turn = 0


@njit
def end(buf, a, result):
    """Agent a's game ended: result +1 win, 0 draw, -1 loss, -2 loss by an illegal move."""
    buf.terminals[a] = True
    buf.rewards[a] = max(result, -1)
    e = buf.episode[a]
    e.win = 1.0 if result == 1 else 0.0
    e.draw = 1.0 if result == 0 else 0.0
    e.illegal = 1.0 if result == -2 else 0.0


@njit
def reset(s, p, buf, a):
    clear(s)
    observe(s, buf.observations[a], 1, True)


@njit
def step(s, p, buf, a):
    c = buf.actions[a]
    if s.heights[c] == ROWS:
        end(buf, a, -2)
        observe(s, buf.observations[a], 1, False)
        return
    agent = bits(s, 1) | cell(c, s.heights[c])
    drop(s, c, 1)
    if four(agent):
        end(buf, a, 1)
    elif s.moves == CELLS:
        end(buf, a, 0)
    else:
        opponent = bits(s, -1)
        if p.opponent_depth == 0 and not p.search_sums:
            c = opponent_column(s, opponent, agent)
        elif p.search_sums:
            c = summed_column(s, opponent, agent, p.opponent_depth)
        else:
            c = searched_column(s, opponent, agent, p.opponent_depth)
        opponent |= cell(c, s.heights[c])
        drop(s, c, -1)
        if four(opponent):
            end(buf, a, -1)
        elif s.moves == CELLS:
            end(buf, a, 0)
    observe(s, buf.observations[a], 1, not buf.terminals[a])


@njit
def selfplay_reset(s, p, buf, a):
    clear(s)
    buf.masks[a + 1] = False
    observe(s, buf.observations[a], 1, True)
    observe(s, buf.observations[a + 1], -1, False)


@njit
def selfplay_step(s, p, buf, a):
    k = s.turn
    mover, other = a + k, a + 1 - k
    piece = 1 - 2 * k
    c = buf.actions[mover]
    if s.heights[c] == ROWS:
        end(buf, mover, -2)
        end(buf, other, 1)
    elif four(bits(s, piece) | cell(c, s.heights[c])):
        drop(s, c, piece)
        end(buf, mover, 1)
        end(buf, other, -1)
    else:
        drop(s, c, piece)
        if s.moves == CELLS:
            end(buf, mover, 0)
            end(buf, other, 0)
        else:
            s.turn = 1 - k
            buf.masks[mover] = False
            buf.masks[other] = True
    playing = not buf.terminals[a]
    observe(s, buf.observations[a], 1, playing and s.turn == 0)
    observe(s, buf.observations[a + 1], -1, playing and s.turn == 1)


CELL, TOP = 64, 36  # pixels: a board cell, the strip of column numbers above the board
PIECE_COLORS = {1: COLORS["red"], -1: COLORS["yellow"]}
BOARD_COLOR = (38, 84, 190)


def fours(board):
    """The cells (r, c) of every four in a row on `board`."""
    cells = set()
    for r in range(ROWS):
        for c in range(COLS):
            for dr, dc in ((0, 1), (1, 0), (1, 1), (1, -1)):
                line = [(r + k * dr, c + k * dc) for k in range(4)]
                if all(0 <= y < ROWS and 0 <= x < COLS for y, x in line) and board[r, c] != 0 and all(
                        board[y, x] == board[r, c] for y, x in line):
                    cells.update(line)
    return cells


def draw(surface, s, p):
    import pygame
    for c in range(COLS):
        text(surface, c + 1, ((c + 0.5) * CELL, TOP // 2 + 2), 28, COLORS["dim"], "center")
    pygame.draw.rect(surface, BOARD_COLOR, (0, TOP, COLS * CELL, ROWS * CELL), border_radius=10)
    won = fours(s.board)
    for r in range(ROWS):
        for c in range(COLS):
            centre = ((c + 0.5) * CELL, TOP + (r + 0.5) * CELL)
            piece = s.board[r, c]
            pygame.draw.circle(surface, PIECE_COLORS.get(piece, COLORS["background"]), centre, CELL * 0.4)
            if (r, c) in won:
                pygame.draw.circle(surface, COLORS["white"], centre, CELL * 0.4, width=4)
    if won:
        piece = s.board[min(won)]
        status, color = f"{'red' if piece == 1 else 'yellow'} wins", PIECE_COLORS[piece]
    elif s.moves == CELLS:
        status, color = "draw", COLORS["text"]
    else:
        status, color = f"{'red' if s.turn == 0 else 'yellow'} to move", PIECE_COLORS[1 - 2 * s.turn]
    text(surface, f"move {s.moves}", (10, TOP + ROWS * CELL + 12), 26, COLORS["dim"])
    text(surface, status, (COLS * CELL - 10, TOP + ROWS * CELL + 12), 26, color, "topright")


def click(x, y, s, p):
    return min(int(x // CELL), COLS - 1)


VIEW = View(draw, size=(COLS * CELL, TOP + ROWS * CELL + 44), fps=30, keys={str(c + 1): c for c in range(COLS)},
            idle=None, click=click, help="1-7 or click: drop a red piece")

LEGAL = slice(CELLS, CELLS + COLS)  # the observation's legal-move mask
MAX_DEPTH = 8  # plies: 7^8 positions a move is about as far as a step may take


def check(p):
    if not 0 <= p["opponent_depth"] <= MAX_DEPTH:
        raise ValueError(f"connect4: parameter opponent_depth={p['opponent_depth']} must be in 0..{MAX_DEPTH}")


game = Game("connect4", STATE, reset, step, OBSERVATION, ACTION, params=dict(opponent_depth=0, search_sums=False),
            check=check, log=LOG, view=VIEW, action_mask=LEGAL,
            presets={"pufferlib": dict(opponent_depth=3, search_sums=True)})
selfplay = Game("connect4_selfplay", STATE, selfplay_reset, selfplay_step, OBSERVATION, ACTION, agents=2, log=LOG,
                view=View(draw, VIEW.size, VIEW.fps, VIEW.keys, idle=None, click=click,
                          help="1-7 or click: drop a piece for the side to move"), action_mask=LEGAL)


def parallel_env(**kwargs):
    """The self-play game as a PettingZoo ParallelEnv over one game (agents player_0, player_1;
    observations {"observation", "action_mask"}). kwargs: max_cycles, seed, render_mode."""
    return ParallelEnv(selfplay, agent_names=["player_0", "player_1"], **kwargs)


def env(max_cycles=1000, **kwargs):
    """parallel_env(**kwargs) in PettingZoo's AEC form, which selects only the player to move.
    As PettingZoo counts cycles in AEC, a cycle is one move of each player."""
    return AECEnv(parallel_env(max_cycles=2 * max_cycles, **kwargs))
