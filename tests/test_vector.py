"""The vector backends (npf.vector.make): one interface, the same results as the native env,
EnvPool-style async batches, and a multiprocessing backend that fails loudly and cleans up."""
import gc
import os
import signal
import subprocess
import sys
import textwrap
import time

import gymnasium
import numba
import numpy as np
import pytest

import numbapuffer as npf

import count
import walk

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def random_actions(vec, steps, seed=0):
    return np.random.default_rng(seed).integers(0, vec.single_action_space.n, (steps, vec.num_agents))


def rollout(vec, actions, seed=1):
    out = [vec.reset(seed=seed)[0].copy()]
    for a in actions:
        out.extend(x.copy() for x in vec.step(a)[:4])
    return out


def shm_segments():
    return {f for f in os.listdir("/dev/shm") if f.startswith(f"npf_{os.getpid()}_")}


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as f:  # a zombie is dead but not yet reaped
        return f.read().split(")")[-1].split()[0] != "Z"


@pytest.fixture
def no_leaks():
    """Every test here must leave no worker and no shared memory behind."""
    before = shm_segments()
    yield
    gc.collect()
    assert shm_segments() == before
    assert not [p for p in __import__("multiprocessing").active_children() if p.name.startswith("numbapuffer")]


# --- one interface ---------------------------------------------------------------------

def test_native_backend_is_the_env_itself():
    env = npf.vector.make("pong", 8, seed=0)
    assert type(env) is npf.Env and env.num_envs == 8
    env.async_reset(seed=0)
    obs, rew, term, trunc, infos, ids, masks = env.recv()
    assert obs is env.observations and list(ids) == list(range(8))


@pytest.mark.parametrize("backend, kw", [("serial", dict(num_workers=4)),
                                         ("multiprocessing", dict(num_workers=2))])
def test_the_same_interface_on_every_backend(backend, kw, no_leaks):
    with npf.vector.make("pong", 8, backend, seed=0, **kw) as vec:
        assert (vec.num_envs, vec.num_agents) == (8, 8)
        assert vec.single_observation_space == npf.make("pong").single_observation_space
        assert vec.observation_space.shape == (8, 8) and vec.action_space.shape == (8,)
        obs, infos = vec.reset(seed=0)
        assert obs.shape == (8, 8) and infos == []
        vec.async_reset(seed=0)
        obs, rew, term, trunc, infos, ids, masks = vec.recv()
        assert rew.dtype == np.float32 and term.dtype == np.bool_ and masks.all() and list(ids) == list(range(8))
        vec.send(np.zeros(8, np.int32))
        assert len(vec.recv()) == 7
        assert len(vec.step(np.zeros(8, np.int32))) == 5


@pytest.mark.parametrize("env, params", [("pong", dict(max_score=2)), (walk.game, {})], ids=["pong", "walk"])
@pytest.mark.parametrize("backend, kw", [("serial", dict(num_workers=4)),
                                         ("multiprocessing", dict(num_workers=2)),
                                         ("multiprocessing", dict(num_workers=4, threads_per_worker=1))])
def test_bit_identical_to_the_native_env(env, params, backend, kw, no_leaks):
    native = npf.vector.make(env, 16, seed=7, **params)
    acts = random_actions(native, 250)
    with npf.vector.make(env, 16, backend, seed=7, **kw, **params) as vec:
        for x, y in zip(rollout(native, acts), rollout(vec, acts)):
            np.testing.assert_array_equal(x, y)
        expected, got = native.log(), vec.log()
        assert expected["n"] > 10  # episodes ended in every worker's games
        assert got.keys() == expected.keys() and got["n"] == expected["n"]
        for k in expected:
            assert got[k] == pytest.approx(expected[k])
        assert vec.log() == {}
        seeds = list(range(100, 116))  # a seed per game
        np.testing.assert_array_equal(vec.reset(seed=seeds)[0], native.reset(seed=seeds)[0])
        for a in acts[:30]:
            np.testing.assert_array_equal(vec.step(a)[0], native.step(a)[0])


def test_worker_threads_do_not_oversubscribe_the_cores(no_leaks):
    cores = os.cpu_count()
    with npf.vector.make("pong", 8, "multiprocessing", num_workers=2, seed=0) as vec:
        assert vec.worker_threads == [max(1, min(cores // 2, numba.config.NUMBA_NUM_THREADS))] * 2
        vec.log()
        assert vec.worker_threads == [max(1, min(cores // 2, numba.config.NUMBA_NUM_THREADS))] * 2
    with npf.vector.make("pong", 8, "multiprocessing", num_workers=1, threads_per_worker=1, seed=0) as vec:
        assert vec.worker_threads == [1]


def test_infos_carry_the_log_every_report_interval(no_leaks):
    with npf.vector.make(walk.game, 8, "serial", num_workers=2, seed=0, report_interval=50) as vec:
        vec.reset(seed=0)
        infos = [vec.step(a)[4] for a in random_actions(vec, 100)]
        assert [i for i, x in enumerate(infos) if x] == [49, 99]  # the 50th and 100th step
        assert infos[49][0]["n"] > 0 and set(infos[49][0]) == {"episode_return", "episode_length", "n"}


@pytest.mark.parametrize("backend", ["serial", "multiprocessing"])
def test_bad_actions_are_rejected_before_any_game_moves(backend, no_leaks):
    with npf.vector.make("pong", 8, backend, num_workers=2, seed=0) as vec:
        vec.reset(seed=0)
        state = vec.step(np.zeros(8, np.int32))[0].copy()
        bad = np.zeros(8, np.int64)
        bad[5] = 3
        with pytest.raises(ValueError, match=r"action value 3 \(flat index 5\) is out of range"):
            vec.send(bad)
        with pytest.raises(ValueError, match="actions have shape"):
            vec.step(np.zeros(7, np.int32))
        with pytest.raises(TypeError, match="actions have dtype float64"):
            vec.step(np.zeros(8))
        np.testing.assert_array_equal(vec.observations, state)  # nothing moved
        vec.step(np.ones(8, np.int32))  # and it still works


@pytest.mark.parametrize("kw, error, match", [
    (dict(backend="threads"), ValueError, "backend must be one of native, serial, multiprocessing"),
    (dict(backend="native", num_workers=2), ValueError, "num_workers and batch_size are for"),
    (dict(backend="serial", num_workers=3), ValueError, r"num_envs \(8\) must be a multiple of num_workers \(3\)"),
    (dict(backend="serial", batch_size=4), ValueError, "batch_size must be num_envs"),
    (dict(backend="multiprocessing", num_workers=0), ValueError, "num_workers must be an integer >= 1"),
    (dict(backend="multiprocessing", num_workers=4, batch_size=3), ValueError,
     r"batch_size \(3\) must divide num_envs \(8\) and be a multiple of the games per worker \(2\)"),
    (dict(backend="multiprocessing", threads_per_worker=99), ValueError, "threads_per_worker must be 1.."),
    (dict(backend="multiprocessing", widht=3), TypeError, "unexpected keyword argument 'widht'"),
    (dict(backend="multiprocessing", timeout=0), ValueError, "timeout must be > 0"),
])
def test_bad_options_are_named_before_anything_starts(kw, error, match, no_leaks):
    with pytest.raises(error, match=match):
        npf.vector.make("pong", 8, **kw)


def test_unknown_env_is_named():
    with pytest.raises(ValueError, match="unknown env 'pongg'"):
        npf.vector.make("pongg", 8, "multiprocessing")
    with pytest.raises(TypeError, match="env must be an env id"):
        npf.vector.make(3, 8)


# --- serial: plain gymnasium envs ------------------------------------------------------

def test_serial_emulates_gymnasium_envs_like_gymnasiums_own_vector_env():
    vec = npf.vector.make(lambda: gymnasium.make("CartPole-v1"), 4, "serial", report_interval=0)
    ref = gymnasium.vector.SyncVectorEnv([lambda: gymnasium.make("CartPole-v1")] * 4,
                                         autoreset_mode=gymnasium.vector.AutoresetMode.SAME_STEP)
    assert vec.single_observation_space == ref.single_observation_space and vec.num_agents == 4
    obs, _ = vec.reset(seed=3)
    np.testing.assert_array_equal(obs, ref.reset(seed=3)[0])
    episodes = 0
    for a in random_actions(vec, 300):
        obs, rew, term, trunc, _ = vec.step(a)
        r_obs, r_rew, r_term, r_trunc, _ = ref.step(a)
        for x, y in ((obs, r_obs), (rew, r_rew), (term, r_term), (trunc, r_trunc)):
            np.testing.assert_array_equal(x, y)
        episodes += int((term | trunc).sum())
    log = vec.log()
    assert episodes > 10 and log["n"] == episodes and log["episode_return"] == log["episode_length"]
    vec.close()


def test_serial_rejects_what_it_cannot_emulate():
    with pytest.raises(TypeError, match="Box observation space"):
        npf.vector.make(lambda: gymnasium.make("FrozenLake-v1"), 2, "serial")
    with pytest.raises(TypeError, match="takes no game params"):
        npf.vector.make(lambda: gymnasium.make("CartPole-v1"), 2, "serial", frameskip=2)
    with pytest.raises(TypeError, match="must return a gymnasium.Env"):
        npf.vector.make(lambda: 3, 2, "serial")


# --- multiprocessing: async batches ----------------------------------------------------

def test_async_batches_step_every_game(no_leaks):
    """8 games, 4 workers of 2, batches of 4: recv returns one half while the other steps.
    Each game's count (its observation) says how often it was stepped, and its reward is the
    action sent to its row: every game is stepped, with its own actions, once per send."""
    with npf.vector.make(count.game, 8, "multiprocessing", num_workers=4, batch_size=4, seed=0,
                         max_steps=10**9) as vec:
        step_halves(vec, 10)


def step_halves(vec, times, seconds=30):
    """Async batches of 4 of count.game's 8 games: step until each half came back `times`
    times, checking each game was stepped once per send with its own actions."""
    assert vec.observation_space.shape == (4, 1) and vec.action_space.shape == (4,)
    vec.async_reset(seed=0)
    sent = np.zeros(8, np.int64)
    last = np.zeros(8, np.int64)
    seen, k, start = [], 0, time.monotonic()
    while min(seen.count(0), seen.count(4)) < times and time.monotonic() - start < seconds:
        k += 1  # whichever half is ready first comes back: on a loaded machine, often the same
        obs, rew, term, trunc, infos, ids, masks = vec.recv()
        assert len(ids) == 4 and ids[0] in (0, 4) and list(ids) == list(range(ids[0], ids[0] + 4))
        np.testing.assert_array_equal(obs[:, 0], sent[ids])
        np.testing.assert_array_equal(rew, last[ids] if sent[ids[0]] else 0)
        seen.append(ids[0])
        actions = (np.arange(4) + k) % 5
        vec.send(actions)
        sent[ids] += 1
        last[ids] = actions
    assert min(seen.count(0), seen.count(4)) >= times and sent.min() >= times


def test_send_and_recv_must_alternate(no_leaks):
    with npf.vector.make("pong", 8, "multiprocessing", num_workers=2, batch_size=4, seed=0) as vec:
        # step and reset return no env_ids: with async batches they refuse, pointing to send/recv
        with pytest.raises(RuntimeError, match=r"batch_size \(4\) < num_envs \(8\).*use vec.async_reset\(seed\) "
                                               "and recv\(\), whose env_ids say which games came back"):
            vec.reset(seed=0)
        with pytest.raises(RuntimeError, match=r"use vec.send\(actions\) and recv\(\)"):
            vec.step(np.zeros(4, np.int32))
        with pytest.raises(RuntimeError, match="recv needs an async_reset or send first"):
            vec.recv()
        vec.async_reset(seed=0)
        with pytest.raises(RuntimeError, match="call recv"):
            vec.send(np.zeros(4, np.int32))
        vec.recv()
        with pytest.raises(RuntimeError, match="send the actions of the batch the last recv returned first"):
            vec.recv()
        vec.send(np.zeros(4, np.int32))
        assert vec.log() == {}  # waits for the batch in flight, then asks every worker
        vec.recv()


# --- multiprocessing: failures and cleanup ----------------------------------------------

def test_a_killed_worker_is_named_within_the_timeout(no_leaks):
    vec = npf.vector.make("pong", 8, "multiprocessing", num_workers=2, seed=0, timeout=20)
    vec.reset(seed=0)
    vec.step(np.zeros(8, np.int32))
    pids = [p.pid for p in vec._procs]
    os.kill(pids[1], signal.SIGKILL)
    start = time.monotonic()
    with pytest.raises(RuntimeError, match=rf"worker 1 \(pid {pids[1]}, games 4..7\) died: killed by signal SIGKILL"):
        while time.monotonic() - start < 20:  # until the dying worker's socket closes
            vec.step(np.zeros(8, np.int32))
    assert time.monotonic() - start < 20  # found by the closed socket, not by the timeout
    with pytest.raises(RuntimeError, match="worker 1 .* died"):  # and it stays broken, saying why
        vec.step(np.zeros(8, np.int32))
    assert not any(alive(p) for p in pids)  # the other worker was stopped too
    vec.close()


def test_a_worker_killed_while_stepping_async(no_leaks):
    vec = npf.vector.make("pong", 8, "multiprocessing", num_workers=2, batch_size=4, seed=0)
    vec.async_reset(seed=0)
    vec.recv()
    vec.send(np.zeros(4, np.int32))
    os.kill(vec._procs[0].pid, signal.SIGKILL)
    start = time.monotonic()
    with pytest.raises(RuntimeError, match="worker 0 .* died: killed by signal SIGKILL"):
        while time.monotonic() - start < 20:  # worker 1's half may come back until worker 0 is gone
            vec.send(np.zeros(4, np.int32)) if vec._current else vec.recv()
    vec.close()


def test_an_exception_in_env_code_is_reported_with_its_traceback(no_leaks):
    vec = npf.vector.make(count.game, 4, "multiprocessing", num_workers=2, seed=0, fail_at=3)
    vec.reset(seed=0)
    vec.step(np.zeros(4, np.int32))
    vec.step(np.zeros(4, np.int32))
    with pytest.raises(RuntimeError, match=r"(?s)worker (0 \(pid \d+, games 0..1|1 \(pid \d+, games 2..3)\) "
                                           r"raised an exception in env code"
                                           r".*ValueError: count: failing on purpose"):
        vec.step(np.zeros(4, np.int32))
    vec.close()


def test_a_hung_worker_times_out(no_leaks):
    vec = npf.vector.make("pong", 4, "multiprocessing", num_workers=2, seed=0)
    vec.reset(seed=0)
    vec.step(np.zeros(4, np.int32))  # kernels loaded
    vec.timeout = 1
    os.kill(vec._procs[1].pid, signal.SIGSTOP)
    with pytest.raises(RuntimeError, match=r"workers \[1\] did not answer within 1 s"):
        vec.step(np.zeros(4, np.int32))
    vec.close()  # kills the stopped worker too


def test_close_stops_every_worker_and_unlinks_shared_memory(no_leaks):
    vec = npf.vector.make("pong", 8, "multiprocessing", num_workers=2, seed=0)
    vec.reset(seed=0)
    obs = vec.step(np.zeros(8, np.int32))[0]
    pids, name = [p.pid for p in vec._procs], vec._shm.name
    assert all(alive(p) for p in pids)  # (the segment was unlinked once they had mapped it)
    vec.close()
    vec.close()  # twice is fine
    assert not any(alive(p) for p in pids) and not os.path.exists(f"/dev/shm/{name}")
    assert obs.sum() > 0  # arrays handed out stay readable after close
    with pytest.raises(RuntimeError, match="closed"):
        vec.step(np.zeros(8, np.int32))


def test_garbage_collection_cleans_up(no_leaks):
    vec = npf.vector.make("pong", 4, "multiprocessing", num_workers=2, seed=0)
    vec.reset(seed=0)
    pids, name = [p.pid for p in vec._procs], vec._shm.name
    del vec
    gc.collect()
    assert not any(alive(p) for p in pids) and not os.path.exists(f"/dev/shm/{name}")


def test_interpreter_exit_cleans_up():
    script = textwrap.dedent("""
        import numpy as np, numbapuffer as npf
        if __name__ == "__main__":
            vec = npf.vector.make("pong", 4, "multiprocessing", num_workers=2, seed=0)
            vec.reset(seed=0)
            vec.step(np.zeros(4, np.int32))
            print(vec._shm.name, *[p.pid for p in vec._procs])
    """)  # exits without close()
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120,
                         env={**os.environ, "PYTHONPATH": ROOT})
    assert out.returncode == 0, out.stderr
    name, *pids = out.stdout.split()
    assert not os.path.exists(f"/dev/shm/{name}") and not any(alive(int(p)) for p in pids)
    assert "leaked" not in out.stderr and "Exception" not in out.stderr


def test_a_script_without_the_main_guard_is_told_why(tmp_path):
    script = tmp_path / "unguarded.py"
    script.write_text('import numbapuffer as npf\nvec = npf.vector.make("pong", 4, "multiprocessing", num_workers=2)\n')
    out = subprocess.run([sys.executable, str(script)], cwd=ROOT, capture_output=True, text=True, timeout=120,
                         env={**os.environ, "PYTHONPATH": ROOT})
    assert out.returncode == 1
    assert "died: exited with code 1 while starting" in out.stderr and '`if __name__ == "__main__":`' in out.stderr


def test_bench_vec_command_reports_every_case():
    out = subprocess.run([sys.executable, "-m", "numbapuffer", "bench-vec", "--num-envs", "64", "--gym-num-envs",
                          "32", "--seconds", "0.01", "--rounds", "1"], cwd=ROOT, capture_output=True, text=True,
                         timeout=120, env={**os.environ, "PYTHONPATH": ROOT})
    assert out.returncode == 0, out.stderr
    for row in ("native, 64 games", "multiprocessing 2 workers, sync", "multiprocessing 2 workers, async batch 32",
                "native env, 32 games", "NumbaVecEnv copy=True, 32 games",
                "NumbaVecEnv copy=False, 32 games", "per-step overhead over the native env: NumbaVecEnv copy=True"):
        assert row in out.stdout


def test_ray_is_imported_only_by_the_ray_backend():
    script = textwrap.dedent("""
        import sys
        import numbapuffer as npf
        npf.vector.make("pong", 2, "serial").reset(seed=0)
        assert "ray" not in sys.modules, "ray imported without the ray backend"
        sys.modules["ray"] = None  # as where ray is not installed
        try:
            npf.vector.make("pong", 2, "ray")
        except ImportError as e:
            print(e)
    """)
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120,
                         env={**os.environ, "PYTHONPATH": ROOT})
    assert out.returncode == 0, out.stderr
    assert 'backend="ray" needs ray: pip install "numbapuffer[ray]"' in out.stdout
