"""Go against a scripted opponent, the rules of PufferLib 3.0.0's Ocean Go: the agent plays
black (1) on a `grid_size` x `grid_size` board, the opponent white (2) answers every move.

Moves: a stone goes on an empty point; opponent groups left without liberties are captured;
a move that leaves its own group without liberties (and captures nothing) is refused, and so
is a capturing move that brings back the board as it was before the agent's last stone
(ko, as PufferLib checks it: against the board before the agent's last placing move). A
refused agent move costs `reward_move_invalid` and the opponent does not answer.
The opponent, after every valid agent move and every pass: first a liberty of a group in
atari (black or white, one liberty), then a liberty of a black group with 2, 3, then 4
liberties, groups in the order of their first point, each group's liberty the first its
breadth-first walk meets (from its first point; PufferLib walks from its union-find root);
else a uniformly random legal point. When it has no legal point the game ends.

Observation: Box(0, ..., (2*grid_size**2 + 2,), float32): 1 where black stands, point by
  point row by row; the same for white; then the stones captured by black and by white so
  far (counts, not scaled: PufferLib declares Box(0, 1) and writes the counts; our bound is
  the most that 3*grid_size**2 moves can capture).
Action: Discrete(grid_size**2 + 1): 0 pass, 1 + y*grid_size + x a stone on point (x, y).
Reward: `reward_move_pass` for a pass, `reward_move_valid` for a valid stone,
  `reward_move_invalid` for a refused one; plus `reward_opponent_capture` for each black
  stone the opponent's answer captures; a stone's reward is then clipped to [-1, 1] (a
  pass's is not). As in PufferLib, the valid move's reward replaces what black's own
  captures earned, so `reward_player_capture` changes no reward (the C only logs it). The
  step that ends the game instead gets +1 if black's score beats white's, -1 if not
  (0 on a tie).
Termination: the opponent has no legal point, or a step after 3*grid_size**2 steps (its
  action is then not played). Score (Tromp-Taylor as PufferLib counts it): black stones
  minus white stones minus `komi`, plus the empty regions a walk finds bordered by one
  colour. As in PufferLib's count (kept: it decides the result), the walk of a region
  turns "mixed" as soon as, after meeting its first stone, it meets an empty point it has
  already visited: in effect one-point eyes count, larger regions rarely do.
Log: episode_return, episode_length, perf (1 a win, 0 a loss or tie), score (the final
  score, komi included). PufferLib's own episode_return log adds black's capture rewards
  that its rewards never paid; ours is the sum of the rewards.

Unlike PufferLib 3.0.0, an opponent move that is refused (ko) leaves no trace: the C counts
its captures in the observation and pays their reward although the move did not stand.

The board size fixes the state and spaces: `make_game(grid_size)`; `game` has 7.
View (448x488 pixels at the default sizes): the board with its stones, scores above. Play:
  click a point; p passes.
"""
import math

import numpy as np
from gymnasium import spaces
from numba import njit

from numbapuffer.engine.checks import check_count, check_range
from numbapuffer.core import Game, rand_int
from numbapuffer.engine.pickling import factory
from numbapuffer.engine.render import View, text

f32 = np.float32
PASS = 0
EMPTY, BLACK, WHITE = 0, 1, 2
DX = np.array([-1, 1, 0, 0], np.int32)  # PufferLib's order of neighbours
DY = np.array([0, 0, -1, 1], np.int32)

PARAMS = dict(komi=f32(7.5), reward_move_pass=f32(-0.25), reward_move_invalid=f32(-0.1),
              reward_move_valid=f32(0.1), reward_player_capture=f32(0.25), reward_opponent_capture=f32(-0.25))


def check(p):
    check_range("go", p, list(PARAMS), low=-1e6, high=1e6)  # finite


@njit
def walk(s, start):
    """Breadth-first walk of the group at `start`: its points land in s.queue[:s.walked];
    returns its liberties and leaves the first one met in s.first_liberty."""
    n = s.size
    colour = s.board[start]
    s.stamp += 1
    stamp = s.stamp
    s.queue[0] = start
    s.seen[start] = stamp
    head, tail, liberties = 0, 1, 0
    s.first_liberty = -1
    while head < tail:
        pos = s.queue[head]
        head += 1
        x, y = pos % n, pos // n
        for d in range(4):
            nx, ny = x + DX[d], y + DY[d]
            if 0 <= nx < n and 0 <= ny < n:
                q = ny * n + nx
                if s.seen[q] != stamp:
                    v = s.board[q]
                    if v == EMPTY:
                        s.seen[q] = stamp
                        if liberties == 0:
                            s.first_liberty = q
                        liberties += 1
                    elif v == colour:
                        s.seen[q] = stamp
                        s.queue[tail] = q
                        tail += 1
    s.walked = tail
    return liberties


@njit
def play(s, p, buf, a, pos, colour):
    """Put a `colour` stone on `pos` if the rules allow; True when it stands."""
    if s.board[pos] != EMPTY:
        return False
    n = s.size
    other = 3 - colour
    s.board[pos] = colour
    captured = 0
    x, y = pos % n, pos // n
    for d in range(4):
        nx, ny = x + DX[d], y + DY[d]
        if 0 <= nx < n and 0 <= ny < n and s.board[ny * n + nx] == other:
            if walk(s, ny * n + nx) == 0:
                for i in range(s.walked):
                    q = s.queue[i]
                    s.board[q] = EMPTY
                    s.removed[captured] = q
                    captured += 1
    if captured > 0:
        ko = True
        for i in range(n * n):
            if s.board[i] != s.previous[i]:
                ko = False
                break
        if ko:
            for i in range(captured):
                s.board[s.removed[i]] = other
            s.board[pos] = EMPTY
            return False
    elif walk(s, pos) == 0:  # suicide
        s.board[pos] = EMPTY
        return False
    s.captures[colour - 1] += captured
    if colour == WHITE:
        for _ in range(captured):  # one stone at a time, as PufferLib adds them
            buf.rewards[a] += p.reward_opponent_capture
    return True


@njit
def opponent(s, p, buf, a):
    """White's answer; False when it has no legal point."""
    n2 = s.size * s.size
    for i in range(n2):
        s.group[i] = -1
    groups = 0
    for i in range(n2):
        if s.board[i] != EMPTY and s.group[i] < 0:
            s.group_liberties[groups] = walk(s, i)
            s.group_target[groups] = s.first_liberty
            s.group_colour[groups] = s.board[i]
            for k in range(s.walked):
                s.group[s.queue[k]] = groups
            groups += 1
    for wanted in range(1, 5):
        for g in range(groups):
            libs = s.group_liberties[g]
            if libs == wanted and (s.group_colour[g] == BLACK or wanted == 1):
                if play(s, p, buf, a, s.group_target[g], WHITE):
                    return True
    count = 0
    for i in range(n2):
        if s.board[i] == EMPTY:
            s.empties[count] = i
            count += 1
    for k in range(count):  # points in a uniformly random order, drawn as they are tried
        j = k + rand_int(s, count - k)
        pos = s.empties[j]
        s.empties[j] = s.empties[k]
        s.empties[k] = pos
        if play(s, p, buf, a, pos, WHITE):
            return True
    return False


@njit
def score(s, p):
    """Black's score minus white's, komi included, counted as PufferLib counts it."""
    n = s.size
    n2 = n * n
    black, white = 0, 0
    for i in range(n2):
        if s.board[i] == BLACK:
            black += 1
        elif s.board[i] == WHITE:
            white += 1
    s.stamp += 1
    stamp = s.stamp
    for start in range(n2):
        if s.board[start] != EMPTY or s.seen[start] == stamp:
            continue
        s.queue[0] = start
        s.seen[start] = stamp
        head, tail, border = 0, 1, 0  # border: 0 none yet, a colour, or 3 mixed
        while head < tail:
            pos = s.queue[head]
            head += 1
            x, y = pos % n, pos // n
            for d in range(4):
                nx, ny = x + DX[d], y + DY[d]
                if 0 <= nx < n and 0 <= ny < n:
                    q = ny * n + nx
                    v = s.board[q]
                    if v == EMPTY and s.seen[q] != stamp:
                        s.seen[q] = stamp
                        s.queue[tail] = q
                        tail += 1
                    elif border == 0:
                        border = v
                    elif border != v:  # also a visited empty point: PufferLib's count
                        border = 3
        if border == BLACK:
            black += tail
        elif border == WHITE:
            white += tail
    return f32(black) - f32(white) - p.komi


@njit
def observe(s, obs):
    n2 = s.size * s.size
    for i in range(n2):
        v = s.board[i]
        obs[i] = f32(1) if v == BLACK else f32(0)
        obs[n2 + i] = f32(1) if v == WHITE else f32(0)
    obs[2 * n2] = s.captures[0]
    obs[2 * n2 + 1] = s.captures[1]


@njit
def end(s, p, buf, a):
    result = score(s, p)
    buf.rewards[a] = 1 if result > 0 else (-1 if result < 0 else 0)
    buf.terminals[a] = True
    buf.episode[a].score = result
    buf.episode[a].perf = 1 if result > 0 else 0
    observe(s, buf.observations[a])


@njit
def reset(s, p, buf, a):
    s.size = np.int32(round(math.sqrt(s.board.shape[0])))  # math: CUDA has no np.sqrt
    for i in range(s.board.shape[0]):
        s.board[i] = EMPTY
        s.previous[i] = EMPTY
        s.seen[i] = 0  # the scratch too: a restarted game is a fresh one
        s.queue[i] = 0
        s.removed[i] = 0
        s.empties[i] = 0
        s.group[i] = 0
        s.group_liberties[i] = 0
        s.group_target[i] = 0
        s.group_colour[i] = 0
    s.stamp = 0
    s.walked = 0
    s.first_liberty = 0
    s.captures[0] = 0
    s.captures[1] = 0
    s.tick = 0
    observe(s, buf.observations[a])


@njit
def step(s, p, buf, a):
    s.tick += 1
    n2 = s.size * s.size
    if s.tick > 3 * n2:
        end(s, p, buf, a)
        return
    action = buf.actions[a]
    if action == PASS:
        buf.rewards[a] = p.reward_move_pass
        if not opponent(s, p, buf, a):
            end(s, p, buf, a)
            return
    else:
        for i in range(n2):
            s.previous[i] = s.board[i]
        if play(s, p, buf, a, action - 1, BLACK):
            buf.rewards[a] = p.reward_move_valid
            if not opponent(s, p, buf, a):
                end(s, p, buf, a)
                return
        else:
            buf.rewards[a] = p.reward_move_invalid
        buf.rewards[a] = min(max(buf.rewards[a], f32(-1)), f32(1))
    observe(s, buf.observations[a])


CELL, TOP = 64, 40


def draw(surface, s, p):
    import pygame
    n = int(s.size)
    text(surface, f"move {s.tick}/{3 * n * n}   captured: black {s.captures[0]}  white {s.captures[1]}", (8, 8), 22)
    surface.fill((200, 160, 90), (0, TOP, n * CELL, n * CELL))
    for i in range(n):
        c = CELL // 2 + i * CELL
        pygame.draw.line(surface, (60, 40, 20), (CELL // 2, TOP + c), (n * CELL - CELL // 2, TOP + c), 2)
        pygame.draw.line(surface, (60, 40, 20), (c, TOP + CELL // 2), (c, TOP + n * CELL - CELL // 2), 2)
    for i in range(n * n):
        v = s.board[i]
        if v != EMPTY:
            centre = (CELL // 2 + (i % n) * CELL, TOP + CELL // 2 + (i // n) * CELL)
            pygame.draw.circle(surface, (20, 20, 20) if v == BLACK else (240, 240, 240), centre, CELL * 0.42)


def click(x, y, s, p):
    n = int(s.size)
    col, row = int(x // CELL), int((y - TOP) // CELL)
    return 1 + row * n + col if 0 <= col < n and 0 <= row < n else None


@factory  # its games pickle as this call
def make_game(grid_size=7):
    """A Go Game on a grid_size x grid_size board."""
    n = check_count(grid_size, "grid_size", "go: ", high=181)  # int16 point indices
    n2 = n * n
    state = np.dtype([
        ("board", np.int8, (n2,)),      # point y * n + x: EMPTY, BLACK or WHITE
        ("previous", np.int8, (n2,)),   # the board before black's last placing move (ko)
        ("captures", np.int32, (2,)),   # stones captured by black, by white
        ("tick", np.int32), ("size", np.int32),
        # scratch of the walks, kept in the record so game code allocates nothing
        ("seen", np.int32, (n2,)), ("stamp", np.int32), ("queue", np.int16, (n2,)), ("walked", np.int32),
        ("first_liberty", np.int32), ("removed", np.int16, (n2,)), ("empties", np.int16, (n2,)),
        ("group", np.int16, (n2,)), ("group_liberties", np.int16, (n2,)), ("group_target", np.int16, (n2,)),
        ("group_colour", np.int8, (n2,)),
    ])
    high = np.ones(2 * n2 + 2, np.float32)
    high[-2:] = 3 * n2 * n2  # at most n2 stones a move for each colour
    view = View(draw, size=(n * CELL, TOP + n * CELL), fps=30, keys={"p": PASS}, idle=None, click=click,
                help="click a point to play; p passes")
    return Game("go", state, reset, step, observation_space=spaces.Box(np.zeros_like(high), high, dtype=np.float32),
                action_space=spaces.Discrete(n2 + 1), params=PARAMS, check=check, log=("perf", "score"), view=view)


game = make_game()
