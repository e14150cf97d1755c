"""Training at scale on Ray: rollout actors, not a network round trip per step.

    numbapuffer train pong --backend ray --num-workers 4

Each Ray actor runs one native env of num_envs / num_workers games and a copy of the policy
for `num_steps` steps, computes the advantages, and returns the whole rollout batch
(observations, actions, log-probs, advantages, returns, values, rewards) as numpy arrays
through Ray's object store. Before each rollout the learner puts the policy's weights in
the object store once and every actor loads them: the PPO update itself (rollouts.learn)
runs in the learner, as in the local trainer. Game i keeps its random stream (the actors'
envs start at global game offsets), and each actor's sampling is seeded by (seed, worker).
"""
import dataclasses
import time

import numpy as np
import ray
import torch

from numbapuffer import envs
from numbapuffer.engine import logs
from numbapuffer.backends.base import check_split, check_timeout, owned_finalizer, time_left
from numbapuffer.backends.ray import connect, kill_actors
from numbapuffer.core import Env
from numbapuffer.train.rollouts import Rollouts

__all__ = ["RayRollouts"]


class RayRollouts:
    """train()'s rollouts from `num_workers` Ray actors (see the module docstring). address:
    the cluster (default $RAY_ADDRESS, else a local Ray); timeout: seconds for one rollout."""

    def __init__(self, cfg, num_workers, address=None, timeout=600.0):
        if cfg.env not in envs.ENVS:
            raise ValueError(f"train --backend ray: {cfg.env!r} is not a numbapuffer env id (the actors run native "
                             f"envs; known: {', '.join(sorted(envs.ENVS))})")
        game = envs.get(cfg.env)
        game.make_params(**cfg.env_params)  # bad params fail here, before any actor starts
        num_workers = check_split(cfg.num_envs, num_workers)
        connect(address)
        per = cfg.num_envs // num_workers
        actor = ray.remote(_Actor).options(num_cpus=1, scheduling_strategy="SPREAD", max_restarts=0)
        self._actors = [actor.remote(dataclasses.asdict(cfg), w, w * per, per) for w in range(num_workers)]
        self._finalizer = owned_finalizer(self, kill_actors, list(self._actors))
        self.n = cfg.num_envs * game.agents
        self.observation_space, self.action_space = game.observation_space, game.action_space
        self.timeout = check_timeout(timeout)

    def collect(self, policy, timer):
        """One rollout of every actor with `policy`'s weights: (batch, episode log)."""
        tick = time.perf_counter()
        weights = ray.put({k: v.detach().clone() for k, v in policy.state_dict().items()})
        refs, results, deadline = [a.collect.remote(weights) for a in self._actors], [], tick + self.timeout
        for w, ref in enumerate(refs):
            try:
                results.append(ray.get(ref, timeout=time_left(deadline, time.perf_counter())))
            except (ray.exceptions.RayError, TimeoutError) as e:  # Ray's message names the node and pid
                self.close()
                raise RuntimeError(f"train --backend ray: rollout actor {w} failed: {e}") from e
        batch = {k: torch.from_numpy(np.concatenate([r[0][k] for r in results])) for k in results[0][0]}
        timer["env"] += time.perf_counter() - tick
        return batch, logs.merge([r[1] for r in results])

    def close(self):
        self._finalizer()


class _Actor:
    """A Ray actor: a native env of `games` games from global game `offset`, and a policy."""

    def __init__(self, cfg, worker, offset, games):
        from numbapuffer.train.loop import Config, Policy, action_mask  # torch and the trainer, in the actor only
        cfg = Config(**cfg)
        torch.set_num_threads(cfg.threads)
        torch.manual_seed(cfg.seed * 1_000_003 + worker)
        env = Env(envs.get(cfg.env), games, seed=cfg.seed, game_offset=offset, report_interval=0, **cfg.env_params)
        self.rollouts = Rollouts(cfg, env)
        space = env.single_action_space
        self.policy = Policy(env.single_observation_space, space, cfg.hidden, cfg.layers, action_mask(cfg, space))
        self.timer = dict(env=0.0, act=0.0, learn=0.0)

    def collect(self, weights):
        self.policy.load_state_dict(weights)
        batch, log = self.rollouts.collect(self.policy, self.timer)
        return {k: v.numpy() for k, v in batch.items()}, log
