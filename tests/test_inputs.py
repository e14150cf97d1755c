"""Hostile and careless input (issue 13, items 3-8): each gets a clear TypeError/ValueError
(or correct behaviour), never a crash, a wrapped number or Numba's own errors."""
import numba
import numpy as np
import pytest
from gymnasium import spaces

import numbapuffer as npf
from numbapuffer.engine import checks
from numbapuffer.engine.buffers import buffer_specs
from numbapuffer.envs import snake

import count
import slide
import walk


def specs(env_id, n):
    game = npf.envs.get(env_id)
    return buffer_specs(game.observation_space, game.action_space, n * game.agents)


def own_buffers(env_id, n):
    return {k: np.zeros(shape, dtype) for k, (shape, dtype) in specs(env_id, n).items()}


def steps(env, k, seed=0):
    rng = np.random.default_rng(seed)
    for _ in range(k):
        env.step(rng.integers(0, env.single_action_space.n, env.num_agents))
    return env


# --- 3. buffers that share memory --------------------------------------------------------

@pytest.mark.parametrize("env_id", npf.list_envs())
def test_actions_inside_observations_rejected(env_id):
    buf = own_buffers(env_id, 4)
    actions = buf["actions"]  # int32, or float32 for a Box action
    buf["actions"] = buf["observations"].view(np.uint8).reshape(-1)[:actions.nbytes].view(actions.dtype).reshape(
        actions.shape)  # a contiguous view of the actions' dtype into the observations
    with pytest.raises(ValueError, match="buf.observations and buf.actions share memory"):
        npf.make(env_id, num_envs=4, buf=buf)


def test_partly_overlapping_flags_rejected_adjacent_accepted():
    buf = own_buffers("pong", 8)
    base = np.zeros(9, bool)
    buf["terminals"], buf["truncations"] = base[:8], base[1:]
    with pytest.raises(ValueError, match="buf.terminals and buf.truncations share memory"):
        npf.make("pong", num_envs=8, buf=buf)
    # buffers side by side in one block (as the multiprocessing backend lays them out) are fine
    block = np.zeros(3 * 8, bool)
    buf["terminals"], buf["truncations"], buf["masks"] = block[:8], block[8:16], block[16:]
    env = npf.make("pong", num_envs=8, seed=0, buf=buf)
    ref = npf.make("pong", num_envs=8, seed=0)
    env.reset(seed=0), ref.reset(seed=0)
    for a in np.random.default_rng(0).integers(0, 3, (300, 8)):
        np.testing.assert_array_equal(env.step(a)[0], ref.step(a)[0])
        np.testing.assert_array_equal(env.terminals, ref.terminals)


# --- 4. numpy integers as sizes and params -------------------------------------------------

def test_numpy_integer_sizes_do_not_wrap():
    g = snake.make_game(width=np.int64(300), height=np.uint8(250), vision=5)
    assert g.state["grid"].shape == (260, 310)  # np.uint8(250) + 10 wrapped to 4
    env = npf.make(g, num_envs=1, seed=0)
    env.reset(seed=0)
    steps(env, 20)
    assert env.observations.shape == (4, 11, 11) and (env.observations[:, 5, 5] == snake.OWN).all()


@pytest.mark.parametrize("sizes, match", [
    (dict(width=np.int64(2**40)), "at most 32767 cells a side"),
    (dict(vision=np.int16(20000)), "at most 32767 cells a side"),
    (dict(max_length=np.int64(2**40)), "do not fit a 24x24 grid"),
    (dict(num_snakes=np.uint8(255)), "255 snakes of max_length 64 do not fit a 24x24 grid"),
    (dict(width=np.bool_(True)), "width must be an integer >= 1"),
    (dict(height=np.float64(24)), "height must be an integer >= 1"),
])
def test_absurd_sizes_named(sizes, match):
    with pytest.raises(ValueError, match=match):
        snake.make_game(**sizes)


def test_numpy_integer_params_checked_in_python_ints():
    # 4 snakes * 64 + np.int8 food: numpy arithmetic would overflow int8
    env = npf.make("snake", num_envs=2, seed=0, food=np.int8(100))
    assert env.params["food"][0] == 100
    with pytest.raises(ValueError, match="do not fit a 24x24 grid"):
        npf.make("snake", food=np.int16(400))
    with pytest.raises(ValueError, match="size=65537 must be <= 65536"):
        npf.make("squared", size=np.uint32(65537))


# --- 5. float params that are inf once cast ------------------------------------------------

@pytest.mark.parametrize("env_id, params", [
    ("pong", dict(width=1e39)),
    ("pong", dict(ball_max_speed_y=-1e39)),
    ("snake", dict(reward_food=1e39)),
    ("breakout", dict(height=10**40)),  # a Python int beyond float32
])
def test_float32_overflow_rejected(env_id, params):
    (name, value), = params.items()
    with pytest.raises(ValueError, match=f"parameter {name}=.* is out of range for float32"):
        npf.make(env_id, **params)


@pytest.mark.parametrize("value, match", [
    (10**400, r"scale=10000000000000000000\.\.\.00000000 \(401 characters\) is out of range for float64"),
    (np.complex64(1), "must be a number of type float64"),
    (np.timedelta64(5), "must be a number of type float64"),
    (np.longdouble("inf"), "must be finite"),
])
def test_params_that_are_not_finite_real_numbers_rejected(value, match):
    with pytest.raises(ValueError, match=match):
        slide.game.make_params(scale=value)


@pytest.mark.parametrize("value, match", [
    (np.uint64(2**64 - 1), "max_score=np.uint64.* is out of range for int64"),  # float(v) != int(v): no longer
    (10**400, "is out of range for int64"),                                      # "must be an integer"/"finite"
    (np.complex128(3), "must be a number of type int64"),
    (2.5, "must be an integer"),
])
def test_int_params_named_by_what_is_wrong(value, match):
    with pytest.raises(ValueError, match=match):
        npf.make("pong", max_score=value)


def test_params_seen_by_check_are_what_the_kernel_gets():
    p = npf.make("pong", num_envs=1, seed=0, width=np.float64(500.3)).params
    assert p["width"][0] == np.float32(500.3)


# --- 6. params the rules cannot handle; exceptions inside kernels ------------------------

@pytest.mark.parametrize("env_id, params, match", [
    ("pong", dict(paddle_height=1e30), "paddle_height=1e\\+30 must be <= 1000000"),
    ("pong", dict(paddle_height=700), "paddles must fit the field"),
    ("pong", dict(ball_max_speed_y=0.5), "ball_initial_speed_y=1 must not exceed ball_max_speed_y=0.5"),
    ("pong", dict(ball_speed_y_increment=20), "ball_speed_y_increment=20 must not exceed"),
    ("pong", dict(max_score=2**40), "max_score=1099511627776 must be <= 2147483647"),
    ("pong", dict(frameskip=10**6), "frameskip=1000000 must be <= 1000"),
    ("breakout", dict(lives=2**62), "lives=4611686018427387904 must be <= 2147483647"),
    ("breakout", dict(boards=10**7), "boards=10000000 must be <= 4971026"),
    ("breakout", dict(max_steps=2**31), "max_steps=2147483648 must be <= 2147483647"),
    ("breakout", dict(ball_width=600), "ball must be narrower than the field"),
    ("breakout", dict(paddle_width=1e-45), "paddle_width=1.401298e-45 must be >= 0.01"),  # halved: 0
    ("pong", dict(ball_initial_speed_x=0.001), "ball_initial_speed_x=0.001 must be >= 0.01"),
    ("squared", dict(size=2**62), "size=4611686018427387904 must be <= 65536"),
    ("squared", dict(max_steps=2**40), "max_steps=1099511627776 must be <= 2147483646"),
    ("snake", dict(max_steps=2**31), "max_steps=2147483648 must be <= 2147483647"),
    ("cartpole", dict(max_steps=0), "max_steps=0 must be >= 1"),
])
def test_params_that_break_the_game_rejected(env_id, params, match):
    with pytest.raises(ValueError, match=match):
        npf.make(env_id, **params)


@pytest.mark.parametrize("env_id, params", [
    ("pong", dict(max_score=2**31 - 1, ball_max_speed_y=1, ball_speed_y_increment=1, paddle_height=639)),
    ("breakout", dict(lives=2**31 - 1, boards=(2**31 - 1) // 432, max_steps=2**31 - 1)),
    ("squared", dict(size=2**16, max_steps=2**31 - 2)),  # its step past max_steps must fit int32
    ("snake", dict(max_steps=2**31 - 1, food=576 - 256)),
])
def test_params_at_their_limits_keep_observations_in_the_box(env_id, params):
    for autoreset in ("same_step", "disabled"):
        env = npf.Env(npf.envs.get(env_id), num_envs=64, seed=1, autoreset=autoreset, **params)
        env.reset(seed=1)
        rng = np.random.default_rng(1)
        for _ in range(300):
            env.step(rng.integers(0, env.single_action_space.n, env.num_agents))
            assert env.single_observation_space.contains(env.observations.min(0).astype(
                env.observations.dtype)) and env.single_observation_space.contains(env.observations.max(0))


def test_an_exception_in_game_code_is_a_clear_error_on_either_kernel():
    for serial in (True, False):
        env = npf.make(count.game, num_envs=512, seed=0, fail_at=3)
        env.use_serial(serial)
        env.reset(seed=0)
        env.step(np.zeros(512, np.int32))
        env.step(np.zeros(512, np.int32))
        with pytest.raises(RuntimeError, match="count: the game's step raised ValueError: count: failing on "
                                               r"purpose\. The games' state is now undefined: call reset\(\)"):
            env.step(np.zeros(512, np.int32))  # the parallel kernel gave a SystemError here
        with pytest.raises(RuntimeError, match=r"call reset\(\) before step\(\)"):
            env.step(np.zeros(512, np.int32))
        env.reset(seed=0)
        env.step(np.zeros(512, np.int32))  # works again


@pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="needs a second Numba thread")
def test_an_exception_in_another_thread_of_the_parallel_kernel_is_not_lost():
    env = npf.make(count.game, num_envs=512, seed=0, fail_at=3)
    env.use_serial(False)
    env.reset(seed=0)
    env.state["count"][:] = -100
    env.state["count"][500] = 0  # in the last chunk, which a thread other than the caller's runs
    env.step(np.zeros(512, np.int32))
    env.step(np.zeros(512, np.int32))
    with pytest.raises(RuntimeError, match="count: the game's step raised an exception in a thread of the "
                                           "parallel kernel"):
        env.step(np.zeros(512, np.int32))  # was silently half-stepped


def test_a_reset_that_raises_is_a_clear_error():
    env = npf.make("pong", num_envs=300, seed=0)
    env.use_serial(False)
    env._params["paddle_height"] = 1e30  # past every check (env.params is read-only), as only a bug could
    with pytest.raises(RuntimeError, match="pong: the game's reset raised ZeroDivisionError"):
        env.reset(seed=0)


# --- 7. seeds -----------------------------------------------------------------------------

BAD_SEEDS = [1.5, 3.9, np.float64(2.0), "12", b"\x01\x02", bytearray(b"\x01\x02\x03\x04"), True, np.bool_(False),
             {1, 2, 3, 4}, (x for x in range(4)), {0: 1, 1: 2, 2: 3, 3: 4}, -1, 2**64, 2**64 + 3,
             [1, 2, 3], [1, 2, 3, 4.0], [1, 2, 3, 2**64], np.arange(4.0), np.arange(8).reshape(4, 2), np.array(5),
             1 + 2j, object()]


@pytest.mark.parametrize("seed", BAD_SEEDS, ids=repr)
def test_bad_seeds_rejected_everywhere(seed):
    match = "seed must be an int or 4 ints, each in"
    for make in (lambda: npf.make("squared", num_envs=4, seed=seed),
                 lambda: npf.vector.make("squared", 4, "serial", num_workers=2, seed=seed),
                 lambda: npf.vector.make("squared", 4, "multiprocessing", num_workers=2, seed=seed),
                 lambda: npf.NumbaVecEnv("squared", num_envs=4, seed=seed)):
        with pytest.raises(ValueError, match=match):
            make()
    env = npf.make("squared", num_envs=4, seed=0)
    env.reset(seed=0)
    state = env.state.copy()
    for reset in (lambda: env.reset(seed=seed), lambda: npf.NumbaVecEnv("squared", num_envs=4).reset(seed=seed),
                  lambda: npf.vector.make("squared", 4, "serial", num_workers=2).reset(seed=seed)):
        with pytest.raises(ValueError, match=match):
            reset()
    np.testing.assert_array_equal(env.state, state)


@pytest.mark.parametrize("seed", [1.5, "12", True, [3]], ids=repr)
def test_bad_seeds_rejected_by_single_game_faces(seed):
    with pytest.raises(ValueError, match="seed must be an int or 1 ints"):
        npf.vector.NumbaEnv("squared").reset(seed=seed if seed != [3] else [3, 4])
    with pytest.raises(ValueError, match="seed must be an int or 1 ints"):
        snake.parallel_env(seed=seed if seed != [3] else [3, 4])
    with pytest.raises(ValueError, match="seed must be an int or 1 ints"):
        snake.parallel_env().reset(seed=seed if seed != [3] else [3, 4])


def test_good_seeds_accepted_and_distinct():
    def first(seed):
        env = npf.make(walk.game, num_envs=4)
        return env.reset(seed=seed)[0].copy()

    np.testing.assert_array_equal(first(np.uint64(2**64 - 1)), first(2**64 - 1))
    np.testing.assert_array_equal(first(np.int8(7)), first(7))
    np.testing.assert_array_equal(first(np.arange(4, dtype=np.uint64)), first([0, 1, 2, 3]))
    np.testing.assert_array_equal(first(range(4)), first((0, 1, 2, 3)))
    assert not np.array_equal(first(2**64 - 1), first(2**64 - 2))
    np.testing.assert_array_equal(npf.vector.NumbaEnv("squared").reset(seed=np.uint64(5))[0],
                                  npf.vector.NumbaEnv("squared").reset(seed=5)[0])


def test_a_seed_list_splits_between_workers_and_big_endian_actions_reach_them():
    seeds = [11, 12, 13, 14]
    ref = npf.make(walk.game, num_envs=4, seed=seeds)
    ref.reset()
    acts = np.random.default_rng(0).integers(0, 3, (20, 4))
    expected = [ref.step(a)[0].copy() for a in acts]
    for backend in ("serial", "multiprocessing"):
        with npf.vector.make(walk.game, 4, backend, num_workers=2, seed=seeds) as vec:
            vec.reset()  # the seed given to make: each worker got its share of the list
            for a, obs in zip(acts, expected):
                np.testing.assert_array_equal(vec.step(a.astype(">i2"))[0], obs)


# --- 8. non-native byte order -------------------------------------------------------------

@pytest.mark.parametrize("dtype", [">i4", ">i8", ">u2", ">i2"])
def test_big_endian_actions_step_as_native(dtype):
    env, ref = npf.make(walk.game, num_envs=16, seed=3), npf.make(walk.game, num_envs=16, seed=3)
    env.reset(seed=3), ref.reset(seed=3)
    for a in np.random.default_rng(0).integers(0, 3, (50, 16)):
        np.testing.assert_array_equal(env.step(a.astype(dtype))[0], ref.step(a)[0])
    with pytest.raises(ValueError, match=r"action value 3 \(flat index 0\) is out of range"):
        env.step(np.full(16, 3, dtype))


def test_big_endian_actions_on_every_face():
    a = np.ones(4, ">i4")
    serial = npf.vector.make("squared", 4, "serial", num_workers=2, seed=0)
    serial.reset(seed=0)
    serial.step(a)
    vec = npf.NumbaVecEnv("squared", num_envs=4, seed=0)
    vec.reset(seed=0)
    vec.step(a)
    box = npf.make(slide.game, num_envs=4, seed=0)
    box.reset(seed=0)
    box.step(np.full((4, 2), 0.25, ">f4"))
    np.testing.assert_array_equal(box.observations[:, 0], 0.5)
    with pytest.raises(ValueError, match="actions contain NaN"):
        box.step(np.full((4, 2), np.nan, ">f8"))
    for dtype in (np.float16, ">f2", np.longdouble):  # no compiled code reads these: converted
        box.step(np.full((4, 2), 0.25, dtype)[:, ::-1])
        with pytest.raises(ValueError, match="actions contain NaN"):
            box.step(np.full((4, 2), np.nan, dtype))
    np.testing.assert_array_equal(box.observations[:, 0], 2.0)
    par = snake.parallel_env(seed=0)
    par.reset(seed=0)
    par.step({name: np.array(1, ">i4") for name in par.agents})


def test_big_endian_buffers_rejected_with_the_dtype_named():
    for name in ("actions", "observations", "rewards"):
        buf = own_buffers("pong", 4)
        buf[name] = buf[name].astype(buf[name].dtype.newbyteorder(">"))
        with pytest.raises(TypeError, match=f"buf.{name} has dtype >[if]4 \\(non-native byte order\\), expected"):
            npf.make("pong", num_envs=4, buf=buf)


def test_a_big_endian_observation_space_rejected():
    with pytest.raises(TypeError, match="observation_space has dtype >f4 \\(non-native byte order\\)"):
        npf.Game("bad", walk.STATE, walk.reset, walk.step, spaces.Box(0, 1, (2,), ">f4"), spaces.Discrete(3))


def test_check_param_returns_plain_python_numbers():
    assert type(checks.check_param("g", "k", np.int16(7), np.dtype(np.int64))) is int
    assert type(checks.check_param("g", "k", np.float64(0.5), np.dtype(np.float32))) is float
    assert type(checks.check_param("g", "k", np.bool_(True), np.dtype(np.bool_))) is bool


def test_pong_final_observation_inside_the_box():
    """A game the agent wins ends with the ball past the opponent's edge: its final
    observation (kept with autoreset "disabled" or "next_step") must still lie in the Box."""
    env = npf.Env(npf.envs.get("pong"), num_envs=64, seed=0, autoreset="disabled", paddle_speed=1, max_score=1)
    env.reset(seed=0)
    rng = np.random.default_rng(0)
    box, wins = env.single_observation_space, 0
    for _ in range(300):
        env.step(rng.integers(0, 3, 64))
        assert all(box.contains(o) for o in env.observations)
        wins += (env.terminals & (env.state["score_r"] == 1)).sum()
        ended = npf.core.ended_games(env)
        if ended.any():
            env.reset(mask=ended)
    assert wins > 10
