"""Target, multi-agent, the rules of PufferLib 3.0.0's Ocean Target (puffers eating stars):
`num_agents` agents and `num_goals` goals on a `width` x `height` field (pixels, y down);
an agent that comes within 32 pixels of a goal eats it and the goal moves elsewhere. Agent
k of a game is agent k of the field. A game that never ends, as in PufferLib.

Start: agents and goals on random whole-pixel points; every agent heading 0, speed 0.
Moves, agent by agent (agent 0 first): the heading turns by (action[0] - 4) / 12 radians,
  clipped to [0, 2 pi]; the speed changes by action[1] - 2, clipped to [-20, 20]; the agent
  moves by speed along its heading, clipped to the field. Every 512th step since it last
  ate, an agent jumps to a random whole-pixel point. Then, agent by agent, goal by goal:
  a goal within 32 pixels of the agent is eaten and moves to a random whole-pixel point
  (later agents see it there).
Observation: Box(-1, 1, (2*(num_goals + num_agents) + 4,), float32): for each goal, then
  each agent (itself too: 0, 0), its x and y minus the agent's, over width and height;
  the agent's heading / (2 pi); its reward this step; its x / width and y / height.
  (PufferLib declares Box(0, 1); the offsets are negative half the time.)
Action: MultiDiscrete([9, 5]): the turn (4 none) and the change of speed (2 none).
Reward: 1 to an agent that eats one goal or more in the step, else 0.
Termination: none. PufferLib logs each goal eaten as an episode of its agent (return 1, the
  steps since it last ate); ours does the same by ending the agent's episode with a
  truncation (not terminal: the game goes on and a trainer bootstraps through it). One
  step in which an agent eats two goals is one episode here, two (the second 0 long)
  there. In the (about 1 in 10^20) step where every agent eats, the engine restarts the
  game, as it does when all of a game's agents are done.
Moves use our float32 cos and sin (`cos_sin`, within 2e-7 of the true values) where the C
  calls cosf and sinf: positions agree to float32 rounding, not bit for bit.
Log: episode_return (1), episode_length (steps since the agent last ate), score (goals eaten
  in the step), perf (1), as PufferLib's.
Sizes fix the state and spaces: `make_game(num_agents, num_goals)`; `game` has PufferLib's
  defaults (8, 4). width and height are params (1080, 720).
View: the field, agents blue with a line for the heading, goals yellow stars. Play: agent 0,
  left/right turn, up/down speed up and slow down; the others hold their heading and speed.
"""
import math
from functools import partial

import numpy as np
from gymnasium import spaces
from numba import njit

from numbapuffer.engine.checks import check_count, check_range
from numbapuffer.core import Game, rand_int
from numbapuffer.engine.pickling import factory
from numbapuffer.engine.render import COLORS, View

f32 = np.float32
TWO_PI = f32(2 * f32(math.pi))  # as the C: its float PI doubled
REACH2 = f32(32 * 32)  # squared pixels: a goal this near is eaten
JUMP_TICKS = 512  # steps without a goal before an agent jumps elsewhere
MAX_SPEED = f32(20)
TURN, SPEED = 9, 5  # the action's sizes; 4 and 2 are "no change"

PARAMS = dict(width=1080, height=720)


def check(p):
    # positions are whole pixels drawn below the size, kept exact in float32
    check_range("target", p, ("width", "height"), low=1, high=2**24)


HALF_PI_HI, HALF_PI_LO = f32(1.5707963705062866), f32(-4.371139000186243e-08)  # pi / 2 in two parts
TWO_OVER_PI = f32(2 / math.pi)


@njit
def cos_sin(h):
    """cos and sin of h in float32 (about 1 ulp): a quarter turn off, then short series on
    [-pi/4, pi/4]. Plain float32 arithmetic, so compiled and NUMBA_DISABLE_JIT agree bit for
    bit; 2-3x faster than libm's double cos and sin, which were 40% of the step."""
    q = np.int32(h * TWO_OVER_PI + f32(0.5))  # h >= 0
    r = (h - f32(q) * HALF_PI_HI) - f32(q) * HALF_PI_LO
    r2 = r * r
    s = r + r * r2 * (f32(-1 / 6) + r2 * (f32(1 / 120) + r2 * (f32(-1 / 5040) + r2 * f32(1 / 362880))))
    c = f32(1) + r2 * (f32(-0.5) + r2 * (f32(1 / 24) + r2 * (f32(-1 / 720) + r2 * f32(1 / 40320))))
    q &= 3
    if q == 0:
        return c, s
    if q == 1:
        return -s, c
    if q == 2:
        return -c, -s
    return s, -c


@njit
def observe(s, p, buf, a, k):
    obs = buf.observations[a + k]
    iw, ih = f32(1) / f32(p.width), f32(1) / f32(p.height)  # multiplying: a fifth of the step
    x, y = s.x[k], s.y[k]
    i = 0
    for g in range(s.goal_x.shape[0]):
        obs[i] = (s.goal_x[g] - x) * iw
        obs[i + 1] = (s.goal_y[g] - y) * ih
        i += 2
    for j in range(s.x.shape[0]):
        obs[i] = (s.x[j] - x) * iw
        obs[i + 1] = (s.y[j] - y) * ih
        i += 2
    obs[i] = s.heading[k] / TWO_PI
    obs[i + 1] = buf.rewards[a + k]
    obs[i + 2] = x * iw
    obs[i + 3] = y * ih


@njit
def reset(s, p, buf, a):
    for k in range(s.x.shape[0]):
        s.x[k] = rand_int(s, p.width)
        s.y[k] = rand_int(s, p.height)
        s.heading[k] = 0
        s.speed[k] = 0
        s.ticks[k] = 0
    for g in range(s.goal_x.shape[0]):
        s.goal_x[g] = rand_int(s, p.width)
        s.goal_y[g] = rand_int(s, p.height)
    for k in range(s.x.shape[0]):
        observe(s, p, buf, a, k)


@njit
def move(s, p, buf, a, k):
    s.ticks[k] += 1
    turn, accel = buf.actions[a + k, 0], buf.actions[a + k, 1]
    s.heading[k] = min(max(s.heading[k] + f32(turn - 4) / f32(12), f32(0)), TWO_PI)
    s.speed[k] = min(max(s.speed[k] + f32(accel - 2), -MAX_SPEED), MAX_SPEED)
    c, sn = cos_sin(s.heading[k])
    s.x[k] = min(max(s.x[k] + s.speed[k] * c, f32(0)), f32(p.width))
    s.y[k] = min(max(s.y[k] + s.speed[k] * sn, f32(0)), f32(p.height))
    if s.ticks[k] % JUMP_TICKS == 0:
        s.x[k] = rand_int(s, p.width)
        s.y[k] = rand_int(s, p.height)


@njit
def step(s, p, buf, a):
    agents = s.x.shape[0]
    for k in range(agents):
        move(s, p, buf, a, k)
    for k in range(agents):
        eaten = 0
        for g in range(s.goal_x.shape[0]):
            dx, dy = s.goal_x[g] - s.x[k], s.goal_y[g] - s.y[k]
            if dx * dx + dy * dy <= REACH2:
                s.goal_x[g] = rand_int(s, p.width)
                s.goal_y[g] = rand_int(s, p.height)
                eaten += 1
        if eaten > 0:
            buf.rewards[a + k] = 1
            buf.truncations[a + k] = True
            s.ticks[k] = 0
            buf.episode[a + k].score = eaten
            buf.episode[a + k].perf = 1
    for k in range(agents):
        observe(s, p, buf, a, k)


def draw(surface, s, p):
    import pygame
    surface.fill(COLORS["field"])
    for g in range(len(s.goal_x)):
        c = (float(s.goal_x[g]), float(s.goal_y[g]))
        pts = [(c[0] + (14 if i % 2 == 0 else 6) * math.sin(i * math.pi / 5),
                c[1] - (14 if i % 2 == 0 else 6) * math.cos(i * math.pi / 5)) for i in range(10)]
        pygame.draw.polygon(surface, COLORS["yellow"], pts)
    for k in range(len(s.x)):
        c = (float(s.x[k]), float(s.y[k]))
        pygame.draw.circle(surface, COLORS["blue"] if k else COLORS["green"], c, 12)
        tip = (c[0] + 20 * math.cos(s.heading[k]), c[1] + 20 * math.sin(s.heading[k]))
        pygame.draw.line(surface, COLORS["text"], c, tip, 3)


def bots(s, p, actions):
    for k in range(1, len(actions)):
        actions[k] = (4, 2)


@factory  # its games pickle as this call
def make_game(num_agents=8, num_goals=4):
    """A Target Game with these many agents and goals."""
    agents = check_count(num_agents, "num_agents", "target: ", high=10000)
    goals = check_count(num_goals, "num_goals", "target: ", high=10000)
    state = np.dtype([
        ("x", np.float32, (agents,)), ("y", np.float32, (agents,)),
        ("heading", np.float32, (agents,)), ("speed", np.float32, (agents,)), ("ticks", np.int32, (agents,)),
        ("goal_x", np.float32, (goals,)), ("goal_y", np.float32, (goals,)),
    ])
    view = View(draw, size=lambda p: (int(p.width), int(p.height)), fps=30,
                keys={"left": (2, 2), "right": (6, 2), "up": (4, 3), "down": (4, 1)}, idle=(4, 2),
                bots=partial(bots), help="agent 0 (green): left/right turn, up/down speed")
    return Game("target", state, reset, step,
                observation_space=spaces.Box(-1, 1, (2 * (goals + agents) + 4,), np.float32),
                action_space=spaces.MultiDiscrete([TURN, SPEED]), agents=agents, params=PARAMS, check=check,
                log=("score", "perf"), view=view)


game = make_game()
