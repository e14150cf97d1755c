"""What the serial and multiprocessing backends share: the interface of npf.vector.

    vec.async_reset(seed); vec.send(actions)
    obs, rewards, terminals, truncations, infos, env_ids, masks = vec.recv()
    vec.reset(seed) (async_reset + recv); vec.step(actions) (send + recv); vec.log(); vec.close()

A backend allocates (or maps) the buffers of all its games, and subclasses write
async_reset, send, recv, log and close.
"""
import numpy as np
from gymnasium.vector.utils import batch_space

from numbapuffer import logs
from numbapuffer.buffers import buffer_specs, check_memory
from numbapuffer.checks import action_bounds, check_count, parse_seed, write_actions

__all__ = ["Backend", "check_split", "split_seed"]


class Backend:
    """Spaces, buffers, step and reset as send + recv, action checks before any game is
    touched, and infos carrying log() every `report_interval` batches sent (as the native
    env's step does)."""

    def _setup(self, name, observation_space, action_space, agents, num_envs, batch_size, report_interval):
        """Set the spaces and counts; returns the specs of the buffers of every game."""
        specs = buffer_specs(observation_space, action_space, num_envs * agents)
        check_memory(name, specs)
        self.name = name
        self.num_envs = num_envs
        self.agents_per_game = agents
        self.num_agents = num_envs * agents
        self.batch_size = num_envs if batch_size is None else batch_size
        self.single_observation_space = observation_space
        self.single_action_space = action_space
        # Spaces of one batch: what recv returns and send takes (everything unless async).
        self.observation_space = batch_space(observation_space, self.batch_size * agents)
        self.action_space = batch_space(action_space, self.batch_size * agents)
        self.reports = logs.Reports(report_interval)
        self._report_due = False
        self._lo, self._hi = action_bounds(action_space)
        self._env_ids = np.arange(self.num_agents)
        self.closed = False
        return specs

    def reset(self, seed=None):
        self.async_reset(seed)
        return self.recv()[0], []

    def step(self, actions):
        self.send(actions)
        return self.recv()[:5]

    def _write_actions(self, actions, rows):
        write_actions(self.name, self.single_action_space, self._lo, self._hi, actions, self.actions[rows])

    def _count_send(self):
        """One batch sent: a step toward the report interval."""
        self._report_due = self.reports.due() or self._report_due

    def _batch(self, rows):
        """What recv returns for agent rows `rows`: views of the buffers, and infos carrying
        the log when a report fell due since the last recv."""
        infos = []
        if self._report_due:
            self._report_due = False
            log = self.log()
            if log:
                infos.append(log)
        return (self.observations[rows], self.rewards[rows], self.terminals[rows], self.truncations[rows],
                infos, self._env_ids[rows], self.masks[rows])

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        return f"{type(self).__name__}({self.name!r}, num_envs={self.num_envs})"


def check_split(num_envs, num_workers):
    """num_envs and num_workers checked, and the games split evenly between the workers."""
    check_count(num_envs, "num_envs")
    check_count(num_workers, "num_workers")
    if num_envs % num_workers:
        raise ValueError(f"num_envs ({num_envs}) must be a multiple of num_workers ({num_workers})")
    return int(num_workers)


def split_seed(seed, num_envs, parts):
    """Each part's share of a reset seed: an int is the same for all (game i's stream is
    (seed, i) wherever it runs), a list of one int per game is sliced."""
    seed = parse_seed(seed, num_envs)
    if not isinstance(seed, list):
        return [seed] * parts
    per = num_envs // parts
    return [seed[w * per:(w + 1) * per] for w in range(parts)]
