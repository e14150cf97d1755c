"""Pictures of games: pygame drawing from the state record, windows, frames and clips.

A game that can be seen declares a `View` beside its game code: a plain Python function
`draw(surface, s, p)` that paints one game's state record `s` (fields by attribute, as in
game code) with params `p` onto a pygame Surface, the frame size, the frame rate, and the
keys a person plays it with. The engine never draws inside a kernel: frames are made from
the state record, only when asked (`env.render()`, `record()`, `numbapuffer play`), so a
step costs the same whether a game has a view or not.

    env = npf.make("pong", num_envs=8, render_mode="rgb_array")
    env.reset(seed=0)
    env.render()      # (H, W, 3) uint8 frame of game 0; env.render(i) for game i
    frames = record(env, policy=None, steps=200)   # (200, H, W, 3): random play
    save(frames, "pong.gif", fps=env.metadata["render_fps"])

pygame is imported on the first drawing, not with numbapuffer (it costs ~0.15 s).
"""
import copy
import os
from collections.abc import Sequence

import numpy as np

from numbapuffer.engine.checks import is_int
from numbapuffer.engine.records import Fields

__all__ = ["View", "Renderer", "Frames", "Fields", "record", "save", "show", "text", "COLORS"]

# One palette for every first-party game: a dark field, light text, bright pieces.
COLORS = dict(
    background=(24, 26, 33), field=(32, 35, 44), line=(58, 62, 76), text=(232, 234, 240), dim=(140, 146, 160),
    blue=(77, 166, 255), red=(255, 99, 99), yellow=(255, 209, 76), green=(108, 214, 120), orange=(255, 153, 64),
    purple=(186, 130, 255), teal=(64, 214, 200), pink=(255, 128, 200), white=(245, 245, 245),
)


class View:
    """How a person sees and plays a game; pass it as `Game(..., view=View(...))`.

    draw(surface, s, p): paint game record `s` with params `p` onto `surface` (a
      pygame.Surface of `size`). `s.field` and `p.field` read like game code; draw must
      not write to them.
    size: (width, height) of a frame in pixels, or a function of the params record `p`
      returning it (a frame that follows the field's size).
    fps: frames per second of the human window and of `numbapuffer play`; a frame is one step.
    keys: {pygame key name: action} for play ("up", "left", "1", "space", ...).
    idle: the action when no bound key is held: an action, a function (s, p, last) ->
      action (`last`: the person's last action, None before the first), or None for a
      turn-based game that waits for a key press.
    click: optional function (x, y, s, p) -> action or None, for a mouse click at frame
      pixel (x, y).
    bots: optional function (s, p, actions): `actions` holds the person's action for each
      of the game's agents; set the entries of the agents the person does not play.
      Without it the person's action goes to every agent of the game (a two-player game
      whose turns are set by `masks` is then played by one person at one keyboard).
    help: the controls in a few words, shown under the game in play.
    """

    def __init__(self, draw, size, fps=30, keys=None, idle=0, click=None, bots=None, help=""):
        if not callable(draw):
            raise TypeError("View: draw must be a function draw(surface, s, p)")
        if not callable(size) and not _is_size(size):
            raise ValueError(f"View: size must be (width, height) in pixels or a function of the params, got {size!r}")
        if not (isinstance(fps, (int, float)) and fps > 0):
            raise ValueError(f"View: fps must be a number > 0, got {fps!r}")
        self.draw, self.size, self.fps = draw, size, fps
        self.keys = dict(keys or {})
        self.idle, self.click, self.bots, self.help = idle, click, bots, help

    def frame_size(self, p):
        """(width, height) of a frame for the params record `p` (wrapped by `Fields`)."""
        size = self.size(p) if callable(self.size) else self.size
        if not _is_size(size):
            raise ValueError(f"View: size must be two integers > 0, got {size!r}")
        return int(size[0]), int(size[1])


def _is_size(size):
    return (isinstance(size, (tuple, list)) and len(size) == 2
            and all(is_int(v) and v > 0 for v in size))


def pygame_module():
    """pygame, imported and its display and font modules started (no audio)."""
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    import pygame
    if not pygame.font.get_init():
        pygame.font.init()
    return pygame


_fonts = {}


def text(surface, string, pos, size=20, color=COLORS["text"], anchor="topleft"):
    """Draw `string` with pygame's bundled font, placing the rect's `anchor` ("topleft",
    "center", "midtop", "topright", ...) at `pos`; returns the rect drawn."""
    pygame = pygame_module()
    font = _fonts.get(size)
    if font is None:
        font = _fonts[size] = pygame.font.Font(None, size)
    image = font.render(str(string), True, color)
    rect = image.get_rect(**{anchor: (int(pos[0]), int(pos[1]))})
    surface.blit(image, rect)
    return rect


def to_array(surface):
    """A pygame Surface as an (H, W, 3) uint8 array (a copy)."""
    pygame = pygame_module()
    w, h = surface.get_size()
    return np.frombuffer(pygame.image.tobytes(surface, "RGB"), np.uint8).reshape(h, w, 3).copy()


def open_window(size, title, name, hint=""):
    """The pygame display window of `size`, with a clear error (naming game `name`) where
    no display exists."""
    pygame = pygame_module()
    try:
        pygame.display.init()
        window = pygame.display.set_mode(size)
    except pygame.error as e:
        raise RuntimeError(f"{name}: cannot open a window ({e}); set SDL_VIDEODRIVER=dummy to run without a "
                           f"display{hint}") from None
    pygame.display.set_caption(title)
    return window


class Renderer:
    """Draws games of one env: frames (mode "rgb_array") or a window (mode "human")."""

    def __init__(self, game, params, mode):
        self.pygame = pygame_module()
        self.game, self.view, self.mode = game, game.view, mode
        self.params = Fields(params[0])
        self.size = self.view.frame_size(self.params)
        self.surface = self.pygame.Surface(self.size)
        self.window = None
        self.clock = None
        self.window_closed = False  # the person closed the window: later frames are not shown

    def draw(self, record):
        """Paint one game's record onto self.surface (a copy of the record: drawing never
        touches the running state)."""
        self.surface.fill(COLORS["background"])
        self.view.draw(self.surface, Fields(record), self.params)
        return self.surface

    def frame(self, record):
        """One game's frame as an (H, W, 3) uint8 array."""
        return to_array(self.draw(record))

    def show(self, record):
        """Draw one game into the window and wait out the frame at the view's fps. The
        window's close button closes it for good; the env goes on without it."""
        if self.window_closed:
            return
        pygame = self.pygame
        if self.window is None:
            self.window = open_window(self.size, f"numbapuffer: {self.game.name}", self.game.name,
                                      ", or use render_mode='rgb_array'")
            self.clock = pygame.time.Clock()
        for event in pygame.event.get():
            if event.type == pygame.QUIT:
                self.close()
                self.window_closed = True
                return
        self.window.blit(self.draw(record), (0, 0))
        pygame.display.flip()
        self.clock.tick(self.view.fps)

    def close(self):
        if self.window is not None:
            self.pygame.display.quit()
            self.window = None


class Frames(Sequence):
    """One frame per game of `env` (render_mode "rgb_array"), gymnasium's vector render():
    a sequence that draws a game only when it is read, as the games were when it was made
    (their state records are copied, not drawn: 4096 games cost one copy, no drawing, until
    a frame is asked for)."""

    def __init__(self, env):
        if env.render_mode != "rgb_array":
            raise ValueError(f"{env.game.name}: frames of every game need render_mode='rgb_array', "
                             f"got {env.render_mode!r}")
        if not env._ready:
            raise RuntimeError(f"{env.game.name}: call reset() before render()")
        self._env, self._states = env, env.state.copy()

    def __len__(self):
        return self._env.num_envs

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        env = self._env
        if is_int(i) and not -env.num_envs <= i < env.num_envs:
            raise IndexError(f"{env.game.name}: frame {i} of {env.num_envs}")  # also ends iteration
        k = game_index(env, i)
        if env._renderer is None:
            env._renderer = Renderer(env.game, env.params, env.render_mode)
        return env._renderer.frame(self._states[k])


def record(env, policy=None, steps=100, game=0, seed=0):
    """Step `env` `steps` times and return game `game`'s frame after each step, as a
    (steps, H, W, 3) uint8 array. policy: a function observations -> actions for the whole
    env, or None for uniformly random actions (seeded by `seed`). The env is reset first
    (with `seed`) only if it never was; any render_mode works."""
    if env.game.view is None:
        raise ValueError(f"{env.game.name}: the game has no view to draw (Game(..., view=View(...)))")
    if not is_int(steps) or steps < 1:
        raise ValueError(f"record: steps must be an integer >= 1, got {steps!r}")
    i = game_index(env, game)
    renderer = Renderer(env.game, env.params, "rgb_array")
    if not env._ready:
        env.reset(seed=seed)
    if policy is None:
        space = copy.deepcopy(env.action_space)  # leave the env's own space's generator alone
        space.seed(seed)
        policy = lambda observations: space.sample()  # noqa: E731
    frames = np.empty((steps, renderer.size[1], renderer.size[0], 3), np.uint8)
    for t in range(steps):
        env.step(policy(env.observations))
        frames[t] = renderer.frame(env.state[i])
    return frames


def game_index(env, game):
    """`game` checked as an index into env's games."""
    if not is_int(game) or not -env.num_envs <= game < env.num_envs:
        raise ValueError(f"{env.game.name}: game must be an index of one of the env's {env.num_envs} games, "
                         f"got {game!r}")
    return int(game) % env.num_envs


def save(frames, path, fps=30):
    """Write frames (T, H, W, 3) uint8 to `path`: .gif (looping) or .mp4 (needs the
    imageio-ffmpeg package: pip install "numbapuffer[video]")."""
    import imageio.v3 as iio
    frames = _check_frames(frames)
    ext = os.path.splitext(str(path))[1].lower()
    if ext == ".gif":
        iio.imwrite(path, frames, extension=".gif", duration=1000 / fps, loop=0)
    elif ext == ".mp4":
        try:
            import imageio_ffmpeg  # noqa: F401
        except ImportError:
            raise ImportError('saving .mp4 needs imageio-ffmpeg: pip install "numbapuffer[video]"') from None
        iio.imwrite(path, frames, extension=".mp4", plugin="FFMPEG", fps=fps, macro_block_size=2)
    else:
        raise ValueError(f"save: {path!r} must end in .gif or .mp4")
    return path


def show(frames, fps=30):
    """Frames (T, H, W, 3) as an inline looping GIF for a Jupyter notebook (an IPython
    Image; a single (H, W, 3) frame shows as a still picture)."""
    import imageio.v3 as iio
    from IPython.display import Image
    frames = np.asarray(frames)
    if frames.ndim == 3:
        frames = frames[None]
    frames = _check_frames(frames)
    return Image(data=iio.imwrite("<bytes>", frames, extension=".gif", duration=1000 / fps, loop=0), format="gif")


def _check_frames(frames):
    frames = np.asarray(frames)
    if frames.dtype != np.uint8 or frames.ndim != 4 or frames.shape[-1] != 3 or len(frames) == 0:
        raise ValueError(f"frames must be a (T, H, W, 3) uint8 array with T >= 1, got {frames.dtype} {frames.shape}")
    return frames
