"""State that must not change behind the engine's back (issue 22, items 4 and 6-9): one env
stepped from two threads, writes into the actions during a step, params written or restored
unchecked, rebinding of the buffers, half-restored snapshots, bad report intervals."""
import re
import threading

import numpy as np
import pytest

import numbapuffer as npf
from numbapuffer.engine.records import value_bytes

import walk

N = 8  # games: the serial kernels, the quickest to compile; env._step is the kernel called


def walk_env(**kw):
    env = npf.make(walk.game, num_envs=N, seed=3, **kw)
    env.reset(seed=3)
    return env


def hold(env, which):
    """Make `env`'s next `which` ("step" or "reset") kernel call wait inside the env until
    released: (inside, release) events. Deterministic: no race decides what the test sees."""
    inside, release = threading.Event(), threading.Event()
    kernel = env._step if which == "step" else env._resets[0]

    def held(*args):
        if not inside.is_set():  # only the first call waits (on the old code, others got here too)
            inside.set()
            assert release.wait(30)
        return kernel(*args)

    if which == "step":
        env._step = held
    else:
        env._resets = (held,)
    return inside, release


def in_thread(fn, *args):
    out = {}

    def run():
        try:
            out["value"] = fn(*args)
        except BaseException as e:  # handed to the test
            out["error"] = e
    t = threading.Thread(target=run)
    t.start()
    return t, out


# --- item 4: one env, one thread at a time ------------------------------------------------

@pytest.mark.parametrize("held", ["step", "reset"])
def test_a_second_thread_entering_an_env_gets_a_runtime_error_and_changes_nothing(held):
    env, ref = walk_env(), walk_env()
    ones = np.ones(N, np.int32)
    for e in (env, ref):
        e.step(np.full(N, 2, np.int32))
    snap = env.snapshot()
    inside, release = hold(env, held)
    first = (lambda: env.step(ones)) if held == "step" else (lambda: env.reset(seed=None))
    t, out = in_thread(first)
    assert inside.wait(30)
    calls = {"step": lambda: env.step(np.zeros(N, np.int32)), "reset": lambda: env.reset(seed=0),
             "snapshot": env.snapshot, "restore": lambda: env.restore(snap), "close": env.close, "log": env.log,
             "set_params": lambda: env.set_params(max_steps=7), "use_serial": lambda: env.use_serial(True)}
    try:
        for name, call in calls.items():
            with pytest.raises(RuntimeError, match=rf"walk: {name}\(\) called while {held}\(\) is running in "
                                                   r"another thread; an env takes one call at a time \(gymnasium's"):
                call()
    finally:
        release.set()
        t.join(30)
    assert "error" not in out
    # the refused calls changed nothing: the env went on as one that saw only the held call
    (ref.step(ones) if held == "step" else ref.reset(seed=None))
    for e in (env, ref):
        e.step(ones)
    np.testing.assert_array_equal(env.state, ref.state)
    np.testing.assert_array_equal(env.observations, ref.observations)
    assert not env.closed and env.params["max_steps"][0] == 50


def test_a_call_from_inside_a_call_in_the_same_thread_says_so():
    env = walk_env()
    kernel = env._step
    seen = {}

    def reenter(*args):
        try:
            env.snapshot()
        except RuntimeError as e:
            seen["error"] = str(e)
        return kernel(*args)

    env._step = reenter
    env.step(np.ones(N, np.int32))
    assert "snapshot() called while step() is running in the same thread" in seen["error"]
    env._step = kernel
    env.step(np.ones(N, np.int32))  # and the env still works


def test_the_kernels_step_a_checked_private_copy_of_the_actions():
    """A write into env.actions while a step is inside (another thread's, or a backend's
    shared memory) never reaches the kernel: 99 would walk off the board unchecked (and an
    action used as an index would read out of bounds)."""
    env, ref = walk_env(), walk_env()
    inside, release = hold(env, "step")
    t, out = in_thread(env.step, np.ones(N, np.int32))
    try:
        assert inside.wait(30)
        env.actions[:] = 99  # after the check, before the kernel reads
    finally:
        release.set()
        t.join(30)
    assert "error" not in out
    ref.step(np.ones(N, np.int32))
    np.testing.assert_array_equal(env.state, ref.state)
    np.testing.assert_array_equal(env.observations, ref.observations)


def test_env_actions_written_in_place_and_other_arrays_step_alike():
    env, ref = walk_env(), walk_env()
    rng = np.random.default_rng(0)
    for t in range(20):
        a = rng.integers(0, 3, N)
        if t % 3 == 0:
            env.actions[:] = a
            env.step(env.actions)
        else:
            env.step(a if t % 3 == 1 else a.tolist())
        ref.step(a)
        np.testing.assert_array_equal(env.state, ref.state)
    env.actions[:] = 1
    for bad in (np.full(N, 7), [7] * N):
        with pytest.raises(ValueError, match="action value 7"):
            env.step(bad)
    np.testing.assert_array_equal(env.actions, 1)  # a refused step leaves env.actions as it was
    env.step(env.actions)
    ref.step(np.ones(N, np.int32))
    np.testing.assert_array_equal(env.state, ref.state)  # and the refused values never reached a kernel


# --- item 6: params change only through a check -------------------------------------------

def pong_env(**params):
    env = npf.make("pong", num_envs=N, seed=0, **params)
    env.reset(seed=0)
    return env


def test_env_params_are_read_only_to_users():
    env = pong_env()
    before, values = env.params.copy(), env.param_values()
    for write in (lambda: env.params.__setitem__("frameskip", 10**6), lambda: env.params["max_score"].fill(0),
                  lambda: env.params[0].__setitem__("frameskip", 10**6), lambda: np.copyto(env.params, before)):
        with pytest.raises(ValueError, match="read-only"):
            write()
    with pytest.raises(AttributeError, match=r"pong: env.params cannot be replaced; change params with "
                                             r"env.set_params\(name=value"):
        env.params = before
    assert env.param_values() == values
    env.step(np.ones(N, np.int32))  # and the env works


def test_set_params_checks_by_the_rule_of_make_and_the_games_restart_with_them():
    env, ref = pong_env(), pong_env(max_score=3, frameskip=2)
    for _ in range(5):
        env.step(np.ones(N, np.int32))
    state = env.state.copy()
    for bad, error, match in ((dict(frameskip=10**6), ValueError, "pong: parameter frameskip=1000000 must be <="),
                              (dict(max_score=0), ValueError, "pong: parameter max_score=0 must be >= 1"),
                              (dict(frameskip=1.5), ValueError, "frameskip=1.5 must be an integer"),
                              (dict(nope=1), TypeError, "pong: got an unexpected keyword argument 'nope'")):
        with pytest.raises(error, match=match):
            env.set_params(**bad)
        assert env.param_values() == pong_env().param_values()  # nothing changed
        np.testing.assert_array_equal(env.state, state)
    env.step(np.ones(N, np.int32))  # still ready: a refused set_params changes nothing
    env.set_params(max_score=3)
    env.set_params(frameskip=2)  # over the current values
    assert env.param_values() == ref.param_values()
    with pytest.raises(RuntimeError, match=r"call reset\(\) before step\(\) \(needed after make, set_params"):
        env.step(np.ones(N, np.int32))
    env.reset(seed=0)
    for _ in range(30):
        a = np.random.default_rng(_).integers(0, 3, N)
        np.testing.assert_array_equal(env.step(a)[0], ref.step(a)[0])
    env.set_params()  # no keywords: the same params, and a reset needed all the same
    env.set_params(preset=None, max_score=21)
    assert env.param_values()["max_score"] == 21 and env.param_values()["frameskip"] == 2


def test_restore_checks_the_snapshots_params_by_the_rule_of_make():
    env = pong_env()
    snap = env.snapshot()
    env.step(np.ones(N, np.int32))
    state, params = env.state.copy(), env.param_values()
    snap["params"]["frameskip"] = 10**6  # e.g. a snapshot edited on disk
    with pytest.raises(ValueError, match=r"pong: parameter frameskip=1000000 must be <= .* \(in the snapshot's "
                                         r"params\)"):
        env.restore(snap)
    np.testing.assert_array_equal(env.state, state)
    assert env.param_values() == params
    env.step(np.ones(N, np.int32))


# --- item 7: the buffers and the state are written into, never rebound ---------------------

@pytest.mark.parametrize("name", ["observations", "actions", "rewards", "terminals", "truncations", "masks", "state"])
def test_rebinding_a_buffer_or_the_state_raises_naming_buf(name):
    env, ref = walk_env(), walk_env()
    mine = getattr(env, name)
    with pytest.raises(AttributeError, match=rf"walk: env.{name} cannot be replaced: the kernels keep the array "
                                             rf"the env was made with. Write into it instead .* make\(..., buf=...\)"):
        setattr(env, name, mine.copy())
    with pytest.raises(AttributeError, match=rf"env.{name} cannot be replaced"):
        delattr(env, name)
    assert getattr(env, name) is mine
    mine[...] = getattr(ref, name)  # writing into them stays the interface
    for e in (env, ref):
        e.step(np.ones(N, np.int32))
    np.testing.assert_array_equal(env.state, ref.state)
    np.testing.assert_array_equal(env.observations, ref.observations)


# --- item 8: a snapshot is checked whole before anything is written -------------------------

def everything(env):
    snap = env.snapshot()
    return {k: (value_bytes(v) if isinstance(v, np.ndarray) else v) for k, v in snap.items()}


def broken_snapshots(snap):
    """(what, snapshot) pairs, each a snapshot() damaged in one way."""
    for k in snap:
        if k != "game":
            yield f"without {k}", {j: v for j, v in snap.items() if j != k}
    for k in ("state", "observations", "actions", "logs"):
        x = snap[k]
        yield f"{k} of another dtype", {**snap, k: x[[x.dtype.names[0]]] if x.dtype.names else x.astype(np.float64)}
        yield f"{k} of another shape", {**snap, k: snap[k][:-1]}
    for k, v in (("ready", "yes"), ("report_steps", -1), ("report_steps", 2.5), ("report_pending", ({},)),
                 ("report_pending", ({"n": "3"}, {})), ("infos", None), ("infos", [1])):
        yield f"{k}={v!r}", {**snap, k: v}


def test_restore_checks_the_whole_snapshot_before_writing_anything():
    env, other = walk_env(), walk_env()
    for _ in range(60):  # some episodes finished and reported, others running
        for e in (env, other):
            e.step(np.random.default_rng(_).integers(0, 3, N))
    good = other.snapshot()
    other.step(np.ones(N, np.int32))
    before = everything(env)
    broken = list(broken_snapshots(good))
    assert len(broken) > 20
    for what, snap in broken:
        with pytest.raises(ValueError, match="walk: "):
            env.restore(snap)
        assert everything(env) == before, f"restore of a snapshot {what} changed the env"
    env.restore(good)  # and a whole one goes back in
    for e in (env, other):
        if e is other:
            e.restore(good)
        e.step(np.ones(N, np.int32))
    assert everything(env) == everything(other)


# --- item 9: report_interval checked at make ------------------------------------------------

@pytest.mark.parametrize("bad", [-1, 0.5, "abc", True, None, 2.0, np.float64(3)], ids=repr)
def test_a_bad_report_interval_is_refused_at_make(bad):
    match = rf"report_interval must be an integer >= 0 \(steps between reports .*\), got {re.escape(repr(bad))}"
    with pytest.raises(ValueError, match="walk: " + match):
        npf.make(walk.game, num_envs=N, report_interval=bad)
    with pytest.raises(ValueError, match=match):
        npf.vector.make(walk.game, N, "serial", num_workers=2, report_interval=bad)
    with pytest.raises(ValueError, match=match):
        npf.NumbaVecEnv(walk.game, num_envs=N, report_interval=bad)


@pytest.mark.parametrize("good", [0, 1, np.int32(5), 32])
def test_report_intervals_that_are_counts_are_taken(good):
    env = npf.make(walk.game, num_envs=N, seed=0, report_interval=good)
    env.reset(seed=0)
    reported = [t for t in range(1, 61) if env.step(np.full(N, 2, np.int32))[4]]
    assert all(t % good == 0 for t in reported) and bool(reported) == (good > 0)
