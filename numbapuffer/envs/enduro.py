"""Enduro: PufferLib's Ocean Enduro, the Atari 2600 endurance race, on a 152x210 screen (y
grows downward). The player's car drives up a three-lane road that curves and narrows to a
vanishing point at y = 52; enemy cars appear near the horizon and come toward the player
(or, when the player is slow, from below and drive away). A day lasts 232 seconds of 60
steps (13920 steps); pass 200 cars before it ends (300 on later days) to go on to the next
day.

Rules (each step, in this order): the clock advances 1/60 s; the road's curve moves toward
a target that changes to a random direction (left, straight, right; never straight from
left to right) every 1500-5300 steps; enemy cars move by speed * scale(y) * 0.75. With
controls free, the action steers (by (speed + 2.5) / 10 + 0.3 pixels) and/or accelerates
through 4 gears (at most 7.5) or brakes (by 0.01, down to -2.5). After a crash the
controls are off: 90 steps after hitting a car (speed set to -1.5), 20 after touching the
road's edge (speed - 1.25), and the car drifts toward the road's middle; when that begins,
cars behind the player in the middle lane or the lane it drifts toward are removed. The
road's curve pushes the player outward (0.025 * curve * |speed|). A car that the player
overtakes (moving forward, controls free) counts toward the day's target; one that
overtakes the player (speed < 0) gives one back. Enemy cars spawn every 0.5 s (faster with
speed on later days), 1 or 2 at once, in lanes drawn from the game's stream, with the C's
spacing rules. At the end of the day (the clock wrapping to morning) a met target starts
the next day; a missed one ends the episode.

Observation: Box((68,), float32), the C's layout: player x within the road, player y
  (0 bottom .. 1 top of its range), speed (0..1), road left and right edge at the player
  (now and before this step's move) / 152, player lane / 2; then for each of 10 enemy car
  slots (a car in view, else 0.5, 0.5, 0, 0, 0): x within the road, y (1 at the horizon,
  0 at the bottom), delta x, delta y / 102, same lane as the player (0/1); then curve
  direction ((d + 1) / 2), drift direction (-1 or 1), drift magnitude (0..1), curve factor
  (-1..1), time of day (0..1), cars to pass / 200 (up to 1.5), the distance to the nearest
  car ahead in each lane / 102 (1 when none), and a last entry that is always 0.
Action: Discrete(9): 0 noop, 1 accelerate, 2 right, 3 left, 4 brake, 5 brake+right,
  6 brake+left, 7 accelerate+right, 8 accelerate+left.
Reward (each step): +0.05 if no car is ahead in the player's lane, +1 per car overtaken
  (once per car), -0.1 per car that overtakes the player (unless the target is at its
  maximum), -0.5 per collision (car or road edge), +1 for a day completed; once a car is
  overtaken and until the next collision with a car, +0.001 per car overtaken since that
  collision, every step; -0.01 every step once the player has crashed (the C never clears
  its crash penalty: it sits after a `break` and is unreachable; we keep that as the game).
Termination: the day ends with the target missed. No truncation (as the C's).
Log: episode_return, episode_length, score (a speed-based odometer: +1 a step, +2 at
  speed >= 2), passed_cars, passed_by_enemy, cars_to_pass (left at the end), days_completed,
  collisions_player_vs_car, collisions_player_vs_road, perf (min(days_completed / 10, 1)).
Params: none. The C's wrapper takes width, height, car_width, car_height, max_enemies,
  frameskip and continuous, but its C overwrites or ignores every one of them.

Deviations from the C, where it does something that is not the game:
- Every episode starts at the beginning of day 1 (as the C's every episode after the
  first): the C starts each env's first episode at a random time of day (a start-up
  staggering of its vector of envs, from its seed), which would make a restarted game
  differ from a brand-new one. Episodes are therefore 13920 steps unless days are won.
- Random draws come from the game's own stream (the C shares libc's rand() among envs and
  redraws all three curve thresholds and directions every step: we draw one only when it
  can matter, with the same distribution).
- The observation lists only cars still on the road (the C also reads the stale copies
  that removing a car leaves past the end of its car array), is written at reset too (the
  C writes none then), and its Box has bounds that hold what it carries (the C declares
  (0, 1) but writes -1 for a left drift, up to 1.5 cars to pass, negative deltas).
- The reward of the step that ends an episode keeps what the step earned before the day's
  end (the C's reset then zeroes it). The C also logs an "episode" on each day completed,
  and keeps days_failed and days_completed across episodes; ours log once per episode.
View (456x630 pixels at the default sizes): the road with its curve and edge wiggle, the enemy
  cars, the player's car (red), the
  day, cars to pass and speed. Play: up accelerates, down brakes, left/right steer.
"""
import numpy as np
from gymnasium import spaces
from numba import njit

from numbapuffer.core import Game
from numbapuffer.envs.enduro_road import (BOTTOM, CAR_H, CAR_W, DEPTH, DT, FPS, MAX_SPEED, MIN_SPEED, NUM_LANES,
                                          PLAYER_X0, SPEED_RANGE, VP_X_LEFT, VP_X_RIGHT, VP_Y, f32, lane_x,
                                          player_lane, road_edge, scale, update_curve)
from numbapuffer.envs.enduro_traffic import (CARS_DAY1, CARS_LATER, MAX_ENEMIES, enemies, nearest_ahead, remove_car,
                                             spawn)
from numbapuffer.engine.render import COLORS, View, text

NOOP, FIRE, RIGHT, LEFT, DOWN, DOWNRIGHT, DOWNLEFT, RIGHTFIRE, LEFTFIRE = range(9)
OBS = 8 + 5 * MAX_ENEMIES + 9 + 1
PLAYER_MAX_Y = BOTTOM - CAR_H
PLAYER_MIN_Y = PLAYER_MAX_Y - f32(9)
PLAYER_MIN_X, PLAYER_MAX_X = f32(57.5), f32(83.5)
SCREEN_W = f32(152)
CRASH_ROAD = 20  # steps without controls after touching the road's edge
BRAKE = f32(0.01)
CURVE_PUSH = f32(0.025)
DAY_TIMES = np.array([20, 40, 60, 100, 108, 114, 116, 120, 124, 130, 134, 138, 170, 198, 214, 232], np.float32)
DAY_LENGTH = DAY_TIMES[-1]


def gears():
    """Each gear's top speed and acceleration per step: the speed range shared in
    proportion to the time (in seconds) each gear takes, as the C computes them in float32."""
    timings = np.array([4.0, 2.5, 3.25, 1.5], np.float32)
    total = f32(timings.sum())
    tops, rates, top = np.zeros(4, np.float32), np.zeros(4, np.float32), MIN_SPEED
    for i, t in enumerate(timings):
        inc = SPEED_RANGE * (t / total)
        tops[i] = top + inc
        rates[i] = inc / (t * f32(FPS))
        top = tops[i]
    return tops, rates


GEAR_TOPS, GEAR_RATES = gears()

STATE = np.dtype([
    ("player_x", np.float32), ("player_y", np.float32), ("speed", np.float32), ("gear", np.int32),
    ("lane", np.int32), ("elapsed", np.float32), ("time_index", np.int32), ("day_phase", np.int32),
    ("last_phase", np.int32), ("day", np.int32), ("cars_to_pass", np.int32), ("day_completed", np.int32),
    ("car_cooldown", np.float32), ("road_cooldown", np.float32), ("drift", np.int32),
    ("curve_stage", np.int32), ("stage_steps", np.int32), ("curve_direction", np.int32),
    ("curve", np.float32), ("target_curve", np.float32), ("vp_x", np.float32), ("base_vp_x", np.float32),
    ("t_p", np.float32), ("wiggle_y", np.float32),
    ("spawn_timer", np.float32), ("last_spawned_lane", np.int32),
    ("last_road_left", np.float32), ("last_road_right", np.float32),
    ("passed_active", np.int32), ("pass_bonus", np.float32), ("crash_penalty", np.float32),
    ("score", np.int32), ("passed_cars", np.int32), ("passed_by_enemy", np.int32), ("days_completed", np.int32),
    ("car_collisions", np.int32), ("road_collisions", np.int32),
    ("num_enemies", np.int32),
    ("car_lane", np.int32, (MAX_ENEMIES,)), ("car_x", np.float32, (MAX_ENEMIES,)),
    ("car_y", np.float32, (MAX_ENEMIES,)), ("car_last_x", np.float32, (MAX_ENEMIES,)),
    ("car_last_y", np.float32, (MAX_ENEMIES,)), ("car_passed", np.int8, (MAX_ENEMIES,)),
    ("car_color", np.int8, (MAX_ENEMIES,)),
])


@njit
def accelerate(s):
    s.speed = min(max(s.speed, MIN_SPEED), MAX_SPEED)
    if s.speed < MAX_SPEED:
        if s.speed >= GEAR_TOPS[s.gear] and s.gear < 3:
            s.gear += 1
        s.speed += GEAR_RATES[s.gear] * (f32(4) if s.gear == 0 else f32(2))
        s.speed = min(s.speed, MAX_SPEED, GEAR_TOPS[s.gear])


@njit
def control(s, action, road_left, road_right):
    move = (s.speed - MIN_SPEED) / SPEED_RANGE + f32(0.3)
    if action == FIRE or action == RIGHTFIRE or action == LEFTFIRE:
        accelerate(s)
    elif action == DOWN or action == DOWNRIGHT or action == DOWNLEFT:
        if s.speed > MIN_SPEED:
            s.speed -= BRAKE
    if action == RIGHT or action == DOWNRIGHT or action == RIGHTFIRE:
        s.player_x = min(s.player_x + move, road_right)
    elif action == LEFT or action == DOWNLEFT or action == LEFTFIRE:
        s.player_x = max(s.player_x - move, road_left)


@njit
def drift(s, road_left, road_right):
    """Controls are off after a crash: count down, and drift toward the road's middle."""
    if s.car_cooldown > 0:
        s.car_cooldown -= 1
        s.crash_penalty = f32(-0.01)
    if s.road_cooldown > 0:
        s.road_cooldown -= 1
        s.crash_penalty = f32(-0.01)
    if s.drift == 0:
        s.drift = -1 if s.player_x > (road_left + road_right) / f32(2) else 1
        i = 0
        while i < s.num_enemies:  # clear the cars behind that the drift would run into
            if (s.car_lane[i] == 1 or s.car_lane[i] == s.lane + s.drift) and s.car_y[i] > s.player_y:
                remove_car(s, i)
            else:
                i += 1
    s.player_x += f32(s.drift) * (f32(0.12) if s.road_cooldown > 0 else f32(0.25))


@njit
def observe(s, obs):
    width = s.last_road_right - s.last_road_left
    obs[0] = (s.player_x - s.last_road_left) / width
    obs[1] = (PLAYER_MAX_Y - s.player_y) / (PLAYER_MAX_Y - PLAYER_MIN_Y)
    obs[2] = (s.speed - MIN_SPEED) / SPEED_RANGE
    obs[3] = road_edge(s, s.player_y, f32(0), True) / SCREEN_W
    obs[4] = (road_edge(s, s.player_y, f32(0), False) - CAR_W) / SCREEN_W
    obs[5] = s.last_road_left / SCREEN_W
    obs[6] = s.last_road_right / SCREEN_W
    lane = player_lane(s)
    obs[7] = f32(lane) / f32(NUM_LANES - 1)
    for i in range(MAX_ENEMIES):
        k = 8 + 5 * i
        y = s.car_y[i]
        if i < s.num_enemies and VP_Y < y < BOTTOM:
            x = (s.car_x[i] - CAR_W * f32(0.5) - s.last_road_left) / width
            obs[k] = min(max(x, f32(0)), f32(1))
            obs[k + 1] = min(max((BOTTOM - (y - CAR_H * f32(0.5))) / DEPTH, f32(0)), f32(1))
            obs[k + 2] = (s.car_last_x[i] - s.car_x[i]) / width
            obs[k + 3] = (s.car_last_y[i] - y) / DEPTH
            obs[k + 4] = f32(s.car_lane[i] == lane)
        else:
            obs[k] = f32(0.5)
            obs[k + 1] = f32(0.5)
            obs[k + 2] = f32(0)
            obs[k + 3] = f32(0)
            obs[k + 4] = f32(0)
    k = 8 + 5 * MAX_ENEMIES
    obs[k] = f32(s.curve_direction + 1) / f32(2)
    obs[k + 1] = f32(1) if s.curve > 0 else f32(-1)
    obs[k + 2] = abs(s.curve * CURVE_PUSH * abs(s.speed)) / (CURVE_PUSH * MAX_SPEED)
    obs[k + 3] = s.curve
    obs[k + 4] = (s.elapsed % DAY_LENGTH) / DAY_LENGTH
    obs[k + 5] = f32(s.cars_to_pass) / f32(CARS_DAY1)
    for lane in range(NUM_LANES):
        obs[k + 6 + lane] = nearest_ahead(s, lane) / DEPTH
    obs[k + 9] = f32(0)


@njit
def reset(s, p, buf, a):
    s.player_x = PLAYER_X0
    s.player_y = PLAYER_MAX_Y
    s.speed = MIN_SPEED
    s.gear = 0
    s.lane = 1
    s.elapsed = f32(0)
    s.time_index = 0
    s.day_phase = 0
    s.last_phase = len(DAY_TIMES) - 1
    s.day = 1
    s.cars_to_pass = CARS_DAY1
    s.day_completed = 0
    s.car_cooldown = f32(0)
    s.road_cooldown = f32(0)
    s.drift = 0
    s.curve_stage = 0
    s.stage_steps = 0
    s.curve_direction = 0
    s.curve = f32(0)
    s.target_curve = f32(0)
    s.vp_x = f32(86)
    s.base_vp_x = f32(86)
    s.t_p = f32(86)  # sic: the C's start value, which pulls the vanishing point left for a step
    s.wiggle_y = VP_Y
    s.spawn_timer = f32(0)
    s.last_spawned_lane = -1
    s.passed_active = 1
    s.pass_bonus = f32(0)
    s.crash_penalty = f32(0)
    s.score = 0
    s.passed_cars = 0
    s.passed_by_enemy = 0
    s.days_completed = 0
    s.car_collisions = 0
    s.road_collisions = 0
    s.num_enemies = 0
    for i in range(MAX_ENEMIES):
        s.car_lane[i] = -1
        s.car_x[i] = f32(0)
        s.car_y[i] = f32(0)
        s.car_last_x[i] = f32(0)
        s.car_last_y[i] = f32(0)
        s.car_passed[i] = 0
        s.car_color[i] = 0
    s.last_road_left = road_edge(s, s.player_y, f32(0), True)
    s.last_road_right = road_edge(s, s.player_y, f32(0), False) - CAR_W
    observe(s, buf.observations[a])


@njit
def end_episode(s, buf, a):
    e = buf.episode[a]
    e.score = s.score
    e.passed_cars = s.passed_cars
    e.passed_by_enemy = s.passed_by_enemy
    e.cars_to_pass = s.cars_to_pass
    e.days_completed = s.days_completed
    e.collisions_player_vs_car = s.car_collisions
    e.collisions_player_vs_road = s.road_collisions
    e.perf = min(s.days_completed / 10.0, 1.0)


@njit
def step(s, p, buf, a):
    s.elapsed += DT
    if s.elapsed >= DAY_LENGTH:  # the clock wraps to morning
        s.elapsed -= DAY_LENGTH
        s.time_index = 0
    s.last_phase = s.day_phase
    while s.time_index < len(DAY_TIMES) - 1 and s.elapsed >= DAY_TIMES[s.time_index]:
        s.time_index += 1
    s.day_phase = s.time_index
    update_curve(s)
    for i in range(s.num_enemies):
        s.car_y[i] += s.speed * scale(s.car_y[i]) * f32(0.75)

    road_left = road_edge(s, s.player_y, f32(0), True)
    road_right = road_edge(s, s.player_y, f32(0), False) - CAR_W
    s.last_road_left = road_left
    s.last_road_right = road_right
    if s.car_cooldown <= 0 and s.road_cooldown <= 0:
        control(s, buf.actions[a], road_left, road_right)
    else:
        drift(s, road_left, road_right)
    lane = player_lane(s)
    if nearest_ahead(s, lane) >= DEPTH:  # no car ahead in the player's lane
        buf.rewards[a] += f32(0.05)

    s.player_x -= s.curve * CURVE_PUSH * abs(s.speed)
    s.player_x = min(max(s.player_x, road_left), road_right)
    s.t_p = min(max((s.player_x - PLAYER_MIN_X) / (PLAYER_MAX_X - PLAYER_MIN_X), f32(0)), f32(1))
    s.base_vp_x = VP_X_LEFT - s.t_p * (VP_X_LEFT - VP_X_RIGHT)

    pace = min(max((s.speed - MIN_SPEED) / SPEED_RANGE, f32(0)), f32(1))
    period = f32(5.8) - f32(pace ** f32(0.25)) * f32(5.5)  # the wiggle runs faster with speed
    s.wiggle_y += DEPTH / (period * f32(FPS))
    if s.wiggle_y > BOTTOM:
        s.wiggle_y = VP_Y
    s.player_y = PLAYER_MAX_Y - (s.speed - MIN_SPEED) / SPEED_RANGE * (PLAYER_MAX_Y - PLAYER_MIN_Y)
    s.player_y = min(max(s.player_y, PLAYER_MIN_Y), PLAYER_MAX_Y)

    if s.player_x <= road_left or s.player_x >= road_right:
        s.road_collisions += 1
        buf.rewards[a] -= f32(0.5)
        s.speed = max(s.speed - f32(1.25), MIN_SPEED)
        s.road_cooldown = CRASH_ROAD
        s.drift = 0
        s.player_x = max(road_left + f32(1), min(road_right - f32(1), s.player_x))

    enemies(s, buf, a)
    spawn(s)

    if s.cars_to_pass <= 0:
        s.day_completed = 1
    if s.day_phase == 0 and s.last_phase == len(DAY_TIMES) - 1:  # the day is over
        if s.day_completed:
            s.days_completed += 1
            s.day += 1
            buf.rewards[a] += f32(1)
            s.cars_to_pass = CARS_LATER
            s.day_completed = 0
        else:
            buf.terminals[a] = True
            end_episode(s, buf, a)
            observe(s, buf.observations[a])
            return
    if s.passed_active:
        buf.rewards[a] += s.pass_bonus
    buf.rewards[a] += s.crash_penalty
    s.score += int(min(max(s.speed, f32(1)), f32(2)))
    observe(s, buf.observations[a])


def observation_space():
    low, high = np.zeros(OBS, np.float32), np.ones(OBS, np.float32)
    for i in range(MAX_ENEMIES):  # delta x, delta y of each car slot
        low[8 + 5 * i + 2: 8 + 5 * i + 4] = -2
        high[8 + 5 * i + 2: 8 + 5 * i + 4] = 2
    k = 8 + 5 * MAX_ENEMIES
    low[k + 1] = low[k + 3] = -1  # drift direction, curve factor
    high[k + 5] = CARS_LATER / CARS_DAY1
    low[:8] = -1  # the player and road edges: fractions that a curve can push a little outside
    high[:8] = 2
    return spaces.Box(low, high, dtype=np.float32)


CAR_COLORS = [COLORS[c] for c in ("blue", "yellow", "pink", "orange", "teal", "green")]
SCALE = 3  # screen pixels per game pixel


def draw(surface, s, p):
    import pygame
    k = SCALE
    surface.fill((24, 90, 40))
    pygame.draw.rect(surface, (70, 110, 190), (0, 0, 152 * k, int(VP_Y) * k))
    ys = np.arange(VP_Y, BOTTOM + 1, 2, dtype=np.float32)
    left = [(float(road_edge.py_func(s, y, f32(0), True)) * k, float(y) * k) for y in ys]
    right = [(float(road_edge.py_func(s, y, f32(0), False)) * k, float(y) * k) for y in ys]
    pygame.draw.polygon(surface, (90, 90, 96), left + right[::-1])
    pygame.draw.lines(surface, COLORS["text"], False, left, 2)
    pygame.draw.lines(surface, COLORS["text"], False, right, 2)
    for i in range(int(s.num_enemies)):
        y = float(s.car_y[i])
        if not VP_Y < y < BOTTOM + CAR_H:
            continue
        sc = float(scale.py_func(f32(y)))
        w, h = 16 * sc * k, 11 * sc * k
        x = float(lane_x.py_func(s, int(s.car_lane[i]), f32(y))) * k
        pygame.draw.rect(surface, CAR_COLORS[int(s.car_color[i]) % 6], (x - w / 2, y * k, w, h), border_radius=2)
    pygame.draw.rect(surface, COLORS["red"], (float(s.player_x) * k, float(s.player_y) * k, 16 * k, 11 * k),
                     border_radius=4)
    surface.fill(COLORS["background"], (0, int(BOTTOM) * k, 152 * k, (210 - int(BOTTOM)) * k))
    text(surface, f"day {s.day}   cars {max(int(s.cars_to_pass), 0)}   score {s.score}", (12, int(BOTTOM) * k + 12), 30)
    text(surface, f"speed {float(s.speed):+.2f}   time {float(s.elapsed):5.1f}/{DAY_LENGTH:g} s",
         (12, int(BOTTOM) * k + 52), 26, COLORS["dim"])


VIEW = View(draw, size=(152 * SCALE, 210 * SCALE), fps=60,
            keys={"up": FIRE, "down": DOWN, "right": RIGHT, "left": LEFT, "e": RIGHTFIRE, "q": LEFTFIRE,
                  "c": DOWNRIGHT, "z": DOWNLEFT},
            idle=NOOP, help="up: accelerate, down: brake, left/right: steer; q/e: accelerate+steer, z/c: brake+steer")

game = Game("enduro", STATE, reset, step, observation_space=observation_space(), action_space=spaces.Discrete(9),
            log=("score", "passed_cars", "passed_by_enemy", "cars_to_pass", "days_completed",
                 "collisions_player_vs_car", "collisions_player_vs_road", "perf"), view=VIEW)
