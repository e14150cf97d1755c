"""Breakout: bounce the ball off the paddle to knock out rows of bricks, in the design of the
Atari game and of PufferLib's native Breakout.

Field (y grows downward): 6 rows x 18 columns of bricks from y = 50; the paddle near the
bottom. The ball is served from the middle of the field, down and to a side drawn from the
game's stream, at the start of every round (no serve action). A wall reflects the ball; the
paddle sends it up at an angle set by where it hits (up to 45 degrees from vertical at the
paddle's ends); a brick it touches breaks and reflects it along the axis it moved on. The
ball speeds up by `ball_speed_increment` every 4th paddle hit and jumps to `ball_max_speed`
when it breaks a brick in the top three rows. Reaching the top wall halves the paddle until
the next round (`paddle_shrink`). A ball that passes the paddle costs a life and starts a
new round. Clearing the bricks brings a fresh wall at the next paddle hit, `boards` walls in
all.

Observation: Box(0, 1, (8 + 6 * 18,), float32): paddle x / width, paddle width / its full
  width, ball x / width, ball y / height, (ball vx / max speed + 1) / 2, (ball vy / max
  speed + 1) / 2, lives left / lives, score / maximum score, then each brick (row by row
  from the top) as 1 present, 0 broken.
Action: Discrete(3): 0 stay, 1 left, 2 right.
Reward: the points of the bricks broken in the step: 7 in the top two rows, 4 in the
  middle two, 1 in the bottom two.
Termination: the last life is lost, or the last wall is cleared; truncation after
  `max_steps` steps (27000 steps of 4 frames: the usual Atari cap of 108000 frames).
Log: episode_return, episode_length, score (points), walls (walls cleared).
Params: the field's sizes, speeds (pixels a frame), lives, boards, frameskip, max_steps,
  paddle_shrink, and swept_collisions: False (the default) moves the ball along x then y
  and breaks every brick it overlaps; True plays PufferLib 3.0's collision rules: in each
  frame the ball's path is swept against the bricks, the side and top walls and the paddle,
  and it stops at the first thing it touches (the earliest, then the widest overlap): onto
  a wall or brick, reflected, one brick a frame; at the paddle it keeps its place that frame
  with its new velocity, at an angle from where it hit that is not clamped to the paddle's
  ends (up to ~68 degrees for a 32-pixel ball). The speed-up of every 4th hit then applies
  from the next hit, and a top-row brick's top speed too; the frame that serves the ball
  ignores the action; a lost ball does not end the step (the next frame serves).
Preset "pufferlib" (make("breakout", preset="pufferlib")): PufferLib 3.0.0's Breakout with
  its Python defaults: a 32x32 ball, 6 balls (its num_balls 5 counts down to -1), speeds of
  256/60 to 448/60 pixels a frame in steps of 64/60, the paddle at 620/60, swept
  collisions, no truncation (max_steps 2**31 - 1). Its observation is 10 + 108 floats
  (paddle y, balls fired and the velocity / 512 besides ours, bricks 1 when broken), which a
  preset cannot change: the preset observes our 8 + 108 layout above. Where the C's code
  has slips that are not the game, these rules do the sane thing: a game that ends ends the
  step (the C plays its remaining frames in the new game), the log's episode_length counts
  steps (the C's counts frames).
View: the field at its size in pixels (576x330 by default), score and lives in the strip
  above the bricks. Play: left/right arrows.
"""
import math

import numpy as np
from gymnasium import spaces
from numba import njit

from numbapuffer.engine.checks import INT32_MAX, check_range
from numbapuffer.core import Game, rand_int
from numbapuffer.engine.render import COLORS, View, text

f32 = np.float32
ROWS, COLS = 6, 18
STAY, LEFT, RIGHT = 0, 1, 2
HITS_PER_SPEEDUP = 4
FAST_ROWS = 3  # breaking a brick in these top rows sends the ball at its top speed
MAX_BOUNCE_ANGLE = f32(math.pi / 4)
SERVE_ANGLE = f32(math.pi / 3.25)  # from vertical
BOARD_POINTS = 2 * COLS * (7 + 4 + 1)

PARAMS = dict(
    width=f32(576), height=f32(330), brick_top=f32(50), brick_height=f32(12),
    paddle_width=f32(62), paddle_height=f32(8), paddle_gap=f32(10), paddle_speed=f32(10),
    ball_width=f32(6), ball_height=f32(6), serve_y=f32(135),
    ball_speed=f32(4), ball_speed_increment=f32(1), ball_max_speed=f32(7),
    lives=5, boards=2, frameskip=4, max_steps=27000, paddle_shrink=True, swept_collisions=False,
)
TICK = 1 / 60  # PufferLib's speeds are in pixels a second at 60 frames a second
PRESETS = {"pufferlib": dict(ball_width=f32(32), ball_height=f32(32), lives=6, paddle_speed=f32(620 * TICK),
                             ball_speed=f32(256 * TICK), ball_speed_increment=f32(64 * TICK),
                             ball_max_speed=f32(448 * TICK), max_steps=INT32_MAX, swept_collisions=True)}

STATE = np.dtype([
    ("paddle_x", np.float32), ("paddle_width", np.float32),
    ("ball_x", np.float32), ("ball_y", np.float32), ("ball_vx", np.float32), ("ball_vy", np.float32),
    ("ball_speed", np.float32), ("hits", np.int32), ("lives", np.int32), ("score", np.int32),
    ("bricks_left", np.int32), ("walls", np.int32), ("refill", np.int32), ("t", np.int32),
    ("served", np.int32),  # swept_collisions: the round's first frame serves (and ignores the action)
    ("bricks", np.int8, (ROWS, COLS)),
])


# Sizes and speeds in pixels, from a hundredth of a pixel (the paddle halved at the top
# wall must not underflow to 0: a division by zero in paddle_bounce) to a million (above,
# float32 positions lose whole pixels).
MIN_PIXELS, MAX_PIXELS = 0.01, 1e6
MAX_FRAMESKIP = 1000  # frames in one step; more would make a step take seconds


def check(p):
    """The params these rules can play: observations stay inside their Box."""
    check_range("breakout", p, [k for k, v in PARAMS.items() if isinstance(v, f32)], above=0, low=MIN_PIXELS,
                high=MAX_PIXELS)
    check_range("breakout", p, ("lives", "max_steps"), low=1, high=INT32_MAX)  # int32 counters
    check_range("breakout", p, ("boards",), low=1, high=INT32_MAX // BOARD_POINTS)  # the score is int32
    check_range("breakout", p, ("frameskip",), low=1, high=MAX_FRAMESKIP)
    if p["ball_width"] >= p["width"]:
        raise ValueError("breakout: the ball must be narrower than the field")
    if p["ball_speed"] > p["ball_max_speed"]:
        raise ValueError("breakout: ball_speed must not exceed ball_max_speed")
    if p["ball_max_speed"] >= min(p["brick_height"], p["width"] / COLS):
        raise ValueError("breakout: ball_max_speed must stay below the bricks' size (or the ball jumps over bricks)")
    floor = p["height"] - p["paddle_gap"] - p["paddle_height"]
    if not p["brick_top"] + ROWS * p["brick_height"] < p["serve_y"] < floor - p["ball_height"]:
        raise ValueError("breakout: serve_y must lie between the bricks and the paddle")
    if p["paddle_width"] >= p["width"]:
        raise ValueError("breakout: the paddle must be narrower than the field")


@njit
def observe(s, p, obs):
    obs[0] = s.paddle_x / p.width
    obs[1] = s.paddle_width / p.paddle_width
    obs[2] = s.ball_x / p.width
    obs[3] = min(s.ball_y / p.height, f32(1))  # a lost ball's final position may lie past the bottom
    obs[4] = (s.ball_vx / p.ball_max_speed + f32(1)) * f32(0.5)
    obs[5] = (s.ball_vy / p.ball_max_speed + f32(1)) * f32(0.5)
    obs[6] = f32(s.lives) / f32(p.lives)
    obs[7] = f32(s.score) / f32(BOARD_POINTS * p.boards)
    for k in range(ROWS * COLS):  # one flat loop: ~20% faster here than nested row and column loops
        obs[8 + k] = s.bricks[k // COLS, k % COLS]


@njit
def reset_round(s, p):
    s.paddle_width = p.paddle_width
    s.paddle_x = (p.width - s.paddle_width) * f32(0.5)
    s.ball_x = (p.width - p.ball_width) * f32(0.5)
    s.ball_y = p.serve_y
    s.ball_speed = p.ball_speed
    s.ball_vx = math.sin(SERVE_ANGLE) * s.ball_speed
    if rand_int(s, 2):
        s.ball_vx = -s.ball_vx
    s.ball_vy = math.cos(SERVE_ANGLE) * s.ball_speed
    s.hits = 0
    s.served = 0


@njit
def fill_bricks(s):
    for r in range(ROWS):
        for c in range(COLS):
            s.bricks[r, c] = 1
    s.bricks_left = ROWS * COLS
    s.refill = 0


@njit
def start(s, p):
    fill_bricks(s)
    s.lives = p.lives
    s.score = 0
    s.walls = 0
    s.t = 0
    reset_round(s, p)


@njit
def reset(s, p, buf, a):
    start(s, p)
    observe(s, p, buf.observations[a])


@njit
def break_bricks(s, p):
    """Break every brick the ball overlaps; returns their points (0: no brick touched)."""
    if s.ball_y >= p.brick_top + f32(ROWS) * p.brick_height:  # below the wall: the usual case, made cheap
        return 0
    brick_width = p.width / f32(COLS)
    r0 = max(int(math.floor((s.ball_y - p.brick_top) / p.brick_height)), 0)
    r1 = min(int(math.floor((s.ball_y + p.ball_height - p.brick_top) / p.brick_height)), ROWS - 1)
    c0 = max(int(math.floor(s.ball_x / brick_width)), 0)
    c1 = min(int(math.floor((s.ball_x + p.ball_width) / brick_width)), COLS - 1)
    points = 0
    for r in range(r0, r1 + 1):
        top = p.brick_top + f32(r) * p.brick_height
        if not (s.ball_y < top + p.brick_height and s.ball_y + p.ball_height > top):
            continue
        for c in range(c0, c1 + 1):
            left = f32(c) * brick_width
            if s.bricks[r, c] and s.ball_x < left + brick_width and s.ball_x + p.ball_width > left:
                s.bricks[r, c] = 0
                s.bricks_left -= 1
                points += 7 - 3 * (r // 2)
                if r < FAST_ROWS and s.ball_speed < p.ball_max_speed:
                    s.ball_vx = s.ball_vx / s.ball_speed * p.ball_max_speed
                    s.ball_vy = s.ball_vy / s.ball_speed * p.ball_max_speed
                    s.ball_speed = p.ball_max_speed
    return points


@njit
def paddle_bounce(s, p):
    s.hits += 1
    if s.hits % HITS_PER_SPEEDUP == 0:
        s.ball_speed = min(s.ball_speed + p.ball_speed_increment, p.ball_max_speed)
    offset = (s.ball_x + p.ball_width * f32(0.5) - s.paddle_x) / s.paddle_width  # 0 left end .. 1 right end
    angle = (min(max(offset, f32(0)), f32(1)) * f32(2) - f32(1)) * MAX_BOUNCE_ANGLE
    s.ball_vx = math.sin(angle) * s.ball_speed
    s.ball_vy = -math.cos(angle) * s.ball_speed
    if s.refill:  # the ball is at the bottom now, clear of where the new wall appears
        fill_bricks(s)


@njit
def frame(s, p, buf, a, action):
    """One frame; False ends the step early: a ball was lost (a new round began) or the game ended."""
    if action == LEFT:
        s.paddle_x = max(s.paddle_x - p.paddle_speed, f32(0))
    elif action == RIGHT:
        s.paddle_x = min(s.paddle_x + p.paddle_speed, p.width - s.paddle_width)
    # Move along x, then along y: a brick touched by a move undoes that move and reflects
    # the ball on that axis, so the ball never rests inside a brick.
    x0 = s.ball_x
    s.ball_x += s.ball_vx
    if s.ball_x < 0:
        s.ball_x = f32(0)
        s.ball_vx = -s.ball_vx
    elif s.ball_x + p.ball_width > p.width:
        s.ball_x = p.width - p.ball_width
        s.ball_vx = -s.ball_vx
    points = break_bricks(s, p)
    if points:
        s.ball_x = x0
        s.ball_vx = -s.ball_vx
    y0 = s.ball_y
    s.ball_y += s.ball_vy
    if s.ball_y < 0:
        s.ball_y = f32(0)
        s.ball_vy = -s.ball_vy
        if p.paddle_shrink:
            s.paddle_width = p.paddle_width * f32(0.5)
    hit = break_bricks(s, p)
    if hit:
        s.ball_y = y0
        s.ball_vy = -s.ball_vy
        points += hit
    paddle_y = p.height - p.paddle_gap - p.paddle_height
    if (s.ball_vy > 0 and y0 + p.ball_height <= paddle_y < s.ball_y + p.ball_height
            and s.ball_x + p.ball_width > s.paddle_x and s.ball_x < s.paddle_x + s.paddle_width):
        s.ball_y = paddle_y - p.ball_height
        paddle_bounce(s, p)
    if points:
        buf.rewards[a] += points
        buf.episode[a].score += points
        s.score += points
        if s.bricks_left == 0 and not s.refill:
            s.walls += 1
            buf.episode[a].walls += 1
            if s.walls == p.boards:
                buf.terminals[a] = True
                return False
            s.refill = 1
    if s.ball_y >= paddle_y + p.paddle_height:  # past the paddle: the ball is lost
        s.lives -= 1
        if s.lives == 0:
            buf.terminals[a] = True
            return False
        reset_round(s, p)
        return False
    return True


# Swept collisions (swept_collisions=True). A hit is (t, overlap, x, y, vx, vy): the fraction
# of the frame's move at which the ball touches, how much of its edge overlaps the other
# edge, and where it then is and goes. NO_HIT is beaten by any hit.
NO_HIT = (f32(2), f32(-1), f32(0), f32(0), f32(0), f32(0))


@njit(inline="always")
def better(t, overlap, best):
    return overlap > 0 and 0 < t <= 1 and (t < best[0] or (t == best[0] and overlap > best[1]))


@njit(inline="always")
def vline_hit(xw, yw, hw, x, y, vx, vy, h, best):
    """The ball's vertical edge (x, y..y+h) moving by (vx, vy) against the wall x = xw, yw..yw+hw."""
    t = (xw - x) / vx
    overlap = min(yw + hw, y + h + vy * t) - max(yw, y + vy * t)
    if better(t, overlap, best):
        return True, (t, overlap, xw, y + vy * t, -vx, vy)
    return False, best


@njit(inline="always")
def hline_hit(xw, yw, ww, x, y, vx, vy, w, best):
    """The ball's horizontal edge (x..x+w, y) moving by (vx, vy) against the wall y = yw, xw..xw+ww."""
    t = (yw - y) / vy
    overlap = min(xw + ww, x + w + vx * t) - max(xw, x + vx * t)
    if better(t, overlap, best):
        return True, (t, overlap, x + vx * t, yw, vx, -vy)
    return False, best


@njit
def brick_hit(s, p, r, c, best):
    x, y, vx, vy, bw, bh = s.ball_x, s.ball_y, s.ball_vx, s.ball_vy, p.ball_width, p.ball_height
    left, top = f32(c) * (p.width / f32(COLS)), p.brick_top + f32(r) * p.brick_height
    width = p.width / f32(COLS)
    hit = False
    if vx > 0:
        h, best = vline_hit(left, top, p.brick_height, x + bw, y, vx, vy, bh, best)
        if h:
            best = (best[0], best[1], best[2] - bw, best[3], best[4], best[5])
        hit |= h
    elif vx < 0:
        h, best = vline_hit(left + width, top, p.brick_height, x, y, vx, vy, bh, best)
        hit |= h
    if vy > 0:
        h, best = hline_hit(left, top, width, x, y + bh, vx, vy, bw, best)
        if h:
            best = (best[0], best[1], best[2], best[3] - bh, best[4], best[5])
        hit |= h
    elif vy < 0:
        h, best = hline_hit(left, top + p.brick_height, width, x, y, vx, vy, bw, best)
        hit |= h
    return hit, best


@njit
def swept_bounce(s, p):
    """The paddle's return: the angle from where the ball's centre meets it (unclamped), the
    speed of this hit; every 4th hit speeds up the next."""
    offset = (s.ball_x + p.ball_width * f32(0.5) - s.paddle_x) / s.paddle_width
    angle = (offset * f32(2) - f32(1)) * MAX_BOUNCE_ANGLE
    s.ball_vx = math.sin(angle) * s.ball_speed
    s.ball_vy = -math.cos(angle) * s.ball_speed
    s.hits += 1
    if s.hits % HITS_PER_SPEEDUP == 0:
        s.ball_speed = min(s.ball_speed + p.ball_speed_increment, p.ball_max_speed)
    if s.refill:
        fill_bricks(s)


@njit
def swept_collide(s, p):
    """Moves the ball for one frame: to the first thing its path touches, or all the way.
    Returns the points of the brick it broke (0 for none)."""
    # float rounding may leave the ball a hair outside the field: step it back in
    nudge = p.ball_max_speed * f32(1.1)
    if s.ball_x < 0:
        s.ball_x += nudge
    if s.ball_x > p.width:
        s.ball_x -= nudge
    if s.ball_y < 0:
        s.ball_y += nudge
    x, y, vx, vy, bw, bh = s.ball_x, s.ball_y, s.ball_vx, s.ball_vy, p.ball_width, p.ball_height
    best = NO_HIT
    what = -4  # -4 nothing, -3 a side wall, -2 the top wall, -1 the paddle, else the brick's index
    if y + min(vy, f32(0)) < p.brick_top + f32(ROWS) * p.brick_height:  # the path may reach the bricks
        brick_width = p.width / f32(COLS)
        c0 = max(int(math.floor(min(x + vx, x) / brick_width)), 0)
        c1 = min(int(math.floor(max(x + bw + vx, x + bw) / brick_width)), COLS - 1)
        r0 = max(int(math.floor((min(y + vy, y) - p.brick_top) / p.brick_height)), 0)
        r1 = min(int(math.floor((max(y + bh + vy, y + bh) - p.brick_top) / p.brick_height)), ROWS - 1)
        for r in range(r0, r1 + 1):
            for c in range(c0, c1 + 1):
                if s.bricks[r, c]:
                    h, best = brick_hit(s, p, r, c, best)
                    if h:
                        what = r * COLS + c
    if vx < 0:
        h, best = vline_hit(f32(0), f32(0), p.height, x, y, vx, vy, bh, best)
        if h:
            what = -3
    elif vx > 0:
        h, best = vline_hit(p.width, f32(0), p.height, x + bw, y, vx, vy, bh, best)
        if h:
            best = (best[0], best[1], best[2] - bw, best[3], best[4], best[5])
            what = -3
    if vy < 0:
        h, best = hline_hit(f32(0), f32(0), p.width, x, y, vx, vy, bw, best)
        if h:
            what = -2
    paddle_y = p.height - p.paddle_gap - p.paddle_height
    if y + bh + vy >= paddle_y and vy != 0:
        h, best = hline_hit(s.paddle_x, paddle_y, s.paddle_width, x, y + bh, vx, vy, bw, best)
        if h:
            swept_bounce(s, p)  # the ball stays where it is this frame
            return 0
    if what == -4:
        s.ball_x += vx
        s.ball_y += vy
        return 0
    s.ball_x, s.ball_y, s.ball_vx, s.ball_vy = best[2], best[3], best[4], best[5]
    if what == -2 and p.paddle_shrink:
        s.paddle_width = p.paddle_width * f32(0.5)
    if what < 0:
        return 0
    r, c = what // COLS, what % COLS
    s.bricks[r, c] = 0
    s.bricks_left -= 1
    if r < FAST_ROWS:
        s.ball_speed = p.ball_max_speed  # from the next paddle hit
    return 7 - 3 * (r // 2)


@njit
def swept_frame(s, p, buf, a, action):
    """One frame of the swept rules; False ends the step: the game ended."""
    if not s.served:
        s.served = 1
        move = f32(0)
    else:
        move = -p.paddle_speed if action == LEFT else (p.paddle_speed if action == RIGHT else f32(0))
    s.paddle_x = min(max(s.paddle_x + move, f32(0)), p.width - s.paddle_width)
    points = swept_collide(s, p)
    if points:
        buf.rewards[a] += points
        buf.episode[a].score += points
        s.score += points
        if s.bricks_left == 0 and not s.refill:
            s.walls += 1
            buf.episode[a].walls += 1
            if s.walls == p.boards:
                buf.terminals[a] = True
                return False
            s.refill = 1
    if s.ball_y >= p.height - p.paddle_gap:  # past the paddle's bottom: the ball is lost
        s.lives -= 1
        if s.lives == 0:
            buf.terminals[a] = True
            return False
        reset_round(s, p)
    return True


@njit(inline="always")  # a call LLVM does not inline passes each buffer as scalars: Pong ran at half speed
def advance(s, p, buf, a):
    """One step of the rules: everything but the observation (breakout_pixels draws its own)."""
    action = buf.actions[a]
    if p.swept_collisions:
        for _ in range(p.frameskip):
            if not swept_frame(s, p, buf, a, action):
                break
    else:
        for _ in range(p.frameskip):
            if not frame(s, p, buf, a, action):
                break
    s.t += 1
    if s.t >= p.max_steps:
        buf.truncations[a] = True


@njit
def step(s, p, buf, a):
    advance(s, p, buf, a)
    observe(s, p, buf.observations[a])


ROW_COLORS = [COLORS[c] for c in ("red", "orange", "yellow", "green", "teal", "blue")]


def draw(surface, s, p):
    import pygame
    w = int(p.width)
    surface.fill(COLORS["field"])
    text(surface, f"{s.score:03d}", (12, 14), 36)
    text(surface, f"wall {min(s.walls + 1, p.boards)}/{p.boards}", (w // 2, 16), 28, COLORS["dim"], "midtop")
    for k in range(p.lives):  # lives left as small paddles
        color = COLORS["text"] if k < s.lives else COLORS["line"]
        pygame.draw.rect(surface, color, (w - 16 - 26 * (p.lives - k), 20, 20, 8), border_radius=3)
    bw, bh = p.width / COLS, float(p.brick_height)
    for r in range(ROWS):
        top = float(p.brick_top) + r * bh
        for c in range(COLS):
            if s.bricks[r, c]:
                x0, x1 = round(c * bw), round((c + 1) * bw)
                pygame.draw.rect(surface, ROW_COLORS[r], (x0 + 1, round(top) + 1, x1 - x0 - 2, round(bh) - 2),
                                 border_radius=2)
    paddle_y = p.height - p.paddle_gap - p.paddle_height
    pygame.draw.rect(surface, COLORS["purple"], (round(s.paddle_x), round(paddle_y), round(s.paddle_width),
                                                 round(p.paddle_height)), border_radius=3)
    pygame.draw.rect(surface, COLORS["white"], (round(s.ball_x), round(s.ball_y), round(p.ball_width),
                                                round(p.ball_height)), border_radius=2)


VIEW = View(draw, size=lambda p: (int(p.width), int(p.height)), fps=15, keys={"left": LEFT, "right": RIGHT},
            idle=STAY, help="Left/Right: move the paddle")

game = Game("breakout", STATE, reset, step,
            observation_space=spaces.Box(0, 1, (8 + ROWS * COLS,), np.float32), action_space=spaces.Discrete(3),
            params=PARAMS, check=check, log=("score", "walls"), view=VIEW, presets=PRESETS)
