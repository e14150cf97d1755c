"""Vectorization beyond one in-process env: `make(env, num_envs, backend=...)`.

One interface over three backends:

    native           the native Env itself: one object, one kernel call per step
    serial           several native envs (or plain gymnasium envs, emulated) stepped in a
                     loop in this process, writing into one set of buffers (backends/serial.py)
    multiprocessing  one native env per worker process over its slice of shared-memory
                     buffers; batch_size < num_envs gives EnvPool-style async recv
                     (backends/multiprocessing.py)
    ray              one native env per Ray actor, on the nodes of a Ray cluster, arrays
                     through Ray's object store; async recv as above (backends/ray.py,
                     imported only when asked for: ray is an optional extra)

    obs, infos = vec.reset(seed=0)
    obs, rewards, terminals, truncations, infos = vec.step(actions)
    vec.async_reset(seed=0); vec.send(actions)
    obs, rewards, terminals, truncations, infos, env_ids, masks = vec.recv()
    vec.log(); vec.close()

`recv` returns views of the buffers for one batch of agents: rows `env_ids` of the whole.
`send` takes the actions of the batch the last `recv` returned. `step` is send + recv,
`reset` is async_reset + recv, when a batch is every game; with batch_size < num_envs they
raise, as they could not say which games a batch holds: use send/recv. Games autoreset as
in the native env.

The gymnasium drop-in `NumbaVecEnv` (adapters/gymnasium.py) is importable from here too.
"""
from numbapuffer import envs
from numbapuffer.backends.multiprocessing import Multiprocessing
from numbapuffer.backends.serial import Serial
from numbapuffer.core import Env, Game
from numbapuffer.adapters.gymnasium import NumbaEnv, NumbaVecEnv, register

__all__ = ["make", "Serial", "Multiprocessing", "NumbaVecEnv", "NumbaEnv", "register"]

BACKENDS = ("native", "serial", "multiprocessing", "ray")


def make(env: str | Game, num_envs: int = 1, backend: str = "native", num_workers: int | None = None,
         batch_size: int | None = None, seed: int | None = None, **params) -> Env | Serial | Multiprocessing:
    """A vector of `num_envs` games of `env` (an env id, a Game, or for the serial backend
    a creator of a single-agent gymnasium env) on `backend`. The multiprocessing and ray
    backends also take `threads_per_worker` and `timeout`, ray also `address` (see
    Multiprocessing and backend_ray.Ray)."""
    if backend == "native":
        if num_workers not in (None, 1) or batch_size not in (None, num_envs):
            raise ValueError("the native backend is one env in this process: num_workers and batch_size "
                             "are for the serial and multiprocessing backends")
        return Env(envs.get(env), num_envs, seed=seed, **params)
    if backend == "serial":
        return Serial(env, num_envs, num_workers, batch_size, seed, **params)
    if backend == "multiprocessing":
        return Multiprocessing(env, num_envs, num_workers, batch_size, seed, **params)
    if backend == "ray":
        try:
            from numbapuffer.backends.ray import Ray
        except ImportError as e:
            raise ImportError(f'backend="ray" needs ray: pip install "numbapuffer[ray]" ({e})') from e
        return Ray(env, num_envs, num_workers, batch_size, seed, **params)
    raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
