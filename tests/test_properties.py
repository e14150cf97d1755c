"""Property tests (hypothesis) over every first-party env: actions, seeds, reset masks, params
and buffers drawn from valid and hostile values alike. Every call either raises a TypeError
or ValueError with a message, leaving the env exactly as it was, or does what the same call
with clean input does on a twin env; observations stay inside their Box and rewards finite.
derandomize=True: the same examples on every run (and in CI)."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from gymnasium import spaces

import numbapuffer as npf
from numbapuffer.tools.bench import action_sets
from numbapuffer.core import ended_games
from numbapuffer.engine import buffers

import slide

ENVS = npf.list_envs()
GAMES = {**{e: npf.envs.get(e) for e in ENVS}, "slide": slide.game}  # slide: a Box action
FAST = settings(max_examples=25, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
AUTORESET = ("same_step", "next_step", "disabled")
# Action dtypes: every integer width, big-endian ones, and kinds that are not integers.
DTYPES = [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64, ">i4", ">i8", ">u2",
          np.float16, np.float32, ">f8", np.bool_, np.complex64]
SNAPSHOT = ("state", "params", "observations", "actions", "rewards", "terminals", "truncations", "masks",
            "episodes", "logs")


def snapshot(env):
    return {k: getattr(env, k).copy() for k in SNAPSHOT}


def assert_same(env, snap):
    for k in SNAPSHOT:
        np.testing.assert_array_equal(getattr(env, k), snap[k], err_msg=k)


def assert_rejected_cleanly(error, env, snap):
    assert isinstance(error, (TypeError, ValueError)) and str(error), repr(error)
    assert_same(env, snap)


def assert_sane(env):
    box = env.single_observation_space
    o = env.observations
    assert not np.isnan(o).any() and (o >= box.low).all() and (o <= box.high).all(), "observation outside its Box"
    assert np.isfinite(env.rewards).all()


def make_pair(env_id, num_envs, seed, autoreset="same_step", **params):
    """The env under test and its twin, which only ever gets clean input."""
    return tuple(npf.Env(GAMES[env_id], num_envs, seed=seed, autoreset=autoreset, **params) for _ in range(2))


def actions(env):
    """Actions of any form: clean ones in every integer dtype, and arrays of any shape, dtype
    and values (out of range, NaN), lists, scalars, None and strings."""
    shape = env.actions.shape
    if isinstance(env.single_action_space, spaces.Box):
        clean = st.one_of(hnp.arrays(st.sampled_from([np.float16, np.float32, ">f8"]), shape,
                                     elements=st.floats(-1, 1, width=16)),
                          hnp.arrays(np.int8, shape, elements=st.integers(-1, 1)))  # integers take a Box too
        n = 2
    else:  # Discrete: n; MultiDiscrete: nvec, one bound per entry of an agent's action
        nvec = action_bounds(env.single_action_space)
        n = int(np.max(nvec))
        clean = st.builds(lambda a, dt: (a % nvec).astype(dt),
                          hnp.arrays(np.int64, shape, elements=st.integers(0, n - 1)),
                          st.sampled_from([d for d in DTYPES if np.dtype(d).kind in "iu"]))
    anything = hnp.arrays(st.sampled_from(DTYPES), st.one_of(st.just(shape), hnp.array_shapes(min_dims=0, max_dims=2,
                                                                                               max_side=5)))
    return st.one_of(clean, anything, st.lists(st.integers(-2, n + 1), max_size=len(shape) and shape[0] + 1),
                     st.none(), st.integers(-1, n), st.text(max_size=2))


def clean_actions(a, env):
    """The actions as int64 when they are valid for `env`, else None."""
    try:
        arr = np.asarray(a)
    except Exception:
        return None
    if isinstance(env.single_action_space, spaces.Box):
        ok = arr.shape == env.actions.shape and arr.dtype.kind in "fiu" and not np.isnan(arr).any()
        return arr.astype(np.float32) if ok else None
    if arr.shape != env.actions.shape or arr.dtype.kind not in "iu":
        return None
    arr = arr.astype(np.int64)
    n = action_bounds(env.single_action_space)
    return arr if ((arr >= 0) & (arr < n)).all() else None


def action_bounds(space):
    """The exclusive upper bound of each entry of an agent's action: Discrete's n, MultiDiscrete's nvec."""
    if isinstance(space, spaces.MultiDiscrete):
        return np.asarray(space.nvec, np.int64)
    return np.int64(space.n)


def seeds(n):
    good = st.integers(0, 2**64 - 1)
    return st.one_of(st.none(), good, st.integers(-3, -1), st.integers(2**64, 2**65), st.floats(), st.booleans(),
                     st.text(max_size=3), st.lists(good, min_size=n, max_size=n), st.lists(good, max_size=n + 1),
                     st.lists(st.floats(0, 10), min_size=n, max_size=n),
                     hnp.arrays(np.uint64, n), hnp.arrays(np.int64, n), hnp.arrays(np.float64, n))


def clean_seed(seed, n):
    def ok(x):
        return isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_)) and 0 <= x < 2**64
    if seed is None or ok(seed):
        return True, seed
    if isinstance(seed, (list, np.ndarray)) and len(seed) == n and all(ok(x) for x in seed):
        return True, [int(x) for x in seed]
    return False, None


def masks(n):
    return st.one_of(st.none(), hnp.arrays(np.bool_, n), hnp.arrays(np.bool_, st.integers(0, n + 2)),
                     hnp.arrays(np.int8, n, elements=st.integers(0, 1)), st.lists(st.booleans(), min_size=n, max_size=n),
                     st.lists(st.integers(0, 1), min_size=n, max_size=n))


def clean_mask(mask, n):
    if mask is None:
        return True, None
    m = np.asarray(mask)
    return (m.dtype == np.bool_ and m.shape == (n,)), m


@pytest.mark.parametrize("env_id", list(GAMES))
@FAST
@given(data=st.data())
def test_steps_and_resets_of_any_input(env_id, data):
    num_envs = data.draw(st.integers(1, 4), "num_envs")
    env, twin = make_pair(env_id, num_envs, seed=data.draw(st.integers(0, 2**64 - 1), "seed"),
                          autoreset=data.draw(st.sampled_from(AUTORESET), "autoreset"))
    env.reset(), twin.reset()
    for _ in range(data.draw(st.integers(1, 8), "calls")):
        snap = snapshot(env)
        if data.draw(st.booleans(), "step?"):
            a = data.draw(actions(env), "actions")
            clean = clean_actions(a, env)
            try:
                env.step(a)
            except (TypeError, ValueError) as e:
                assert clean is None, f"valid actions {a!r} rejected: {e}"
                assert_rejected_cleanly(e, env, snap)
                continue
            assert clean is not None, f"invalid actions {a!r} accepted"
            twin.step(clean)
        else:
            seed, mask = data.draw(seeds(num_envs), "reset seed"), data.draw(masks(num_envs), "reset mask")
            (seed_ok, seed_clean), (mask_ok, mask_clean) = clean_seed(seed, num_envs), clean_mask(mask, num_envs)
            try:
                env.reset(seed=seed, mask=mask)
            except (TypeError, ValueError) as e:
                assert not (seed_ok and mask_ok), f"valid reset(seed={seed!r}, mask={mask!r}) rejected: {e}"
                assert_rejected_cleanly(e, env, snap)
                continue
            assert seed_ok and mask_ok, f"invalid reset(seed={seed!r}, mask={mask!r}) accepted"
            twin.reset(seed=seed_clean, mask=mask_clean)
        assert_same(env, snapshot(twin))
        assert_sane(env)


def param_values(default):
    """Values for a param whose default is `default`: near and far from it, at the edges of
    the integer types, not finite, of the wrong type."""
    scales = st.sampled_from([-1, 0, 0.01, 0.5, 1, 1.5, 2, 10, 1e3, 1e6, 1e7, 1e30, 1e39])
    near = scales.map(lambda k: type(default)(default * k) if not isinstance(default, bool) else bool(k))
    edges = st.sampled_from([0, 1, 2, 3, 2**15, 2**16, 2**16 + 1, 2**31 - 1, 2**31, 2**62, 2**64, -1, -2**63])
    typed = st.tuples(st.sampled_from([np.int8, np.uint8, np.int64, np.float32, np.float64, np.bool_]),
                      st.integers(0, 100)).map(lambda t: t[0](t[1]))
    return st.one_of(near, edges, typed, st.floats(), st.booleans(), st.text(max_size=2), st.none())


@pytest.mark.parametrize("env_id", [e for e in ENVS if npf.envs.get(e).defaults])
@settings(FAST, max_examples=80)  # most draws are rejected at once
@given(data=st.data())
def test_any_params_are_rejected_or_played_inside_the_box(env_id, data):
    game = npf.envs.get(env_id)
    names = data.draw(st.lists(st.sampled_from(sorted(game.defaults)), min_size=1, max_size=4, unique=True), "names")
    params = {k: data.draw(param_values(game.defaults[k]), k) for k in names}
    autoreset = data.draw(st.sampled_from(AUTORESET), "autoreset")
    try:
        env = npf.Env(game, num_envs=4, seed=0, autoreset=autoreset, **params)
    except (TypeError, ValueError) as e:
        assert str(e)
        return
    env.reset(seed=0)
    assert_sane(env)
    for batch in action_sets(env.action_space, 40):  # any action space, Box included
        env.step(batch)
        assert_sane(env)
        if autoreset == "disabled":
            ended = ended_games(env)
            if ended.any():
                env.reset(mask=ended)


BUFFER_FAULTS = ("fresh", "dtype", "big-endian", "shape", "strided", "read-only", "list", "overlap")


def faulty(name, spec, fault, others):
    shape, dtype = spec
    if fault == "dtype":
        return np.zeros(shape, np.float64 if dtype != np.float64 else np.float32)
    if fault == "big-endian":
        return np.zeros(shape, dtype.newbyteorder(">")) if dtype.itemsize > 1 else np.zeros(shape, dtype)[::-1]
    if fault == "shape":
        return np.zeros((shape[0] + 1,) + shape[1:], dtype)
    if fault == "strided":
        return np.zeros((shape[0] * 2,) + shape[1:], dtype)[::2]
    if fault == "read-only":
        a = np.zeros(shape, dtype)
        a.flags.writeable = False
        return a
    if fault == "list":
        return np.zeros(shape, dtype).tolist()
    if fault == "overlap" and others:
        base = next(iter(others.values()))  # a view of the same bytes as another buffer
        nbytes = int(np.prod(shape)) * dtype.itemsize
        raw = base.view(np.uint8).reshape(-1)
        if raw.size >= nbytes:
            return raw[:nbytes].view(dtype).reshape(shape)
    return np.zeros(shape, dtype)


@pytest.mark.parametrize("env_id", ENVS)
@FAST
@given(data=st.data())
def test_any_buffers_are_rejected_or_used(env_id, data):
    game = npf.envs.get(env_id)
    num_envs = data.draw(st.integers(1, 3), "num_envs")
    specs = buffers.buffer_specs(game.observation_space, game.action_space, num_envs * game.agents)
    buf, faults = {}, {}
    for name, spec in specs.items():
        faults[name] = data.draw(st.sampled_from(BUFFER_FAULTS) if data.draw(st.booleans()) else st.just("fresh"), name)
        buf[name] = faulty(name, spec, faults[name], {k: v for k, v in buf.items() if isinstance(v, np.ndarray)})
    clean = all(isinstance(b, np.ndarray) and b.flags.c_contiguous and b.flags.writeable and b.shape == specs[k][0]
                and b.dtype == specs[k][1] for k, b in buf.items())
    clean &= not any(np.may_share_memory(buf[a], buf[b]) for a in buf for b in buf if a < b)
    try:
        env = npf.Env(game, num_envs, seed=0, buf=buf)
    except (TypeError, ValueError) as e:
        assert not clean and str(e), f"clean buffers rejected: {e}"
        return
    assert clean, f"faulty buffers accepted: {faults}"
    twin = npf.Env(game, num_envs, seed=0)
    env.reset(seed=0), twin.reset(seed=0)
    for a in action_sets(env.action_space, 20):
        env.step(a), twin.step(a)
    assert_same(env, snapshot(twin))
    assert all(getattr(env, k) is v for k, v in buf.items())
