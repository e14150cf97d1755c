"""Pong: the agent is the right paddle; the left paddle is a scripted opponent tracking the ball.

Observation: Box(0, 1, (8,), float32): left paddle y, right paddle y, ball x, ball y,
  ball vx, ball vy, left score, right score, each scaled to [0, 1].
Action: Discrete(3): 0 stay, 1 up (+y), 2 down (-y).
Reward: +1 for returning the ball, +10 for winning a point, 0 for losing one, 0 otherwise
  (the last one set in a step counts). The params reward_return, reward_point_won and
  reward_point_lost set the three; PufferLib 3.0's Pong is reward_return=0.1,
  reward_point_won=1, reward_point_lost=-1.
Termination: a side reaches `max_score` points; the game then restarts in the same step.
Log: episode_return, episode_length, score (points the agent won).
Params: the field's sizes and speeds, max_score, frameskip, the three rewards, and
  serve_flat_or_down: False (the default) serves the ball with vertical speed
  +-ball_initial_speed_y, True with 0 or -ball_initial_speed_y, each half the time.
Preset "pufferlib" (make("pong", preset="pufferlib")): PufferLib 3.0.0's Pong, its C and
  its Python defaults: rewards 0.1 / 1 / -1 and the serve of 0 or -1 vertical speed (its
  `(rand() % 2 - 1) * ball_initial_speed_y`); the rest of the defaults are the same. The
  observation layout and scaling are the C's. Where the C's code has slips that are not the
  game, these rules do the sane thing: scores observed as score / max_score (the C divides
  unsigned ints: always 0), the observation after a point is of the new round (the C's
  keeps the last frame before it), the ball is clipped into the field every frame (the C's
  only after a right-paddle return, so its ball may lie up to a speed outside the field and
  the observation outside [0, 1]), and the log's episode_length counts the episode's steps
  (the C's counts the last round's only). Its Log's score is (points won - points lost),
  ours points won.
View: the field at its size in pixels (500x640 by default), +y drawn upward; the agent's
  paddle blue on the right, the opponent's red on the left. Play: up/down arrows.
"""
import numpy as np
from gymnasium import spaces
from numba import njit

from numbapuffer.engine.checks import INT32_MAX, check_range
from numbapuffer.core import Game, rand_int
from numbapuffer.engine.render import COLORS, View, text

f32 = np.float32
HALF = f32(0.5)

PARAMS = dict(
    width=f32(500), height=f32(640), paddle_width=f32(20), paddle_height=f32(70),
    ball_width=f32(32), ball_height=f32(32), paddle_speed=f32(8),
    ball_initial_speed_x=f32(10), ball_initial_speed_y=f32(1),
    ball_speed_y_increment=f32(3), ball_max_speed_y=f32(13), max_score=21, frameskip=1,
    reward_return=f32(1), reward_point_won=f32(10), reward_point_lost=f32(0), serve_flat_or_down=False,
)
PRESETS = {"pufferlib": dict(reward_return=f32(0.1), reward_point_won=f32(1), reward_point_lost=f32(-1),
                             serve_flat_or_down=True)}
REWARDS = ("reward_return", "reward_point_won", "reward_point_lost")  # any finite value

STATE = np.dtype([
    ("paddle_yl", np.float32), ("paddle_yr", np.float32),
    ("ball_x", np.float32), ("ball_y", np.float32),
    ("ball_vx", np.float32), ("ball_vy", np.float32),
    ("score_l", np.int32), ("score_r", np.int32),
    ("tick", np.int32), ("n_bounces", np.int32),
])


# Sizes and speeds in pixels, from a hundredth of a pixel (no float32 underflow to 0, a
# division by zero) to a million (above, float32 positions lose whole pixels and sums of
# them can overflow to inf: NaN observations).
MIN_PIXELS, MAX_PIXELS = 0.01, 1e6
MAX_FRAMESKIP = 1000  # frames in one step; more would make a step take seconds


def check(p):
    """The params these rules can play: observations stay inside their Box and no division by zero."""
    sizes = [k for k, v in PARAMS.items() if isinstance(v, f32) and k not in REWARDS]
    check_range("pong", p, sizes, above=0, low=MIN_PIXELS, high=MAX_PIXELS)
    check_range("pong", p, ("max_score",), low=1, high=INT32_MAX)  # scores are int32
    check_range("pong", p, ("frameskip",), low=1, high=MAX_FRAMESKIP)
    if p["ball_width"] >= p["width"] or p["ball_height"] >= p["height"]:
        raise ValueError("pong: the ball must be smaller than the field")
    if p["paddle_width"] >= p["width"] / 2 or p["paddle_height"] >= p["height"]:
        raise ValueError("pong: the paddles must fit the field (paddle_width < width / 2, paddle_height < height)")
    # the ball's vertical speed observed as (vy + max) / (2 max): it must never exceed the max
    for k in ("ball_initial_speed_y", "ball_speed_y_increment"):
        if p[k] > p["ball_max_speed_y"]:
            raise ValueError(f"pong: parameter {k}={p[k]:g} must not exceed ball_max_speed_y={p['ball_max_speed_y']:g}")


@njit
def observe(s, p, obs):
    min_y = -p.paddle_height * HALF
    span = (p.height - p.paddle_height * HALF) - min_y  # max_paddle_y - min_paddle_y
    obs[0] = (s.paddle_yl - min_y) / span
    obs[1] = (s.paddle_yr - min_y) / span
    obs[2] = s.ball_x / p.width
    obs[3] = s.ball_y / p.height
    obs[4] = (s.ball_vx + p.ball_initial_speed_x) / (f32(2) * p.ball_initial_speed_x)
    obs[5] = (s.ball_vy + p.ball_max_speed_y) / (f32(2) * p.ball_max_speed_y)
    obs[6] = f32(s.score_l) / f32(p.max_score)
    obs[7] = f32(s.score_r) / f32(p.max_score)


@njit
def reset_round(s, p):
    s.paddle_yl = p.height * HALF - p.paddle_height * HALF
    s.paddle_yr = s.paddle_yl
    s.ball_x = p.width / f32(5)
    s.ball_y = p.height * HALF - p.ball_height * HALF
    s.ball_vx = p.ball_initial_speed_x
    if p.serve_flat_or_down:
        s.ball_vy = f32(0) if rand_int(s, 2) else -p.ball_initial_speed_y
    else:
        s.ball_vy = p.ball_initial_speed_y if rand_int(s, 2) else -p.ball_initial_speed_y
    s.tick = 0
    s.n_bounces = 0


@njit
def start(s, p):
    reset_round(s, p)
    s.score_l = 0
    s.score_r = 0


@njit
def reset(s, p, buf, a):
    start(s, p)
    observe(s, p, buf.observations[a])


@njit
def end_game(s, p):
    """The ball that ended the game has passed an edge: back inside the field, so that the
    final observation stays inside the Box (here, not in observe: no cost on other steps)."""
    s.ball_x = min(max(s.ball_x, f32(0)), p.width - p.ball_width)
    s.ball_y = min(max(s.ball_y, f32(0)), p.height - p.ball_height)


@njit
def step(s, p, buf, a):
    advance(s, p, buf, a)
    observe(s, p, buf.observations[a])


@njit(inline="always")  # a call LLVM does not inline passes each buffer as scalars: Pong ran at half speed
def advance(s, p, buf, a):
    """One step of the rules: everything but the observation (pong_pixels draws its own)."""
    action = buf.actions[a]
    direction = f32(1) if action == 1 else (f32(-1) if action == 2 else f32(0))
    min_y = -p.paddle_height * HALF
    max_y = p.height - p.paddle_height * HALF
    for _ in range(p.frameskip):
        s.tick += 1
        s.paddle_yr += p.paddle_speed * direction
        delta = s.ball_y - (s.paddle_yl + p.paddle_height * HALF)
        s.paddle_yl += min(max(delta, -p.paddle_speed), p.paddle_speed)
        s.paddle_yl = min(max(s.paddle_yl, min_y), max_y)
        s.paddle_yr = min(max(s.paddle_yr, min_y), max_y)
        s.ball_x += s.ball_vx
        s.ball_y += s.ball_vy
        if s.ball_y < 0 or s.ball_y + p.ball_height > p.height:
            s.ball_vy = -s.ball_vy
        if s.ball_x < 0:
            if s.ball_y + p.ball_height > s.paddle_yl and s.ball_y < s.paddle_yl + p.paddle_height:
                s.ball_vx = -s.ball_vx
                s.n_bounces += 1
            else:  # the agent wins the point
                buf.rewards[a] = p.reward_point_won
                buf.episode[a].score += 1
                s.score_r += 1
                if s.score_r == p.max_score:
                    buf.terminals[a] = True  # the engine resets the game
                    end_game(s, p)
                else:
                    reset_round(s, p)
                return
        if s.ball_x + p.ball_width > p.width:
            if s.ball_y + p.ball_height > s.paddle_yr and s.ball_y < s.paddle_yr + p.paddle_height:
                s.ball_vx = -s.ball_vx
                s.n_bounces += 1
                buf.rewards[a] = p.reward_return
                vy = s.ball_vy + p.ball_speed_y_increment * direction
                vy = min(max(vy, -p.ball_max_speed_y), p.ball_max_speed_y)
                s.ball_vy = p.ball_speed_y_increment if abs(vy) < f32(0.01) else vy
            else:  # the opponent wins the point
                buf.rewards[a] = p.reward_point_lost
                s.score_l += 1
                if s.score_l == p.max_score:
                    buf.terminals[a] = True
                    end_game(s, p)
                else:
                    reset_round(s, p)
                return
        s.ball_x = min(max(s.ball_x, f32(0)), p.width - p.ball_width)
        s.ball_y = min(max(s.ball_y, f32(0)), p.height - p.ball_height)


def draw(surface, s, p):
    """The field, +y drawn upward (so the "up" key moves the paddle up), scores at the top."""
    import pygame
    w, h = int(p.width), int(p.height)
    surface.fill(COLORS["field"])
    for y in range(8, h, 32):  # the centre line
        surface.fill(COLORS["line"], (w // 2 - 2, y, 4, 16))
    text(surface, s.score_l, (w // 2 - 40, 20), 72, COLORS["red"], "topright")
    text(surface, s.score_r, (w // 2 + 40, 20), 72, COLORS["blue"], "topleft")
    pw, ph = int(p.paddle_width), int(p.paddle_height)
    pygame.draw.rect(surface, COLORS["red"], (0, h - int(s.paddle_yl) - ph, pw, ph), border_radius=4)
    pygame.draw.rect(surface, COLORS["blue"], (w - pw, h - int(s.paddle_yr) - ph, pw, ph), border_radius=4)
    bw, bh = int(p.ball_width), int(p.ball_height)
    pygame.draw.ellipse(surface, COLORS["yellow"], (int(s.ball_x), h - int(s.ball_y) - bh, bw, bh))


VIEW = View(draw, size=lambda p: (int(p.width), int(p.height)), fps=60, keys={"up": 1, "down": 2}, idle=0,
            help="Up/Down: move the blue paddle")

game = Game("pong", STATE, reset, step,
            observation_space=spaces.Box(0, 1, (8,), np.float32), action_space=spaces.Discrete(3),
            params=PARAMS, check=check, log=("score",), view=VIEW, presets=PRESETS)
