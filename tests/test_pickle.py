"""Envs, games and wrappers pickle (pickle, cloudpickle) and copy (deepcopy), and the copy
continues bit-identically; snapshot/restore of a whole vector of games; SuperSuit on connect4."""
import copy
import os
import pickle
import subprocess
import sys
import threading

import cloudpickle
import gymnasium
import numpy as np
import pytest

import numbapuffer as npf
from numbapuffer.envs import connect4, pong, snake

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COPIES = {"pickle": lambda x: pickle.loads(pickle.dumps(x)),
          "cloudpickle": lambda x: cloudpickle.loads(cloudpickle.dumps(x)),
          "deepcopy": copy.deepcopy}


def native_rollout(env, steps, seed):
    """Per step: copies of what the env returns and its state, under the same random actions."""
    space = copy.deepcopy(env.action_space)
    space.seed(seed)
    out = []
    for _ in range(steps):
        obs, rewards, terminals, truncations, infos = env.step(space.sample())
        out.append([x.copy() for x in (obs, rewards, terminals, truncations, env.masks, env.state)] + [infos])
    return out + [env.log()]


@pytest.mark.parametrize("how", COPIES)
@pytest.mark.parametrize("name", npf.list_envs())
def test_every_env_continues_bit_identically(name, how):
    env = npf.make(name, 16, seed=3, report_interval=7)
    env.reset(seed=3)
    native_rollout(env, 20, seed=1)  # mid-episode, with finished episodes in the log
    twin = COPIES[how](env)
    assert twin is not env and twin.game is env.game and twin.state is not env.state
    assert twin.observations is not env.observations
    expected, got = native_rollout(env, 40, seed=2), native_rollout(twin, 40, seed=2)
    for a, b in zip(expected, got):
        if isinstance(a, list):
            for x, y in zip(a[:-1], b[:-1]):
                np.testing.assert_array_equal(x, y)
            assert a[-1] == b[-1]  # infos: the log reports fall on the same steps
        else:
            assert a == b


def test_a_copy_keeps_the_kernel_choice_and_params_and_needs_reset_like_its_original():
    env = npf.make("pong", 4, seed=0, max_score=3)
    env.use_serial(False)
    twin = copy.deepcopy(env)
    assert twin.serial is False and twin.params["max_score"][0] == 3
    with pytest.raises(RuntimeError, match="call reset"):
        twin.step(np.zeros(4, np.int32))
    assert copy.deepcopy(npf.make("pong", 4, seed=0, debug=True)).debug is True  # checked kernels stay on


@pytest.mark.parametrize("how", COPIES)
def test_games_pickle_by_reference_or_by_the_call_that_made_them(how):
    assert COPIES[how](pong.game) is pong.game
    assert COPIES[how](connect4.selfplay) is connect4.selfplay
    small = snake.make_game(num_snakes=2, width=10, height=8, max_length=8)
    assert small.made_by[0] is snake.make_game
    twin = COPIES[how](small)
    assert twin.agents == 2 and twin.state == small.state
    env = npf.make(small, 4, seed=0, food=3)
    env.reset(seed=0)
    again = COPIES[how](env)
    assert again.game.state == small.state
    np.testing.assert_array_equal(native_rollout(env, 30, 0)[-2][5], native_rollout(again, 30, 0)[-2][5])


def test_a_pickled_env_holds_no_compiled_code():
    data = pickle.dumps(npf.make("pong", 4, seed=0))
    assert b"numba.core" not in data and b"Dispatcher" not in data and b"npf_pong" not in data
    assert len(data) < 4000  # the game is a module and a name


def step_gym(env, steps, seed):
    space = copy.deepcopy(env.action_space)
    space.seed(seed)
    return [tuple(np.copy(x) for x in env.step(space.sample())[:4]) for _ in range(steps)]


@pytest.mark.parametrize("how", COPIES)
@pytest.mark.parametrize("make", [lambda: npf.NumbaVecEnv("cartpole", 8),
                                  lambda: npf.NumbaVecEnv("pong", 8, autoreset_mode="SameStep"),
                                  lambda: gymnasium.make("numbapuffer/CartPole-v0")],
                         ids=["vec-next-step", "vec-same-step", "gymnasium.make"])
def test_gymnasium_faces_continue_bit_identically(make, how):
    env = make()
    env.reset(seed=5)
    step_gym(env, 5, 0)
    twin = COPIES[how](env)
    for a, b in zip(step_gym(env, 60, 1), step_gym(twin, 60, 1)):
        for x, y in zip(a, b):
            np.testing.assert_array_equal(x, y)


def play_parallel(env, steps, seed):
    rng, out = np.random.default_rng(seed), []
    for _ in range(steps):
        if not env.agents:
            out.append(env.reset(seed=int(rng.integers(100))))
            continue
        actions = {a: int(rng.integers(env.action_space(a).n)) for a in env.agents}
        out.append(env.step(actions))
    return out


def play_aec(env, steps, seed):
    rng, out = np.random.default_rng(seed), []
    for _ in range(steps):
        if not env.agents:
            env.reset(seed=int(rng.integers(100)))
        obs, reward, terminal, truncation, info = env.last()
        legal = np.flatnonzero(info["action_mask"])  # none: not this player's turn, the action is ignored
        env.step(None if terminal or truncation else int(rng.choice(legal)) if len(legal) else 0)
        out.append((env.agent_selection, obs, reward, terminal, truncation))
    return out


def same(a, b):
    if isinstance(a, dict):
        assert a.keys() == b.keys()
        for k in a:
            same(a[k], b[k])
    elif isinstance(a, (tuple, list)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            same(x, y)
    else:
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("how", COPIES)
@pytest.mark.parametrize("make, play", [(snake.parallel_env, play_parallel), (connect4.parallel_env, play_parallel),
                                        (connect4.env, play_aec)], ids=["snake-parallel", "connect4-parallel",
                                                                        "connect4-aec"])
def test_pettingzoo_faces_continue_bit_identically(make, play, how):
    env = make()
    env.reset(seed=2)
    play(env, 7, 0)
    twin = COPIES[how](env)
    same(play(env, 80, 1), play(twin, 80, 1))


def test_snapshot_and_restore_a_vector_of_games():
    env = npf.make("snake", 8, seed=0)
    env.reset(seed=0)
    native_rollout(env, 10, 0)
    snap = env.snapshot()
    first = native_rollout(env, 30, 1)
    env.restore(snap)
    same(first, native_rollout(env, 30, 1))
    other = npf.make("snake", 8, seed=99)  # another env of the same game and size takes it too
    other.restore(snap)
    same(first, native_rollout(other, 30, 1))
    obs = env.observations
    env.restore(snap)
    assert env.observations is obs  # in place: buffers handed out stay the env's


@pytest.mark.parametrize("make, match", [(lambda: npf.make("pong", 8), "snapshot\\(\\) of a snake env"),
                                         (lambda: npf.make("snake", 4), "snapshot\\['state'\\] is")])
def test_a_snapshot_of_another_env_is_refused_and_leaves_the_env_working(make, match):
    env = npf.make("snake", 8, seed=0)
    env.reset(seed=0)
    state = env.state.copy()
    with pytest.raises(ValueError, match=match):
        env.restore(make().snapshot())
    np.testing.assert_array_equal(env.state, state)
    env.step(np.zeros(env.num_agents, np.int32))


def test_vector_backends_pickle_where_it_makes_sense():
    vec = npf.vector.make("pong", 8, "serial", num_workers=2, seed=0)
    vec.reset(seed=0)
    twin = copy.deepcopy(vec)
    actions = np.random.default_rng(0).integers(0, 3, (20, 8)).astype(np.int32)
    for a in actions:
        same(vec.step(a)[:4], twin.step(a)[:4])
    with pytest.raises(TypeError, match="serial backend over gymnasium envs cannot be pickled"):
        pickle.dumps(npf.vector.make(lambda: gymnasium.make("CartPole-v1"), 2, "serial"))
    with npf.vector.make("pong", 4, "multiprocessing", num_workers=1) as mp:
        with pytest.raises(TypeError, match="multiprocessing vector env owns processes"):
            pickle.dumps(mp)


NOTEBOOK = """
import pickle, sys
import numpy as np
from gymnasium import spaces
from numba import njit
import numbapuffer as npf

@njit
def reset(s, p, buf, a):
    s.x = 0
    buf.observations[a, 0] = s.x

@njit
def step(s, p, buf, a):
    s.x += buf.actions[a] + npf.rand_int(s, 3)
    buf.rewards[a] = s.x
    buf.terminals[a] = s.x > p.limit
    buf.observations[a, 0] = s.x

game = npf.Game("counter", [("x", np.int64)], reset, step, spaces.Box(0, 99, (1,), np.float32),
                spaces.Discrete(2), params={"limit": 9}, check=lambda p: None)
env = npf.make(game, 4, seed=1, limit=6)
env.reset(seed=1)
env.step(np.ones(4, np.int32))
sys.stdout.buffer.write(pickle.dumps(env))
for _ in range(20):
    env.step(np.ones(4, np.int32))
sys.stdout.buffer.write(env.state.tobytes())
"""


def test_a_game_defined_in_a_notebook_pickles_by_value():
    out = subprocess.run([sys.executable, "-c", NOTEBOOK], cwd=ROOT, capture_output=True, timeout=120,
                         env={**os.environ, "PYTHONPATH": ROOT})
    assert out.returncode == 0, out.stderr.decode()
    env = pickle.loads(out.stdout)  # this process never saw the game's code
    assert env.game.name == "counter" and env.params["limit"][0] == 6
    for _ in range(20):
        env.step(np.ones(4, np.int32))
    assert env.state.tobytes() == out.stdout[-len(env.state.tobytes()):]


def test_a_game_that_cannot_travel_says_how_to_make_it_importable():
    lock = threading.Lock()
    game = pong.Game("pong_locked", pong.STATE, pong.reset, pong.step, pong.game.observation_space,
                     pong.game.action_space, params=pong.game.defaults, check=lambda p: lock)
    with pytest.raises(pickle.PicklingError, match="top level of a module file"):
        pickle.dumps(game)


def test_supersuit_concat_vec_envs_runs_connect4():
    ss = pytest.importorskip("supersuit", reason="supersuit is not installed (pip install supersuit)")
    vec = ss.concat_vec_envs_v1(ss.pettingzoo_env_to_vec_env_v1(connect4.parallel_env()), 2, num_cpus=0,
                                base_class="gymnasium")
    obs, infos = vec.reset(seed=0)
    assert obs.shape[0] == 4  # 2 copies x 2 players
    for _ in range(30):
        obs, rewards, terminals, truncations, infos = vec.step(np.array([vec.action_space.sample() for _ in range(4)]))
    assert obs.shape[0] == 4 and rewards.shape == (4,)
