"""PPO's two halves, apart from the loop that drives them (loop.py): rollouts and learning.

Rollouts runs the policy on an env for `num_steps` steps of every agent and computes the
GAE(lambda) advantages; learn() takes such a batch through PPO's clipped update. The env is
met through Agents, which adds what a native env or a gymnasium VectorEnv lacks (see
loop.py's docstring). The Ray trainer (ray.py) runs Rollouts inside Ray actors.
"""
import time

import gymnasium
import numpy as np
import torch
from gymnasium import spaces
from torch import nn

import numbapuffer as npf
from numbapuffer.engine import logs
from numbapuffer.train.policy import RewardNorm, is_image
from numbapuffer.train.cuda import CudaAgents

__all__ = ["Agents", "Episodes", "Rollouts", "learn"]


# ---------------------------------------------------------------------------------------
# Episodes of envs without a native log
# ---------------------------------------------------------------------------------------
class Episodes:
    """Episode returns and lengths of an env that keeps no log (a gymnasium VectorEnv), kept
    as the native engine keeps them: per-agent sums in `logs`, read and cleared by `log()`."""

    def __init__(self, n):
        fields = ("episode_return", "episode_length")
        self.running = np.zeros(n, logs.log_dtype(fields, count=False))
        self.logs = np.zeros(n, logs.log_dtype(fields))

    def update(self, rewards, dones, valid):
        self.running["episode_return"] += np.where(valid, rewards, 0)
        self.running["episode_length"] += valid
        ended = dones & valid
        for f in ("episode_return", "episode_length"):
            self.logs[f][ended] += self.running[f][ended]
            self.running[f][ended] = 0
        self.logs["n"][ended] += 1

    def log(self):
        return logs.read(self.logs)


class Agents:
    """The trainer's view of an env: observations as a float32 tensor, actions written into
    the env, and which agents' steps count (in play and not a NEXT_STEP restart)."""

    def __init__(self, env):
        self.env = env
        self.native = isinstance(env, npf.Env)
        if self.native:
            # The serial kernel: the env costs a few % of the time. Measured on Pong's settings
            # (1024 games, 2 cores): with 1 torch thread the env's own choice (threads.Pacer)
            # is the serial kernel anyway (261k steps/s either way); with 2 torch threads it
            # picks the parallel kernel, which is faster for the env alone but slowed torch:
            # 363k steps/s vs 388k with the serial kernel.
            env.use_serial(True)
        self.n = env.num_agents if self.native else env.num_envs
        mode = getattr(env, "metadata", {}).get("autoreset_mode")
        if mode == gymnasium.vector.AutoresetMode.DISABLED:
            raise ValueError("train: the env's autoreset is DISABLED; PPO needs envs that restart themselves")
        self.next_step = mode == gymnasium.vector.AutoresetMode.NEXT_STEP
        self.episodes = None if self.native else Episodes(self.n)
        # the native env's actions buffer, written in place (int32 or float32)
        self.actions = torch.from_numpy(env.actions) if self.native else None
        self.done = np.zeros(self.n, bool)

    def reset(self, seed):
        obs, _ = self.env.reset(seed=seed)
        self.done[:] = False
        return self.observe(obs)

    def observe(self, obs):
        return torch.from_numpy(np.asarray(obs)).view(self.n, -1)

    def valid(self):
        """Whether each agent's next step counts: it is in play (native masks), and it is not
        a gymnasium NEXT_STEP restart (whose action is ignored)."""
        if self.native:
            return torch.from_numpy(self.env.masks)
        return torch.from_numpy(~self.done) if self.next_step else torch.ones(self.n, dtype=torch.bool)

    def step(self, action):
        valid = self.valid().numpy()
        if self.native:
            self.actions.view(action.shape).copy_(action)
            obs, rewards, terminals, truncations, _ = self.env.step(self.env.actions)
        else:
            obs, rewards, terminals, truncations, _ = self.env.step(action.numpy())
        np.logical_or(terminals, truncations, out=self.done)
        if self.episodes is not None:
            self.episodes.update(rewards, self.done, valid)
        rewards = torch.from_numpy(np.asarray(rewards, np.float32))
        return self.observe(obs), rewards, torch.from_numpy(self.done)

    def log(self):
        return (self.episodes or self.env).log()

    def logs(self):
        """Per-agent sums of the log fields over finished episodes (and their count n)."""
        return self.env.logs if self.native else self.episodes.logs


# ---------------------------------------------------------------------------------------
# Rollouts and learning
# ---------------------------------------------------------------------------------------
class Rollouts:
    """Rollouts of `num_steps` steps of every agent of `env`, the policy acting on the env's
    own buffers, with GAE(lambda) advantages: the samples that count, flat."""

    def __init__(self, cfg, env):
        on_gpu = getattr(env, "device", "cpu") == "cuda"  # a CudaEnv: its buffers as CUDA tensors (train_cuda.py)
        self.cfg, self.agents = cfg, CudaAgents(env) if on_gpu else Agents(env)
        self.n, T = self.agents.n, cfg.num_steps
        self.observation_space, self.action_space = env.single_observation_space, env.single_action_space
        space = self.action_space
        self.obs_size = int(np.prod(self.observation_space.shape))
        discrete = not isinstance(space, spaces.Box)
        act_size = (1 if isinstance(space, spaces.Discrete) else space.nvec.size) if discrete else \
            int(np.prod(space.shape))
        n, self.device = self.n, torch.device(cfg.device)
        with self.device:  # the rollout lives where the env and the policy do
            # images stay uint8 (a float copy of 4 84x84 frames is 113 KB a sample)
            self.obs = torch.zeros(T, n, self.obs_size, dtype=torch.uint8 if is_image(self.observation_space) else
                                   torch.float32)
            self.reward_norm = RewardNorm(n, cfg.gamma) if cfg.norm_reward else None
            self.actions = torch.zeros(T, n, act_size, dtype=torch.int64 if discrete else torch.float32)
            self.logprobs, self.rewards, self.values = torch.zeros(T, n), torch.zeros(T, n), torch.zeros(T, n)
            self.dones, self.valid = torch.zeros(T, n, dtype=torch.bool), torch.zeros(T, n, dtype=torch.bool)
            self.next_obs, self.next_done = self.agents.reset(cfg.seed), torch.zeros(n, dtype=torch.bool)

    def collect(self, policy, timer):
        """(batch of flat tensors: obs, actions, logprobs, advantages, returns, values, rewards;
        the episode log of the rollout)."""
        with torch.inference_mode():
            advantages, returns = self._run(policy, timer)
        keep = self.valid.view(-1).nonzero().squeeze(1)  # the steps that count
        batch = dict(obs=self.obs.view(-1, self.obs_size), actions=self.actions.view(-1, self.actions.shape[-1]),
                     logprobs=self.logprobs.view(-1), advantages=advantages.view(-1), returns=returns.view(-1),
                     values=self.values.view(-1), rewards=self.rewards.view(-1))
        return {k: v[keep] for k, v in batch.items()}, self.agents.log()

    def _run(self, policy, timer):
        cfg, agents, n = self.cfg, self.agents, self.n
        T = cfg.num_steps
        obs, actions, logprobs, rewards, values = self.obs, self.actions, self.logprobs, self.rewards, self.values
        dones, valid = self.dones, self.valid
        for t in range(T):
            tick = time.perf_counter()
            obs[t] = policy.normalize(self.next_obs, update=True)  # each observation counted once
            dones[t] = self.next_done
            valid[t] = agents.valid()
            action, logprobs[t], values[t] = policy.act(obs[t])
            actions[t] = action
            env_action = policy.env_actions(action)
            tock = time.perf_counter()
            self.next_obs, reward, self.next_done = agents.step(env_action)
            rewards[t] = reward if self.reward_norm is None else self.reward_norm(reward, self.next_done)
            timer["act"] += tock - tick
            timer["env"] += time.perf_counter() - tock
        tick = time.perf_counter()
        next_value = policy(policy.normalize(self.next_obs))[1]
        # GAE: dones[t] marks obs[t] as the first of a new episode (the previous one ended)
        advantages, last = torch.zeros(T, n, device=self.device), torch.zeros(n, device=self.device)
        for t in reversed(range(T)):
            not_done = ~(self.next_done if t == T - 1 else dones[t + 1])
            following = next_value if t == T - 1 else values[t + 1]
            delta = rewards[t] * cfg.reward_scale + cfg.gamma * following * not_done - values[t]
            advantages[t] = last = delta + cfg.gamma * cfg.gae_lambda * not_done * last
        timer["learn"] += time.perf_counter() - tick
        return advantages, advantages + values

    def close(self):
        pass


def learn(cfg, policy, optimizer, batch):
    """PPO's update epochs over `batch` in shuffled minibatches; the mean losses and stats."""
    b_obs, b_actions, b_logprobs = batch["obs"], batch["actions"], batch["logprobs"]
    b_adv, b_returns, b_values = batch["advantages"], batch["returns"], batch["values"]
    stats = []
    for epoch in range(cfg.update_epochs):
        order = torch.randperm(len(b_obs), device=b_obs.device)
        for i in order.split(cfg.minibatch_size):
            head, value = policy(b_obs[i])
            logprob, entropy = policy.distribution(head, b_actions[i])
            log_ratio = logprob - b_logprobs[i]
            ratio = log_ratio.exp()
            adv = b_adv[i]
            if cfg.norm_adv and len(i) > 1:
                adv = (adv - adv.mean()) / (adv.std() + 1e-8)
            pg_loss = torch.max(-adv * ratio, -adv * ratio.clamp(1 - cfg.clip_coef, 1 + cfg.clip_coef)).mean()
            v_loss = (value - b_returns[i]) ** 2
            if cfg.clip_vloss:
                clipped = b_values[i] + (value - b_values[i]).clamp(-cfg.clip_coef, cfg.clip_coef)
                v_loss = torch.max(v_loss, (clipped - b_returns[i]) ** 2)
            v_loss = 0.5 * v_loss.mean()
            entropy = entropy.mean()
            loss = pg_loss - cfg.ent_coef * entropy + cfg.vf_coef * v_loss
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(policy.parameters(), cfg.max_grad_norm)
            optimizer.step()
            with torch.no_grad():  # approximate KL, (r - 1) - log r: Schulman's low-variance estimator
                stats.append(torch.stack([pg_loss, v_loss, entropy, ((ratio - 1) - log_ratio).mean(),
                                          ((ratio - 1).abs() > cfg.clip_coef).float().mean()]))
    return dict(zip(("policy_loss", "value_loss", "entropy", "approx_kl", "clipfrac"),
                    torch.stack(stats).mean(0).tolist()))
