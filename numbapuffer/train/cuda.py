"""The trainer's view of an env on the GPU (`Config.device="cuda"`: env_cuda.CudaEnv).

The env's buffers are CUDA tensors here, read in place through the CUDA array interface
(no copies), and the policy's actions go to `env.step` as a CUDA tensor: a rollout never
leaves the GPU. rollouts.py's Agents is the same view of an env on the CPU.
"""
import torch

__all__ = ["CudaAgents"]


class CudaAgents:
    """Observations, rewards and done flags of a CudaEnv as CUDA tensors over its own
    buffers; actions taken as a CUDA tensor. Every agent's step counts unless its `masks`
    entry is False (out of play), as for a native env on the CPU."""

    native = True

    def __init__(self, env):
        self.env = env
        self.n = env.num_agents

        def view(buffer):
            return torch.as_tensor(buffer, device="cuda")

        self.obs = view(env.observations).view(self.n, -1)
        self.rewards, self.terminals, self.truncations, self.masks = (
            view(b) for b in (env.rewards, env.terminals, env.truncations, env.masks))

    def reset(self, seed):
        self.env.reset(seed=seed)
        return self.obs

    def valid(self):
        return self.masks

    def step(self, action):
        self.env.step(action.view(self.env.actions.shape))
        return self.obs, self.rewards, self.terminals | self.truncations

    def log(self):
        return self.env.log()
