"""Rendering, human play and recording, all headless (SDL's dummy video driver)."""
import os
import re
import subprocess
import sys

import imageio.v3 as iio
import numpy as np
from gymnasium import spaces
import pytest

import numbapuffer as npf
from numbapuffer.engine import render
from numbapuffer.tools.bench import action_sets
from numbapuffer.envs import connect4, snake
from numbapuffer.tools.play import play
from numbapuffer.engine.render import Fields, Renderer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NAMES = npf.list_envs()
# (height, width) of a frame at the default sizes, as each env's docstring states
SIZES = {"acrobot": (500, 500), "mountaincar": (400, 600), "mountaincar_continuous": (400, 600),
         "pendulum": (500, 500), "pong": (640, 500), "pong_pixels": (640, 500), "breakout_pixels": (330, 576),
         "breakout": (330, 576), "cartpole": (320, 600), "connect4": (464, 448),
         "connect4_selfplay": (464, 448), "snake": (520, 488), "squared": (432, 404),
         "blastar": (480, 640), "boids": (360, 540), "checkers": (512, 512), "enduro": (630, 456),
         "freeway": (360, 608), "go": (488, 448), "moba": (560, 512), "grid": (324, 296), "pacman": (660, 560), "rware": (528, 480),
         "target": (720, 1080), "tetris": (688, 424), "tower_climb": (390, 776), "trash_pickup": (512, 480),
         "tripletriad": (500, 520)}


@pytest.fixture(autouse=True)
def headless(monkeypatch):
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    yield
    pygame = render.pygame_module()
    assert not pygame.display.get_init() or pygame.display.get_surface() is None, "a test left a window open"


def pygame():
    return render.pygame_module()


def random_steps(env, steps, seed=0):
    for actions in action_sets(env.action_space, steps, seed):
        env.step(actions)


def test_every_env_has_all_its_envs_registered_here():
    assert sorted(SIZES) == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_rgb_frame_of_documented_size_not_blank_and_moving(name):
    env = npf.make(name, num_envs=2, seed=1, render_mode="rgb_array")
    assert env.metadata == {"render_modes": ["human", "rgb_array"], "render_fps": env.game.view.fps}
    env.reset(seed=1)
    first = env.render()
    assert first.shape == SIZES[name] + (3,) and first.dtype == np.uint8
    colors = np.unique(first.reshape(-1, 3), axis=0)
    assert len(colors) >= 4, f"{name}: a frame of {len(colors)} colours is as good as blank"
    frames = [first]
    # one stream of 12 random steps: the same 2 (seed 0) over and over can undo themselves (rware: right, then left)
    for k, actions in enumerate(action_sets(env.action_space, 12, 0)):
        env.step(actions)
        if k % 2:
            frames.append(env.render())
    assert any(not np.array_equal(first, f) for f in frames[1:]), f"{name}: the frame never changed"
    env.close()


def test_any_game_renders_and_bad_indices_are_named():
    env = npf.make("pong", num_envs=3, seed=2, render_mode="rgb_array")
    env.reset(seed=2)
    random_steps(env, 40)
    one = npf.make("pong", num_envs=1, render_mode="rgb_array")
    with pytest.raises(RuntimeError, match=r"pong: call reset\(\) before render\(\)"):
        one.render()
    one.reset()
    for i in range(3):  # game i's frame is the frame of a one-game env holding game i's state
        one.state[0] = env.state[i]
        np.testing.assert_array_equal(env.render(i), one.render())
    assert not np.array_equal(env.render(0), env.render(1))
    np.testing.assert_array_equal(env.render(-1), env.render(2))
    for bad in (3, -4, 1.0, True, None):
        with pytest.raises(ValueError, match="game must be an index of one of the env's 3 games"):
            env.render(bad)
    env.render(1)  # still works


def test_render_modes_are_checked_against_the_game():
    with pytest.raises(ValueError, match="pong: render_mode must be one of None, 'human', 'rgb_array', got 'ascii'"):
        npf.make("pong", render_mode="ascii")
    import walk  # a game without a view
    with pytest.raises(ValueError, match=r"walk: render_mode must be one of None \(the game declares no view"):
        npf.make(walk.game, render_mode="rgb_array")
    env = npf.make(walk.game)
    assert env.metadata == {"render_modes": [], "render_fps": None}
    env = npf.make("pong")
    env.reset(seed=0)
    with pytest.raises(ValueError, match=r"pong: render\(\) needs render_mode='human' or 'rgb_array'"):
        env.render()
    with pytest.raises(TypeError, match="view must be a numbapuffer.engine.render.View"):
        npf.Game("x", walk.STATE, walk.reset, walk.step, walk.game.observation_space, walk.game.action_space,
                 view=lambda surface, s, p: None)
    with pytest.raises(ValueError, match="View: size must be"):
        npf.View(lambda surface, s, p: None, size=(0, 10))


def test_rendering_off_costs_nothing(monkeypatch):
    """Without render_mode "human", step and reset are the class's own methods and nothing draws."""
    def fail(*args, **kwargs):
        raise AssertionError("drawing in a step")
    for name in ("pong", "snake"):
        view = npf.envs.get(name).view
        monkeypatch.setattr(view, "draw", fail)
        for mode in (None, "rgb_array"):
            env = npf.make(name, num_envs=4, seed=0, render_mode=mode)
            assert env.step.__func__ is npf.Env.step and env.reset.__func__ is npf.Env.reset
            env.reset(seed=0)
            random_steps(env, 20)
        monkeypatch.setattr(Renderer, "__init__", fail)
        env = npf.make(name, num_envs=4, seed=0, render_mode="rgb_array")
        env.reset(seed=0)
        random_steps(env, 5)
        monkeypatch.undo()


def test_drawing_reads_a_copy_and_cannot_write_the_state():
    env = npf.make("pong", num_envs=1, seed=0, render_mode="rgb_array")
    env.reset(seed=0)
    s = Fields(env.state[0])
    assert s.paddle_yr == env.state["paddle_yr"][0]
    with pytest.raises(AttributeError, match="must not change"):
        s.paddle_yr = 0
    with pytest.raises(AttributeError, match="no field 'nope'"):
        s.nope
    sq = Fields(npf.make("squared").params[0])
    assert sq.size == 11  # a field named like a numpy scalar attribute still reads the field


def window():
    surface = pygame().display.get_surface() if pygame().display.get_init() else None
    return surface


def test_human_window_shows_game_0_and_closes():
    env = npf.make("pong", num_envs=2, seed=3, render_mode="human")
    env.reset(seed=3)  # opens the window and draws (gymnasium's convention: human mode follows reset and step)
    assert window() is not None and window().get_size() == (500, 640)
    for _ in range(5):
        env.step(np.array([1, 2], np.int32))
    shown = render.to_array(window())
    twin = npf.make("pong", num_envs=1, render_mode="rgb_array")
    twin.reset()
    twin.state[0] = env.state[0]
    np.testing.assert_array_equal(shown, twin.render())
    assert pygame().display.get_caption()[0] == "numbapuffer: pong"
    env.close()
    assert window() is None
    random_steps(env, 3)  # the env works on; its next frame opens a window again
    assert window() is not None
    env.close()


def test_human_window_close_button():
    env = npf.make("snake", num_envs=1, seed=0, render_mode="human")
    env.reset(seed=0)
    assert window() is not None
    pygame().event.post(pygame().event.Event(pygame().QUIT))
    env.step(np.zeros(4, np.int32))  # the step's frame sees the close button
    assert window() is None
    random_steps(env, 5)  # the game goes on without a window, which stays closed
    assert window() is None
    env.close()


def test_no_display_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("SDL_VIDEODRIVER", "no_such_driver")
    env = npf.make("pong", render_mode="human")
    with pytest.raises(RuntimeError, match="pong: cannot open a window .*SDL_VIDEODRIVER=dummy.*'rgb_array'"):
        env.reset(seed=0)
    with pytest.raises(RuntimeError, match="pong: cannot open a window .*SDL_VIDEODRIVER=dummy"):
        play("pong", max_frames=1)
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    env.render()  # with a display, the same env shows its game
    assert window() is not None
    env.close()


def test_pettingzoo_adapter_renders():
    par = snake.parallel_env(render_mode="rgb_array", seed=0)
    par.reset(seed=0)
    assert par.render().shape == SIZES["snake"] + (3,)
    assert connect4.parallel_env(render_mode="rgb_array").metadata["render_fps"] == 30


def test_play_pong_from_the_command_line_moves_the_paddle():
    env = dict(os.environ, SDL_VIDEODRIVER="dummy")
    cmd = [sys.executable, "-m", "numbapuffer", "play", "pong", "--max-frames", "120", "--keys", "up:60,down:30",
           "--seed", "0", "--trace", "paddle_yr,score_l,score_r"]
    out = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    rows = re.findall(r"frame (\d+): paddle_yr=([\d.-]+), score_l=(\d+), score_r=(\d+)", out.stdout)
    assert len(rows) == 120 and "pong: 120 frames, 120 steps" in out.stdout
    y = np.array([float(r[1]) for r in rows])
    points = np.array([int(r[2]) + int(r[3]) for r in rows])
    moves = np.diff(y)  # moves[k]: the move of frame k + 2 (frames count from 1)
    same = points[1:] == points[:-1]  # a point restarts the round: paddles back in the middle
    up, down, idle = (moves[k][same[k]] for k in (slice(0, 59), slice(59, 89), slice(89, None)))
    assert y[0] == 285 + 8  # the first frame's step moved the paddle up from the middle
    up, down = up[up != 0], down[down != 0]  # at a wall the paddle stops
    assert len(up) > 20 and np.all(up == 8), "Up held: the paddle rises 8 a frame"
    assert len(down) > 20 and np.all(down == -8), "Down held: the paddle falls 8 a frame"
    assert len(idle) > 10 and np.all(idle == 0), "no key: the paddle stays"


def test_play_rejects_bad_input():
    with pytest.raises(ValueError, match="bad key feed entry 'jump:3'.*one of up, down, none, escape"):
        play("pong", max_frames=2, keys="jump:3")
    with pytest.raises(ValueError, match="bad key feed entry 'up:0'"):
        play("pong", max_frames=2, keys="up:0")
    with pytest.raises(ValueError, match="cannot trace 'board'"):
        play("connect4", max_frames=2, trace=["board"])
    with pytest.raises(ValueError, match="max_frames must be an integer >= 1"):
        play("pong", max_frames=0)
    out = subprocess.run([sys.executable, "-m", "numbapuffer", "play", "pong", "--keys", "x:1"], cwd=ROOT,
                         env=dict(os.environ, SDL_VIDEODRIVER="dummy"), capture_output=True, text=True, timeout=120)
    assert out.returncode == 2 and "numbapuffer play: error: pong: bad key feed entry 'x:1'" in out.stderr


# a feed each game acts on: (feed, frames, least steps)
FEEDS = {"acrobot": ("left:3,right:3", 6, 6), "mountaincar": ("left:3,right:3", 6, 6),
         "mountaincar_continuous": ("left:3,right:3", 6, 6), "pendulum": ("left:3,right:3", 6, 6),
         "pong": ("down:6", 6, 6), "pong_pixels": ("down:6", 6, 6), "breakout_pixels": ("left:6", 6, 6), "breakout": ("left:6", 6, 6), "cartpole": ("left:3,right:3", 6, 6),
         "connect4": ("4:1,none:1,3:1", 4, 2), "connect4_selfplay": ("4:1,none:1,4:1,none:1", 4, 2),
         "snake": ("left:3,up:3", 6, 6), "squared": ("right:3,down:3", 6, 6),
         "blastar": ("left:3,space:3", 6, 6), "boids": ("up:3,left:3", 6, 6),
         "checkers": ("space:1,none:1,space:1", 3, 2), "enduro": ("up:3,left:3", 6, 6), "freeway": ("up:6", 6, 6),
         "go": ("p:1,none:1,p:1", 3, 2), "grid": ("up:3,left:3", 6, 6), "moba": ("up:3,left:3", 6, 6), "pacman": ("left:3,up:3", 6, 6),
         "rware": ("up:3,left:3", 6, 6), "target": ("left:3,up:3", 6, 6), "tetris": ("left:3,up:3", 6, 6),
         "tower_climb": ("right:1,none:1,up:1", 3, 2), "trash_pickup": ("up:1,none:1,right:1", 3, 2),
         "tripletriad": ("1:1,none:1,s:1", 3, 2)}


@pytest.mark.parametrize("name", NAMES)
def test_every_env_plays_a_few_frames(name):
    feed, frames, steps = FEEDS[name]
    view = npf.envs.get(name).view
    space = npf.envs.get(name).action_space
    box = isinstance(space, spaces.Box)
    assert all(space.contains(np.full(space.shape, a, np.float32) if box else np.asarray(a, np.int64)) for a in view.keys.values())
    out = play(name, max_frames=frames, keys=feed, fps=0, seed=0)
    assert out["frames"] == frames and out["steps"] >= steps
    assert window() is None


def test_play_keys_reach_the_game():
    out = play("connect4_selfplay", max_frames=4, keys="4:1,none:1,4:1,none:1", fps=0, seed=0)
    board = out["state"]["board"]
    assert board[5, 3] == 1 and board[4, 3] == -1 and out["steps"] == 2  # one person played both sides
    out = play("squared", max_frames=3, keys="right:2", fps=0, seed=0, trace=["x", "y"])
    np.testing.assert_array_equal(out["trace"]["x"], [6, 7, 7])  # right twice from the centre, then stay
    np.testing.assert_array_equal(out["trace"]["y"], [5, 5, 5])
    out = play("cartpole", max_frames=6, fps=0, seed=0, trace=["x_dot"])
    assert np.all(np.diff(np.sign(np.diff(out["trace"]["x_dot"]))) != 0)  # no key: pushes alternate
    out = play("pong", max_frames=5, fps=0, seed=0, trace=["paddle_yr"], policy=lambda obs: np.full(len(obs), 1))
    np.testing.assert_array_equal(out["trace"]["paddle_yr"], 285 + 8 * np.arange(1, 6))  # a policy plays instead
    out = play(snake.make_game(num_snakes=9, width=5, height=5, max_length=2), max_frames=3, fps=0, seed=0, food=2)
    assert out["steps"] == 3  # other sizes (a small frame, more snakes than named colours) play too


def test_play_mouse_click_close_button_and_escape(monkeypatch):
    pg = pygame()
    real_get = pg.event.get
    script = {1: [pg.event.Event(pg.MOUSEBUTTONDOWN, pos=(2 * connect4.CELL + 5, 200), button=1)],
              3: [pg.event.Event(pg.QUIT)]}
    calls = []

    def get(*args, **kwargs):
        calls.append(1)
        return script.get(len(calls), []) + real_get(*args, **kwargs)
    monkeypatch.setattr(pg.event, "get", get)
    out = play("connect4", fps=0, seed=0)  # no max_frames: only the close button ends it
    assert out["frames"] == 2 and out["steps"] == 1
    assert out["state"]["board"][5, 2] == 1  # the click dropped a red piece in column 3
    monkeypatch.undo()
    out = play("pong", max_frames=50, keys="up:5,escape:1", fps=0, seed=0)
    assert out["frames"] == 5


def test_play_shows_a_finished_game_then_starts_another():
    # Pushing right topples the pole within a few steps; the game stays on screen, then restarts.
    out = play("cartpole", max_frames=120, keys="right:40", fps=0, seed=0, trace=["t"])
    t = out["trace"]["t"]
    assert out["games"] >= 1
    end = int(np.argmax(np.diff(t) == 0))  # the first frame on which the finished game is shown
    held = t[end:][:np.argmax(t[end:] != t[end])]
    assert len(held) >= 2 and np.any(t[end + len(held):] < t[end])  # held a while, then a new game from t=0


def food_eaten(env):
    return env.logs["score"].sum() + env.episodes["score"].sum()


def test_snake_bots_take_a_safe_move_toward_food():
    env = npf.make("snake", num_envs=16, seed=5, report_interval=0)
    env.reset(seed=5)
    checked = 0
    for step in range(30):
        actions = np.zeros(env.num_agents, np.int32)
        for g in range(env.num_envs):
            s = Fields(env.state[g].copy())
            row = actions[g * 4:(g + 1) * 4]
            snake.bots(s, None, row, 5)
            row[0] = snake.greedy(s, 0, 5)
            for k in range(4):
                h = s.head[k]
                r, c = s.body_r[k, h], s.body_c[k, h]
                a = row[k]
                target = s.grid[r + snake.DR[a], c + snake.DC[a]]
                neck = (s.body_r[k, h - 1], s.body_c[k, h - 1]) if s.length[k] > 1 else None
                options = [s.grid[r + dr, c + dc] for dr, dc in zip(snake.DR, snake.DC)
                           if (r + dr, c + dc) != neck]
                if min(options) <= snake.FOOD:
                    assert target <= snake.FOOD, "greedy stepped into a wall or a snake with a safe move open"
                    checked += 1
        env.step(actions)
    assert checked > 500
    rand = npf.make("snake", num_envs=16, seed=5, report_interval=0)
    rand.reset(seed=5)
    random_steps(rand, 30)
    assert food_eaten(env) > 3 * max(food_eaten(rand), 1), "greedy snakes eat far more than random ones"


def test_record_returns_frames_and_saves_them(tmp_path):
    env = npf.make("breakout", num_envs=3, seed=0)
    frames = render.record(env, None, 12, game=1, seed=0)
    assert frames.shape == (12,) + SIZES["breakout"] + (3,) and frames.dtype == np.uint8
    assert not np.array_equal(frames[0], frames[-1])
    twin = npf.make("breakout", num_envs=3, seed=0)
    np.testing.assert_array_equal(render.record(twin, None, 12, game=1, seed=0), frames)  # deterministic
    up = render.record(npf.make("pong", num_envs=2, seed=0), lambda obs: np.ones(2, np.int32), 30)
    # the agent's paddle went up: its colour is in the top of the right edge
    assert np.all(up[-1][60:100, -5] == render.COLORS["blue"])
    path = render.save(frames, tmp_path / "clip.gif", fps=15)
    back = iio.imread(path)
    assert back.shape == frames.shape
    assert np.mean(back == frames) > 0.99  # GIF's palette holds the few colours of a frame
    mp4 = render.save(frames, tmp_path / "clip.mp4", fps=15)
    assert iio.imread(mp4, plugin="FFMPEG").shape == frames.shape
    assert render.show(frames[:3]).format == "gif"
    with pytest.raises(ValueError, match="must end in .gif or .mp4"):
        render.save(frames, tmp_path / "clip.avi")
    with pytest.raises(ValueError, match="frames must be a"):
        render.save(frames[0], tmp_path / "one.gif")
    with pytest.raises(ValueError, match="steps must be an integer >= 1"):
        render.record(env, None, 0)
    with pytest.raises(ValueError, match="game must be an index"):
        render.record(env, None, 2, game=3)
