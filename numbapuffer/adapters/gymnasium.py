"""The gymnasium faces of a single-agent game: NumbaVecEnv (a gymnasium.vector.VectorEnv
over one native env), NumbaEnv (one game as a gymnasium.Env), and their registration as
`numbapuffer/<Name>-v0` for gymnasium.make_vec and gymnasium.make.
"""
import gymnasium
import numpy as np
from gymnasium.vector import AutoresetMode

from numbapuffer import envs
from numbapuffer.engine import logs, render
from numbapuffer.engine.checks import check_mask, is_int, parse_seed
from numbapuffer.core import Env, Game

__all__ = ["NumbaVecEnv", "NumbaEnv", "register"]


class NumbaVecEnv(gymnasium.vector.VectorEnv):
    """A gymnasium vector env over one native env of `num_envs` single-agent games.

    autoreset_mode: NEXT_STEP (default; the step after an episode ends returns the new
    episode's first observation, reward 0, no done), SAME_STEP (the new episode's first
    observation comes at once; infos hold "final_obs" and "final_info"), or DISABLED
    (ended games stay ended until reset(options={"reset_mask": mask})).

    copy: as gymnasium's vector envs, reset and step return fresh arrays (True, the
    default), or (False) the native env's buffers themselves, with no copying, which the
    next step overwrites. reset(seed=int) gives game i the stream (seed, i); a list gives
    one seed per game.

    The native log reaches infos as the native env's step reports it, every
    `report_interval` steps: infos["log"] holds, per game, the means of the log fields over
    the episodes it finished since the last report and their count "n" (mask "_log": the
    games that finished any); "episode" stays free for RecordEpisodeStatistics. log() gives
    the means over all games of the episodes finished since its last call, reported or not:
    neither takes episodes from the other. Per-episode stats need a pass over every game's
    flags after each step, which costs more than the rest of this layer: use
    RecordEpisodeStatistics for those.

    max_episode_steps: gymnasium's name for the game's `max_steps` param, which make_vec
    passes from the id's spec; a `max_steps` given as well takes precedence.
    """

    def __init__(self, env: str | Game, num_envs: int = 1, seed: int | None = None,
                 autoreset_mode: AutoresetMode = AutoresetMode.NEXT_STEP, render_mode: str | None = None,
                 report_interval: int = 128, copy: bool = True, max_episode_steps: int | None = None, **params):
        game = envs.get(env)
        if max_episode_steps is not None:
            if "max_steps" not in game.defaults:
                raise ValueError(f"{game.name}: max_episode_steps={max_episode_steps!r} given, but the game has "
                                 f"no max_steps param to set")
            params.setdefault("max_steps", max_episode_steps)
        if game.agents != 1:
            raise ValueError(f"{game.name} has {game.agents} agents per game; NumbaVecEnv is for single-agent "
                             f"games: use its PettingZoo API (numbapuffer.envs.{game.name}.parallel_env()) or "
                             f"numbapuffer.make")
        mode = AutoresetMode(autoreset_mode)
        # SAME_STEP runs the engine without autoreset: the final observation must be copied
        # out before the game restarts.
        self.env = Env(game, num_envs, seed=seed, render_mode=render_mode, report_interval=0,
                       autoreset="next_step" if mode == AutoresetMode.NEXT_STEP else "disabled", **params)
        e = self.env
        self.num_envs = e.num_envs
        self.single_observation_space, self.single_action_space = e.single_observation_space, e.single_action_space
        self.observation_space, self.action_space = e.observation_space, e.action_space
        self.metadata = {"autoreset_mode": mode, **e.metadata}
        self.render_mode = render_mode
        self.autoreset_mode = mode
        self.copy = bool(copy)
        self.reports = logs.AgentReports(report_interval, e.logs)
        self._same_step = mode == AutoresetMode.SAME_STEP

    def reset(self, *, seed=None, options=None):
        mask = None
        for key, value in (options or {}).items():
            if key != "reset_mask":
                raise ValueError(f"{self.env.game.name}: unknown reset option {key!r} (known: reset_mask)")
            mask = _check_reset_mask(value, self.num_envs)
        seed = parse_seed(seed, self.num_envs, f"{self.env.game.name}: ")  # before gymnasium sees it
        if isinstance(seed, int):
            super().reset(seed=seed)  # np_random, as gymnasium's vector envs seed it
        self.env.reset(seed=seed, mask=mask)
        return (self.env.observations.copy() if self.copy else self.env.observations), {}

    def step(self, actions):
        obs, rewards, terminations, truncations, _ = self.env.step(actions)
        if self.copy or self._same_step:  # SAME_STEP: the reset below clears the ended games' buffers
            rewards, terminations, truncations = rewards.copy(), terminations.copy(), truncations.copy()
        infos = {}
        if self.reports.due():
            log, ended = self.reports.report_per_agent(self.env.logs)
            if log is not None:
                infos = {"log": log, "_log": ended}
        if self._same_step:
            ended = terminations | truncations
            if ended.any():
                final = np.full(self.num_envs, None, object)
                for i in np.flatnonzero(ended):
                    final[i] = obs[i].copy()
                infos.update(final_obs=final, _final_obs=ended, final_info={}, _final_info=ended)
                self.env.reset(mask=ended)
        return (obs.copy() if self.copy else obs), rewards, terminations, truncations, infos

    def log(self):
        """The native log: means over the episodes ended since the last call, "n" (reports
        in infos take nothing from it)."""
        return self.reports.log_sums(self.env.logs)

    def render(self):
        """gymnasium's vector contract: with render_mode "rgb_array", one (H, W, 3) frame per
        game, as a sequence that draws a game only when read (render.Frames: nothing is drawn
        for the games no one looks at); with "human", game 0 in the window, and None."""
        if self.env.render_mode == "rgb_array":
            return render.Frames(self.env)
        return self.env.render()

    def close_extras(self, **kwargs):
        self.env.close()


def _check_reset_mask(mask, num_envs):
    """gymnasium's rule: a numpy bool array of one value per env, at least one True."""
    what = "options['reset_mask']"
    if not isinstance(mask, np.ndarray):
        raise ValueError(f"{what} must be a numpy bool array of shape ({num_envs},), got {type(mask).__name__}")
    mask = check_mask(mask, num_envs, what)
    if not mask.any():
        raise ValueError(f"{what} must have at least one True value")
    return mask


class NumbaEnv(gymnasium.Env):
    """One game of a single-agent native env as a plain gymnasium.Env (`gymnasium.make`).

    As gymnasium expects of a single env, it does not restart itself: call reset() after a
    terminated or truncated step. Observations are copies. One game per call pays Python's
    overhead on every step: for speed use NumbaVecEnv or the native env."""

    # gymnasium.make reads the class's modes before it makes an env (each first-party game
    # has a view); an instance carries its own game's.
    metadata = {"render_modes": ["human", "rgb_array"], "render_fps": None}

    def __init__(self, env: str | Game, render_mode: str | None = None, **params):
        game = envs.get(env)
        if game.agents != 1:
            raise ValueError(f"{game.name} has {game.agents} agents per game; NumbaEnv is for single-agent "
                             f"games: use its PettingZoo API (numbapuffer.envs.{game.name}.parallel_env())")
        self.env = Env(game, 1, render_mode=render_mode, report_interval=0, autoreset="disabled", **params)
        self.observation_space, self.action_space = game.observation_space, game.action_space
        self.metadata = dict(self.env.metadata)
        self.render_mode = render_mode

    def reset(self, *, seed=None, options=None):
        self.env.reset(seed=seed)  # checks the seed first, with the engine's message
        super().reset(seed=int(seed) if is_int(seed) else None)
        return self.env.observations[0].copy(), {}

    def step(self, action):
        obs, rewards, terminals, truncations, _ = self.env.step(np.reshape(action, self.env.actions.shape))
        return obs[0].copy(), float(rewards[0]), bool(terminals[0]), bool(truncations[0]), {}

    def render(self):
        return self.env.render()

    def close(self):
        self.env.close()


def register():
    """Register numbapuffer/<Name>-v0 with gymnasium for every single-agent first-party env:
    NumbaVecEnv for gymnasium.make_vec, NumbaEnv (one game) for gymnasium.make. Env modules
    load only when one is made. The ports of gymnasium's envs carry its time limit in their
    spec (`max_episode_steps`): gymnasium.make's TimeLimit then truncates at the step the game
    does, and make_vec hands it to NumbaVecEnv as the game's max_steps."""
    for env_id, name in envs.ENVS.items():
        if name is None:  # multi-agent: neither face can make it
            continue
        gym_id = f"numbapuffer/{name}-v0"
        if gym_id not in gymnasium.registry:
            gymnasium.register(gym_id, entry_point="numbapuffer.vector:NumbaEnv",
                               vector_entry_point="numbapuffer.vector:NumbaVecEnv", kwargs={"env": env_id},
                               max_episode_steps=envs.MAX_EPISODE_STEPS.get(env_id))
