"""Speed on a busy machine: the kernel chosen by its measured speed, and Numba's thread pool.
(The speed itself is measured by benchmarks/contention.py, not here.)"""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import numbapuffer as npf
from numbapuffer.engine.threads import Pacer


def run_windows(pacer, cost, windows):
    """End `windows` windows of the pacer with `cost[kernel]` seconds per step; returns the
    kernel of each step."""
    used = []
    for _ in range(windows):
        k = pacer.choice
        used += [k] * pacer.limit
        pacer.steps = pacer.limit
        pacer.elapsed = pacer.limit * cost[k]
        pacer.end_window()
    return used


def test_pacer_keeps_the_faster_kernel_and_follows_a_change_of_load(monkeypatch):
    monkeypatch.setattr(Pacer, "MIN_INTERVAL", 0.0)  # probe after every window of the kernel in use
    monkeypatch.setattr(Pacer, "MAX_INTERVAL", 0.0)
    pacer = Pacer()
    assert pacer.choice == 1  # the parallel kernel first
    used = run_windows(pacer, {0: 2e-5, 1: 1e-5}, 20)
    assert pacer.current == 1 and used.count(1) > 3 * used.count(0)  # only short probes of the serial one
    used = run_windows(pacer, {0: 2e-5, 1: 1e-3}, 20)  # the other core got taken
    assert pacer.current == 0 and used[-200:].count(0) > 3 * used[-200:].count(1)
    run_windows(pacer, {0: 2e-5, 1: 1e-5}, 20)  # and freed again
    assert pacer.current == 1


def test_pacer_probes_rarely_once_settled():
    pacer = Pacer()
    used = run_windows(pacer, {0: 2e-5, 1: 1e-5}, 200)
    assert used.count(0) <= 2 * Pacer.PROBE  # the first probe, then one each interval (doubling from 50 ms)
    assert pacer.interval > Pacer.MIN_INTERVAL


def test_a_probe_is_cut_short_when_much_slower():
    pacer = Pacer()
    run_windows(pacer, {0: 2e-5, 1: 1e-5}, 1)  # one window of the parallel kernel, then a probe
    assert pacer.choice == 0 and pacer.limit == Pacer.PROBE
    assert pacer.cutoff == 2 * Pacer.PROBE * 1e-5


def test_windows_and_probes_of_slow_steps_end_by_time():
    """A step of 60 ms (MOBA's 4096 games): the probe of the other kernel is one step, not 16,
    and a window of the kernel in use ends after WINDOW_SECONDS, not 64 steps."""
    pacer = Pacer()
    assert pacer.cutoff == Pacer.WINDOW_SECONDS
    pacer.steps, pacer.elapsed = 1, 0.06  # one step of the parallel kernel ends the first window
    pacer.end_window()
    assert pacer.choice == 0 and pacer.cutoff == Pacer.PROBE_SECONDS  # a probe that one step ends
    pacer.steps, pacer.elapsed = 1, 0.09
    pacer.end_window()
    assert pacer.choice == 1 and pacer.current == 1 and pacer.cutoff == Pacer.WINDOW_SECONDS


def test_probes_of_slow_steps_come_every_probe_share_steps():
    """One probe step of the slower kernel (90 ms where the kernel in use takes 60 ms) every
    2 s would cost 1.5% of the steps: once settled, the interval grows to PROBE_SHARE of its
    steps (4.5 s); fast steps keep MAX_INTERVAL."""
    def settled(fast, slow):
        pacer = Pacer()
        for _ in range(12):  # a window of the kernel in use, then a probe (forced, not waited for)
            for k, cost in ((1, fast), (0, slow)):
                pacer.choice, pacer.steps, pacer.elapsed = k, 1, cost
                pacer.end_window()
        assert pacer.current == 1
        return pacer.interval
    assert settled(0.06, 0.09) == pytest.approx(Pacer.PROBE_SHARE * 0.09)
    assert settled(1e-5, 2e-5) == Pacer.MAX_INTERVAL


def test_switching_kernels_mid_run_changes_no_result(monkeypatch):
    """The kernels alternate every few steps (a probe after every window): the games are
    bit-identical to the serial kernel's."""
    monkeypatch.setattr(Pacer, "MIN_INTERVAL", 0.0)
    monkeypatch.setattr(Pacer, "MAX_INTERVAL", 0.0)
    monkeypatch.setattr(Pacer, "WINDOW", 3)
    monkeypatch.setattr(Pacer, "PROBE", 2)
    switching, serial = (npf.make("breakout", num_envs=512, seed=4, report_interval=0) for _ in range(2))
    serial.use_serial(True)
    assert switching._pacer is not None
    rng = np.random.default_rng(0)
    used = set()
    for e in (switching, serial):
        e.reset(seed=4)
    for _ in range(300):
        actions = rng.integers(0, switching.single_action_space.n, 512)
        used.add(switching._pacer.choice)
        for e in (switching, serial):
            e.step(actions)
        np.testing.assert_array_equal(switching.observations, serial.observations)
        np.testing.assert_array_equal(switching.rewards, serial.rewards)
    assert used == {0, 1}
    np.testing.assert_array_equal(switching.state, serial.state)
    assert switching.log() == serial.log()


def test_small_envs_and_pinned_kernels_are_not_timed():
    assert npf.make("pong", num_envs=8)._pacer is None
    env = npf.make("pong", num_envs=512)
    assert env._pacer is not None
    env.use_serial(False)
    assert env._pacer is None


LAUNCH = textwrap.dedent('''
    import os, numba, numbapuffer as npf
    npf.make("pong", num_envs=512).reset(seed=0)
    print(os.environ.get("GOMP_SPINCOUNT"), numba.threading_layer())
''')


def test_thread_pool_starts_without_changing_the_environment():
    env = {k: v for k, v in os.environ.items() if k not in ("GOMP_SPINCOUNT", "OMP_WAIT_POLICY")}
    out = subprocess.run([sys.executable, "-c", LAUNCH], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split()[0] == "None"  # set only while Numba's OpenMP runtime loaded
    out = subprocess.run([sys.executable, "-c", LAUNCH], env=dict(env, GOMP_SPINCOUNT="77"), capture_output=True,
                         text=True, check=True)
    assert out.stdout.split()[0] == "77"  # the user's own setting is left alone


def test_a_child_forked_after_a_threaded_kernel_steps_its_envs_correctly(tmp_path):
    """GNU OpenMP's pool does not survive fork: before, the child died at its first parallel
    kernel ("fork() called from a process already using GNU OpenMP"). Now every env of the
    child, inherited or new, steps with the serial kernels, bit-identical to the parent's."""
    env = npf.make("squared", num_envs=1024, seed=0)
    env.use_serial(False)  # the parallel kernel, on every thread Numba has
    env.reset(seed=0)
    actions = np.random.default_rng(0).integers(0, env.single_action_space.n, (20, 1024))
    for a in actions[:10]:
        env.step(a)
    before = env.snapshot()
    path = tmp_path / "child.npy"
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        code = 1
        try:
            fresh = npf.make("squared", num_envs=1024, seed=0)  # would step in parallel (Pacer)
            fresh.reset(seed=0)
            for a in actions:
                fresh.step(a)
            for a in actions[10:]:
                env.step(a)
            np.save(path, env.observations)
            code = 0 if np.array_equal(fresh.observations, env.observations) else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    env.restore(before)  # the parent steps the same actions with its own parallel kernel
    for a in actions[10:]:
        env.step(a)
    assert np.array_equal(np.load(path), env.observations) and env.serial is False
