"""Make the README's pictures: one frame of each env, mid-game, as docs/<env>.png.

    python docs/pictures.py

Each game is played a while by a simple scripted policy (so the picture shows a game in
progress rather than a fresh board), then game 0 is drawn with render_mode="rgb_array".
"""
import os

import imageio.v3 as iio
import numpy as np

import numbapuffer as npf
from numbapuffer.envs import boids, snake
from numbapuffer.engine.render import Fields

HERE = os.path.dirname(os.path.abspath(__file__))


def blastar(env):
    rng = np.random.default_rng(1)
    for _ in range(300):  # drift about, firing now and then, until a bullet is in flight
        env.step(np.array([rng.choice([1, 2, 3, 4, 5])], np.int32))
    while not env.state["bullet"][0] or env.state["player_explosion"][0] or env.state["enemy_explosion"][0]:
        env.step(np.array([5], np.int32))

def boids_play(env):
    rng = np.random.default_rng(0)
    for _ in range(60):  # random steering: a flock spreading out
        env.step(rng.integers(0, 5, (env.num_agents, 2)))

def breakout(env):
    s = env.state
    for _ in range(400):  # follow the ball, hitting it off-centre to aim
        target = s["ball_x"] + 3 - 12
        centre = s["paddle_x"] + s["paddle_width"] / 2
        env.step(np.where(target < centre - 4, 1, np.where(target > centre + 4, 2, 0)).astype(np.int32))

def cartpole(env):
    for _ in range(40):  # a simple balancing rule
        s = env.state
        env.step(np.array([int(s["theta"][0] + 0.3 * s["theta_dot"][0] > 0.05)], np.int32))

def checkers(env):
    rng = np.random.default_rng(1)
    for _ in range(24):  # random moves (an illegal one lets the built-in player move): a game under way
        env.step(rng.integers(0, env.single_action_space.n, 1).astype(np.int32))

def connect4(env):
    rng = np.random.default_rng(2)
    while True:  # random legal moves until the game ends (autoreset off keeps the final board)
        env.step(np.array([rng.choice(np.flatnonzero(env.observations[0, 42:] > 0))], np.int32))
        if env.terminals[0]:
            return

def connect4_selfplay(env):
    for column in (3, 3, 2, 4, 4, 2, 1, 5, 5):
        env.step(np.full(2, column, np.int32))

def enduro(env):
    rng = np.random.default_rng(4)
    for _ in range(900):  # mostly accelerate, steering at random
        env.step(rng.choice([1, 7, 8], size=1, p=[0.6, 0.2, 0.2]).astype(np.int32))

def freeway(env):
    for t in range(300):  # up, with a pause now and then: a crossing made, another under way
        env.step(np.array([0 if t % 5 == 4 else 1], np.int32))

def go(env):
    rng = np.random.default_rng(1)
    for _ in range(18):  # random points, against the scripted white
        env.step(np.array([rng.integers(1, 50)], np.int32))

def grid(env):
    for action in (1, 3, 1, 1, 2):  # a few steps into the maze (walls just turn the agent)
        env.step(np.array([action], np.int32))

def moba(env):
    rng = np.random.default_rng(0)
    for _ in range(400):  # random heroes: the first waves meet mid-lane
        env.step(rng.integers(0, [7, 7, 3, 2, 2, 2], (env.num_agents, 6)).astype(np.int32))


def pacman(env):
    rng = np.random.default_rng(3)
    for _ in range(60):  # wander the maze, turning now and then, eating dots
        if rng.random() < 0.2:
            env.step(np.array([rng.integers(4)], np.int32))
        else:
            env.step(np.array([env.state["direction"][0]], np.int32))
        if env.terminals[0]:
            return

def pong(env):
    s = env.state
    for _ in range(1500):  # follow the ball, a little late: both sides score
        target = s["ball_y"] + 16 - 35 + np.float32(40) * np.sign(s["ball_vy"])
        env.step(np.where(target > s["paddle_yr"] + 4, 1, np.where(target < s["paddle_yr"] - 4, 2, 0)).astype(np.int32))
    while not (300 < s["ball_x"][0] < 380):
        env.step(np.zeros(1, np.int32))

def rware_play(env):
    rng = np.random.default_rng(0)
    for _ in range(40):  # robots wandering (mostly forward), lifting what they find
        env.step(rng.choice(5, env.num_agents, p=[0.1, 0.5, 0.15, 0.15, 0.1]).astype(np.int32))

def snake_play(env):
    for _ in range(120):  # every snake greedy
        actions = np.zeros(env.num_agents, np.int32)
        s = Fields(env.state[0].copy())
        snake.bots(s, None, actions, 5)
        actions[0] = snake.greedy(s, 0, 5)
        env.step(actions)

def squared(env):
    for action in (2, 2, 4):
        env.step(np.array([action], np.int32))

def target(env):
    rng = np.random.default_rng(0)
    for _ in range(30):  # random turns and speeds
        env.step(np.stack([rng.integers(0, 9, env.num_agents), rng.integers(0, 5, env.num_agents)], 1).astype(np.int32))

def tetris(env):
    rng = np.random.default_rng(3)
    for _ in range(140):  # random moves and turns, a hard drop now and then
        env.step(np.array([rng.choice([0, 1, 2, 3, 4, 5], p=[0.2, 0.25, 0.25, 0.15, 0.1, 0.05])], np.int32))

def tower_climb(env):
    for action in (2, 2, 1, 1, 2, 3, 3):  # a few moves from the spawn (not all legal)
        env.step(np.array([action], np.int32))

def trash_pickup(env):
    rng = np.random.default_rng(0)
    for _ in range(40):  # random walks: some trash picked up
        env.step(rng.integers(0, 4, env.num_agents).astype(np.int32))

def tripletriad(env):
    for card, cell in ((0, 4), (1, 0), (2, 8)):  # three cards played: a board in progress
        env.step(np.array([card], np.int32))
        s = env.state[0]
        free = [c for c in (cell, *range(9)) if s["owner"][c] == 0]
        env.step(np.array([5 + free[0]], np.int32))
    env.step(np.array([3], np.int32))


PLAYS = {"blastar": blastar, "boids": boids_play, "breakout": breakout, "cartpole": cartpole, "checkers": checkers,
         "connect4": connect4, "connect4_selfplay": connect4_selfplay, "enduro": enduro, "freeway": freeway, "go":
         go, "grid": grid, "moba": moba, "pacman": pacman, "pong": pong, "rware": rware_play, "snake": snake_play, "squared":
         squared, "target": target, "tetris": tetris, "tower_climb": tower_climb, "trash_pickup": trash_pickup,
         "tripletriad": tripletriad}
SHOWN = {"boids": boids.make_game(32)}  # games other than the default


def main():
    for name in npf.list_envs():
        env = npf.make(name, num_envs=1, seed=4, render_mode="rgb_array", autoreset="disabled")
        env.reset(seed=4)
        PLAYS[name](env)
        path = os.path.join(HERE, f"{name}.png")
        iio.imwrite(path, env.render(), optimize=True)
        print(f"{path}: {os.path.getsize(path) // 1024} KiB")


if __name__ == "__main__":
    main()
