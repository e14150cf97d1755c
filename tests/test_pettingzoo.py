"""The PettingZoo adapter (numbapuffer/adapters/pettingzoo.py) on snake and connect4 self-play:
PettingZoo's own API, seed and max_cycles tests, and the mapping of the native game."""
import types
import warnings

import numpy as np
import pettingzoo
import pytest
from pettingzoo.test import api_test, max_cycles_test, parallel_api_test, parallel_seed_test, seed_test

import numbapuffer as npf
from numbapuffer.envs import connect4, connect4_selfplay, snake
from numbapuffer.adapters.pettingzoo import ParallelEnv

MODULES = {"snake": snake, "connect4": connect4, "connect4_selfplay": connect4_selfplay}


@pytest.mark.parametrize("name", ["snake", "connect4"])
def test_parallel_api(name):
    env = MODULES[name].parallel_env(seed=0)
    assert isinstance(env, pettingzoo.ParallelEnv)
    for _ in range(3):  # random play through several episodes
        parallel_api_test(env, num_cycles=1000)


@pytest.mark.parametrize("name", ["snake", "connect4"])
def test_aec_api(name):
    env = MODULES[name].env(seed=0)
    assert isinstance(env, pettingzoo.AECEnv)
    api_test(env, num_cycles=1000)


@pytest.mark.parametrize("name", ["snake", "connect4"])
def test_seeds(name):
    seed_test(MODULES[name].env, num_cycles=300)
    parallel_seed_test(MODULES[name].parallel_env, num_cycles=300)


@pytest.mark.parametrize("name", ["snake", "connect4"])
def test_max_cycles(name):
    """PettingZoo's max_cycles test, with seeded games and action spaces so that no snake
    happens to die in the first 4 steps."""
    mod = MODULES[name]

    def seeded(make):
        def make_seeded(**kwargs):
            env = make(seed=0, **kwargs)
            for i, agent in enumerate(env.possible_agents):
                env.action_space(agent).seed(i)
            return env
        return make_seeded

    max_cycles_test(types.SimpleNamespace(parallel_env=seeded(mod.parallel_env), env=seeded(mod.env)))


def test_conventions():
    env = snake.parallel_env(num_snakes=3, max_cycles=50)
    assert env.possible_agents == ["snake_0", "snake_1", "snake_2"] and env.agents == []
    assert env.metadata == {"name": "snake_v0", "render_modes": ["human", "rgb_array"], "render_fps": 10,
                            "is_parallelizable": True}
    assert env.render_mode is None and env.max_cycles == 50 and str(env) == "snake_v0"
    a, b = env.action_space("snake_0"), env.action_space("snake_1")
    assert a is env.action_space("snake_0") and a is not b and a == b  # cached, one object per agent
    assert env.observation_space("snake_2").shape == (11, 11)
    obs, infos = env.reset(seed=1)
    assert set(obs) == set(infos) == set(env.agents) == set(env.possible_agents)
    assert all(env.observation_space(k).contains(o) for k, o in obs.items())
    c4 = connect4.parallel_env()
    assert c4.possible_agents == ["player_0", "player_1"] and c4.metadata["name"] == "connect4_selfplay_v0"
    assert connect4_selfplay.parallel_env is connect4.parallel_env


def test_snake_agents_leave_when_they_die_and_do_not_come_back():
    env = snake.parallel_env(seed=0, max_cycles=100000)
    env.reset(seed=3)
    native = npf.Env(snake.game, num_envs=1, seed=3, autoreset="disabled", report_interval=0, respawn=False)
    native.reset(seed=3)
    rng = np.random.default_rng(0)
    gone = set()
    while env.agents:
        actions = {a: int(rng.integers(4)) for a in env.agents}
        obs, rew, term, trunc, infos = env.step(actions)
        native.step(np.array([actions.get(a, 0) for a in env.possible_agents]))
        assert set(obs) == set(rew) == set(term) == set(trunc) == set(infos)
        assert gone.isdisjoint(obs)  # no word from an agent that has left
        for k, a in enumerate(env.possible_agents):
            if a in obs:  # the same numbers as the native game without respawn
                np.testing.assert_array_equal(obs[a], native.observations[k])
                assert rew[a] == native.rewards[k] and term[a] == native.terminals[k]
        for a in obs:
            if term[a]:
                assert rew[a] == -1 and a not in env.agents and a not in gone
                gone.add(a)
                k = env.possible_agents.index(a)
                assert env.env.state["length"][0, k] == 0  # off the grid
                assert not (env.env.state["grid"][0] == snake.SNAKE + 2 * k + 1).any()
    assert gone == set(env.possible_agents) and not any(trunc.values())
    assert env.step({}) == ({}, {}, {}, {}, {})  # as PettingZoo's parallel envs, for tools that keep stepping
    with pytest.raises(RuntimeError, match="no agent is left in the episode; call reset"):
        env.step({"snake_0": 0})
    env.reset()
    assert env.agents == env.possible_agents and env.env.masks.all()


def test_max_cycles_truncates_everyone_left():
    env = snake.parallel_env(seed=0, max_cycles=3, num_snakes=2)
    env.reset(seed=5)
    for t in range(3):
        obs, rew, term, trunc, _ = env.step({a: 0 if t % 2 else 1 for a in env.agents})
    assert env.agents == [] and all(trunc[a] != term[a] for a in obs) and any(trunc.values())


def test_connect4_turns_and_action_masks():
    env = connect4.parallel_env(seed=0)
    obs, infos = env.reset(seed=0)
    np.testing.assert_array_equal(infos["player_0"]["action_mask"], np.ones(7, np.int8))
    np.testing.assert_array_equal(infos["player_1"]["action_mask"], np.zeros(7, np.int8))
    assert infos["player_0"]["action_mask"].dtype == np.int8
    obs, rew, term, trunc, infos = env.step({"player_0": 3})  # the waiting player may be left out
    assert env.env.state["board"][0, 5, 3] == 1
    np.testing.assert_array_equal(obs["player_1"]["observation"][:42].reshape(6, 7)[5], [0, 0, 0, -1, 0, 0, 0])
    for a in obs:  # PettingZoo's classic form: the mask in the observation dict (and in infos)
        assert env.observation_space(a).contains(obs[a])
        np.testing.assert_array_equal(obs[a]["action_mask"], infos[a]["action_mask"])
    np.testing.assert_array_equal(infos["player_0"]["action_mask"], np.zeros(7, np.int8))
    np.testing.assert_array_equal(infos["player_1"]["action_mask"], np.ones(7, np.int8))
    with pytest.raises(ValueError, match=r"no action for \['player_1'\], whose turn it is"):
        env.step({"player_0": 3})
    for _ in range(5):  # column 3 fills up: the mask shows it
        env.step({"player_0": 3, "player_1": 3})
    assert env.env.state["heights"][0, 3] == 6
    obs, rew, term, trunc, infos = env.step({"player_0": 0, "player_1": 0})
    np.testing.assert_array_equal(infos["player_1"]["action_mask"], [1, 1, 1, 0, 1, 1, 1])
    np.testing.assert_array_equal(infos["player_0"]["action_mask"], np.zeros(7))
    obs, rew, term, trunc, infos = env.step({"player_0": 0, "player_1": 3})  # player 1 plays the full column
    assert rew == {"player_0": 1.0, "player_1": -1.0} and all(term.values()) and env.agents == []


def test_bad_actions_are_named_and_leave_the_env_working():
    env = snake.parallel_env(seed=0, num_snakes=2)
    env.reset(seed=0)
    state = env.env.state.copy()
    with pytest.raises(ValueError, match=r"actions for agents not in the episode: \['snake_7'\]"):
        env.step({"snake_0": 0, "snake_1": 0, "snake_7": 0})
    with pytest.raises(ValueError, match="action value 4 .* out of range for Discrete"):
        env.step({"snake_0": 4, "snake_1": 0})
    with pytest.raises(TypeError, match="expected integers"):
        env.step({"snake_0": 0.5, "snake_1": 0})
    with pytest.raises(ValueError, match=r"no action for \['snake_1'\]"):
        env.step({"snake_0": 0})
    np.testing.assert_array_equal(env.env.state, state)
    env.step({"snake_0": 0, "snake_1": 0})
    with pytest.raises(ValueError, match="respawn is always off in PettingZoo"):
        snake.parallel_env(respawn=True)
    with pytest.raises(ValueError, match="max_cycles must be an integer >= 1"):
        snake.parallel_env(max_cycles=0)
    with pytest.raises(ValueError, match="agent_names must be 2 distinct names"):
        ParallelEnv(connect4.selfplay, agent_names=["a", "a"])
    with pytest.raises(ValueError, match="render_mode must be one of None, 'human', 'rgb_array'"):
        snake.parallel_env(render_mode="ascii")


def test_render_without_mode_warns():
    env = connect4.parallel_env()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert env.render() is None
    assert any("render_mode=None" in str(w.message) for w in caught)


def test_any_game_one_agent_too():
    """The adapter is generic: a one-agent game (connect4 against its opponent) works too."""
    env = ParallelEnv(connect4.game, seed=0)
    parallel_api_test(env, num_cycles=100)
    assert env.possible_agents == ["agent_0"]
