"""device="cuda" without a GPU: every env's kernels compile to PTX for an H100/H200 (cc
9.0); numba-cuda's simulator steps small batches exactly as the CPU kernels do; game code
CUDA cannot compile gets an error naming the function and line. With a GPU, the GPU
against the CPU as well."""
import inspect
import json
import os
import random
import subprocess
import sys

import numpy as np
import pytest
from gymnasium import spaces
from numba import njit

import numbapuffer as npf
from numbapuffer import Game

pytest.importorskip("numba_cuda", reason='numba-cuda is not installed: pip install -e ".[cuda]" (.ci/run tests it in a venv of its own)')
from numbapuffer.gpu import kernels as kernels_cuda  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
BUFFERS = ("observations", "rewards", "terminals", "truncations", "masks")


def cpu_run(name, games, seed, acts):
    env = npf.make(name, games, seed=seed)
    env.reset(seed=seed)
    seen = {b: [] for b in BUFFERS}
    for a in acts:
        env.step(a)
        for b in BUFFERS:
            seen[b].append(getattr(env, b).copy())
    return env, {b: np.stack(v) for b, v in seen.items()}


def random_actions(name, games, steps, seed=0):
    env = npf.make(name, games, seed=0)
    rng = np.random.default_rng(seed)
    space = env.single_action_space
    if isinstance(space, spaces.Box):
        return rng.uniform(space.low, space.high, (steps, env.num_agents, *space.shape)).astype(np.float32)
    high = space.n if isinstance(space, spaces.Discrete) else space.nvec
    return rng.integers(0, high, (steps, env.num_agents, *space.shape)).astype(np.int32)


@pytest.mark.parametrize("name", npf.list_envs())
def test_kernels_compile_to_ptx_for_cc90(name):
    out = kernels_cuda.ptx(npf.envs.get(name), cc=(9, 0))
    for kind in ("step", "reset"):
        assert ".target sm_90" in out[kind] and ".visible .entry" in out[kind], kind
    if name == "pong":  # no libdevice calls: any fused multiply-add would be contraction
        assert "fma." not in out["step"], "PTX contracts a*b+c: results would differ from the CPU's"


def test_simulator_matches_cpu_kernels_step_for_step(tmp_path):
    games, steps, seed, names = 3, 24, 7, npf.list_envs()
    acts = {name: random_actions(name, games, steps, seed=len(name)) for name in names}
    np.savez(tmp_path / "acts.npz", games=games, seed=seed, envs=json.dumps(names), **acts)
    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="1", NUMBA_DISABLE_JIT="1")
    run = subprocess.run([sys.executable, os.path.join(HERE, "cuda_sim.py"), str(tmp_path / "acts.npz"),
                          str(tmp_path / "out.npz")], env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    sim = np.load(tmp_path / "out.npz")
    ended = 0
    for name in names:
        cpu, seen = cpu_run(name, games, seed, acts[name])
        for b in BUFFERS:
            x, y = seen[b], sim[f"{name}/{b}"]
            steps_differ = np.flatnonzero([xs.tobytes() != ys.tobytes() for xs, ys in zip(x, y)])
            assert len(steps_differ) == 0, f"{name}: {b} differs from step {steps_differ[:1]}"
        for f in cpu.state.dtype.names:
            assert cpu.state[f].tobytes() == sim[f"{name}/state.{f}"].tobytes(), f"{name}: state.{f}"
        log = cpu.log()
        assert json.loads(str(sim[f"{name}/log"])) == log, name
        ended += log.get("n", 0)
        cpu.reset(seed=[11 + i for i in range(games)], mask=np.arange(games) % 2 == 0)
        assert cpu.observations.tobytes() == sim[f"{name}/reset.observations"].tobytes(), f"{name}: reset(mask)"
        assert cpu.state["rng"].tobytes() == sim[f"{name}/reset.rng"].tobytes(), f"{name}: reset(seed=list)"
        assert "outside" in str(sim[f"{name}/refused"]) and "no game was stepped" in str(sim[f"{name}/refused"]), \
            f"{name}: {sim[f'{name}/refused']}"
    assert ended > 0  # autoreset and the logs were exercised


# Game code numba compiles for the CPU but not for CUDA (Python's random has no CUDA version).
@njit
def shuffle_target(s):
    s.target = np.int32(random.random() * 8)


@njit
def reset_bad(s, p, buf, a):
    s.target = 0
    buf.observations[a][0] = 0


@njit
def step_bad(s, p, buf, a):
    shuffle_target(s)
    buf.observations[a][0] = s.target


BAD = Game("cuda_bad", np.dtype([("target", np.int32)]), reset_bad, step_bad, spaces.Box(0, 8, (1,), np.float32),
           spaces.Discrete(2))


def test_game_code_cuda_cannot_compile_is_named_with_its_line():
    line = inspect.getsourcelines(shuffle_target.py_func)[1] + 2
    with pytest.raises(kernels_cuda.CudaCompileError) as e:
        kernels_cuda.ptx(BAD)
    msg = str(e.value)
    assert "shuffle_target()" in msg and f"test_cuda.py:{line}" in msg, msg


def test_make_checks_the_device():
    with pytest.raises(ValueError, match='device must be "cpu" or "cuda"'):
        npf.make("pong", 2, device="gpu")
    with pytest.raises(ValueError, match="render_mode"):
        npf.make("pong", 2, device="cuda", render_mode="rgb_array")


def gpu_available():
    try:
        from numba import cuda
        return cuda.is_available()
    except Exception:
        return False


# Exact on the GPU: integer games, and float games whose arithmetic is +, -, *, / (fma
# off); CartPole and Breakout call sin/cos, which CUDA's libdevice rounds its own way.
EXACT_ON_GPU = ("connect4", "connect4_selfplay", "pong", "snake", "squared")


@pytest.mark.skipif(not gpu_available(), reason="no GPU here: the simulator test covers the kernels")
@pytest.mark.parametrize("name", EXACT_ON_GPU)
def test_gpu_matches_cpu_kernels(name):
    games, steps, seed = 1024, 200, 3
    acts = random_actions(name, games, steps)
    cpu, seen = cpu_run(name, games, seed, acts)
    gpu = npf.make(name, games, seed=seed, device="cuda")
    gpu.reset(seed=seed)
    for t, a in enumerate(acts):
        gpu.step(a)
        for b in BUFFERS:
            assert getattr(gpu, b).copy_to_host().tobytes() == seen[b][t].tobytes(), (b, t)
    assert gpu.log() == cpu.log()


@pytest.mark.skipif(not gpu_available(), reason="no GPU here")
def test_torch_reads_and_writes_the_buffers_in_place():
    torch = pytest.importorskip("torch")
    env = npf.make("pong", 4096, seed=0, device="cuda")
    env.reset(seed=0)
    obs = torch.as_tensor(env.observations, device="cuda")
    assert obs.data_ptr() == env.observations.__cuda_array_interface__["data"][0]
    actions = torch.full((env.num_agents,), 1, device="cuda", dtype=torch.int64)
    before = obs.clone()
    env.step(actions)  # from the GPU tensor, no host round trip
    assert not torch.equal(before, obs)  # the same memory, changed by the step
    assert (torch.as_tensor(env.actions, device="cuda") == 1).all()
    with pytest.raises(ValueError, match="outside"):
        env.step(torch.full((env.num_agents,), 3, device="cuda"))


def cuda_torch():
    try:
        import torch
        return gpu_available() and torch.cuda.is_available()
    except ImportError:
        return False


@pytest.mark.skipif(not cuda_torch(), reason="no GPU (or no CUDA torch) here")
def test_trainer_learns_squared_on_the_gpu():
    from numbapuffer.train import loop as T
    cfg = T.config("squared", total_steps=150_000, device="cuda")
    policy, history = T.train(cfg, progress=False)
    trained = T.evaluate(policy.cpu(), T.make_env(T.config("squared"), num_envs=200), seed=5)
    assert trained["episode_return"] > 0.95 and trained["episode_length"] < 7, trained
