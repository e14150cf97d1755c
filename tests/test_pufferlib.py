"""numbapuffer.pufferlib with the real PufferLib 3.0.0: every backend of pufferlib.vector.make
takes a numbapuffer env, steps it over PufferLib's own buffers, and pufferl trains it on the CPU.
Runs where pufferlib is importable (.ci/run builds it into a venv of its own and runs this there)."""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

pufferlib = pytest.importorskip("pufferlib", reason="PufferLib 3.0.0: ../shared/tools/build_pufferlib.sh VENV")
import pufferlib.vector  # noqa: E402

import numbapuffer as npf  # noqa: E402
import numbapuffer.pufferlib as npp  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(autouse=True)
def scratch(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # `import pufferlib` makes a `resources` symlink in the current folder


def reference(name, num_envs, seeds, actions, **params):
    """Observations and rewards of native envs, one per seed, stepped by `actions`."""
    envs = [npf.make(name, num_envs=num_envs, **params) for _ in seeds]
    out = [np.concatenate([e.reset(seed=s)[0].copy() for e, s in zip(envs, seeds)])]
    for a in actions:
        parts = np.split(a, len(envs))
        steps = [e.step(p) for e, p in zip(envs, parts)]
        out.append(np.concatenate([s[0].copy() for s in steps]))
        out.append(np.concatenate([s[1].copy() for s in steps]))
    return out


def puffer_rollout(vecenv, actions, seed):
    vecenv.async_reset(seed)
    o, r, *_ = vecenv.recv()
    out = [o.copy()]
    for a in actions:
        vecenv.send(a)
        o, r, *_ = vecenv.recv()
        out += [o.copy(), r.copy()]
    return out


def test_native_backend_is_a_puffer_env_over_the_native_buffers():
    vecenv = pufferlib.vector.make(npp.env_creator("cartpole", max_steps=50), env_kwargs={"num_envs": 8})
    assert isinstance(vecenv, pufferlib.PufferEnv) and vecenv.num_agents == 8
    for k in ("observations", "actions", "rewards", "terminals", "truncations", "masks"):
        assert getattr(vecenv, k) is getattr(vecenv.env, k)  # zero copies: one set of arrays
    actions = np.random.default_rng(0).integers(0, 2, (120, 8)).astype(np.int32)
    assert all(np.array_equal(a, b) for a, b in zip(puffer_rollout(vecenv, actions, 3),
                                                     reference("cartpole", 8, [3], actions, max_steps=50)))


def test_infos_carry_the_native_report_without_its_count():
    vecenv = pufferlib.vector.make(npp.env_creator("cartpole"), env_kwargs={"num_envs": 64})
    vecenv.reset(seed=0)
    infos = []
    for _ in range(300):
        infos += vecenv.step(np.zeros(64, np.int32))[4]
    assert infos and all(set(i) == {"episode_return", "episode_length"} for i in infos)
    assert vecenv.env.log()["n"] > 0  # the native log keeps its count


def test_serial_backend_writes_into_pufferlib_slices():
    creator = npp.env_creator("cartpole", max_steps=40)
    vecenv = pufferlib.vector.make(creator, backend="Serial", num_envs=3, env_kwargs={"num_envs": 4})
    assert vecenv.num_agents == 12 and all(isinstance(e, pufferlib.PufferEnv) for e in vecenv.envs)
    assert all(np.shares_memory(e.env.observations, vecenv.observations) for e in vecenv.envs)
    actions = np.random.default_rng(1).integers(0, 2, (100, 12)).astype(np.int32)
    got = puffer_rollout(vecenv, actions, 5)
    assert all(np.array_equal(a, b) for a, b in zip(got, reference("cartpole", 4, [5, 6, 7], actions, max_steps=40)))


def test_creator_checks_its_params_before_any_worker_starts():
    with pytest.raises(TypeError, match="max_stepz"):
        npp.env_creator("cartpole", max_stepz=3)
    with pytest.raises(ValueError, match="unknown env"):
        npp.env_creator("nope")


def test_creator_and_its_envs_pickle():
    import pickle
    creator = npp.env_creator("cartpole", max_steps=40)
    again = pickle.loads(pickle.dumps(creator))
    env = again(num_envs=2, seed=1)
    assert isinstance(env, npp.PufferEnv) and env.env.param_values()["max_steps"] == 40
    env.reset(seed=3)
    copy = pickle.loads(pickle.dumps(env))
    assert type(copy) is npp.PufferEnv and copy.observations is copy.env.observations
    assert np.array_equal(copy.step(np.ones(2, np.int32))[0], env.step(np.ones(2, np.int32))[0])


@pytest.mark.slow
@pytest.mark.parametrize("batch_size", [None, 1])
def test_multiprocessing_backend_matches_native_envs(batch_size):
    """PufferLib's workers (forked) step one native env each over its shared memory, seeded as
    PufferLib seeds them (worker w: seed + w): the whole batch is that of native envs; async
    batches of one worker each come back from both workers."""
    creator = npp.env_creator("cartpole", max_steps=40)
    vecenv = pufferlib.vector.make(creator, backend="Multiprocessing", num_envs=2, num_workers=2,
                                   batch_size=batch_size, env_kwargs={"num_envs": 8})
    try:
        if batch_size is None:
            actions = np.random.default_rng(2).integers(0, 2, (60, 16)).astype(np.int32)
            got = puffer_rollout(vecenv, actions, 0)
            want = reference("cartpole", 8, [0, 1], actions, max_steps=40)
            assert all(np.array_equal(a, b) for a, b in zip(got, want))
        else:
            vecenv.async_reset(0)
            seen = set()
            for _ in range(50):
                o, r, d, t, infos, ids, m = vecenv.recv()
                assert o.shape == (8, 4) and len(ids) == 8
                seen.add(int(ids[0]))
                vecenv.send(np.zeros(8, np.int32))
            assert seen == {0, 8}  # both workers' halves came back
    finally:
        vecenv.close()


@pytest.mark.slow
def test_pufferl_trains_a_numbapuffer_env_on_the_cpu(tmp_path):
    """pufferlib.pufferl.train(..., vecenv=...) with its advantage kernel built from
    PufferLib's own source (torch.utils.cpp_extension, in this test's folder)."""
    script = textwrap.dedent(f"""
        import os, sys
        import torch.utils.cpp_extension
        import pufferlib
        source = os.path.join(os.path.dirname(pufferlib.__file__), "extensions", "pufferlib.cpp")
        sys.modules["pufferlib._C"] = torch.utils.cpp_extension.load(
            name="_C", sources=[source], build_directory={str(tmp_path)!r})
        sys.argv = sys.argv[:1]  # pufferl's config parser reads the command line
        import pufferlib.models, pufferlib.pufferl, pufferlib.vector
        import numbapuffer.pufferlib
        args = pufferlib.pufferl.load_config("default")
        args["train"].update(device="cpu", total_timesteps=20_000, bptt_horizon=16, minibatch_size=1024,
                             optimizer="adam", learning_rate=0.01, data_dir={str(tmp_path / "runs")!r})
        vecenv = pufferlib.vector.make(numbapuffer.pufferlib.env_creator("cartpole"), env_kwargs={{"num_envs": 64}})
        policy = pufferlib.models.Default(vecenv.driver_env)
        logs = pufferlib.pufferl.train("numbapuffer_cartpole", args=args, vecenv=vecenv, policy=policy)
        print("RESULT", logs[-1]["agent_steps"], logs[-1]["environment/episode_return"])
    """)
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PYTHONPATH": ROOT})
    assert done.returncode == 0, done.stderr[-3000:]
    steps, ret = done.stdout.split("RESULT")[-1].split()
    assert int(steps) >= 20_000 and float(ret) > 0


@pytest.mark.slow
def test_multiprocessing_forks_workers_after_a_threaded_kernel_without_a_hang(tmp_path):
    """The parent steps a 2-thread kernel, then PufferLib forks its workers, whose envs are big
    enough to step in parallel: before, each worker died at its first step and the parent
    waited in recv forever. Run in a child process, under a timeout, so a hang fails the test."""
    script = textwrap.dedent("""
        import numpy as np
        import numbapuffer as npf
        import numbapuffer.pufferlib as npp
        import pufferlib.vector
        warm = npf.make("cartpole", num_envs=1024, seed=0)
        warm.use_serial(False)
        warm.reset(seed=0)
        for _ in range(20):
            warm.step(np.zeros(1024, np.int32))
        vecenv = pufferlib.vector.make(npp.env_creator("cartpole", max_steps=40), backend="Multiprocessing",
                                       num_envs=2, num_workers=2, env_kwargs={"num_envs": 1024})
        ref = [npf.make("cartpole", num_envs=1024, max_steps=40) for _ in range(2)]
        vecenv.async_reset(0)
        obs = vecenv.recv()[0]
        want = [r.reset(seed=s)[0] for r, s in zip(ref, (0, 1))]
        assert np.array_equal(obs, np.concatenate(want))
        rng = np.random.default_rng(0)
        for _ in range(100):
            a = rng.integers(0, 2, 2048).astype(np.int32)
            vecenv.send(a)
            obs = vecenv.recv()[0]
            want = [r.step(p)[0] for r, p in zip(ref, np.split(a, 2))]
            assert np.array_equal(obs, np.concatenate(want))
        vecenv.close()
        print("OK")
    """)
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": ROOT})
    assert done.returncode == 0 and "OK" in done.stdout, done.stderr[-3000:]
