"""The traffic of Enduro (numbapuffer/envs/enduro.py, whose docstring states the rules):
the enemy cars' spawning (the C's spacing rules), their removal, overtaking both ways,
collisions with the player, and the distance to the nearest car ahead in a lane."""
import numpy as np
from numba import njit

from numbapuffer.core import rand_float, rand_int
from numbapuffer.envs.enduro_road import (BOTTOM, CAR_H, CAR_W, DEPTH, DT, MIN_SPEED, NUM_LANES, SPEED_RANGE, VP_Y,
                                          f32, furthest_lane, lane_x, scale)

MAX_ENEMIES = 10
LOGICAL_VP_Y = f32(64)       # a car moving away disappears here
CRASH_CAR = 90               # steps without controls after hitting a car
CARS_DAY1, CARS_LATER = 200, 300  # cars to pass on day 1, on later days
MAX_SPAWN_INTERVALS = np.array([0.5, 0.25, 0.4], np.float32)


@njit
def remove_car(s, i):
    for j in range(i, s.num_enemies - 1):
        s.car_lane[j] = s.car_lane[j + 1]
        s.car_x[j] = s.car_x[j + 1]
        s.car_y[j] = s.car_y[j + 1]
        s.car_last_x[j] = s.car_last_x[j + 1]
        s.car_last_y[j] = s.car_last_y[j + 1]
        s.car_passed[j] = s.car_passed[j + 1]
        s.car_color[j] = s.car_color[j + 1]
    s.num_enemies -= 1


@njit
def add_car(s):
    """The C's add_enemy_car: a car at the horizon (or below the screen when the player is not
    moving forward), unless it would come too close to another or block the road. True if added."""
    if s.num_enemies >= MAX_ENEMIES:
        return False
    far = furthest_lane(s)
    lane = rand_int(s, NUM_LANES) if s.speed > 0 else far
    if rand_int(s, 100) < 60 and s.last_spawned_lane != -1:
        lane = s.last_spawned_lane
    s.last_spawned_lane = lane
    y = VP_Y + f32(10) if s.speed > 0 else BOTTOM + CAR_H
    color = rand_int(s, 6)
    length = CAR_H * max(f32(0.1), f32(0.9) * ((y - VP_Y) / DEPTH) + f32(0.1))
    spacing = (rand_float(s) * f32(6) + f32(0.5)) * length
    near0 = near1 = near2 = False
    for i in range(s.num_enemies):
        dy = abs(s.car_y[i] - y)
        if s.car_lane[i] == lane and dy < spacing:
            return False
        if dy < f32(6) * CAR_H:
            k = s.car_lane[i]
            near0 |= k == 0
            near1 |= k == 1
            near2 |= k == 2
    mine = near0 if lane == 0 else (near1 if lane == 1 else near2)
    if int(near0) + int(near1) + int(near2) >= NUM_LANES - 1 and not mine:
        return False
    n = s.num_enemies
    s.car_lane[n] = lane
    s.car_x[n] = lane_x(s, lane, VP_Y)
    s.car_last_x[n] = s.car_x[n]
    s.car_y[n] = y
    s.car_last_y[n] = VP_Y
    s.car_passed[n] = 0
    s.car_color[n] = color
    s.num_enemies = n + 1
    return True


@njit
def spawn(s):
    """The spawn clock, faster with speed from day 2 on; 1 car, or with probability
    speed/range 1 or 2, in distinct lanes, a clump stacked 3 car lengths apart."""
    d = s.day - 1
    if d < 3:
        longest = MAX_SPAWN_INTERVALS[d]
    else:
        longest = max(MAX_SPAWN_INTERVALS[2] - f32(d - 2) * f32(0.1), f32(0.1))
    shortest = max(f32(0.5), longest)
    factor = min(max((s.speed - MIN_SPEED) / SPEED_RANGE, f32(0)), f32(1))
    interval = shortest - factor * (shortest - longest) * f32(1.5)
    s.spawn_timer += DT
    if s.spawn_timer < interval:
        return
    s.spawn_timer -= interval
    if s.num_enemies >= MAX_ENEMIES:
        return
    count = 1
    if rand_float(s) < min((s.speed - MIN_SPEED) / SPEED_RANGE, f32(1)):
        count = 1 + rand_int(s, 2)
    first = -1
    for i in range(count):
        if s.num_enemies >= MAX_ENEMIES:
            break
        if i == 0:
            lane = rand_int(s, NUM_LANES)
        else:  # a lane other than the first's
            lane = rand_int(s, NUM_LANES - 1)
            lane += lane >= first
        first = lane
        if add_car(s):
            n = s.num_enemies - 1
            s.car_lane[n] = lane
            s.car_y[n] -= f32(i) * CAR_H * f32(3)


@njit
def collides(s, i):
    sc = scale(s.car_y[i])
    w, h = CAR_W * sc, CAR_H * sc
    x = lane_x(s, s.car_lane[i], s.car_y[i]) - w / f32(2)
    return not (s.player_x > x + w or s.player_x + CAR_W < x
                or s.player_y > s.car_y[i] + h or s.player_y + CAR_H < s.car_y[i])


@njit
def enemies(s, buf, a):
    """Remove the cars gone from view; overtaking both ways; collisions."""
    behind = s.player_y + CAR_H
    i = 0
    while i < s.num_enemies:
        y = s.car_y[i]
        if y > BOTTOM + CAR_H * f32(5) or (s.speed < 0 and y <= LOGICAL_VP_Y):
            remove_car(s, i)
            continue
        if s.speed <= 0 and y >= behind:  # behind a slow player: it keeps to the far lane
            s.car_lane[i] = furthest_lane(s)
            i += 1
            continue
        free = s.car_cooldown <= 0 and s.road_cooldown <= 0  # a collision earlier in this loop counts
        if s.speed > 0 and s.car_last_y[i] < behind <= y and free:
            if s.cars_to_pass > 0:
                s.cars_to_pass -= 1
            if not s.car_passed[i]:
                s.passed_cars += 1
                buf.rewards[a] += f32(1)
                s.passed_active = 1
                s.pass_bonus += f32(0.001)
            s.car_passed[i] = 1
        elif s.speed < 0 and s.car_last_y[i] > s.player_y >= y:
            s.passed_by_enemy += 1
            if s.cars_to_pass != (CARS_DAY1 if s.day == 1 else CARS_LATER):
                s.cars_to_pass += 1
                buf.rewards[a] -= f32(0.1)
        s.car_last_y[i] = y
        s.car_last_x[i] = s.car_x[i]
        if s.car_cooldown <= 0 and collides(s, i):
            s.car_collisions += 1
            buf.rewards[a] -= f32(0.5)
            s.speed = MIN_SPEED + f32(1)
            s.car_cooldown = CRASH_CAR
            s.drift = 0
            s.passed_active = 0
            s.pass_bonus = f32(0)
        i += 1


@njit
def nearest_ahead(s, lane):
    """Distance from the player to the nearest car ahead in `lane`; DEPTH if none."""
    best = DEPTH
    for i in range(s.num_enemies):
        if s.car_lane[i] == lane and s.car_y[i] < s.player_y:
            best = min(best, s.player_y - s.car_y[i])
    return best
