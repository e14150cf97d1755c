"""Blastar: PufferLib 3.0.0's Ocean Blastar (after the 1981 game), the same rules, constants,
rewards and observation as its C.

Field: 640x480 pixels, y grows downward. The player's ship (17x17) starts on a random whole
pixel; it moves 8 pixels a step. One enemy ship (16x17) flies right at 4 pixels a step from
(-30, 50), wrapping to x = -16 when it passes x = 640; its y is held at most 420.5. When the
enemy is above the player (enemy y < player y - 8) and their centres are less than 4 pixels
apart across, it either (even odds) stops and drops a bomb (10x12, 12 pixels a step down:
the player is then stuck, and its own bullet gone, until the bomb leaves the field or hits)
or jumps 4 more pixels right. The player's bullet (17x6) goes up 12 pixels a step.
- The player's bullet hitting the enemy (only when the player is below the enemy) scores a
  point and starts a 30-step enemy explosion; after it the enemy respawns at x = -16 on a
  random y (or, with chance 0.1, comes back where it was).
- The bomb or the enemy ship touching the player costs a life and starts a 30-step player
  explosion; the enemy goes to x = -16 on a random y. During an explosion nothing moves
  and the reward is 0.

Observation: Box(-1, 1, (10,), float32): player x / 640, player y / 480, enemy x / 640,
  enemy y / 480, then the player's bullet (x / 640, y / 480, 1) and the bomb (x / 640,
  y / 480, 1), each all 0 when not in flight. The C declares Box(0, 1), but its ships leave
  that range (the enemy enters from x = -30, the player can step to -7): we declare the
  range the values take.
Action: Discrete(6): 0 nothing, 1 left, 2 right, 3 up, 4 down (each only from inside the
  field's edge: a ship may end up to 7 pixels past it), 5 fire (not while a bomb falls;
  firing again restarts the bullet from the ship).
Reward, when the player is below the enemy (player y > enemy y + 17): 0.0005 for a new
  shot, 1.5 + (4.5, or 3.5 if the enemy wrapped this step) * (1 - enemy x / 640) for a hit,
  0.01 * (2 - (player y - enemy y) / 480) for closeness; plus score / (steps + 1) once the
  player has scored; all times 1 + 0.1 * kill streak (hits since the last life lost). The
  reward is 0 when the player is not below the enemy, when their centres are within 4.8
  pixels across, or when the player is in the right half (x > 320).
Termination: the tenth life is lost, or more than 50 points (MAX_SCORE) are scored.
  No truncation (the C has none).
Log: episode_return, episode_length, score, lives (left at the end), kill_streak (at the
  end), perf (score / MAX_SCORE).

Where the C is not the game we did the sane thing: its log is cleared by the reset right
after a finished game is added (so it reports running games' values instead, added once per
explosion step); ours logs each finished game once. The C computes the reward of a step
that loses the last life to a bomb from the fresh game it has already reset to; ours from the
finished game's state. The C never clears its terminals buffer (a 1 stays until overwritten);
ours is cleared every step, as the engine does for every game.

View: the 640x480 field, the player cyan, the enemy red, score and lives at the top.
Play: arrows move, space fires.
"""
import numpy as np
from gymnasium import spaces
from numba import njit

from numbapuffer.core import Game, rand_float, rand_int
from numbapuffer.engine.render import COLORS, View, text

f32 = np.float32
WIDTH, HEIGHT = 640, 480
LIVES = 10
MAX_SCORE = 5 * LIVES
SPEED_SCALE = f32(4)
PLAYER_SPEED = f32(2) * SPEED_SCALE
ENEMY_SPEED = f32(1) * SPEED_SCALE
BULLET_SPEED = f32(3) * SPEED_SCALE
ENEMY_W, ENEMY_H = 16, 17
PLAYER_W, PLAYER_H = 17, 17
BULLET_W, BULLET_H = 17, 6
BOMB_W, BOMB_H = 10, 12
SPAWN_X, SPAWN_Y = f32(-30), f32(50)
ENEMY_MAX_Y = f32(HEIGHT - ENEMY_H * 3.5)
EXPLOSION = 30  # steps
RESPAWN_BIAS = f32(0.1)  # chance that an exploded enemy comes back where it was
NOTHING, LEFT, RIGHT, UP, DOWN, FIRE = 0, 1, 2, 3, 4, 5

STATE = np.dtype([
    ("player_x", np.float32), ("player_y", np.float32),
    ("enemy_x", np.float32), ("enemy_y", np.float32),
    ("bullet_x", np.float32), ("bullet_y", np.float32),  # the player's
    ("bomb_x", np.float32), ("bomb_y", np.float32),      # the enemy's
    ("bullet", np.bool_), ("bomb", np.bool_),            # in flight
    ("enemy_active", np.bool_), ("attacking", np.bool_), ("stuck", np.bool_),
    ("score", np.int32), ("lives", np.int32), ("tick", np.int32), ("kill_streak", np.int32),
    ("player_explosion", np.int32), ("enemy_explosion", np.int32),  # steps left
])


@njit
def observe(s, obs):
    obs[0] = s.player_x / f32(WIDTH)
    obs[1] = s.player_y / f32(HEIGHT)
    obs[2] = s.enemy_x / f32(WIDTH)
    obs[3] = s.enemy_y / f32(HEIGHT)
    for k in range(4, 10):
        obs[k] = 0
    if s.bullet:
        obs[4] = s.bullet_x / f32(WIDTH)
        obs[5] = s.bullet_y / f32(HEIGHT)
        obs[6] = 1
    if s.bomb:
        obs[7] = s.bomb_x / f32(WIDTH)
        obs[8] = s.bomb_y / f32(HEIGHT)
        obs[9] = 1


@njit
def overlap(x1, y1, w1, h1, x2, y2, w2, h2):
    return x1 < x2 + w2 and x1 + w1 > x2 and y1 < y2 + h2 and y1 + h1 > y2


@njit
def reset(s, p, buf, a):
    s.player_x = f32(rand_int(s, WIDTH - PLAYER_W))
    s.player_y = f32(rand_int(s, HEIGHT - PLAYER_H))
    s.enemy_x = SPAWN_X
    s.enemy_y = SPAWN_Y
    s.bullet_x, s.bullet_y = s.player_x, s.player_y
    s.bomb_x, s.bomb_y = SPAWN_X, SPAWN_Y
    s.bullet = False
    s.bomb = False
    s.enemy_active = True
    s.attacking = False
    s.stuck = False
    s.score = 0
    s.lives = LIVES
    s.tick = 0
    s.kill_streak = 0
    s.player_explosion = 0
    s.enemy_explosion = 0
    observe(s, buf.observations[a])


@njit
def game_over(s, buf, a):
    buf.terminals[a] = True
    e = buf.episode[a]
    e.score = s.score
    e.lives = s.lives
    e.kill_streak = s.kill_streak
    e.perf = f32(s.score) / f32(MAX_SCORE)


@njit
def lose_life(s, buf, a):
    """The player is hit; the enemy goes back to the left edge. True when it was the last life."""
    s.lives -= 1
    s.player_explosion = EXPLOSION
    s.stuck = False
    s.enemy_x = f32(-ENEMY_W)
    s.enemy_y = f32(rand_int(s, HEIGHT - ENEMY_H))
    if s.lives <= 0:
        s.lives = 0
        game_over(s, buf, a)
        return True
    return False


@njit
def explosions(s):
    """One step of a running explosion (nothing else moves); False when there is none."""
    if s.player_explosion > 0:
        s.player_explosion -= 1
        s.kill_streak = 0
        if s.player_explosion == 0:
            s.stuck = False
            s.bullet = False
        return True
    if s.enemy_explosion > 0:
        s.enemy_explosion -= 1
        if s.enemy_explosion == 0:
            if rand_float(s) > RESPAWN_BIAS:
                s.enemy_x = f32(-ENEMY_W)
                s.enemy_y = f32(rand_int(s, HEIGHT - ENEMY_H))
            s.enemy_active = True
            s.attacking = False
        return True
    return False


@njit
def move_player(s, action):
    if s.stuck:
        return
    if action == LEFT and s.player_x > 0:
        s.player_x -= PLAYER_SPEED
    elif action == RIGHT and s.player_x < WIDTH - PLAYER_W:
        s.player_x += PLAYER_SPEED
    elif action == UP and s.player_y > 0:
        s.player_y -= PLAYER_SPEED
    elif action == DOWN and s.player_y < HEIGHT - PLAYER_H:
        s.player_y += PLAYER_SPEED


@njit
def step(s, p, buf, a):
    s.tick += 1
    if explosions(s):
        observe(s, buf.observations[a])
        return
    if s.enemy_y > ENEMY_MAX_Y:
        s.enemy_y = ENEMY_MAX_Y
    action = buf.actions[a]
    move_player(s, action)
    shot = f32(0)
    if action == FIRE and not s.bomb:
        if not s.bullet:
            shot = f32(0.0005)
        s.bullet = True  # a bullet in flight starts over from the ship
        s.bullet_x = s.player_x  # the ship's and the bullet's widths are equal: no offset
        s.bullet_y = s.player_y
    if s.bullet:
        s.bullet_y -= BULLET_SPEED
        if s.bullet_y < 0:
            s.bullet = False

    player_cx = s.player_x + f32(PLAYER_W / 2)
    enemy_cx = s.enemy_x + f32(ENEMY_W / 2)  # before the enemy moves
    wrapped = False
    if not s.attacking:
        s.enemy_x += ENEMY_SPEED
        if s.enemy_x > WIDTH:
            s.enemy_x = f32(-ENEMY_W)
            wrapped = True
    if (abs(player_cx - enemy_cx) < SPEED_SCALE and not s.attacking and s.enemy_active
            and s.enemy_y < s.player_y - f32(ENEMY_H // 2)):
        if rand_int(s, 2) == 0:
            s.attacking = True
            if not s.bomb:
                enemy_cx = s.enemy_x + f32(ENEMY_W / 2)  # the C's reward test below reads this one
                s.bomb = True
                s.bomb_x = enemy_cx - f32(5)
                s.bomb_y = s.enemy_y + f32(ENEMY_H)
                s.bullet = False
                s.stuck = True
        else:
            s.enemy_x += ENEMY_SPEED
    if s.bomb:
        s.bomb_y += BULLET_SPEED
        if s.bomb_y > HEIGHT:
            s.bomb = False
            s.stuck = False
            s.attacking = False

    if overlap(s.player_x, s.player_y, PLAYER_W, PLAYER_H, s.enemy_x, s.enemy_y, ENEMY_W, ENEMY_H):
        s.enemy_active = False
        s.enemy_explosion = EXPLOSION
        lose_life(s, buf, a)
        observe(s, buf.observations[a])
        return

    hit = f32(0)
    if (s.bullet and s.player_y > s.enemy_y + ENEMY_H and s.enemy_active
            and overlap(s.bullet_x, s.bullet_y, BULLET_W, BULLET_H, s.enemy_x, s.enemy_y, ENEMY_W, ENEMY_H)):
        s.bullet = False
        s.enemy_active = False
        s.kill_streak += 1
        s.score += 1
        s.enemy_explosion = EXPLOSION
        shot += f32(1.5)
        hit = (f32(3.5) if wrapped else f32(4.5)) * (f32(1) - s.enemy_x / f32(WIDTH))

    if s.bomb and overlap(s.bomb_x, s.bomb_y, BOMB_W, BOMB_H, s.player_x, s.player_y, PLAYER_W, PLAYER_H):
        s.bomb = False
        s.attacking = False
        lose_life(s, buf, a)

    below = s.player_y > s.enemy_y + ENEMY_H
    reward = f32(0)
    if below:
        reward = shot + f32(0.01) * (f32(2) - (s.player_y - s.enemy_y) / f32(HEIGHT)) + hit
    if s.score > 0:
        reward += f32(s.score) / f32(s.tick + 1)
    reward *= f32(1) + f32(s.kill_streak) * f32(0.1)
    if not (below and abs(player_cx - enemy_cx) > f32(ENEMY_W * 0.3)):
        reward = min(reward, f32(0))
    if s.player_x > f32(WIDTH / 2):
        reward = f32(0)
    buf.rewards[a] = reward
    if s.score > MAX_SCORE:
        game_over(s, buf, a)
    observe(s, buf.observations[a])


def draw(surface, s, p):
    import pygame
    surface.fill(COLORS["field"], (0, 0, WIDTH, HEIGHT))
    x, y = float(s.player_x), float(s.player_y)
    if s.player_explosion > 0:
        pygame.draw.circle(surface, COLORS["orange"], (x + 8, y + 8), 6 + s.player_explosion % 6 * 2)
    else:
        pygame.draw.polygon(surface, COLORS["teal"], [(x + 8.5, y), (x, y + PLAYER_H), (x + PLAYER_W, y + PLAYER_H)])
    ex, ey = float(s.enemy_x), float(s.enemy_y)
    if s.enemy_explosion > 0 and not s.enemy_active:
        pygame.draw.circle(surface, COLORS["orange"], (ex + 8, ey + 8), 6 + s.enemy_explosion % 6 * 2)
    else:
        pygame.draw.polygon(surface, COLORS["red"], [(ex, ey), (ex + ENEMY_W, ey), (ex + 8, ey + ENEMY_H)])
    if s.bullet:
        pygame.draw.rect(surface, COLORS["yellow"], (float(s.bullet_x), float(s.bullet_y), BULLET_W, BULLET_H))
    if s.bomb:
        pygame.draw.rect(surface, COLORS["pink"], (float(s.bomb_x), float(s.bomb_y), BOMB_W, BOMB_H))
    text(surface, f"score {s.score}   lives {s.lives}", (8, 8), 24)


VIEW = View(draw, size=(WIDTH, HEIGHT), fps=30,
            keys={"left": LEFT, "right": RIGHT, "up": UP, "down": DOWN, "space": FIRE}, idle=NOTHING,
            help="arrows: fly, space: fire (from below the enemy)")

game = Game("blastar", STATE, reset, step,
            observation_space=spaces.Box(-1, 1, (10,), np.float32), action_space=spaces.Discrete(6),
            log=("score", "lives", "kill_streak", "perf"), view=VIEW)
