"""MOBA, multi-agent: PufferLib 3.0.0's Ocean MOBA, a 5v5 DOTA-like game on a 128x128 map,
the same map, heroes, creeps, neutrals, towers, observation, actions and rewards as its C.
Agent k of a game plays radiant hero k (0 support, 1 assassin, 2 burst, 3 tank, 4 carry); the
five dire heroes are scripted as the C scripts them (`script_opponents`, the default: make_game
(script_opponents=False) gives 10 agents a game, k >= 5 the dire heroes).

Rules (each step, in this order; the tables are in moba_data.py, the rules in moba_rules.py):
- Every entity's aim and hit marks are cleared.
- Neutrals: at steps 0, 600, 1200, ... all 72 come back to full health on a random empty cell
  within 3 of their camp. Each living one counts down its status and cooldowns and, unless
  stunned, every 5th step lists the foes within 3 (square) that are heroes; it attacks the
  nearest listed one within 2 (L1) or steps towards it, or walks back towards its camp when
  more than 2 from it with none listed.
- Creeps: at steps 0, 150, 300, ... a wave of 5 a lane (lanes 0-2 radiant's, 3-5 dire's) takes
  the next 30 of 100 slots in turn (a slot's old creep goes), near its lane's first waypoint.
  Each living unstunned creep lists, every 5th step, the foes within 7 (no neutrals); it hits
  the nearest listed one when within 2 (L1) and steps towards it, or, with none listed, steps
  towards its next waypoint (the next one once within 2 of it).
- Towers (24, 22 the dire ancient, 23 the radiant one): each living one whose attack is ready
  lists, every 3rd step, the foe heroes and creeps within 5 and hits the nearest listed one.
- Heroes, 0 to 9: rewards cleared; +2 mana and health (up to their maximum); status and
  cooldowns count down; a stunned hero does nothing more. A scripted dire hero plays as a
  creep of its lane. An agent's hero moves by its action's velocity (at most 1 a step, times
  its move modifier and `agent_speed`), after it lists the foes in its vision (all, or heroes
  and towers only) and casts q, else w, else e (those asked for, ready and castable: see
  moba_skills.py), else auto-attacks the nearest listed foe.
- Steps: a step towards a cell follows the C's shared breadth-first paths (moba_paths.py);
  blocked, the walker moves by a random jitter of up to 1 in each axis instead.
- Attacks: foes within 12 (L1). A kill respawns a hero at once near its base (same level), and
  removes anything else. A hero's kill gives xp (a hero: 100 + its xp / 7.69; creep 60,
  neutral 35, tower 0) shared equally by the killer and its team's heroes within 7 (L1) of
  where the fallen now is; levels follow XP_FOR_LEVEL and raise health, mana and damage.
Observation: Box(0, 255, (510,), uint8), as the C writes it: 11x11 map tiles around the hero
  (0 empty, 1 wall, 2 tower, 3/4 radiant/dire creep, 5 neutral, 6-15 the heroes; off the map:
  wall), where the C's four planes overlap so that only the tiles and, at 121-123, the health,
  mana and level/30 of whatever stands on the bottom-right cell survive (124-483 are 0); then
  26 of the hero: 2x, 2y, 255 level/30, 255 health, 255 mana (fractions of the maximum),
  damage/4, 100 move speed, 100 move modifier, 2 stun, 2 move timer, 2 q, 2 w, 2 e timers,
  50 attack timer, 50 attack cooldown (both mod 256), 255 hit, 255 team, a one-hot hero type
  (5), and 255 for each reward component (death, xp, distance, tower) not 0 this step.
Action: MultiDiscrete([7, 7, 3, 2, 2, 2]): y and x velocity ((a - 3) / 3 each, the pair scaled
  to at most 1), targets (0, 1: everything; 2: heroes and towers), q, w, e.
Reward (per agent, as the C adds it up): reward_death when killed, reward_xp x xp gained,
  reward_tower for a tower's last hit; reward_distance is never given. The components are
  cleared as the heroes' turn begins, so what befalls a hero before its turn in a step (a
  death to a creep, tower or neutral, xp from an earlier hero's kill) is never paid: with
  scripted opponents a radiant hero is never paid for dying.
Termination: when an ancient falls, every agent of the game is terminal.
Log, per game: score and perf (1 if radiant won), radiant_victory, dire_victory,
  radiant_level and dire_level (mean hero level), radiant/dire_towers_alive, and the radiant
  support's radiant_support_<x> for each of its PlayerLog figures (return, the last step's
  reward components, level reached by levelling up (0 if never), kills, deaths, damage and
  healing dealt and received, creeps, neutrals and towers killed, skill usage), with the
  engine's episode_return (the agents' rewards) and episode_length.
Params: vision_range (5, at most 5: the observation is 11x11), agent_speed (1), reward_death
  (-1), reward_xp (0.006), reward_distance (0.05, unused as in the C), reward_tower (3).
View (512x560): the map, 4 pixels a cell: walls teal, towers orange, creeps and heroes in
  their team's colour (heroes larger), neutrals grey; the score above. Play: arrows move hero
  0 (the support), q/w/e cast, shift targets heroes and towers only.

Deviations from the C, where it has bugs that are not the game:
- Terminals: the C never signals the end of a game (it resets it inside the step); ours sets
  every agent terminal at the ancient's fall (benchmarks/ocean_c.py flags the C's resets).
- Randomness comes from each game's stream (the C's rand() and a cycled table of jitters).
- A game starts afresh at reset: the C carries creep slot order, creeps' and neutrals' timers
  and the last step's reward flags over from the game before.
- Logs: the C assigns (not sums) episode_length, the victories and the support's figures, so a
  read after several games of one env has only the last one's, over their count; its
  episode_return is 0. Ours sums each game's.
- A target list keeps at most 121 targets (the C's lists run into the next entity's beyond);
  a move or read off the map is blocked or a wall (the C reads past its grid).
- A stunned agent's reward is 0 (the C leaves the last step's in the buffer); this happens
  only without scripted opponents.
Beside the C (tests/test_moba.py, random play): episode lengths within 2%; the reward per
  agent-step only within ~3 standard errors (a game's reward comes in lumps: hero kills and
  towers), and the support's last-step figures are rare events (the C's log keeps one a game).
"""
import math

import numpy as np
from gymnasium import spaces
from numba import njit

from numbapuffer.core import Game, rand_float
from numbapuffer.engine.checks import check_range
from numbapuffer.engine.pickling import factory
from numbapuffer.engine.render import View
from numbapuffer.envs.moba_data import (BASE_TEAM, CELLS, CREEP0, CREEPS, DIRE_ANCIENT, DIRE_CREEP_TILE, ENTITIES,
                                        HERO_LANE, HERO_TILE0, KIND, NEUTRAL, NEUTRAL0, NEUTRAL_DAMAGE,
                                        NEUTRAL_HEALTH, NEUTRAL_TILE, NEUTRALS, PLAYER, PLAYERS, RADIANT_ANCIENT,
                                        RADIANT_CREEP_TILE, SIDE, SPAWN_X, SPAWN_Y, TOWER, TOWER0, TOWER_DAMAGE,
                                        TOWER_HEALTH, TOWER_TEAM, TOWER_TILE, TOWERS, WALLS, WAYPOINT_X,
                                        WAYPOINT_Y, WAYPOINTS_N)
from numbapuffer.envs.moba_paths import (ATN_X, ATN_Y, CAMP_TABLE, NO_STEP, WAYPOINT_TABLE, static_step,
                                         step_towards)
from numbapuffer.envs.moba_rules import (EMPTY, FOES, L_AUTO, L_DEATH, L_DISTANCE, L_Q, L_RETURN, L_TOWER, L_XP,
                                         NONE, PLAYER_LOG, R_DEATH, R_DISTANCE, R_TOWER, R_XP, SCAN, SKIP_CREEPS,
                                         SKIP_NEUTRALS, SKIP_NONE, SKIP_TOWERS, WALL, basic_attack, i64, kill, l1,
                                         move_to, nearest, scan, skill_timer, spawn_creep, spawn_neutral,
                                         spawn_player, tile, update_cooldowns, update_status)
from numbapuffer.envs.moba_skills import cast
from numbapuffer.envs.moba_view import CELL, TOP, bots, draw, idle

f32 = np.float32
MAP_OBS, HERO_OBS = 11 * 11 * 4, 26
CREEP_VISION, NEUTRAL_VISION, TOWER_VISION = i64(7), i64(3), i64(5)
PARAMS = dict(vision_range=5, agent_speed=f32(1.0), reward_death=f32(-1.0), reward_xp=f32(0.006),
              reward_distance=f32(0.05), reward_tower=f32(3.0))
LOG = ("perf", "score", "radiant_victory", "dire_victory", "radiant_level", "dire_level", "radiant_towers_alive",
       "dire_towers_alive") + tuple("radiant_support_" + name for name in PLAYER_LOG)
E = ENTITIES
STATE = np.dtype([
    ("cells", np.uint8, (CELLS,)),            # [y * 128 + x]: an entity index, EMPTY or WALL
    ("pid", np.int32, (E,)),                  # the entity's index while alive, else NONE
    ("team", np.int32, (E,)), ("grid_id", np.int32, (E,)), ("lane", np.int32, (E,)),
    ("waypoint", np.int32, (E,)),
    ("health", np.float32, (E,)), ("max_health", np.float32, (E,)), ("mana", np.float32, (E,)),
    ("max_mana", np.float32, (E,)), ("damage", np.float32, (E,)), ("y", np.float32, (E,)),
    ("x", np.float32, (E,)), ("move_modifier", np.float32, (E,)),
    ("stun_timer", np.int32, (E,)), ("move_timer", np.int32, (E,)), ("q_timer", np.int32, (E,)),
    ("w_timer", np.int32, (E,)), ("e_timer", np.int32, (E,)), ("attack_timer", np.int32, (E,)),
    ("is_hit", np.int32, (E,)), ("level", np.int32, (E,)), ("xp", np.int32, (E,)),
    ("target_pid", np.int32, (E,)), ("attack_aoe", np.int32, (E,)),   # what it hit this step (the view's)
    ("scan_n", np.int32, (E,)), ("scan", np.uint8, (E, SCAN)),          # its target list
    ("reward", np.float32, (PLAYERS, 4)),     # this step's reward components (R_*)
    ("plog", np.float32, (PLAYERS, len(PLAYER_LOG))),  # the C's PlayerLog of each hero
    ("tick", np.int32), ("creep_idx", np.int32), ("far_searches", np.int64),
    ("seen", np.uint8, (CELLS,)), ("queue", np.int16, (CELLS,)),       # scratch of long searches
])


@njit(_nrt=False)
def jitter(s):
    return f32(2) * rand_float(s) - f32(1)


@njit(_nrt=False)
def walk(s, p, e, k):
    """One step of e along step k of the C's paths (moba_paths.py; NO_STEP: none); blocked, a
    random jitter instead."""
    if k >= NO_STEP:
        return
    sy, sx = int(s.y[e]), int(s.x[e])
    m = p.agent_speed * s.move_modifier[e]
    if move_to(s, e, f32(int(f32(sy) + m * ATN_Y[k])), f32(int(f32(sx) + m * ATN_X[k]))) == 0:
        return
    jx = jitter(s)
    jy = jitter(s)
    move_to(s, e, s.y[e] + jy, s.x[e] + jx)


@njit(_nrt=False)
def chase(s, p, e, y, x):
    """A step of e towards cell (y, x)."""
    walk(s, p, e, step_towards(s, y, x, int(s.y[e]), int(s.x[e])))


@njit(_nrt=False)
def head_for(s, p, e, table):
    """A step of e towards fixed destination `table` (a lane's waypoint or a camp)."""
    walk(s, p, e, static_step(table, int(s.y[e]) * SIDE + int(s.x[e])))


@njit(_nrt=False)
def creep_ai(s, p, e):
    """A creep's turn, and a scripted hero's."""
    if s.tick % 5 == 0:
        scan(s, e, CREEP_VISION, FOES, SKIP_NEUTRALS)
    if s.scan_n[e] > 0:
        t = nearest(s, e)
        ty, tx = s.y[t], s.x[t]
        if l1(s, e, ty, tx) < 2:
            basic_attack(s, p, e, t)
        chase(s, p, e, int(ty), int(tx))
    else:
        lane, w = s.lane[e], s.waypoint[e]
        wy, wx = WAYPOINT_Y[lane, w], WAYPOINT_X[lane, w]
        head_for(s, p, e, WAYPOINT_TABLE[lane, w])
        if l1(s, e, wy, wx) < 2 and w < WAYPOINTS_N[lane] - 1:
            s.waypoint[e] = w + 1


@njit(_nrt=False)
def neutral_ai(s, p, e):
    if s.tick % 5 == 0:
        scan(s, e, NEUTRAL_VISION, FOES, SKIP_CREEPS | SKIP_NEUTRALS | SKIP_TOWERS)
    if s.scan_n[e] > 0:
        t = nearest(s, e)
        if l1(s, e, s.y[t], s.x[t]) < 2:
            basic_attack(s, p, e, t)
        else:
            chase(s, p, e, int(s.y[t]), int(s.x[t]))
    elif l1(s, e, SPAWN_Y[e], SPAWN_X[e]) > 2:
        head_for(s, p, e, CAMP_TABLE[(e - NEUTRAL0) // 4])


@njit(_nrt=False)
def hero_turn(s, p, e, act):
    """An agent's hero: list targets, cast or attack, move."""
    vy = f32(100 * (act[0] - 3)) / f32(300)
    vx = f32(100 * (act[1] - 3)) / f32(300)
    mag = f32(math.sqrt(vy * vy + vx * vx))  # math: numba-cuda has no np.sqrt; float32's own root
    if mag > 1:
        vy /= mag
        vx /= mag
    scan(s, e, p.vision_range, FOES, SKIP_CREEPS | SKIP_NEUTRALS if act[2] == 2 else SKIP_NONE)
    t = nearest(s, e) if s.scan_n[e] > 0 else NONE
    for k in range(3):  # q, else w, else e (a loop: one compiled cast(), not one per slot)
        if act[3 + k] and skill_timer(s, e, k) <= 0 and cast(s, p, e, k, t) == 0:
            s.plog[e, L_Q + k] += 1
            break
    else:
        if t != NONE and basic_attack(s, p, e, t) == 0:
            s.plog[e, L_AUTO] += 1
    m = s.move_modifier[e] * p.agent_speed
    move_to(s, e, s.y[e] + m * vy, s.x[e] + m * vx)


@njit(_nrt=False)
def step_heroes(s, p, buf, a, agents):
    for e in range(PLAYERS):
        for r in range(4):
            s.reward[e, r] = 0
    for e in range(PLAYERS):
        if s.mana[e] < s.max_mana[e]:
            s.mana[e] += 2
        if s.mana[e] > s.max_mana[e]:
            s.mana[e] = s.max_mana[e]
        if s.health[e] < s.max_health[e]:
            s.health[e] += 2
        if s.health[e] > s.max_health[e]:
            s.health[e] = s.max_health[e]
        update_status(s, e)
        update_cooldowns(s, e)
        if s.stun_timer[e] > 0:
            continue
        if e >= agents:
            creep_ai(s, p, e)
        else:
            hero_turn(s, p, e, buf.actions[a + e])
        total = s.reward[e, R_DEATH] + s.reward[e, R_XP] + s.reward[e, R_DISTANCE] + s.reward[e, R_TOWER]
        s.plog[e, L_DEATH] = s.reward[e, R_DEATH]
        s.plog[e, L_XP] = s.reward[e, R_XP]
        s.plog[e, L_DISTANCE] = s.reward[e, R_DISTANCE]
        s.plog[e, L_TOWER] = s.reward[e, R_TOWER]
        s.plog[e, L_RETURN] += total
        if e < agents:
            buf.rewards[a + e] = total


@njit(_nrt=False)
def step_world(s, p):
    """Neutrals, creeps and towers, in the C's order."""
    if s.tick % 600 == 0:
        for e in range(NEUTRAL0, NEUTRAL0 + NEUTRALS):
            spawn_neutral(s, e)
    for e in range(NEUTRAL0, NEUTRAL0 + NEUTRALS):
        if s.pid[e] != NONE:
            update_status(s, e)
            update_cooldowns(s, e)
            if s.stun_timer[e] <= 0:
                neutral_ai(s, p, e)
    if s.tick % 150 == 0:
        for lane in range(6):
            for _ in range(5):
                kill(s, CREEP0 + s.creep_idx)
                spawn_creep(s, s.creep_idx, lane)
                s.creep_idx = (s.creep_idx + 1) % CREEPS
    for e in range(CREEP0, CREEP0 + CREEPS):
        if s.pid[e] != NONE:
            update_status(s, e)
            update_cooldowns(s, e)
            if s.stun_timer[e] <= 0:
                creep_ai(s, p, e)
    for e in range(TOWER0, TOWER0 + TOWERS):
        if s.pid[e] == NONE:
            continue
        update_cooldowns(s, e)
        if s.attack_timer[e] > 0:
            continue
        if s.tick % 3 == 0:
            scan(s, e, TOWER_VISION, FOES, SKIP_NEUTRALS | SKIP_TOWERS)
        t = nearest(s, e)
        if t != NONE:
            basic_attack(s, p, e, t)


@njit(_nrt=False)
def u8(v):
    return np.uint8(int(v) & 255)


@njit(_nrt=False)
def observe(s, p, obs, e):
    for i in range(obs.shape[0]):
        obs[i] = 0
    y, x = int(s.y[e]), int(s.x[e])
    o = MAP_OBS
    obs[o + 0] = u8(2 * x)
    obs[o + 1] = u8(2 * y)
    obs[o + 2] = u8(255 * s.level[e] / 30.0)
    obs[o + 3] = u8(255 * s.health[e] / s.max_health[e])
    obs[o + 4] = u8(255 * s.mana[e] / s.max_mana[e])
    obs[o + 5] = u8(s.damage[e] / 4.0)
    obs[o + 6] = u8(100 * p.agent_speed)
    obs[o + 7] = u8(s.move_modifier[e] * 100)
    obs[o + 8] = u8(2 * s.stun_timer[e])
    obs[o + 9] = u8(2 * s.move_timer[e])
    obs[o + 10] = u8(2 * s.q_timer[e])
    obs[o + 11] = u8(2 * s.w_timer[e])
    obs[o + 12] = u8(2 * s.e_timer[e])
    obs[o + 13] = u8(50 * s.attack_timer[e])
    obs[o + 14] = (50 * 8) & 255  # every hero's cooldown is 8
    obs[o + 15] = u8(255 * s.is_hit[e])
    obs[o + 16] = u8(255 * s.team[e])
    obs[o + 17 + e % 5] = 255
    for r in range(4):
        obs[o + 22 + r] = 0 if s.reward[e, r] == 0 else 255
    vis = p.vision_range
    for dy in range(-vis, vis + 1):
        for dx in range(-vis, vis + 1):
            i = (dy + vis) * 11 + dx + vis
            yy, xx = y + dy, x + dx
            if yy < 0 or yy >= SIDE or xx < 0 or xx >= SIDE:
                obs[i] = 1
                continue
            c = yy * SIDE + xx
            obs[i] = tile(s, c)
            t = s.cells[c]
            if t >= WALL:
                continue
            obs[i + 1] = u8(255 * s.health[t] / s.max_health[t])
            if s.max_mana[t] > 0:
                obs[i + 2] = u8(255 * s.mana[t] / s.max_mana[t])
            obs[i + 3] = u8(s.level[t] / 30.0)


@njit(_nrt=False)
def new_game(s, p, buf, a):
    s.tick = 0
    s.creep_idx = 0
    s.far_searches = 0
    for c in range(CELLS):
        s.cells[c] = WALL if WALLS[c] else EMPTY
    for e in range(ENTITIES):
        s.pid[e] = NONE
        s.team[e] = BASE_TEAM[e]
        s.grid_id[e] = RADIANT_CREEP_TILE
        s.lane[e] = 0
        s.waypoint[e] = 0
        s.health[e] = 0
        s.max_health[e] = 0
        s.mana[e] = 0
        s.max_mana[e] = 0
        s.damage[e] = 0
        s.y[e] = 0
        s.x[e] = 0
        s.move_modifier[e] = 0
        s.stun_timer[e] = 0
        s.move_timer[e] = 0
        s.q_timer[e] = 0
        s.w_timer[e] = 0
        s.e_timer[e] = 0
        s.attack_timer[e] = 0
        s.is_hit[e] = 0
        s.level[e] = 0
        s.xp[e] = 0
        s.target_pid[e] = NONE
        s.attack_aoe[e] = 0
        s.scan_n[e] = 0
        if KIND[e] == PLAYER:
            s.grid_id[e] = HERO_TILE0 + e
            s.lane[e] = HERO_LANE[e]
        elif KIND[e] == NEUTRAL:
            s.grid_id[e] = NEUTRAL_TILE
            s.max_health[e] = NEUTRAL_HEALTH
            s.damage[e] = NEUTRAL_DAMAGE
        elif KIND[e] == TOWER:
            s.grid_id[e] = TOWER_TILE
            s.max_health[e] = TOWER_HEALTH[e - TOWER0]
            s.damage[e] = TOWER_DAMAGE[e - TOWER0]
    for e in range(TOWER0, TOWER0 + TOWERS):  # as the C: from 0, 0 (which it clears) to their cells
        s.pid[e] = e
        s.health[e] = s.max_health[e]
        s.cells[int(SPAWN_Y[e]) * SIDE + int(SPAWN_X[e])] = EMPTY
        move_to(s, e, SPAWN_Y[e], SPAWN_X[e])
    for e in range(PLAYERS):
        for r in range(4):
            s.reward[e, r] = 0
        for f in range(s.plog.shape[1]):
            s.plog[e, f] = 0
        s.pid[e] = e
        s.level[e] = 1
        spawn_player(s, e)
    for k in range(p.agents):
        observe(s, p, buf.observations[a + k], k)


@njit(_nrt=False)
def step(s, p, buf, a):
    for e in range(ENTITIES):
        s.target_pid[e] = NONE
        s.attack_aoe[e] = 0
        s.is_hit[e] = 0
    step_world(s, p)
    step_heroes(s, p, buf, a, p.agents)
    s.tick += 1
    radiant = s.health[DIRE_ANCIENT] <= 0 or s.pid[DIRE_ANCIENT] == NONE
    dire = s.health[RADIANT_ANCIENT] <= 0 or s.pid[RADIANT_ANCIENT] == NONE
    if radiant or dire:
        ep = buf.episode[a]
        ep.score = ep.perf = ep.radiant_victory = f32(radiant)
        ep.dire_victory = f32(dire)
        rl = dl = f32(0)
        for e in range(5):
            rl += f32(s.level[e]) / f32(5)
            dl += f32(s.level[e + 5]) / f32(5)
        ep.radiant_level, ep.dire_level = rl, dl
        rt = dt = 0
        for i in range(TOWERS):
            if s.health[TOWER0 + i] > 0:
                if TOWER_TEAM[i] == 0:
                    rt += 1
                else:
                    dt += 1
        ep.radiant_towers_alive, ep.dire_towers_alive = rt, dt
        log_support(s, ep)
        for k in range(p.agents):
            buf.terminals[a + k] = True
        return
    for k in range(p.agents):
        observe(s, p, buf.observations[a + k], k)


# The engine inlines a game's reset and step into its kernels at Numba's IR level, reset twice
# into the step kernel: copied and retyped three times, new_game's body cost seconds of each
# cold compile, and a call costs nothing beside a step of ~20 us. (step stays inlined: as a
# function of its own it was one more level whose compile re-optimises all it calls, ~4 s.)
@njit(_nrt=False)
def reset(s, p, buf, a):
    new_game(s, p, buf, a)


@njit(_nrt=False)
def log_support(s, ep):
    ep.radiant_support_episode_return = s.plog[0, 0]
    ep.radiant_support_reward_death = s.plog[0, 1]
    ep.radiant_support_reward_xp = s.plog[0, 2]
    ep.radiant_support_reward_distance = s.plog[0, 3]
    ep.radiant_support_reward_tower = s.plog[0, 4]
    ep.radiant_support_level = s.plog[0, 5]
    ep.radiant_support_kills = s.plog[0, 6]
    ep.radiant_support_deaths = s.plog[0, 7]
    ep.radiant_support_damage_dealt = s.plog[0, 8]
    ep.radiant_support_damage_received = s.plog[0, 9]
    ep.radiant_support_healing_dealt = s.plog[0, 10]
    ep.radiant_support_healing_received = s.plog[0, 11]
    ep.radiant_support_creeps_killed = s.plog[0, 12]
    ep.radiant_support_neutrals_killed = s.plog[0, 13]
    ep.radiant_support_towers_killed = s.plog[0, 14]
    ep.radiant_support_usage_auto = s.plog[0, 15]
    ep.radiant_support_usage_q = s.plog[0, 16]
    ep.radiant_support_usage_w = s.plog[0, 17]
    ep.radiant_support_usage_e = s.plog[0, 18]


def check(p):
    check_range("moba", p, ("vision_range",), low=0, high=5)
    if not 0 < p["agent_speed"] <= 2.55:
        raise ValueError(f"moba: agent_speed must be in (0, 2.55] (the observation shows 100x it in a byte), "
                         f"got {p['agent_speed']}")


@factory  # its games pickle as this call
def make_game(script_opponents=True):
    """MOBA with the dire heroes scripted (5 agents a game, the default) or played (10)."""
    agents = 5 if script_opponents else 10
    keys = {"up": (0, 3, 0, 0, 0, 0), "down": (6, 3, 0, 0, 0, 0), "left": (3, 0, 0, 0, 0, 0),
            "right": (3, 6, 0, 0, 0, 0), "q": (3, 3, 0, 1, 0, 0), "w": (3, 3, 0, 0, 1, 0),
            "e": (3, 3, 0, 0, 0, 1), "left shift": (3, 3, 2, 0, 0, 0)}
    view = View(draw, size=(SIDE * CELL, TOP + SIDE * CELL), fps=10, keys=keys, idle=idle, bots=bots,
                help="arrows: move the radiant support; q/w/e: skills; shift: target heroes and towers")
    return Game("moba", STATE, reset, step,
                observation_space=spaces.Box(0, 255, (MAP_OBS + HERO_OBS,), np.uint8),
                action_space=spaces.MultiDiscrete([7, 7, 3, 2, 2, 2]), agents=agents, params=PARAMS,
                sizes=dict(agents=agents), check=check, log=LOG, log_per="game", view=view,
                scratch=("seen", "queue"))


game = make_game()
