"""Triple Triad: the card game of Final Fantasy VIII, against a random opponent, in the rules
of PufferLib 3.0.0's native TripleTriad.

Each side holds five cards of four values (north, south, east, west), each drawn uniformly
from 1-7. On a 3x3 board the agent plays first: it selects a card of its hand (one action),
then places it on an empty cell (another). A placed card turns each orthogonal neighbour of
the opponent's whose facing value is lower than its own to the agent's side. The opponent
answers each placement at once: a uniformly random card of its hand on a uniformly random
empty cell, turning the agent's cards by the same rule. Each side's score starts at 5 (its
cards) and moves by one a turned card; when the agent's fifth card fills the board, the
higher score wins.

Observation: Box(-1, 10, (114,), float32), the C's layout, unscaled: the board's owners (9,
  row by row: 1 the agent, -1 the opponent, 0 empty); 15 flags, 1 where the cell of
  placing action 5 + k (k = 0..8) is taken (entries 0-4 and 14 are always 0); the selected
  card of the agent (0-4, -1 none) and of the opponent (always -1); the two scores; the
  board's card values (9 cells x north, south, east, west; 0 empty); both hands' values (2
  x 5 x 4, placed cards included); where each hand's cards lie (2 x 5: the cell 1-9, 0 in
  hand).
Action: Discrete(14): 0-4 select that card of the hand (a placed card: nothing happens);
  5-13 place the selected card on cell action - 4 (row by row).
Reward: -0.1 for every select action, and for a placing action with no card selected or on
  a taken cell; at the end +1 for a win, -1 for a loss, 0 for a draw; -1 at the time limit.
Termination: the board is full. Truncation: the 30th step (its action is not played; it
  pays the -1 of the time limit), as the C's limit of 30 steps.
Log: episode_return, episode_length, score (the agent's score at the end), perf (1 when the
  agent's score is the higher at the end, else 0).
View (520x500 pixels at the default sizes): the board between the two hands (the agent's on the
  left), scores above. Play: keys
  1-5 or a click on a card select it; q w e / a s d / z x c or a click on a cell place it.

Deviations from PufferLib's C (`c_dones` restores them, for the parity harness only):
- the C signals no end at the time limit (it resets the game with the -1 and no terminal or
  truncation); here the 30th step is a truncation.
- the C spends the step after a finished game on its reset (that step's action is ignored,
  its reward 0); here the next game starts in the same step, as every numbapuffer game.
- the C's Box(0, 1) does not hold its own observations; here the Box does.
"""
import numpy as np
from gymnasium import spaces
from numba import njit

from numbapuffer.core import Game, rand_int
from numbapuffer.engine.render import COLORS, View, text

f32 = np.float32
HAND, CELLS, SIDES = 5, 9, 4
SELECT, PLACE = 0, 5  # first select action, first place action
MAX_STEPS = 30
AGENT, BOT = 1, -1
# For each side (north, south, east, west): the row and column step to the neighbour, and
# the neighbour's side that faces back.
DR = np.array([-1, 1, 0, 0], np.int64)
DC = np.array([0, 0, 1, -1], np.int64)
FACING = np.array([1, 0, 3, 2], np.int64)

STATE = np.dtype([
    ("owner", np.int8, (CELLS,)),               # 1 agent, -1 opponent, 0 empty
    ("values", np.int8, (CELLS, SIDES)),        # the card on each cell (0 empty)
    ("hands", np.int8, (2, HAND, SIDES)),       # [0] the agent's, [1] the opponent's
    ("where", np.int8, (2, HAND)),              # each hand card's cell + 1, 0 in hand
    ("selected", np.int8), ("score", np.int8, (2,)), ("taken", np.int8), ("t", np.int32),
    ("skip", np.int32),  # c_dones: the steps of the game that just ended (its next step is the C's reset step)
])


@njit
def observe(s, obs):
    for c in range(CELLS):
        obs[c] = s.owner[c]
    for k in range(15):
        obs[9 + k] = 0
    for c in range(CELLS):
        obs[9 + PLACE + c] = s.owner[c] != 0
    obs[24] = s.selected
    obs[25] = -1
    obs[26] = s.score[0]
    obs[27] = s.score[1]
    for c in range(CELLS):
        for k in range(SIDES):
            obs[28 + 4 * c + k] = s.values[c, k]
    for i in range(2):
        for j in range(HAND):
            for k in range(SIDES):
                obs[64 + 20 * i + 4 * j + k] = s.hands[i, j, k]
            obs[104 + 5 * i + j] = s.where[i, j]


@njit
def start(s):
    for i in range(2):
        for j in range(HAND):
            for k in range(SIDES):
                s.hands[i, j, k] = rand_int(s, 7) + 1
            s.where[i, j] = 0
        s.score[i] = 5
    for c in range(CELLS):
        s.owner[c] = 0
        for k in range(SIDES):
            s.values[c, k] = 0
    s.selected = -1
    s.taken = 0
    s.t = 0


@njit
def reset(s, p, buf, a):
    start(s)
    observe(s, buf.observations[a])


@njit
def place(s, side, card, cell):
    """Side 0 (the agent) or 1 puts its card on the empty cell and turns weaker neighbours."""
    me = AGENT if side == 0 else BOT
    s.where[side, card] = cell + 1
    s.owner[cell] = me
    for k in range(SIDES):
        s.values[cell, k] = s.hands[side, card, k]
    s.taken += 1
    r, c = cell // 3, cell % 3
    for k in range(SIDES):
        rr, cc = r + DR[k], c + DC[k]
        if 0 <= rr < 3 and 0 <= cc < 3:
            n = rr * 3 + cc
            theirs = s.values[n, FACING[k]]
            if theirs != 0 and theirs < s.values[cell, k] and s.owner[n] == -me:
                s.owner[n] = me
                s.score[side] += 1
                s.score[1 - side] -= 1


@njit
def opponent(s):
    """A uniformly random card of the opponent's hand on a uniformly random empty cell."""
    k = rand_int(s, HAND - (s.taken // 2))  # it has placed taken // 2 cards before this one
    card = 0
    for j in range(HAND):
        if s.where[1, j] == 0:
            if k == 0:
                card = j
                break
            k -= 1
    k = rand_int(s, CELLS - s.taken)
    cell = 0
    for c in range(CELLS):
        if s.owner[c] == 0:
            if k == 0:
                cell = c
                break
            k -= 1
    place(s, 1, card, cell)


@njit
def end_log(s, buf, a):
    e = buf.episode[a]
    e.score = s.score[0]
    e.perf = 1.0 if s.score[0] > s.score[1] else 0.0


@njit
def step(s, p, buf, a):
    if s.skip:  # c_dones: the C's step after a finished game, spent on its reset
        if s.skip + 1 >= MAX_STEPS:  # which counts toward the finished game's time limit
            buf.rewards[a] = -1
        s.skip = 0
        observe(s, buf.observations[a])
        return
    s.t += 1
    if s.t >= MAX_STEPS:  # the time limit: this step's action is not played
        buf.rewards[a] = -1
        end_log(s, buf, a)
        if p.c_dones:
            start(s)
        else:
            buf.truncations[a] = True
        observe(s, buf.observations[a])
        return
    action = buf.actions[a]
    if action < PLACE:
        buf.rewards[a] = f32(-0.1)
        if s.where[0, action] == 0:
            s.selected = action
    else:
        cell = action - PLACE
        if s.selected < 0 or s.owner[cell] != 0:
            buf.rewards[a] = f32(-0.1)
        else:
            place(s, 0, s.selected, cell)
            s.selected = -1
            if s.taken == CELLS:  # the agent's fifth card
                if s.score[0] != s.score[1]:
                    buf.rewards[a] = 1 if s.score[0] > s.score[1] else -1
                buf.terminals[a] = True
                end_log(s, buf, a)
                if p.c_dones:
                    s.skip = s.t
            else:
                opponent(s)
    observe(s, buf.observations[a])


CARD, GAP, TOP = 84, 10, 40  # pixels
BOARD_X = CARD + 3 * GAP  # the board sits between the hands
SIDE_COLORS = {AGENT: COLORS["blue"], BOT: COLORS["red"]}


def draw_card(surface, values, x, y, color, selected=False):
    import pygame
    rect = pygame.Rect(x, y, CARD, CARD)
    pygame.draw.rect(surface, color, rect, border_radius=8)
    if selected:
        pygame.draw.rect(surface, COLORS["yellow"], rect, width=4, border_radius=8)
    cx, cy = rect.center
    for k, (dx, dy) in enumerate(((0, -26), (0, 26), (26, 0), (-26, 0))):
        text(surface, int(values[k]), (cx + dx, cy + dy), 26, COLORS["background"], "center")


def hand_card(side, j):
    x = GAP if side == 0 else BOARD_X + 3 * (CARD + GAP) + 2 * GAP
    return x, TOP + j * (CARD + 6)


def cell_xy(c):
    return BOARD_X + (c % 3) * (CARD + GAP), TOP + (HAND * (CARD + 6) - 3 * (CARD + GAP)) // 2 + (c // 3) * (CARD + GAP)


def draw(surface, s, p):
    surface.fill(COLORS["background"])
    text(surface, f"{s.score[0]}", (GAP, 8), 28, COLORS["blue"])
    text(surface, f"step {s.t}/{MAX_STEPS}", (surface.get_width() // 2, 8), 24, COLORS["dim"], "midtop")
    text(surface, f"{s.score[1]}", (surface.get_width() - GAP, 8), 28, COLORS["red"], "topright")
    import pygame
    for c in range(CELLS):
        x, y = cell_xy(c)
        if s.owner[c]:
            draw_card(surface, s.values[c], x, y, SIDE_COLORS[int(s.owner[c])])
        else:
            pygame.draw.rect(surface, COLORS["field"], (x, y, CARD, CARD), border_radius=8)
    for side in range(2):
        for j in range(HAND):
            if s.where[side, j] == 0:
                x, y = hand_card(side, j)
                color = COLORS["blue"] if side == 0 else COLORS["line"]
                draw_card(surface, s.hands[side, j], x, y, color, side == 0 and s.selected == j)


def click(x, y, s, p):
    for c in range(CELLS):
        cx, cy = cell_xy(c)
        if cx <= x < cx + CARD and cy <= y < cy + CARD:
            return PLACE + c
    for j in range(HAND):
        cx, cy = hand_card(0, j)
        if cx <= x < cx + CARD and cy <= y < cy + CARD:
            return SELECT + j
    return None


VIEW = View(draw, size=(2 * BOARD_X + 3 * (CARD + GAP) + GAP, TOP + HAND * (CARD + 6) + GAP), fps=30,
            keys={**{str(j + 1): SELECT + j for j in range(HAND)}, **{k: PLACE + c for c, k in enumerate("qweasdzxc")}},
            idle=None, click=click, help="1-5 or click: select a card; qwe/asd/zxc or click: place it")

game = Game("tripletriad", STATE, reset, step,
            observation_space=spaces.Box(-1, 10, (114,), np.float32), action_space=spaces.Discrete(14),
            params=dict(c_dones=False), log=("score", "perf"), view=VIEW)
