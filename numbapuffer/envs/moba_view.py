"""MOBA's picture and play (numbapuffer/envs/moba.py): the map, 4 pixels a cell, and the
entities on it; the person plays the radiant support, the other agents stand still."""
import numpy as np

from numbapuffer.engine.render import text
from numbapuffer.envs.moba_data import ENTITIES, PLAYERS, SIDE, TOWER0, TOWER_TEAM, TOWERS
from numbapuffer.envs.moba_rules import NONE, WALL

CELL, TOP = 4, 48
TILE_COLORS = [(6, 24, 24), (0, 178, 178), (255, 165, 0), (60, 60, 200), (200, 60, 60), (128, 128, 128)] + \
    [(0, 0, 255)] * 5 + [(255, 0, 0)] * 5


def draw(surface, s, p):
    import pygame
    surface.fill(TILE_COLORS[0])
    for c in np.flatnonzero(np.asarray(s.cells) == WALL):
        surface.fill(TILE_COLORS[1], (int(c % SIDE) * CELL, TOP + int(c // SIDE) * CELL, CELL, CELL))
    for e in range(ENTITIES):
        if s.pid[e] == NONE:
            continue
        cx, cy = int(s.x[e]) * CELL + CELL // 2, TOP + int(s.y[e]) * CELL + CELL // 2
        color = TILE_COLORS[int(s.grid_id[e])]
        if e < PLAYERS:
            pygame.draw.circle(surface, color, (cx, cy), CELL + 2)
            pygame.draw.circle(surface, (255, 255, 255), (cx, cy), CELL + 2, 1)
        elif e >= TOWER0:
            pygame.draw.rect(surface, color, (cx - CELL, cy - CELL, 2 * CELL, 2 * CELL))
        else:
            surface.fill(color, (cx - CELL // 2, cy - CELL // 2, CELL, CELL))
        t = int(s.target_pid[e])
        if t != NONE and s.pid[t] != NONE:
            pygame.draw.line(surface, (255, 255, 160), (cx, cy), (int(s.x[t]) * CELL + CELL // 2,
                                                                  TOP + int(s.y[t]) * CELL + CELL // 2))
    towers = [int(sum(1 for i in range(TOWERS) if TOWER_TEAM[i] == team and s.health[TOWER0 + i] > 0))
              for team in (0, 1)]
    levels = [int(s.level[k]) for k in range(PLAYERS)]
    text(surface, f"step {int(s.tick)}   radiant towers {towers[0]}  levels {levels[:5]}", (8, 4), 18)
    text(surface, f"dire towers {towers[1]}  levels {levels[5:]}", (8, 24), 18)


IDLE = (3, 3, 0, 0, 0, 0)


def idle(s, p, last):
    return IDLE


def bots(s, p, actions):
    for k in range(1, len(actions)):
        actions[k] = IDLE


