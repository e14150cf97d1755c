"""The trainer's policies and normalizers (numbapuffer.train.loop uses them; torch only).

Policy: a trunk shared by a value head and a policy head: logits of one categorical per
action dimension (Discrete, MultiDiscrete) or the mean of a Gaussian with a learned,
state-independent std (Box). The trunk is an MLP for vector observations and a small CNN
for image observations (uint8, (frames, height, width): Mnih et al. 2013's network, two
convolutions and a 256-unit layer, on pixels scaled to [0, 1]).

ObservationNorm and RewardNorm are gymnasium's NormalizeObservation and NormalizeReward as
CleanRL's ppo_continuous_action.py uses them (each clipped to +-10): running statistics,
updated while training. The observation statistics live in the policy (saved with it), so
a loaded policy sees observations as it was trained on them.
"""
import math

import numpy as np
import torch
from gymnasium import spaces
from torch import nn

__all__ = ["Policy", "ObservationNorm", "RewardNorm", "is_image"]


def layer(module, std=math.sqrt(2)):
    nn.init.orthogonal_(module.weight, std)
    nn.init.zeros_(module.bias)
    return module


def is_image(space):
    """A uint8 Box of shape (frames, height, width): the CNN's input."""
    return isinstance(space, spaces.Box) and space.dtype == np.uint8 and len(space.shape) == 3


def cnn(space, hidden=256):
    """Conv 8x8 stride 4 (16), conv 4x4 stride 2 (32), then `hidden` units: (trunk, width)."""
    frames, h, w = space.shape
    convs = nn.Sequential(layer(nn.Conv2d(frames, 16, 8, 4)), nn.ReLU(), layer(nn.Conv2d(16, 32, 4, 2)), nn.ReLU(),
                          nn.Flatten())
    with torch.no_grad():
        size = convs(torch.zeros(1, frames, h, w)).shape[1]
    return nn.Sequential(convs, layer(nn.Linear(size, hidden)), nn.ReLU()), hidden


def mlp(space, hidden, layers):
    sizes = [int(np.prod(space.shape))] + [hidden] * layers
    return nn.Sequential(*[m for i in range(layers) for m in (layer(nn.Linear(sizes[i], sizes[i + 1])), nn.Tanh())]), \
        sizes[-1]


class ObservationNorm(nn.Module):
    """Running mean and variance of the observations (flat); normalizes and clips to +-clip."""

    def __init__(self, size, clip=10.0, eps=1e-8):
        super().__init__()
        self.register_buffer("mean", torch.zeros(size, dtype=torch.float64))
        self.register_buffer("var", torch.ones(size, dtype=torch.float64))
        self.register_buffer("count", torch.tensor(1e-4, dtype=torch.float64))
        self.clip, self.eps = clip, eps

    def update(self, x):
        """Fold a batch (rows) into the statistics (Chan et al.'s parallel update)."""
        x = x.double()
        mean, var, n = x.mean(0), x.var(0, unbiased=False), x.shape[0]
        delta, total = mean - self.mean, self.count + n
        self.mean += delta * n / total
        self.var.copy_((self.var * self.count + var * n + delta ** 2 * self.count * n / total) / total)
        self.count.fill_(total)

    def forward(self, x):
        return ((x.double() - self.mean) / torch.sqrt(self.var + self.eps)).clamp(-self.clip, self.clip).float()


class RewardNorm:
    """Rewards divided by the running std of each agent's discounted return, clipped."""

    def __init__(self, n, gamma, clip=10.0, eps=1e-8):
        self.returns = torch.zeros(n, dtype=torch.float64)
        self.stats = ObservationNorm(1)
        self.gamma, self.clip, self.eps = gamma, clip, eps

    def __call__(self, rewards, dones):
        self.returns = self.returns * self.gamma + rewards.double()
        self.stats.update(self.returns[:, None])
        self.returns[dones] = 0  # the next step starts a new return
        out = rewards / torch.sqrt(self.stats.var + self.eps).float()
        return out.clamp(-self.clip, self.clip)


class Policy(nn.Module):
    """A trunk (MLP, or CNN for images) shared by a value head and a policy head.

    norm_obs: keep an ObservationNorm of vector observations (`normalize` applies it)."""

    def __init__(self, observation_space, action_space, hidden=64, layers=2, action_mask=None, norm_obs=False):
        super().__init__()
        self.action_space = action_space
        self.image = is_image(observation_space)
        self.shape = observation_space.shape
        if self.image:
            self.trunk, width = cnn(observation_space)
        else:
            self.trunk, width = mlp(observation_space, hidden, layers)
        self.obs_norm = ObservationNorm(int(np.prod(self.shape))) if norm_obs and not self.image else None
        if isinstance(action_space, spaces.Box):
            self.nvec = None
            size = int(np.prod(action_space.shape))
            self.log_std = nn.Parameter(torch.zeros(size))
        elif isinstance(action_space, (spaces.Discrete, spaces.MultiDiscrete)):
            nvec = [int(action_space.n)] if isinstance(action_space, spaces.Discrete) else action_space.nvec.ravel()
            self.nvec = [int(k) for k in nvec]
            size = sum(self.nvec)
        else:
            raise TypeError(f"train: action space {action_space} is not Discrete, MultiDiscrete or Box")
        self.action_mask = action_mask  # the slice of the flat observation that masks a Discrete action
        self.actor = layer(nn.Linear(width, size), std=0.01)
        self.critic = layer(nn.Linear(width, 1), std=1.0)

    def normalize(self, obs, update=False):
        """Flat observations as the policy takes them: normalized (and the statistics updated
        first when `update`) where the policy keeps an ObservationNorm, else as they are."""
        if self.obs_norm is None:
            return obs
        if update:
            self.obs_norm.update(obs)
        return self.obs_norm(obs)

    def forward(self, obs):
        """(policy head output, value) for a batch of flat observations (after `normalize`)."""
        if self.image:
            h = self.trunk(obs.view(-1, *self.shape).float() * (1 / 255))
        else:
            h = self.trunk(obs.float())
        out = self.actor(h)
        if self.action_mask is not None:  # a large negative logit, not -inf: entropy's p * log p stays 0, not NaN
            out = out.masked_fill(obs[:, self.action_mask] == 0, -1e9)
        return out, self.critic(h).squeeze(-1)

    def act(self, obs, greedy=False):
        """Sampled (or most likely) actions, their log-probabilities and the values."""
        out, value = self(obs)
        if self.nvec is None:
            action = out if greedy else out + self.log_std.exp() * torch.randn_like(out)
        else:  # Gumbel-max: the argmax of logits plus Gumbel noise is a categorical sample
            noisy = out if greedy else out - torch.log(-torch.log(torch.rand_like(out)))
            action = torch.stack([x.argmax(-1) for x in noisy.split(self.nvec, -1)], -1)
        logprob, _ = self.distribution(out, action)
        return action, logprob, value

    def distribution(self, out, action):
        """log-probabilities of `action` under the head's output `out`, and the entropies."""
        if self.nvec is None:
            log_std = self.log_std.expand_as(out)
            logprob = -0.5 * ((action - out) / log_std.exp()) ** 2 - log_std - 0.5 * math.log(2 * math.pi)
            return logprob.sum(-1), (0.5 + 0.5 * math.log(2 * math.pi) + log_std).sum(-1)
        logprob = entropy = 0
        for k, logits in enumerate(out.split(self.nvec, -1)):
            logp = logits.log_softmax(-1)
            logprob = logprob + logp.gather(-1, action[:, k:k + 1]).squeeze(-1)
            entropy = entropy - (logp.exp() * logp).sum(-1)
        return logprob, entropy

    @torch.inference_mode()
    def predict(self, observations, greedy=False):
        """Actions for a numpy batch of observations, as a numpy array for env.step."""
        obs = torch.from_numpy(np.asarray(observations)).view(len(observations), -1)
        return self.env_actions(self.act(self.normalize(obs), greedy)[0]).numpy()

    def env_actions(self, action):
        """Policy actions as the env takes them: the space's offsets, Box bounds, shapes."""
        space = self.action_space
        if self.nvec is None:
            return action.clamp(torch.from_numpy(space.low.ravel()), torch.from_numpy(space.high.ravel())).view(
                -1, *space.shape)
        start = getattr(space, "start", None)
        if start is not None and np.any(start):
            action = action + torch.from_numpy(np.asarray(start).ravel())
        return action.view(-1, *space.shape)
