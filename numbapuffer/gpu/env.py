"""The env on a GPU: `npf.make(env, num_envs, device="cuda")`.

The same games as the CPU Env (core.py), stepped by CUDA kernels (gpu/kernels.py) over
state and buffers that live in GPU memory: one thread per game, same-step autoreset (the
only mode here), the same per-game random streams, episode logs summed on the GPU.

`env.observations, actions, rewards, terminals, truncations, masks` and `env.state` are
numba device arrays. PyTorch reads and writes them in place through the CUDA array
interface: `torch.as_tensor(env.observations, device="cuda")` is a view, not a copy.
`step(actions)` takes a numpy array (checked on the host, then copied over) or any CUDA
array (a torch CUDA tensor, a device array), which is cast and range-checked on the GPU
and never goes through the host; the check reads one number back (a wait for the GPU),
so bad actions raise a ValueError before any game is stepped, as on the CPU.
"""
import numpy as np
from gymnasium import spaces
from gymnasium.vector.utils import batch_space

from numbapuffer.gpu import kernels as kernels_cuda
from numbapuffer.engine import logs
from numbapuffer.engine.buffers import BUFFERS
from numbapuffer.engine.checks import action_bounds, check_count, check_mask, write_actions
from numbapuffer.core import Env, entropy, game_streams

__all__ = ["CudaEnv"]

SUM_THREADS = 32768  # partial sums per log field when reading logs (see kernels_cuda.sum_logs)


class CudaEnv:
    """A vector of `num_envs` games of `game` in GPU memory (see the module docstring).
    Arguments as Env's, except that buffers are always the env's own and autoreset is
    "same_step"."""

    device = "cuda"

    def __init__(self, game, num_envs: int = 1, seed: int | None = None, report_interval: int = 128,
                 game_offset: int = 0, **params):
        check_count(num_envs, "num_envs", f"{game.name}: ")
        cuda = kernels_cuda.need_cuda()
        self.game = game
        self.params = game.make_params(**params)
        self.num_envs = int(num_envs)
        self.agents_per_game = game.agents
        self.num_agents = n = self.num_envs * game.agents
        self.single_observation_space, self.single_action_space = game.observation_space, game.action_space
        self.observation_space = batch_space(game.observation_space, n)
        self.action_space = batch_space(game.action_space, n)
        self.render_mode = None
        self.metadata = {"render_modes": [], "render_fps": None}
        self.reports = logs.Reports(report_interval)
        self.autoreset = "same_step"
        self.game_offset = int(game_offset)
        self.closed = False
        self._k = kernels_cuda.cuda_kernels(game)

        host = kernels_cuda.host_arrays(game, self.num_envs, self.params)
        host["state"]["rng"] = game_streams(entropy() if seed is None else seed, self.num_envs, self.game_offset,
                                            f"{game.name}: ")
        on_gpu = {k: cuda.to_device(v) for k, v in host.items()}
        for name in BUFFERS:
            setattr(self, name, on_gpu[name])
        self._host_actions = host["actions"]
        self.state, self._params, self.episodes, self._logs = (on_gpu[k] for k in ("state", "params", "episodes",
                                                                                      "logs"))
        f = len(game.log_fields)
        self._running = self.episodes.view(np.float64).reshape(n, f)
        self._partial = cuda.device_array((min(n, SUM_THREADS), f + 1))
        self._all = cuda.to_device(np.ones(self.num_envs, np.bool_))
        self._no_streams = cuda.to_device(np.zeros(1, np.uint64))
        self.env_ids = np.arange(n)
        self._infos = []
        self._lo, self._hi = action_bounds(game.action_space)
        lo, hi = kernels_cuda.host_bounds(self._lo, self._hi, game.action_space.shape)
        self._bounds = cuda.to_device(lo), cuda.to_device(hi)
        self._flat_actions = self.actions.reshape(-1)
        self._bad = cuda.to_device(np.full(1, self._flat_actions.shape[0], np.int64))
        self._bad_host = np.empty(1, np.int64)
        self._casts = {}
        self._ready = False

        self._buffers = kernels_cuda.kernel_args(on_gpu, self._running)
        self._step_args = self._buffers + (self._logs, 0)
        self._step = kernels_cuda.configured(self._k.step, self.num_envs, self._step_args)
        self._sum = kernels_cuda.configured(self._k.sum_logs, self._partial.shape[0], (self._logs, self._partial))
        self._reset = kernels_cuda.configured(self._k.reset, self.num_envs,
                                              self._buffers + (self._all, self._no_streams, False))

    def reset(self, seed: int | list[int] | None = None, mask: np.ndarray | None = None):
        """Reset games (all, or where the bool numpy `mask` is true) and return
        (observations, infos); `seed` as Env.reset."""
        cuda = kernels_cuda.need_cuda()
        which = self._all if mask is None else cuda.to_device(
            check_mask(mask, self.num_envs, f"{self.game.name}: reset mask"))
        streams = game_streams(seed, self.num_envs, self.game_offset, f"{self.game.name}: ")
        seeded = streams is not None
        self._reset(*self._buffers, which, cuda.to_device(streams) if seeded else self._no_streams, seeded)
        self._ready = True
        return self.observations, []

    def step(self, actions):
        """Advance every game one step (finished games reset in the same step); returns
        (observations, rewards, terminals, truncations, infos), the env's device buffers."""
        if not self._ready:
            raise RuntimeError(f"{self.game.name}: call reset() before step()")
        if hasattr(actions, "__cuda_array_interface__") or hasattr(actions, "copy_to_host"):
            self._device_actions(actions)
        else:
            write_actions(self.game.name, self.single_action_space, self._lo, self._hi, actions, self._host_actions)
            self.actions.copy_to_device(self._host_actions)
        self._step(*self._step_args)
        infos = []
        if self.reports.due():  # what finished since the last report; log() keeps its own (logs.Reports)
            log = self.reports.report(self._read())
            if log:
                infos.append(log)
        return self.observations, self.rewards, self.terminals, self.truncations, infos

    def _device_actions(self, actions):
        """Cast and check actions that are already on the GPU into env.actions."""
        cuda = kernels_cuda.need_cuda()
        # a numba device array as it is (the simulator's have no CUDA array interface);
        # anything else (a torch tensor) viewed through its interface. sync=False: torch and
        # numba both launch on the default stream, which orders their work already.
        src = actions if hasattr(actions, "copy_to_host") else cuda.as_cuda_array(actions, sync=False)
        name, want = self.game.name, self.actions.shape
        integer = not isinstance(self.single_action_space, spaces.Box)
        if src.shape != want:
            raise ValueError(f"{name}: actions must have shape {want}, got {src.shape}")
        if src.dtype.kind not in ("iu" if integer else "f"):
            kind = "an integer" if integer else "a float"
            raise ValueError(f"{name}: actions must be {kind} array for {self.single_action_space}, got {src.dtype}")
        if not src.is_c_contiguous():
            raise ValueError(f"{name}: actions on the GPU must be contiguous")
        flat = src.reshape(-1)
        cast = self._casts.get(src.dtype)
        if cast is None:
            cast = self._casts[src.dtype] = kernels_cuda.configured(
                self._k.cast_actions, flat.shape[0], (flat, self._flat_actions, *self._bounds, self._bad))
        cast(flat, self._flat_actions, *self._bounds, self._bad)
        self._bad.copy_to_host(self._bad_host)
        j = int(self._bad_host[0])
        if j < flat.shape[0]:
            self._bad.copy_to_device(np.full(1, flat.shape[0], np.int64))
            value = flat[j:j + 1].copy_to_host()[0]
            lo, hi = self._bounds[0][j % self._bounds[0].shape[0]], self._bounds[1][j % self._bounds[1].shape[0]]
            raise ValueError(f"{name}: action {value} at row {j // max(1, flat.shape[0] // want[0])} is outside "
                             f"[{lo:g}, {hi:g}] ({self.single_action_space}); no game was stepped")

    def log(self) -> dict:
        """Means of the log fields over episodes finished since the last call, plus "n";
        {} when none finished. Summed on the GPU in a fixed order."""
        return self.reports.log(self._read())

    def _read(self):
        """The log of the episodes finished since the last read; the GPU's sums cleared."""
        self._sum(self._logs, self._partial)
        totals = self._partial.copy_to_host().sum(0)
        names = self.game.log_fields
        return logs.means(dict(zip(names, totals[:-1])), totals[-1])

    def render(self, game: int = 0):
        raise ValueError(f"{self.game.name}: render() needs an env on the CPU (device='cpu'); copy a game's "
                         f"state to the host with env.state[i:i+1].copy_to_host() to draw it")

    def close(self):
        self.closed = True

    # The backends' interface (async_reset, send, recv), as Env's
    async_reset, send, recv = Env.async_reset, Env.send, Env.recv

    def __repr__(self):
        return f"CudaEnv({self.game.name!r}, num_envs={self.num_envs})"
