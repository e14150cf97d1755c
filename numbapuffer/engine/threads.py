"""Speed that holds on a busy machine: Numba's thread pool, and the choice of kernel.

A parallel step is a fork-join: it ends when the slowest thread has done its share. On a
quiet machine two threads step Pong ~1.8x faster than one. When another process (or torch
in this one) holds a core, one of the two threads waits for a scheduler time slice at every
step, and two such envs side by side fell from 61M to 0.5M steps/s each. Two causes, two fixes:

- OpenMP's idle threads spin for ~300,000 iterations (about a millisecond) after each
  parallel step before they sleep, holding a core that a neighbour (or the other process's
  threads, or torch) needs. `launch()` starts Numba's pool with a short spin (GOMP_SPINCOUNT,
  unless the user set it or OMP_WAIT_POLICY): long enough to cover the few microseconds
  between two steps of a tight loop, short enough that a pool left idle sleeps at once.
- Whether the parallel kernel beats the serial one depends on the load right now. `Pacer`
  times the kernel in use, tries the other one now and then, and steps with whichever was
  faster: the serial kernel when the other core is taken, the parallel one when it is free.
  Both kernels give bit-identical results, so switching never changes a game.

Numba's workqueue layer (its fallback where neither OpenMP nor TBB loads) aborts the whole
process when two Python threads launch parallel kernels at once. Under it, `guarded` makes
the parallel kernels take turns.

A thread pool does not survive fork: the child of a process whose pool has started (GNU
OpenMP: "fork() called from a process already using GNU OpenMP") dies at its first parallel
kernel, and a parent waiting on it (PufferLib's Multiprocessing forks its workers) waits
forever. So a process forked after the pool started steps every env, those it inherited and
those it makes, with the serial kernels (`forked`; Env.use_serial reads it). Nothing is checked
per step: the fork hook switches the envs once. One process per core, as PufferLib runs its
workers, is where the serial kernel is the faster one anyway (see the contention note above).
"""
import os
import threading
import time
import weakref

import numba

__all__ = ["launch", "guarded", "Pacer", "track", "forked"]

_turns = threading.Lock()  # held by the thread running a parallel kernel, under workqueue

# Spin iterations of an idle OpenMP thread before it sleeps. Measured on 2 cores, Pong 4096
# games: 1000 kept one process's speed (224M vs 194M steps/s with libgomp's default) and
# raised two processes side by side from 0.5M to 46M each; 0 or 100 cost a lone process 3x
# (each step then wakes a sleeping thread).
SPIN = "1000"


def launch():
    """Start Numba's thread pool (once per process) with a short OpenMP spin, leaving the
    environment as it was (torch's own OpenMP runtime, loaded later, is not affected)."""
    if numba.np.ufunc.parallel._is_initialized:
        return
    user_set = "GOMP_SPINCOUNT" in os.environ or "OMP_WAIT_POLICY" in os.environ
    if not user_set:
        os.environ["GOMP_SPINCOUNT"] = SPIN
    try:
        numba.get_num_threads()  # loads the threading layer, which reads the environment once
    finally:
        if not user_set:
            del os.environ["GOMP_SPINCOUNT"]


forked = False  # this process was forked after its thread pool started: parallel kernels would kill it
_envs = weakref.WeakSet()  # the live envs of this process, switched to serial kernels in a forked child


def track(env):
    """Let the fork hook switch `env` (a numbapuffer.Env) to its serial kernels in a child."""
    _envs.add(env)


def _after_fork_in_child():
    global forked
    if forked or not numba.np.ufunc.parallel._is_initialized:
        return  # no pool started before the fork: the child starts its own
    forked = True
    for env in list(_envs):
        env.use_serial(env.serial)  # the same choice, which now gives the serial kernels


os.register_at_fork(after_in_child=_after_fork_in_child)


def guarded(kernel):
    """`kernel` (a parallel one), or under the workqueue threading layer the same kernel
    called under one lock per process. Call after launch()."""
    try:
        layer = numba.threading_layer()
    except ValueError:  # no parallel layer started
        return kernel
    if layer != "workqueue":
        return kernel

    def in_turn(*args):
        with _turns:
            return kernel(*args)
    return in_turn


class Pacer:
    """Chooses between the serial kernel (0) and the parallel one (1) by their recent speed.

    The env times every step, in windows of WINDOW steps (or WINDOW_SECONDS, whichever ends
    first), and steps with kernel `choice`. After `interval` seconds one window of PROBE steps
    goes to the other kernel (cut short after PROBE_SECONDS, or once it took twice as long as
    the kernel in use would have), and whichever had the lower time per step is kept. A probe
    that changes nothing doubles the interval, up to MAX_INTERVAL or PROBE_SHARE steps of the
    slower kernel, whichever is longer; a switch starts again from MIN_INTERVAL. On a quiet
    machine the probes of the slower kernel cost well under 1% of the steps. The time limits
    are for slow steps: MOBA's 4096 games step in 50-150 ms, where 16 steps of the slower
    kernel in every 64 cost its default 15% of the best kernel's speed (and a window of 64
    steps took 4 s to follow a change of load), and where one probe step (the shortest
    probe) every 2 s still cost it 5-10%: its probes come every ~50 steps instead."""
    WINDOW, PROBE = 64, 16
    WINDOW_SECONDS, PROBE_SECONDS = 0.05, 0.005
    MIN_INTERVAL, MAX_INTERVAL = 0.05, 2.0
    PROBE_SHARE = 50

    def __init__(self):
        self.current = 1  # the kernel in use: the parallel one until measured
        self.choice = 1  # the kernel of the next step (the other one during a probe)
        self.per_step = [0.0, 0.0]  # seconds per step of each, last measured
        self.interval = self.MIN_INTERVAL
        self.next_probe = time.perf_counter()  # probe the serial kernel after the first window
        self.steps = 0  # timed in this window, and their seconds
        self.elapsed = 0.0
        self.limit = self.WINDOW  # steps in this window
        self.cutoff = self.WINDOW_SECONDS  # seconds after which a window ends early

    def end_window(self):
        """Record the window that just ended, and choose what the next one steps with."""
        now = time.perf_counter()
        self.per_step[self.choice] = self.elapsed / self.steps
        probed = self.choice != self.current
        if probed:
            if self.per_step[self.choice] < self.per_step[self.current]:
                self.current = self.choice
                self.interval = self.MIN_INTERVAL
            else:
                longest = max(self.MAX_INTERVAL, self.PROBE_SHARE * max(self.per_step))
                self.interval = min(2 * self.interval, longest)
            self.next_probe = now + self.interval
        probe = not probed and now >= self.next_probe  # a window of the kernel in use between probes
        self.choice = 1 - self.current if probe else self.current
        self.limit = self.PROBE if probe else self.WINDOW
        self.cutoff = (min(2 * self.PROBE * self.per_step[self.current], self.PROBE_SECONDS) if probe
                       else self.WINDOW_SECONDS)
        self.steps = 0
        self.elapsed = 0.0
