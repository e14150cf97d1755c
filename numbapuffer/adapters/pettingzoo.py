"""PettingZoo's Parallel API over ONE game of any numbapuffer Game (agents >= 1).

PettingZoo's episode model differs from the native env's. Natively a game runs forever:
finished games restart themselves, and a multi-agent game may respawn an agent whose own
episode ended. In PettingZoo an agent leaves `agents` in the step it is terminated or
truncated and never comes back; the episode is over when no agent is left, and only
`reset()` starts another. The adapter runs one native game with autoreset="disabled", so
the engine never restarts it behind PettingZoo's back, and maps:

    native (agent k of the game)        PettingZoo
    --------------------------------    ----------------------------------------------
    agent k                             possible_agents[k]
    observations[k] (copied)            observations[possible_agents[k]]
    terminals[k] / truncations[k]       terminations / truncations; the agent then
                                        leaves `agents`
    masks[k] False, not done            the agent stays in `agents`; its action may be
                                        omitted and is ignored (the other player's turn)
    step count reaching max_cycles      truncation of every agent still in `agents`
    env.reset(seed=seed)                reset(seed=seed)

A game whose agents come back after their episode ends (snake's respawn) must be built
with that turned off (snake's `parallel_env` passes respawn=False): a finished agent must
stay out of play. Actions are checked by the engine, as in the native env; actions for
agents not in `agents` are an error. Once no agent is left, step({}) returns empty dicts,
as PettingZoo's own parallel envs do, for tools that keep stepping until their own
bookkeeping says the episode ended (SuperSuit's black_death_v3).

A game that declares its legal-move mask (Game(..., action_mask=...)) gives each agent's
observation as PettingZoo's classic games do: a dict {"observation": the game's
observation, "action_mask": int8, 1 for each legal action}. AECEnv is the AEC form, in
which only the agents whose turn it is (masks True) are selected to act.
"""
import copy

import gymnasium
import numpy as np
import pettingzoo
from gymnasium import spaces

from numbapuffer.engine.checks import is_int
from numbapuffer.core import Env


class ParallelEnv(pettingzoo.ParallelEnv):
    """One game of `game` as a pettingzoo.ParallelEnv.

    agent_names: one name per agent of the game (default agent_0, agent_1, ...).
    max_cycles: steps after which every agent still playing is truncated.
    A game that declares its legal-move mask (Game(..., action_mask=...)) gives each
    agent's infos that mask as "action_mask" (int8). seed: the game's stream until
    reset(seed=...) sets another. render_mode: None or one of the game's render modes
    ("human", "rgb_array" for a game with a view). params: the game's params.
    """

    def __init__(self, game, agent_names=None, max_cycles=1000, render_mode=None, seed=None, **params):
        names = list(agent_names) if agent_names is not None else [f"agent_{k}" for k in range(game.agents)]
        if len(names) != game.agents or len(set(names)) != len(names):
            raise ValueError(f"{game.name}: agent_names must be {game.agents} distinct names, got {agent_names!r}")
        if not is_int(max_cycles) or max_cycles < 1:
            raise ValueError(f"{game.name}: max_cycles must be an integer >= 1, got {max_cycles!r}")
        self.env = Env(game, num_envs=1, seed=seed, render_mode=render_mode, report_interval=0,
                       autoreset="disabled", **params)
        self.possible_agents = names
        self.agents = []
        self.max_cycles = max_cycles
        self.render_mode = render_mode
        self.metadata = {"name": f"{game.name}_v0", "is_parallelizable": True, **self.env.metadata}
        self.cycles = 0
        self._index = {name: k for k, name in enumerate(names)}
        # One space object per agent, so that seeding one agent's space leaves the others alone.
        observation = game.observation_space
        if game.action_mask is not None:
            observation = spaces.Dict({"observation": observation,
                                       "action_mask": spaces.Box(0, 1, (game.action_space.n,), np.int8)})
        self._observation_spaces = {name: copy.deepcopy(observation) for name in names}
        self._action_spaces = {name: copy.deepcopy(game.action_space) for name in names}
        self._idle = _idle_action(game.action_space)

    def observation_space(self, agent):
        return self._observation_spaces[agent]

    def action_space(self, agent):
        return self._action_spaces[agent]

    def reset(self, seed=None, options=None):
        self.env.reset(seed=seed)
        self.agents = self.possible_agents[:]
        self.cycles = 0
        return ({name: self._observe(k) for name, k in self._index.items()},
                {name: self._info(k) for name, k in self._index.items()})

    def step(self, actions):
        name = self.env.game.name
        if not self.agents:
            if actions:
                raise RuntimeError(f"{name}: no agent is left in the episode; call reset()")
            return {}, {}, {}, {}, {}
        stray = [a for a in actions if a not in self.agents]
        if stray:
            raise ValueError(f"{name}: actions for agents not in the episode: {stray} (agents: {self.agents})")
        missing = [a for a in self.agents if a not in actions and self.env.masks[self._index[a]]]
        if missing:
            raise ValueError(f"{name}: no action for {missing}, whose turn it is")
        values = [actions.get(a, self._idle) for a in self.possible_agents]
        self.env.step(np.asarray(values))  # the engine checks dtype and range
        self.cycles += 1
        env, out_of_time = self.env, self.cycles >= self.max_cycles
        obs, rewards, terminations, truncations, infos = {}, {}, {}, {}, {}
        for a in self.agents:
            k = self._index[a]
            obs[a] = self._observe(k)
            rewards[a] = float(env.rewards[k])
            terminations[a] = bool(env.terminals[k])
            truncations[a] = bool(env.truncations[k]) or (out_of_time and not terminations[a])
            infos[a] = self._info(k)
        self.agents = [a for a in self.agents if not (terminations[a] or truncations[a])]
        return obs, rewards, terminations, truncations, infos

    def render(self):
        """The game's frame (render_mode "rgb_array") or its window ("human")."""
        if self.render_mode is None:
            gymnasium.logger.warn(f"{self.env.game.name}: render() called with render_mode=None; nothing to draw")
            return None
        return self.env.render()

    def close(self):
        self.env.close()

    def to_move(self):
        """The agents of the episode whose turn it is (in a game that takes turns by masks,
        the player to move; otherwise every agent still playing)."""
        return [a for a in self.agents if self.env.masks[self._index[a]]]

    def _observe(self, k):
        obs = self.env.observations[k].copy()
        mask = self._info(k).get("action_mask")
        return obs if mask is None else {"observation": obs, "action_mask": mask}

    def _info(self, k):
        mask = self.env.game.action_mask
        if mask is None:
            return {}
        return {"action_mask": self.env.observations[k].reshape(-1)[mask].astype(np.int8)}


class AECEnv(pettingzoo.AECEnv):
    """PettingZoo's AEC form of a ParallelEnv: agents act one at a time. Only the agents
    whose turn it is are selected (Connect Four's player to move, as in PettingZoo's classic
    games; every live snake in snake); once each has acted, the game takes one step. An
    agent that is done is selected once more to step with None, as PettingZoo's API wants."""

    def __init__(self, parallel):
        self.parallel = parallel
        self.possible_agents = parallel.possible_agents
        self.metadata = {**parallel.metadata}
        self.render_mode = parallel.render_mode
        self.agents = []

    def observation_space(self, agent):
        return self.parallel.observation_space(agent)

    def action_space(self, agent):
        return self.parallel.action_space(agent)

    def observe(self, agent):
        self._check_reset("observe")
        return self._observations[agent]

    def reset(self, seed=None, options=None):
        self._observations, self.infos = self.parallel.reset(seed=seed, options=options)
        self.agents = self.parallel.agents[:]
        self.rewards = dict.fromkeys(self.agents, 0.0)
        self._cumulative_rewards = dict.fromkeys(self.agents, 0.0)
        self.terminations = dict.fromkeys(self.agents, False)
        self.truncations = dict.fromkeys(self.agents, False)
        self._actions = {}
        self._skip_agent_selection = None
        self.agent_selection = self.parallel.to_move()[0]

    def step(self, action):
        self._check_reset("step")
        agent = self.agent_selection
        if self.terminations[agent] or self.truncations[agent]:
            self._was_dead_step(action)
            return
        self._cumulative_rewards[agent] = 0.0
        self._actions[agent] = action
        waiting = [a for a in self.parallel.to_move() if a not in self._actions]
        if waiting:
            self.agent_selection = waiting[0]
            self._clear_rewards()
            return
        obs, rewards, terminations, truncations, infos = self.parallel.step(self._actions)
        self._actions = {}
        self._observations.update(obs)
        self.infos.update(infos)
        self.terminations.update(terminations)
        self.truncations.update(truncations)
        self.rewards = {a: rewards.get(a, 0.0) for a in self.agents}
        self._accumulate_rewards()
        self.agent_selection = (self.parallel.to_move() or [agent])[0]
        self._deads_step_first()

    def render(self):
        return self.parallel.render()

    def close(self):
        self.parallel.close()

    def _check_reset(self, call):
        if not hasattr(self, "_observations"):  # reset() sets it and the selection of the agent to act
            raise RuntimeError(f"{self.parallel.env.game.name}: {call}() before reset(): call reset() first")


def _idle_action(space):
    """A valid action for an agent whose action the game ignores."""
    if isinstance(space, spaces.Discrete):
        return int(space.start)
    if isinstance(space, spaces.MultiDiscrete):
        return np.zeros(space.shape, np.int64) if getattr(space, "start", None) is None else space.start
    return np.clip(np.zeros(space.shape, np.float32), space.low, space.high)
