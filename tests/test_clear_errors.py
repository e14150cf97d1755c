"""Clear errors at the call (issue 22, items 9 and 10): a backend's timeout, a masked array as
a buffer, the PettingZoo AEC env used before reset, too little shared memory."""
import math
import os
import pathlib
import shlex
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import numbapuffer as npf
from numbapuffer.backends.base import MAX_TIMEOUT, check_timeout
from numbapuffer.engine.buffers import buffer_specs
from numbapuffer.envs import snake

ROOT = pathlib.Path(__file__).resolve().parents[1]

BAD_TIMEOUTS = [("abc", TypeError, "timeout must be a number of seconds"), (True, TypeError, "got True"),
                ([1], TypeError, "got \\[1\\]"), (0, ValueError, "must be > 0"), (-1, ValueError, "got -1"),
                (float("nan"), ValueError, "got nan"), (-math.inf, ValueError, "got -inf"),
                (1e300, ValueError, f"at most {MAX_TIMEOUT} seconds, or float\\('inf'\\) or None for no limit")]


@pytest.mark.parametrize("timeout, error, words", BAD_TIMEOUTS)
def test_a_bad_timeout_is_refused_before_any_worker_starts(timeout, error, words):
    with pytest.raises(error, match=words):
        npf.vector.make("pong", num_envs=4, backend="multiprocessing", num_workers=2, timeout=timeout)


def test_timeouts_that_are_good():
    assert check_timeout(None) == check_timeout(math.inf) == math.inf
    assert check_timeout(np.float32(2.5)) == 2.5 and check_timeout(np.int64(3)) == 3.0
    assert check_timeout(MAX_TIMEOUT) == MAX_TIMEOUT


@pytest.mark.slow
def test_multiprocessing_with_no_timeout_steps_and_a_bad_one_set_later_is_refused():
    ref = npf.make("pong", num_envs=4, seed=0)
    vec = npf.vector.make("pong", num_envs=4, backend="multiprocessing", num_workers=2, seed=0,
                          timeout=float("inf"))
    try:
        assert vec.timeout == math.inf
        np.testing.assert_array_equal(vec.reset(seed=0)[0], ref.reset(seed=0)[0])
        for t in range(3):
            a = np.full(4, t % 3, np.int32)
            np.testing.assert_array_equal(vec.step(a)[0], ref.step(a)[0])
        for timeout, error, words in BAD_TIMEOUTS:
            with pytest.raises(error, match=words):
                vec.timeout = timeout
        assert vec.timeout == math.inf
        vec.timeout = None
        np.testing.assert_array_equal(vec.step(np.ones(4, np.int32))[0], ref.step(np.ones(4, np.int32))[0])
    finally:
        vec.close()


@pytest.mark.slow
def test_ray_refuses_a_bad_timeout_before_ray_starts():
    pytest.importorskip("ray")
    from numbapuffer.backends.ray import Ray
    for timeout, error, words in BAD_TIMEOUTS:
        with pytest.raises(error, match=words):
            Ray("pong", num_envs=4, num_workers=2, timeout=timeout)


def test_a_masked_array_as_a_buffer_is_refused_naming_it():
    specs = buffer_specs(npf.envs.get("pong").observation_space, npf.envs.get("pong").action_space, 4)
    buf = {k: np.zeros(shape, dtype) for k, (shape, dtype) in specs.items()}
    buf["rewards"] = np.ma.zeros(4, np.float32)
    with pytest.raises(TypeError, match="pong: buf.rewards is a masked array \\(numpy.ma.MaskedArray\\), which "
                                        "the kernels cannot take: pass a plain numpy array"):
        npf.make("pong", num_envs=4, buf=buf)
    buf["rewards"] = buf["rewards"].data  # its data is a plain array: taken
    env = npf.make("pong", num_envs=4, buf=buf, seed=0)
    env.reset(seed=0)
    assert env.rewards is buf["rewards"]


def test_the_aec_env_used_before_reset_says_to_call_reset():
    aec = snake.env(seed=0)
    for call in (lambda: aec.step(0), lambda: aec.observe(aec.possible_agents[0])):
        with pytest.raises(RuntimeError, match="snake: (step|observe)\\(\\) before reset\\(\\): call reset\\(\\) "
                                               "first"):
            call()
    aec.reset(seed=0)
    aec.step(0)  # after reset, as ever
    aec.observe(aec.agent_selection)


# --- item 10: shared memory too small for the multiprocessing backend's buffers -----------

def test_too_little_shared_memory_is_said_before_anything_starts(monkeypatch):
    from numbapuffer.backends import multiprocessing as backend
    monkeypatch.setattr(backend, "_shm_free", lambda: 100_000)
    started = []
    monkeypatch.setattr(backend.Multiprocessing, "_start", lambda *a: started.append(a))
    # pong 4096 games: observations 4096 x 8 float32 and the rest
    with pytest.raises(MemoryError, match=r"pong: the multiprocessing backend needs 176,128 bytes \(0.168 MiB\) "
                                          r"of shared memory in /dev/shm, which has 100,000 bytes \(0.0954 MiB\) free"):
        npf.vector.make("pong", num_envs=4096, backend="multiprocessing", num_workers=2)
    assert started == []
    monkeypatch.setattr(backend, "_shm_free", lambda: None)  # unknown: not checked
    backend._check_shm("pong", 10**12)


SMALL_SHM = textwrap.dedent("""
    import numpy as np, numbapuffer as npf
    if __name__ == "__main__":
        try:
            npf.vector.make("pong", num_envs=65536, backend="multiprocessing", num_workers=2)
        except MemoryError as e:
            print(e)
        vec = npf.vector.make("pong", num_envs=4, backend="multiprocessing", num_workers=2, seed=0)
        vec.reset(seed=0)
        vec.step(np.ones(4, np.int32))
        vec.close()
        print("small one ok")
""")


@pytest.mark.slow
def test_a_small_dev_shm_is_said_and_a_backend_that_fits_still_runs(tmp_path):
    """/dev/shm of 1 MiB, in a mount namespace of the child's own (root, where unshare
    works): 65536 Pong games need 2.4 MiB. Before the check: SIGBUS."""
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.skip("a private /dev/shm needs root and unshare")
    script = tmp_path / "small_shm.py"
    script.write_text(SMALL_SHM)
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    command = f"mount -t tmpfs -o size=1m tmpfs /dev/shm && exec {shlex.quote(sys.executable)} {shlex.quote(str(script))}"
    out = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", command], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=300)
    if out.returncode and "mount" in out.stderr and "small one ok" not in out.stdout:
        pytest.skip(f"no private /dev/shm here: {out.stderr.strip()[-300:]}")
    assert out.returncode == 0, out.stderr[-3000:]
    lines = out.stdout.splitlines()
    assert lines[0].startswith("pong: the multiprocessing backend needs 2,") and "of shared memory in /dev/shm, " \
        "which has 1,048,576 bytes (1 MiB) free" in lines[0]
    assert lines[-1] == "small one ok"
