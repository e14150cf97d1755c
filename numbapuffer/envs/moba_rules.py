"""MOBA's rules of entities (numbapuffer/envs/moba.py runs them): moving, spawning, scanning for
targets, attacks, kills, experience and healing, as PufferLib 3.0.0's C has them. `s` is a
game's record; entity e's fields are s.<field>[e]; s.cells holds each cell's entity index,
EMPTY or WALL."""
import numpy as np
from numba import njit

from numbapuffer.core import rand_int
from numbapuffer.envs.moba_data import (ATTACK_CD, BASE_DAMAGE, BASE_HEALTH, BASE_MANA, CREEP, CREEP0,
                                        CREEP_DAMAGE, CREEP_HEALTH, DAMAGE_GAIN, DIRE_CREEP_TILE, EMPTY_TILE,
                                        HP_GAIN, KIND, MANA_GAIN, NEUTRAL, NEUTRAL0, PLAYER, RADIANT_CREEP_TILE,
                                        SIDE, SPAWN_X, SPAWN_Y, TOWER, WALL_TILE, WAYPOINT_X, WAYPOINT_Y,
                                        XP_FOR_LEVEL, XP_ON_KILL)

f32 = np.float32
EMPTY, WALL = 255, 254  # s.cells: an entity index below these
NONE = -1
SCAN = 121  # targets a scan keeps (the C's list: an 11x11 square's worth)
XP_RANGE = f32(7)
ATTACK_RANGE = f32(12)
# a hero's log (s.plog[pid]): the C's PlayerLog
(L_RETURN, L_DEATH, L_XP, L_DISTANCE, L_TOWER, L_LEVEL, L_KILLS, L_DEATHS, L_DEALT, L_RECEIVED, L_HEALED,
 L_HEALED_BY, L_CREEPS, L_NEUTRALS, L_TOWERS, L_AUTO, L_Q, L_W, L_E) = range(19)
PLAYER_LOG = ("episode_return", "reward_death", "reward_xp", "reward_distance", "reward_tower", "level", "kills",
              "deaths", "damage_dealt", "damage_received", "healing_dealt", "healing_received", "creeps_killed",
              "neutrals_killed", "towers_killed", "usage_auto", "usage_q", "usage_w", "usage_e")
R_DEATH, R_XP, R_DISTANCE, R_TOWER = 0, 1, 2, 3  # s.reward[pid]: this step's reward components
# Numbers that game code passes to @njit functions are numpy scalars (np.int64(7), not 7): Numba
# compiles a function once for each literal argument it is given (scan() was compiled 9 times).
i64 = np.int64
# scan()'s filters: foes (or friends) only, and the kinds it skips (bits of KIND)
FOES = np.True_
SKIP_NONE, SKIP_CREEPS, SKIP_NEUTRALS, SKIP_TOWERS = i64(0), i64(1 << CREEP), i64(1 << NEUTRAL), i64(1 << TOWER)


@njit(_nrt=False)
def l1(s, e, y, x):
    return abs(s.y[e] - y) + abs(s.x[e] - x)


@njit(_nrt=False)
def tile(s, c):
    """The map tile of cell c, as the C's grid holds it."""
    v = s.cells[c]
    if v == EMPTY:
        return EMPTY_TILE
    if v == WALL:
        return WALL_TILE
    return s.grid_id[v]


@njit(_nrt=False)
def move_to(s, e, y, x):
    """Entity e to (y, x) if that cell is empty or its own; 0 if it moved, else 1. (Off the map:
    blocked; the C reads past its grid there.)"""
    iy, ix = int(y), int(x)
    if iy < 0 or iy >= SIDE or ix < 0 or ix >= SIDE:
        return 1
    dst = iy * SIDE + ix
    v = s.cells[dst]
    if v != EMPTY and v != s.pid[e]:
        return 1
    s.cells[int(s.y[e]) * SIDE + int(s.x[e])] = EMPTY
    s.cells[dst] = e
    s.y[e] = y
    s.x[e] = x
    return 0


@njit(_nrt=False)
def move_near(s, e, t):
    for dy in range(-1, 2):
        for dx in range(-1, 2):
            if move_to(s, e, s.y[t] + f32(dy), s.x[t] + f32(dx)) == 0:
                return 0
    return 1


@njit(_nrt=False)
def kill(s, e):
    if s.pid[e] == NONE:
        return
    s.cells[int(s.y[e]) * SIDE + int(s.x[e])] = EMPTY
    s.pid[e] = NONE
    s.target_pid[e] = NONE
    s.health[e] = 0
    s.y[e] = 0
    s.x[e] = 0


@njit(_nrt=False)
def level_stats(s, e):
    lvl = s.level[e]
    s.max_health[e] = BASE_HEALTH[e] + f32(lvl * HP_GAIN[e])
    s.max_mana[e] = BASE_MANA[e] + f32(lvl * MANA_GAIN[e])
    s.damage[e] = BASE_DAMAGE + f32(lvl * DAMAGE_GAIN[e])


@njit(_nrt=False)
def spawn_player(s, e):
    kill(s, e)
    s.pid[e] = e
    level_stats(s, e)
    s.health[e] = s.max_health[e]
    s.mana[e] = s.max_mana[e]
    s.attack_timer[e] = 0
    s.move_modifier[e] = 0
    s.move_timer[e] = 0
    s.stun_timer[e] = 0
    s.q_timer[e] = 0
    s.w_timer[e] = 0
    s.e_timer[e] = 0
    s.target_pid[e] = NONE
    s.waypoint[e] = 1
    while True:  # a random empty cell within 7 of the base's spawn point
        y = int(SPAWN_Y[e]) + rand_int(s, i64(15)) - 7
        x = int(SPAWN_X[e]) + rand_int(s, i64(15)) - 7
        if s.cells[y * SIDE + x] == EMPTY:
            break
    move_to(s, e, f32(y), f32(x))


@njit(_nrt=False)
def spawn_creep(s, idx, lane):
    e = CREEP0 + idx
    s.team[e] = 0 if lane < 3 else 1
    s.grid_id[e] = RADIANT_CREEP_TILE if lane < 3 else DIRE_CREEP_TILE
    s.pid[e] = e
    s.health[e] = CREEP_HEALTH
    s.max_health[e] = CREEP_HEALTH
    s.damage[e] = CREEP_DAMAGE
    s.lane[e] = lane
    s.target_pid[e] = NONE
    s.waypoint[e] = 1
    return place_near(s, e, int(WAYPOINT_Y[lane, 0]), int(WAYPOINT_X[lane, 0]), i64(10))


@njit(_nrt=False)
def spawn_neutral(s, e):
    """Back to full health near its camp, alive or not (the C does not take it off its cell
    first: a dead one clears cell 0, 0)."""
    s.pid[e] = e
    s.health[e] = s.max_health[e]
    s.attack_timer[e] = 0
    s.target_pid[e] = NONE
    return place_near(s, e, int(SPAWN_Y[e]), int(SPAWN_X[e]), i64(100))


@njit(_nrt=False)
def place_near(s, e, y0, x0, tries):
    """Entity e onto a cell of the 7x7 square around (y0, x0), drawn until one is empty, at
    most `tries` times; the last try stands, empty or not (then it stays where it was: a creep
    just spawned waits off the map, at 0, 0)."""
    y = x = 0
    for _ in range(tries):
        y = y0 + rand_int(s, i64(7)) - 3
        x = x0 + rand_int(s, i64(7)) - 3
        if s.cells[y * SIDE + x] == EMPTY:
            break
    return move_to(s, e, f32(y), f32(x))


@njit(_nrt=False)
def scan(s, e, radius, foes, skip):
    """Entity e's target list: the foes (or friends) in the square of `radius` cells around it,
    in reading order, less the kinds in `skip`; 1 if none. (The C's five exclusions.)"""
    py, px = int(s.y[e]), int(s.x[e])
    team = s.team[e]
    n = 0
    for y in range(max(py - radius, 0), min(py + radius + 1, SIDE)):
        for x in range(max(px - radius, 0), min(px + radius + 1, SIDE)):
            t = s.cells[y * SIDE + x]
            if t >= WALL or (s.team[t] != team) != foes or (skip >> KIND[t]) & 1:
                continue
            if n < SCAN:
                s.scan[e, n] = t
                n += 1
    s.scan_n[e] = n
    return 1 if n == 0 else 0


@njit(_nrt=False)
def nearest(s, e):
    """The nearest (L1, where they are now) of e's listed targets, the first of equals; NONE if none."""
    best, best_d = NONE, f32(9999999)
    for i in range(s.scan_n[e]):
        t = s.scan[e, i]
        d = l1(s, e, s.y[t], s.x[t])
        if d < best_d:
            best, best_d = t, d
    return best


@njit(_nrt=False)
def calc_level(xp):
    for i in range(30):
        if f32(xp) < XP_FOR_LEVEL[i]:
            return i + 1
    return 30


@njit(_nrt=False)
def attack(s, p, e, t, damage):
    """e deals `damage` to t (a foe within 12, L1); a kill respawns a hero, removes anything
    else, and a hero's kill gives xp to its team's heroes near the fallen (as placed after the
    fall). 0 if it hit."""
    if s.pid[t] == NONE or s.team[t] == s.team[e]:
        return 1
    if l1(s, e, s.y[t], s.x[t]) > ATTACK_RANGE:
        return 1
    by_hero, on_hero = KIND[e] == PLAYER, KIND[t] == PLAYER
    if damage < s.health[t]:
        if by_hero:
            s.plog[e, L_DEALT] += damage
        if on_hero:
            s.plog[t, L_RECEIVED] += damage
        s.health[t] -= damage
        s.target_pid[e] = t
        s.is_hit[t] = 1
        return 0
    if by_hero:
        s.plog[e, L_DEALT] += s.health[t]
    if on_hero:
        s.plog[t, L_RECEIVED] += s.health[t]
    s.health[t] = 0
    kind = KIND[t]
    if kind == PLAYER:
        s.reward[t, R_DEATH] = p.reward_death
        s.plog[t, L_DEATH] = p.reward_death
        if by_hero:
            s.plog[e, L_KILLS] += 1
        s.plog[t, L_DEATHS] += 1
        spawn_player(s, t)
    else:
        if by_hero:
            s.plog[e, L_CREEPS if kind == CREEP else (L_NEUTRALS if kind == NEUTRAL else L_TOWERS)] += 1
        kill(s, t)
    if not by_hero:
        return 0
    xp = 100 + int(s.xp[t] / 7.69) if kind == PLAYER else XP_ON_KILL[t]
    first = 0 if s.team[e] == 0 else 5
    ty, tx = s.y[t], s.x[t]
    near = 0
    for a in range(first, first + 5):
        if a == e or l1(s, a, ty, tx) <= XP_RANGE:
            near += 1
    xp //= near
    for a in range(first, first + 5):
        if not (a == e or l1(s, a, ty, tx) <= XP_RANGE) or s.xp[a] > 10000000:
            continue
        s.xp[a] += xp
        s.reward[a, R_XP] = f32(xp) * p.reward_xp
        before = s.level[a]
        s.level[a] = calc_level(s.xp[a])
        if s.level[a] > before:
            s.plog[a, L_LEVEL] = s.level[a]
        level_stats(s, a)
    if kind == TOWER:
        s.reward[e, R_TOWER] = p.reward_tower
    return 0


@njit(_nrt=False)
def basic_attack(s, p, e, t):
    """Spends the attack's cooldown, hit or miss; 0 if it hit."""
    if s.attack_timer[e] > 0:
        return 1
    s.attack_timer[e] = ATTACK_CD[e]
    return attack(s, p, e, t, s.damage[e])


@njit(_nrt=False)
def heal(s, e, t, amount):
    if s.pid[t] == NONE or s.team[t] != s.team[e] or KIND[t] != PLAYER:
        return 1
    missing = int(s.max_health[t] - s.health[t])
    if amount <= missing:
        s.health[t] += amount
        s.plog[e, L_HEALED] += amount
        s.plog[t, L_HEALED_BY] += amount
        return 0
    s.health[t] = s.max_health[t]
    s.plog[e, L_HEALED] += missing
    s.plog[t, L_HEALED_BY] += missing
    return 0


@njit(_nrt=False)
def aoe(s, p, e, target, radius, damage, stun):
    """Damage (healing if negative) and a stun on every foe (friend) within `radius` of e; the
    stun lands on each listed one, hit or not. 1 if none is there."""
    if scan(s, e, radius, damage >= 0, SKIP_NONE) != 0:
        return 1
    for i in range(s.scan_n[e]):
        t = np.int64(s.scan[e, i])  # (as int64: a uint8 would compile attack() a second time)
        if damage < 0:
            heal(s, e, t, -damage)
            continue
        attack(s, p, e, t, damage)
        if stun > 0:
            s.stun_timer[t] = stun
    s.target_pid[e] = s.pid[target]
    s.attack_aoe[e] = radius
    return 0


@njit(_nrt=False)
def push(s, e, t, amount):
    """Moves t `amount` (L1) straight away from e (towards it if negative); 0 if it moved."""
    dx = s.x[t] - s.x[e]
    dy = s.y[t] - s.y[e]
    dist = abs(dx) + abs(dy)
    if dist == 0:
        return 1
    return move_to(s, t, s.y[t] + amount * dy / dist, s.x[t] + amount * dx / dist)


@njit(_nrt=False)
def update_status(s, e):
    if s.stun_timer[e] > 0:
        s.stun_timer[e] -= 1
    if s.move_timer[e] > 0:
        s.move_timer[e] -= 1
    if s.move_timer[e] == 0:
        s.move_modifier[e] = 1


@njit(_nrt=False)
def skill_timer(s, e, k):
    """The cooldown left of e's skill k (0 q, 1 w, 2 e)."""
    return s.q_timer[e] if k == 0 else (s.w_timer[e] if k == 1 else s.e_timer[e])


@njit(_nrt=False)
def update_cooldowns(s, e):
    if s.q_timer[e] > 0:
        s.q_timer[e] -= 1
    if s.w_timer[e] > 0:
        s.w_timer[e] -= 1
    if s.e_timer[e] > 0:
        s.e_timer[e] -= 1
    if s.attack_timer[e] > 0:
        s.attack_timer[e] -= 1
