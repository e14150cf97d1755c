"""The road of Enduro (numbapuffer/envs/enduro.py, whose docstring states the rules): the
screen's geometry, the road's edges (a line or a Bezier curve to the vanishing point, with
the travelling wiggle) and lanes, the perspective scale, and the curve's changes; with the
constants that the env and its traffic (enduro_traffic.py) share."""
import numpy as np
from numba import njit

from numbapuffer.core import rand_int

f32 = np.float32
NUM_LANES = 3
FPS = 60
DT = f32(1.0) / f32(FPS)
BOTTOM = f32(154)            # the bottom of the playable area
VP_Y = f32(52)               # the vanishing point's y
DEPTH = BOTTOM - VP_Y
CAR_W, CAR_H = f32(16), f32(11)
PLAYER_X0 = f32(69)
VP_X_LEFT, VP_X_RIGHT = f32(102), f32(54)
ROAD_LEFT_OFFSET, ROAD_RIGHT_OFFSET = f32(46), f32(47)
MIN_SPEED, MAX_SPEED = f32(-2.5), f32(7.5)
SPEED_RANGE = MAX_SPEED - MIN_SPEED
CURVE_STEP = f32(0.05)
CURVE_VP_SHIFT = f32(55)
WIGGLE_AMPLITUDE, WIGGLE_LENGTH = f32(10), f32(26)


@njit
def road_edge(s, y, offset, left):
    """The x of the road's left or right edge at height y: a straight line or a Bezier curve
    from the bottom to the vanishing point, with the travelling wiggle pressed in."""
    t = (BOTTOM - y) / DEPTH
    bottom = s.base_vp_x + (-ROAD_LEFT_OFFSET if left else ROAD_RIGHT_OFFSET) + offset
    top = s.vp_x + offset
    if abs(s.curve) < f32(0.01):
        x = bottom + t * (top - bottom)
    else:
        bend = (f32(-30) if s.curve > 0 else f32(30)) * abs(s.curve)
        control = bottom + (top - bottom) * f32(0.5) + bend
        u = f32(1) - t
        x = u * u * bottom + f32(2) * u * t * control + t * t * top
    if s.wiggle_y <= y <= s.wiggle_y + WIGGLE_LENGTH:
        tw = (y - s.wiggle_y) / WIGGLE_LENGTH
        if tw < f32(0.15):
            w = WIGGLE_AMPLITUDE * (tw / f32(0.15))
        elif tw < f32(0.87):
            w = WIGGLE_AMPLITUDE
        else:
            w = WIGGLE_AMPLITUDE * ((f32(1) - tw) / f32(0.13))
        depth = (y - VP_Y) / DEPTH
        x += (w if left else -w) * min(f32(0.03) + depth * depth, f32(0.3))
    return x


@njit
def lane_x(s, lane, y):
    left = road_edge(s, y, f32(0), True)
    right = road_edge(s, y, f32(0), False)
    return left + (right - left) / f32(NUM_LANES) * (f32(lane) + f32(0.5))


@njit
def player_lane(s):
    offset = (s.player_x - PLAYER_X0) * f32(0.5)
    left = road_edge(s, s.player_y, offset, True)
    right = road_edge(s, s.player_y, offset, False)
    lane = int((s.player_x + CAR_W * f32(0.5) - left) / ((right - left) / f32(NUM_LANES)))
    s.lane = min(max(lane, 0), NUM_LANES - 1)
    return s.lane


@njit
def furthest_lane(s):
    lane = player_lane(s)
    if lane != 1:
        return 2 - lane
    centre = (road_edge(s, s.player_y, f32(0), True) + road_edge(s, s.player_y, f32(0), False)) * f32(0.5)
    return 2 if s.player_x + CAR_W * f32(0.5) < centre else 0


@njit
def scale(y):
    return max(f32(0.1), f32(0.9) * ((y - VP_Y) / DEPTH))


@njit
def curve_direction(s, stage):
    """Direction of curve `stage` (0-2) in a fresh chain of three: uniform among -1, 0, 1,
    never straight from one side to the other."""
    d = 0
    for _ in range(stage + 1):
        if d == 0:
            d = rand_int(s, 3) - 1
        elif d < 0:
            d = rand_int(s, 2) - 1
        else:
            d = rand_int(s, 2)
    return d


@njit
def update_curve(s):
    # The C counts two steps per call, each against a threshold of 1500 + U{0..3800} drawn
    # afresh every call (one draw serves both counts).
    m = s.stage_steps
    s.stage_steps = m + 2
    if m + 2 >= 1500:
        threshold = 1500 + rand_int(s, 3801)
        if m + 2 >= threshold:
            s.target_curve = f32(curve_direction(s, s.curve_stage))
            s.stage_steps = 1 if m + 1 >= threshold else 0
            s.curve_stage = (s.curve_stage + 1) % 3
    if s.curve < s.target_curve:
        s.curve = min(s.curve + CURVE_STEP, s.target_curve)
    elif s.curve > s.target_curve:
        s.curve = max(s.curve - CURVE_STEP, s.target_curve)
    s.curve_direction = 0 if abs(s.curve) < f32(0.1) else (1 if s.curve > 0 else -1)
    target = VP_X_LEFT - s.t_p * (VP_X_LEFT - VP_X_RIGHT) + f32(s.curve_direction) * CURVE_VP_SHIFT
    pace = f32(1.5) + abs(s.speed) / MAX_SPEED * SPEED_RANGE
    if s.vp_x < target:
        s.vp_x = min(s.vp_x + pace, target)
    elif s.vp_x > target:
        s.vp_x = max(s.vp_x - pace, target)
