"""Freeway: a chicken crosses ten lanes of traffic, as many times as it can in 136 seconds of
game time, in the rules of PufferLib 3.0.0's native Freeway (after the Atari game).

Field (pixels, y grows downward): `width` x `height`; the road's ten lanes of `lane_size`
pixels are centred vertically, lane 0 at the bottom. Lanes 0-4 drive right, 5-9 left. The
chicken stands at x = width // 4 and starts each crossing at the bottom edge. A step is
`frameskip` ticks of 1/60 s; in a tick the chicken moves (up or down by height / 3.5 pixels a
second, unless stunned), then the traffic moves, wrapping around the field's sides.
A car (car_width x car_height) or a truck (twice as wide) that the chicken touches stuns it
for 40 ticks: with `difficulty` 0 it is pushed down 1.5 lanes over the stun and cannot move;
with `difficulty` 1 it goes back to the bottom at once (and is not stunned). `level` (0-7)
chooses the traffic: cars per lane, trucks, speeds, and whether every 6 seconds each lane's
speed steps up or down by one of six speeds (levels 4-7); -1 draws a level per episode.
With `env_randomization` each lane's traffic starts shifted by a random fraction of the
width.

Observation: Box(-0.5, 2, (34,), float32): chicken y / height, furthest lane reached this
  crossing / 10, crossings / the level's human high score, 1 while stunned else 0; then per
  lane (0 to 9) its three vehicle slots' x / width (0 for a slot the level leaves empty).
  A lane's vehicles start up to a whole width right of the field (the random shift), so x /
  width lies in [-0.5, 2] (PufferLib declares Box(0, 1), which its values leave).
Action: Discrete(3): 0 stay, 1 up (toward the far side), 2 down.
Reward: with `use_dense_rewards` (the default) +0.1 for each lane first reached in a
  crossing, -0.01 for each hit; +1 more for a crossing (so a crossing pays 2 in all).
  Sparse: a crossing pays 2 (reaching the last lane sets the step's reward to 1, then the
  crossing adds 1), nothing else.
Termination: after 136 s of game time (2040 steps at frameskip 4); no truncation.
Log: episode_return, episode_length (steps), score (crossings), perf (crossings / the level's
  human high score), up_action_frac (share of ticks spent pressing up), hits.
View: the road at half size (608x360 by default), crossings and time left above.
  Play: up/down arrows.

Deviations from PufferLib's C, none of which changes the game:
- every episode starts the lanes at their level's speeds, first changed at 6 s, as the C's
  first episode does; the C's later episodes carry the speeds over from the one before and
  change them once more at their start (and level -1 there draws one level per env for its
  whole life). Both would need a state that a seeded reset cannot reproduce.
- the C's speed change tests an uninitialized pointer and never happens (its level 4 plays
  exactly as level 0, same seed, same stats); here levels 4-7 change speeds as they intend.
- the C adds enemy_height / (2 * width) to each vehicle's x, in integer division: 0 for any
  field wider than half a car, so it is left out. The C's second (human) chicken, off in
  PufferLib by default, is not ported (`enable_human_player`).
"""
import numpy as np
from gymnasium import spaces
from numba import njit

from numbapuffer.engine.checks import check_range
from numbapuffer.core import Game, rand_float, rand_int
from numbapuffer.engine.render import COLORS, View, text

f32 = np.float32
STAY, UP, DOWN = 0, 1, 2
LANES, SLOTS, LEVELS = 10, 3, 8
TICK = f32(1.0) / f32(60.0)
GAME_SECONDS = f32(136.0)
SPEED_CHANGE_TICKS = 360
STUN_TICKS = 40
HIT_PENALTY = f32(-0.01)
PLAYER_SPEED = f32(1.0) / f32(3.5)  # heights a second
# Six traffic speeds (field widths a second): 1/13, each next 1.35 times faster.
SPEEDS = np.array([1.35 ** k * float(f32(1.0) / f32(13.0)) for k in range(6)], np.float32)
HIGH_SCORE = np.array([25, 20, 18, 20, 25, 18, 15, 18], np.int32)  # a human's, per level
VEHICLES = np.array([[1] * 10, [1, 2, 2, 3, 2, 1, 2, 3, 2, 2], [3, 3, 1, 3, 1, 1, 3, 1, 3, 1], [1] * 10] * 2, np.int32)
TRUCKS = np.array([[0] * 10, [0, 0, 0, 0, 0, 1, 0, 0, 0, 0], [0, 0, 0, 0, 1, 0, 0, 0, 0, 0], [1] * 10] * 2, np.int32)
CHANGING = np.array([0, 0, 0, 0, 1, 1, 1, 1], np.int32)  # levels whose speeds change
START_SPEED = np.array([[0, 1, 2, 3, 4, 4, 3, 2, 1, 0], [0, 1, 3, 4, 5, 5, 4, 3, 1, 0], [0, 1, 3, 4, 5, 5, 4, 3, 1, 0],
                        [5, 4, 2, 4, 5, 5, 4, 2, 4, 5]] * 2, np.int32)
_A = [[0, 0, 0]] * 10
_B = [[0, 0, 0], [0, .1, 0], [0, .2, 0], [0, .1, .2], [0, .4, 0], [0, 0, 0], [0, .4, 0], [0, .1, .2], [0, .2, 0],
      [0, .1, 0]]
_C = [[0, .2, .4], [0, .2, .4], [0, 0, 0], [0, .2, .4], [0, 0, 0], [0, 0, 0], [0, .2, .4], [0, 0, 0], [0, .2, .4],
      [0, .2, .4]]
START_X = np.array([_A, _B, _C, _A] * 2, np.float32)  # vehicles' x at the start, in widths

STATE = np.dtype([
    ("level", np.int32), ("player_y", np.float32), ("best_lane", np.int32), ("stun", np.int32),
    ("score", np.int32), ("hits", np.int32), ("tick", np.int32), ("up_count", np.int32),
    ("speed", np.int32, (LANES,)), ("vx", np.float32, (LANES,)), ("x", np.float32, (LANES, SLOTS)),
])

PARAMS = dict(frameskip=4, width=1216, height=720, player_width=64, player_height=64, car_width=64, car_height=40,
              lane_size=64, difficulty=0, level=0, use_dense_rewards=True, env_randomization=True)


def check(p):
    check_range("freeway", p, ("frameskip",), low=1, high=1000)
    check_range("freeway", p, ("width", "height"), low=8, high=100_000)  # float32 pixels stay exact
    check_range("freeway", p, ("player_width", "player_height", "car_width", "car_height", "lane_size"), low=1,
                high=100_000)
    check_range("freeway", p, ("difficulty",), low=0, high=1)
    check_range("freeway", p, ("level",), low=-1, high=LEVELS - 1)
    if 2 * p["car_width"] > p["width"]:
        raise ValueError("freeway: a truck (2 * car_width) must fit the width (observations stay in their Box)")
    if LANES * p["lane_size"] + p["player_height"] > p["height"]:
        raise ValueError("freeway: the ten lanes and the chicken (10 * lane_size + player_height) must fit the height")


@njit
def road_start(p):
    return f32(p.height // 2 + (LANES * p.lane_size) // 2)


@njit
def set_speed(s, p, lane):
    v = SPEEDS[s.speed[lane]] * TICK * f32(p.width)
    s.vx[lane] = v if lane < LANES // 2 else -v


@njit
def change_speeds(s, p):
    for lane in range(LANES):
        start = START_SPEED[s.level, lane]
        delta = rand_int(s, 3) - 1
        k = min(max(s.speed[lane], start - 2), start + 2)
        s.speed[lane] = min(max(k + delta, 0), 5)
        set_speed(s, p, lane)


@njit
def observe(s, p, obs):
    obs[0] = s.player_y / f32(p.height)
    obs[1] = f32(s.best_lane) / f32(LANES)
    obs[2] = f32(s.score) / f32(HIGH_SCORE[s.level])
    obs[3] = f32(s.stun > 0)
    for lane in range(LANES):
        n = VEHICLES[s.level, lane]
        for i in range(SLOTS):
            obs[4 + lane * SLOTS + i] = s.x[lane, i] / f32(p.width) if i < n else f32(0)


@njit
def reset(s, p, buf, a):
    s.level = p.level if p.level >= 0 else rand_int(s, LEVELS)
    s.player_y = f32(p.height - p.player_height // 2)
    s.best_lane = 0
    s.stun = 0
    s.score = 0
    s.hits = 0
    s.tick = 0
    s.up_count = 0
    for lane in range(LANES):
        s.speed[lane] = START_SPEED[s.level, lane]
        set_speed(s, p, lane)
        shift = f32(p.width) * rand_float(s)
        for i in range(SLOTS):
            x = START_X[s.level, lane, i] * f32(p.width)
            if lane >= LANES // 2:
                x = f32(p.width) - x
            if p.env_randomization:
                x += shift
            s.x[lane, i] = x if i < VEHICLES[s.level, lane] else f32(0)
    observe(s, p, buf.observations[a])


@njit
def hit(s, p):
    """Whether the chicken overlaps a vehicle."""
    px = f32(p.width // 4)
    left, right = px - f32(p.player_width // 2), px + f32(p.player_width // 2)
    top, bottom = s.player_y - f32(p.player_height // 2), s.player_y + f32(p.player_height // 2)
    start = road_start(p)
    span = f32(start - f32(LANES * p.lane_size)) - start
    half_h = f32(p.car_height // 2)
    for lane in range(LANES):
        y = (start + span * f32(lane) / f32(LANES)) - f32(p.lane_size // 2)
        if not (top < y + half_h and bottom > y - half_h):
            continue
        half_w = f32(p.car_width * (1 + TRUCKS[s.level, lane]) // 2)  # a truck is 2 cars wide
        for i in range(VEHICLES[s.level, lane]):
            x = s.x[lane, i]
            if left < x + half_w and right > x - half_w:
                return True
    return False


@njit
def back_to_bottom(s, p):
    s.player_y = f32(p.height - p.player_height // 2)
    s.stun = 0


@njit
def tick(s, p, buf, a, action):
    # the chicken
    if action == UP:
        s.up_count += 1
    if s.stun == 0:
        move = PLAYER_SPEED * f32(p.height) * TICK
        if action == UP:
            s.player_y -= move
        elif action == DOWN:
            s.player_y += move
    else:
        s.stun -= 1
        if p.difficulty == 0:
            s.player_y += f32(1.5) * f32(p.lane_size) / f32(STUN_TICKS)
    half = f32(p.player_height // 2)
    if s.player_y <= half:
        s.player_y = max(half, s.player_y)
    else:
        s.player_y = min(f32(p.height) - half, s.player_y)
    if s.stun == 0 and hit(s, p):
        s.hits += 1
        s.stun = STUN_TICKS
        if p.use_dense_rewards:
            buf.rewards[a] += HIT_PENALTY
        if p.difficulty == 1:
            back_to_bottom(s, p)
    if s.player_y <= road_start(p) - f32((s.best_lane + 1) * p.lane_size):
        s.best_lane += 1
        if p.use_dense_rewards:
            buf.rewards[a] += 1.0 / LANES  # in float64, then rounded: as the C
        elif s.best_lane == LANES:
            buf.rewards[a] = 1
    if s.best_lane == LANES:
        back_to_bottom(s, p)
        s.best_lane = 0
        s.score += 1
        buf.rewards[a] += 1
    # the traffic
    for lane in range(LANES):
        wide = p.car_width * (1 + TRUCKS[s.level, lane])
        for i in range(VEHICLES[s.level, lane]):
            x = s.x[lane, i] + s.vx[lane]
            if x > f32(p.width + wide // 2):
                x -= f32(p.width)
            elif x < f32(-(wide // 2)):
                x += f32(p.width)
            s.x[lane, i] = x


@njit
def step(s, p, buf, a):
    action = buf.actions[a]
    for _ in range(p.frameskip):
        s.tick += 1
        tick(s, p, buf, a, action)
    if f32(s.tick) * TICK >= GAME_SECONDS:
        buf.terminals[a] = True
        e = buf.episode[a]
        e.score = s.score
        e.perf = s.score / HIGH_SCORE[s.level]
        e.up_action_frac = s.up_count / s.tick
        e.hits = s.hits
    elif s.tick % SPEED_CHANGE_TICKS == 0 and CHANGING[s.level]:
        change_speeds(s, p)
    observe(s, p, buf.observations[a])


def draw(surface, s, p):
    import pygame
    k = 0.5  # the C's field is 1216x720 pixels: drawn at half size
    w = round(p.width * k)
    surface.fill(COLORS["field"])
    start = float(p.height // 2 + LANES * p.lane_size // 2)
    end = start - LANES * p.lane_size
    pygame.draw.rect(surface, COLORS["line"], (0, round(end * k), w, round((start - end) * k)))
    for lane in range(1, LANES):
        y = round((start - lane * p.lane_size) * k)
        color = COLORS["yellow"] if lane == LANES // 2 else COLORS["dim"]
        for x in range(8, w, 32):
            pygame.draw.rect(surface, color, (x, y - 1, 16, 2))
    palette = [COLORS[c] for c in ("red", "orange", "yellow", "green", "blue")]
    for lane in range(LANES):
        y = (start - (lane + 0.5) * p.lane_size) * k
        wide = p.car_width * (1 + TRUCKS[s.level, lane]) * k
        for i in range(VEHICLES[s.level, lane]):
            x = s.x[lane, i] * k
            for dx in (0, -w, w):  # drawn where it wraps, too
                rect = pygame.Rect(round(x + dx - wide / 2), round(y - p.car_height * k / 2), round(wide),
                                   round(p.car_height * k))
                pygame.draw.rect(surface, palette[lane % 5], rect, border_radius=4)
    cx, cy, r = p.width // 4 * k, float(s.player_y) * k, p.player_height * k / 2
    pygame.draw.circle(surface, COLORS["dim"] if s.stun else COLORS["white"], (cx, cy), r * 0.8)
    pygame.draw.polygon(surface, COLORS["orange"], [(cx - 4, cy - r * 0.8), (cx + 4, cy - r * 0.8), (cx, cy - r)])
    left = max(0.0, float(GAME_SECONDS) - s.tick / 60)
    text(surface, f"{s.score}", (12, 4), 28, COLORS["pink"])
    text(surface, f"time {left:.0f}", (w // 2, 4), 24, COLORS["dim"], "midtop")


VIEW = View(draw, size=lambda p: (round(p.width * 0.5), round(p.height * 0.5)), fps=15,
            keys={"up": UP, "down": DOWN}, idle=STAY, help="Up/Down: cross the road")

game = Game("freeway", STATE, reset, step,
            observation_space=spaces.Box(-0.5, 2, (4 + LANES * SLOTS,), np.float32), action_space=spaces.Discrete(3),
            params=PARAMS, check=check, log=("score", "perf", "up_action_frac", "hits"), view=VIEW,
            presets={"pufferlib": dict(level=-1)})
