"""A person plays one game in a pygame window: `numbapuffer play ENV`, or `play(...)`.

What the keys do is declared by each game's `View` (keys, idle action, mouse, bots for the
agents the person does not steer), beside its game code. The window shows the game's frame
and, under it, the controls, the frame rate and the return so far. A finished game stays
on screen for a moment, then a new one starts. Esc or the window's close button quit.

A scripted key feed stands in for the keyboard (tests, demos): "up:60,down:30" holds Up
for 60 frames, then Down for 30, then nothing; "none:N" holds no key for N frames. Its keys
are posted as pygame key events, so they take the same path as a real keyboard's.
"""
import numpy as np

from numbapuffer import envs
from numbapuffer.engine import render
from numbapuffer.engine.checks import is_int
from numbapuffer.core import Env, ended_games
from numbapuffer.engine.records import Fields
from numbapuffer.engine.render import COLORS

BAR = 46         # pixels under the frame: the controls line and the status line
GAME_OVER = 1.5  # seconds a finished game stays on screen
MIN_WIDTH = 360  # pixels: room for the controls line under a small frame


def parse_feed(feed, view, name):
    """[(key name or None, frames), ...] from a feed such as "up:60,none:10,down:30"."""
    allowed = list(view.keys) + ["none", "escape"]
    out = []
    for part in feed.split(","):
        key, sep, count = part.strip().rpartition(":")
        if not sep or not count.isdigit() or int(count) < 1 or key not in allowed:
            raise ValueError(f"{name}: bad key feed entry {part.strip()!r}: expected KEY:FRAMES with KEY one of "
                             f"{', '.join(allowed)} and FRAMES >= 1")
        out.append((None if key == "none" else key, int(count)))
    return out


def play(env, max_frames=None, keys=None, fps=None, seed=None, policy=None, trace=(), **params):
    """Play game 0 of a fresh one-game env of `env` (an env id or a Game) in a window.

    max_frames: stop after this many frames (None: until Esc or the window is closed).
    keys: a scripted key feed (see the module docstring) instead of the keyboard.
    fps: frames per second (default the view's; 0 as fast as possible).
    policy: optional function observations -> actions that plays instead of the person
      (the game's bots still play their agents).
    trace: names of scalar state fields to record after every frame.
    Returns {"frames", "steps", "games" (finished), "return" (of the game on screen, or of
    the last finished one while it is shown), "state" (game 0's final record), "trace"
    ({field: array of its value after each frame})}.
    """
    game = envs.get(env)
    view = game.view
    if view is None:
        raise ValueError(f"{game.name}: the game has no view to play (Game(..., view=View(...)))")
    if max_frames is not None and (not is_int(max_frames) or max_frames < 1):
        raise ValueError(f"{game.name}: max_frames must be an integer >= 1, got {max_frames!r}")
    fps = view.fps if fps is None else fps
    if not isinstance(fps, (int, float)) or fps < 0:
        raise ValueError(f"{game.name}: fps must be a number >= 0, got {fps!r}")
    feed = parse_feed(keys, view, game.name) if keys else []
    scalars = [k for k in game.state.names if game.state[k].shape == ()]
    for k in trace:
        if k not in scalars:
            raise ValueError(f"{game.name}: cannot trace {k!r}: the scalar state fields are {', '.join(scalars)}")
    # autoreset off: a finished game stays on screen until play restarts it
    env = Env(game, num_envs=1, seed=seed, report_interval=0, autoreset="disabled", **params)
    env.reset(seed=seed)
    renderer = render.Renderer(game, env.params, "rgb_array")
    w, h = renderer.size
    window = render.open_window((max(w, MIN_WIDTH), h + BAR), f"numbapuffer play {game.name}", game.name)
    pygame = renderer.pygame
    codes = _key_codes(view, pygame, game.name)
    clock = pygame.time.Clock()
    schedule = _schedule(feed, pygame)
    held, last = [], None  # bound keys held (most recent last); the person's last action
    frames = steps = games = 0
    ret, shown_over = 0.0, 0  # return of the game on screen; frames left showing a finished game
    actions = np.empty_like(env.actions)
    traced = {k: [] for k in trace}
    try:
        while max_frames is None or frames < max_frames:
            for event in schedule.get(frames, ()):
                pygame.event.post(event)
            pressed, held, quit_ = _events(pygame, view, codes, held, env, renderer.params, h)
            if quit_:
                break
            if shown_over:
                shown_over -= 1
                if shown_over == 0:
                    env.reset(mask=np.ones(1, np.bool_))
                    ret = 0.0
            else:
                s = Fields(env.state[0])
                if policy is not None:
                    actions[...] = policy(env.observations)
                    action = actions[0]
                else:
                    action = _person_action(view, s, renderer.params, pressed, held, codes, last)
                    if action is not None:
                        actions[...] = action
                if action is not None:
                    last = action
                    if view.bots is not None:
                        view.bots(s, renderer.params, actions)
                    env.step(actions)
                    steps += 1
                    ret += float(env.rewards[0])
                    if ended_games(env)[0]:
                        games += 1
                        shown_over = max(1, round(GAME_OVER * (fps or view.fps)))
            _draw(window, renderer, env, view, clock, ret, games, shown_over)
            clock.tick(fps)
            frames += 1
            for k, values in traced.items():
                values.append(env.state[k][0])
    finally:
        pygame.display.quit()
    return {"frames": frames, "steps": steps, "games": games, "return": ret, "state": env.state[0].copy(),
            "trace": {k: np.array(v, game.state[k]) for k, v in traced.items()}}


def _key_codes(view, pygame, name):
    """pygame key code -> action, from the view's key names."""
    codes = {}
    for key, action in view.keys.items():
        try:
            codes[pygame.key.key_code(key)] = action
        except ValueError:
            pygame.display.quit()
            raise ValueError(f"{name}: View key {key!r} is not a pygame key name") from None
    return codes


def _events(pygame, view, codes, held, env, params, height):
    """This frame's events: (actions pressed, bound keys held (most recent last), quit)."""
    pressed, quit_ = [], False
    for event in pygame.event.get():
        if event.type == pygame.QUIT or (event.type == pygame.KEYDOWN and event.key == pygame.K_ESCAPE):
            quit_ = True
        elif event.type == pygame.KEYDOWN and event.key in codes:
            held = [k for k in held if k != event.key] + [event.key]
            pressed.append(codes[event.key])
        elif event.type == pygame.KEYUP:
            held = [k for k in held if k != event.key]
        elif event.type == pygame.WINDOWFOCUSLOST:
            held = []
        elif (event.type == pygame.MOUSEBUTTONDOWN and event.button == 1 and view.click is not None
              and event.pos[1] < height):
            action = view.click(event.pos[0], event.pos[1], Fields(env.state[0]), params)
            if action is not None:
                pressed.append(action)
    return pressed, held, quit_


def _person_action(view, s, p, pressed, held, codes, last):
    """The person's action this frame; None: a turn-based game waits for a key."""
    if view.idle is None:  # turn-based: one move per key press or click
        return pressed[-1] if pressed else None
    if pressed:
        return pressed[-1]
    if held:
        return codes[held[-1]]
    return view.idle(s, p, last) if callable(view.idle) else view.idle


def _schedule(feed, pygame):
    """{frame: [key events to post at its start]} for a key feed."""
    out, frame, down = {}, 0, None
    for key, count in feed:
        events = out.setdefault(frame, [])
        if down is not None:
            events.append(pygame.event.Event(pygame.KEYUP, key=down, mod=0, unicode="", scancode=0))
        down = None if key is None else pygame.key.key_code(key)
        if down is not None:
            events.append(pygame.event.Event(pygame.KEYDOWN, key=down, mod=0, unicode="", scancode=0))
        frame += count
    if down is not None:
        out.setdefault(frame, []).append(pygame.event.Event(pygame.KEYUP, key=down, mod=0, unicode="", scancode=0))
    return out


def _draw(window, renderer, env, view, clock, ret, games, shown_over):
    pygame = renderer.pygame
    w, h = renderer.size
    window.fill(COLORS["background"])
    window.blit(renderer.draw(env.state[0]), (0, 0))
    if shown_over:
        banner = pygame.Surface((w, 56), pygame.SRCALPHA)
        banner.fill((0, 0, 0, 170))
        window.blit(banner, (0, h // 2 - 28))
        render.text(window, f"game over   return {ret:+g}", (w // 2, h // 2), 30, COLORS["white"], "center")
    window.fill(COLORS["line"], (0, h, window.get_width(), 1))
    render.text(window, f"{view.help}   Esc: quit" if view.help else "Esc: quit", (8, h + 7), 20, COLORS["text"])
    render.text(window, f"FPS {clock.get_fps():3.0f}   return {ret:+g}   games {games}", (8, h + 27), 20,
                COLORS["dim"])
    pygame.display.flip()
