"""Checkers against a random opponent, in the rules of PufferLib 3.0.0's native Checkers,
quirks included (they are its game).

Board: `size` x `size` (8 by default), row 0 at the top. The agent's pawns fill the dark
squares ((row + column) odd) of rows 0-2 and move down (row + 1); the opponent's fill the
last three rows and move up. A pawn reaching the far row becomes a king, which moves both
ways. A move is one diagonal step onto an empty square, or a jump over an enemy piece onto
the empty square behind it, which takes the piece. A jump is forced when a forward jump
(in the pawns' direction of its side, kings included) exists for any piece of the side to
move; a king may also jump backward, but that jump is never forced and does not chain.
After a jump, the same side moves again while it has a forward jump anywhere.

A step plays two moves for whichever side is to move: the agent's action, then a move of
the built-in random player (a uniformly random piece among those that can move, its first
legal move in the action order below). The side to move is not the agent's alone: after the
agent's illegal move, or a jump it may continue, the random move is the agent side's; and
while the opponent continues a jump, the agent's action moves the opponent's pieces. The
observation does not say whose move it is.

Observation: Box(0, 4, (size*size,), uint8): the board row by row, 0 empty, 1 the agent's
  pawn, 2 its king, 3 the opponent's pawn, 4 its king.
Action: Discrete(size*size*8): square * 8 + move, square = row * size + column of the piece
  to move, move 0-3 a step up-left, up-right, down-left, down-right, 4-7 a jump the same
  ways.
Reward: that of the step's last move: an illegal move -1; a legal move of the agent's side
  0.01, of the opponent's 0.1 if a jump else 0; -0.05 more when an agent's piece is taken,
  +0.05 when a promotion leaves an agent's king on the far row; the move that ends the game
  1 if the agent's side wins, else -1 (clipped to [-1, 1]).
Termination: a side has no pieces, or the side to move has no step and no forward jump (it
  loses). No time limit, as in the C (`max_steps` 0); a positive `max_steps` truncates.
Log: episode_return, episode_length, score (the final board's value for the agent: 1 + row
  / 10 a pawn of its own, 2 a king, the same negated for the opponent's, with their rows
  counted from their side), perf and winrate (1 when the agent's side won).
View: the board, 64-pixel squares. Play: click a piece, then the square to move it to;
  space passes the move to the built-in player (an action that is never legal).

Deviations from PufferLib's C (bugs of its code, not of its game):
- the C never reports an end: its reset, in the same step, clears the terminal flag and the
  final reward (+1/-1) it had just written; here the step that ends a game is terminal and
  pays them.
- its random player reseeds the C library's generator with the time in seconds before every
  move, so within a second it plays the same move for the same board (random play then
  cycles and hardly a game ends); here it draws from the game's stream.
- it caches "the side to move has a forward jump" and, after a jump that ends a turn, keeps
  the answer of the side that jumped for the other side's next move: that move is then not
  forced to jump (and the game-over test misses its jumps). `c_capture_cache=True` plays so.
- it logs only the final step's reward as episode_return; here it is the episode's sum.
"""
import numpy as np
from gymnasium import spaces
from numba import njit

from numbapuffer.engine.checks import INT32_MAX, check_count, check_range
from numbapuffer.core import Game, rand_int
from numbapuffer.engine.pickling import factory
from numbapuffer.engine.render import COLORS, View

f32 = np.float32
EMPTY, PAWN, KING, OPP_PAWN, OPP_KING = 0, 1, 2, 3, 4
AGENT, OPPONENT = 1, 3  # sides, as the pawns of each
DR = np.array([-1, -1, 1, 1, -2, -2, 2, 2], np.int64)
DC = np.array([-1, 1, -1, 1, -2, 2, -2, 2], np.int64)


@njit(inline="always")
def side_of(piece):
    return EMPTY if piece == EMPTY else (AGENT if piece <= KING else OPPONENT)


@njit
def forward(side):
    return 1 if side == AGENT else -1


@njit
def capture_available(s, side):
    """A forward jump (in its pawns' direction, kings too) for some piece of `side`."""
    n = s.board.shape[0]
    other = AGENT + OPPONENT - side
    dr = 2 * forward(side)
    for r0 in range(n):
        r = r0 + dr
        if r < 0 or r >= n:
            continue
        for c0 in range(n):
            if side_of(s.board[r0, c0]) != side:
                continue
            for dc in (-2, 2):
                c = c0 + dc
                if 0 <= c < n and s.board[r, c] == EMPTY and side_of(s.board[r0 + dr // 2, c0 + dc // 2]) == other:
                    return True
    return False


@njit
def must_jump(s):
    """Whether the side to move must jump. With c_capture_cache, as the C: not on the first
    move after a jump that ended a turn (the C's cached answer, for the side that jumped)."""
    return False if s.stale else capture_available(s, s.turn)


@njit
def legal(s, r0, c0, d, jumps_only):
    """Whether the piece of the side to move on (r0, c0) may make move d."""
    n = s.board.shape[0]
    r, c = r0 + DR[d], c0 + DC[d]
    if r < 0 or r >= n or c < 0 or c >= n or s.board[r, c] != EMPTY:
        return False
    jump = d >= 4
    if jumps_only and not jump:
        return False
    piece = s.board[r0, c0]
    if (piece == PAWN or piece == OPP_PAWN) and (DR[d] > 0) != (s.turn == AGENT):
        return False
    if jump:
        return side_of(s.board[(r0 + r) // 2, (c0 + c) // 2]) == AGENT + OPPONENT - s.turn
    return True


@njit
def stuck(s):
    """The side to move has neither a forward jump nor a step (the C's game-over test)."""
    if must_jump(s):
        return False
    n = s.board.shape[0]
    for r0 in range(n):
        for c0 in range(n):
            if side_of(s.board[r0, c0]) == s.turn:
                for d in range(4):
                    if legal(s, r0, c0, d, False):
                        return False
    return True


@njit
def evaluate(s):
    n = s.board.shape[0]
    score = f32(0)
    for r in range(n):
        for c in range(n):
            piece = s.board[r, c]
            if piece == PAWN:
                score += f32(1) + f32(r) * f32(0.1)
            elif piece == KING:
                score += f32(2)
            elif piece == OPP_PAWN:
                score -= f32(1) + f32(n - 1 - r) * f32(0.1)
            elif piece == OPP_KING:
                score -= f32(2)
    return score


@njit
def move(s, p, buf, a, r0, c0, d):
    """Play move d of the piece on (r0, c0) for the side to move; the step's reward becomes
    this move's. Returns True when the game ended."""
    n = s.board.shape[0]
    if side_of(s.board[r0, c0]) != s.turn or not legal(s, r0, c0, d, must_jump(s)):
        buf.rewards[a] = -1
        return False
    r, c = r0 + DR[d], c0 + DC[d]
    piece = s.board[r0, c0]
    s.board[r0, c0] = EMPTY
    s.board[r, c] = piece
    reward = f32(0)
    jump = d >= 4
    if jump:
        mr, mc = (r0 + r) // 2, (c0 + c) // 2
        if side_of(s.board[mr, mc]) == AGENT:
            s.agent_pieces -= 1
            reward -= f32(0.05)
        else:
            s.opponent_pieces -= 1
        s.board[mr, mc] = EMPTY
    promoted = False
    for k in range(n):
        if s.board[0, k] == OPP_PAWN:
            s.board[0, k] = OPP_KING
            promoted = True
        if s.board[n - 1, k] == PAWN:
            s.board[n - 1, k] = KING
            promoted = True
    if jump and s.turn == OPPONENT:
        reward += f32(0.1)
    elif s.turn == AGENT:
        reward += f32(0.01)
    s.stale = 0
    if not jump or not capture_available(s, s.turn):
        s.turn = AGENT + OPPONENT - s.turn
        s.stale = jump and p.c_capture_cache
    if promoted:
        for k in range(n):
            if s.board[n - 1, k] == KING:
                reward += f32(0.05)
                break
    over = s.agent_pieces == 0 or s.opponent_pieces == 0 or stuck(s)
    if over:
        if s.agent_pieces == 0:
            won = False
        elif s.opponent_pieces == 0:
            won = True
        else:
            won = s.turn == OPPONENT  # the side that cannot move loses
        reward = f32(1) if won else f32(-1)
        buf.terminals[a] = True
        e = buf.episode[a]
        e.perf = 1.0 if won else 0.0
        e.winrate = e.perf
        e.score = evaluate(s)
    buf.rewards[a] = min(max(reward, f32(-1)), f32(1))
    return over


@njit
def random_move(s, p, buf, a):
    """The built-in player: a uniformly random movable piece of the side to move, its first
    legal move."""
    n = s.board.shape[0]
    jumps_only = must_jump(s)
    count = 0
    for i in range(n * n):
        r0, c0 = i // n, i % n
        if side_of(s.board[r0, c0]) == s.turn:
            for d in range(8):
                if legal(s, r0, c0, d, jumps_only):
                    s.movable[count] = i
                    count += 1
                    break
    if count == 0:  # never: a side that cannot move has lost already
        return False
    i = s.movable[rand_int(s, count)]
    r0, c0 = i // n, i % n
    for d in range(8):
        if legal(s, r0, c0, d, jumps_only):
            return move(s, p, buf, a, r0, c0, d)
    return False


@njit
def observe(s, obs):
    n = s.board.shape[0]
    for r in range(n):
        for c in range(n):
            obs[r * n + c] = s.board[r, c]


@njit
def reset(s, p, buf, a):
    n = s.board.shape[0]
    s.agent_pieces = 0
    s.opponent_pieces = 0
    for r in range(n):
        for c in range(n):
            dark = (r + c) % 2 == 1
            s.board[r, c] = PAWN if dark and r < 3 else (OPP_PAWN if dark and r >= n - 3 else EMPTY)
            s.agent_pieces += s.board[r, c] == PAWN
            s.opponent_pieces += s.board[r, c] == OPP_PAWN
    for i in range(n * n):
        s.movable[i] = 0
    s.turn = AGENT
    s.stale = 0
    s.t = 0
    observe(s, buf.observations[a])


@njit
def step(s, p, buf, a):
    n = s.board.shape[0]
    s.t += 1
    action = buf.actions[a]
    square, d = action // 8, action % 8
    if not move(s, p, buf, a, square // n, square % n, d):
        random_move(s, p, buf, a)
    if p.max_steps > 0 and s.t >= p.max_steps and not buf.terminals[a]:
        buf.truncations[a] = True
    observe(s, buf.observations[a])


CELL = 64
DARK, LIGHT = (44, 48, 60), (32, 35, 44)
_pending = {}  # the view's selected square, between a person's two clicks


def draw(surface, s, p):
    import pygame
    n = s.board.shape[0]
    for r in range(n):
        for c in range(n):
            surface.fill(DARK if (r + c) % 2 else LIGHT, (c * CELL, r * CELL, CELL, CELL))
            piece = s.board[r, c]
            if piece:
                centre = (c * CELL + CELL // 2, r * CELL + CELL // 2)
                color = COLORS["blue"] if piece <= KING else COLORS["red"]
                pygame.draw.circle(surface, color, centre, CELL // 3)
                if piece in (KING, OPP_KING):
                    pygame.draw.circle(surface, COLORS["yellow"], centre, CELL // 7)
    if "square" in _pending:
        r, c = divmod(_pending["square"], n)
        pygame.draw.rect(surface, COLORS["yellow"], (c * CELL, r * CELL, CELL, CELL), width=3)


def click(x, y, s, p):
    n = s.board.shape[0]
    r, c = int(y) // CELL, int(x) // CELL
    if not (0 <= r < n and 0 <= c < n):
        return None
    if side_of(s.board[r, c]) != EMPTY:
        _pending["square"] = r * n + c
        return None
    if "square" not in _pending:
        return None
    r0, c0 = divmod(_pending.pop("square"), n)
    for d in range(8):
        if (r0 + DR[d], c0 + DC[d]) == (r, c):
            return (r0 * n + c0) * 8 + d
    return None


@factory  # its games pickle as this call
def make_game(size=8):
    """A checkers Game on a size x size board (see the module docstring)."""
    size = check_count(size, "size", "checkers: ", high=64)
    if size < 6:
        raise ValueError(f"checkers: size must be at least 6 (three rows of pawns a side), got {size}")
    state = np.dtype([("board", np.uint8, (size, size)), ("movable", np.int32, (size * size,)),
                      ("agent_pieces", np.int32), ("opponent_pieces", np.int32), ("turn", np.int32), ("stale", np.int32),
                      ("t", np.int32)])

    def check(p):
        check_range("checkers", p, ("max_steps",), low=0, high=INT32_MAX)

    # space plays square 0's up-left move, never legal: the built-in player moves instead
    view = View(draw, size=(size * CELL, size * CELL), fps=30, keys={"space": 0}, idle=None, click=click,
                help="click a piece, then where it goes; space: a random move")
    return Game("checkers", state, reset, step, observation_space=spaces.Box(0, 4, (size * size,), np.uint8),
                action_space=spaces.Discrete(size * size * 8), params=dict(max_steps=0, c_capture_cache=False), check=check,
                log=("score", "perf", "winrate"), view=view)


game = make_game()
