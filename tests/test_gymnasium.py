"""NumbaVecEnv, the gymnasium drop-in: gymnasium 1.x's vector contract (step tables for each
autoreset mode after gymnasium's own vector tests, seeding, partial reset, info format),
registration for gymnasium.make_vec, gymnasium's vector wrappers on top, and a CleanRL-style
PPO loop that only knows gymnasium."""
import os
import subprocess
import sys

import gymnasium
import numpy as np
import pytest
from gymnasium.utils.env_checker import data_equivalence
from gymnasium.vector import AutoresetMode
from gymnasium.wrappers.vector import (ClipReward, DictInfoToList, NormalizeObservation, NormalizeReward,
                                       RecordEpisodeStatistics)

import numbapuffer as npf
from numbapuffer import NumbaVecEnv
from numbapuffer.adapters.gymnasium import NumbaEnv
from numbapuffer.engine import render

import count
import walk

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NEXT, SAME, DISABLED = AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP, AutoresetMode.DISABLED


def counting(mode, limits=(2, 3, 3), **params):
    """Three count games that end after `limits` steps (gymnasium's test env, vectorized)."""
    env = NumbaVecEnv(count.game, len(limits), seed=0, autoreset_mode=mode, **params)
    env.env.state["limit"] = limits
    return env


def started(mode):
    """counting(mode), reset and stepped once, as every table begins."""
    env = counting(mode)
    assert env.metadata["autoreset_mode"] == mode
    obs, info = env.reset()
    assert np.all(obs[:, 0] == [0, 0, 0]) and info == {}
    check_step(env, [1, 2, 3], [1, 1, 1], [1, 2, 3], [False, False, False], {})
    return env


def check_step(env, actions, obs, rewards, terminations, infos=None, truncations=(False, False, False)):
    o, r, te, tr, info = env.step(np.array(actions))
    assert o.shape == (3, 1) and r.shape == te.shape == tr.shape == (3,)
    assert te.dtype == tr.dtype == np.bool_
    np.testing.assert_array_equal(o[:, 0], obs)
    np.testing.assert_array_equal(r, rewards)
    np.testing.assert_array_equal(te, terminations)
    np.testing.assert_array_equal(tr, truncations)
    if infos is not None:
        assert data_equivalence(info, infos), info
    return info


# --- step tables, after gymnasium's tests/vector/test_autoreset_mode.py ----------------------

def test_next_step_table():
    env = started(NEXT)
    check_step(env, [1, 2, 3], [2, 2, 2], [1, 2, 3], [True, False, False], {})
    check_step(env, [1, 2, 3], [0, 3, 3], [0, 2, 3], [False, True, True], {})
    check_step(env, [1, 2, 3], [1, 0, 0], [1, 0, 0], [False, False, False], {})
    check_step(env, [1, 2, 3], [2, 1, 1], [1, 2, 3], [True, False, False], {})


def test_same_step_table():
    env = started(SAME)
    info = check_step(env, [1, 2, 3], [0, 2, 2], [1, 2, 3], [True, False, False])
    ended = np.array([True, False, False])
    assert data_equivalence(info, {"final_obs": np.array([np.array([2], np.float32), None, None], object),
                                   "_final_obs": ended, "final_info": {}, "_final_info": ended})
    info = check_step(env, [1, 2, 3], [1, 0, 0], [1, 2, 3], [False, True, True])
    assert [None if x is None else x[0] for x in info["final_obs"]] == [None, 3, 3]
    assert list(info["_final_obs"]) == list(info["_final_info"]) == [False, True, True]
    info = check_step(env, [1, 2, 3], [0, 1, 1], [1, 2, 3], [True, False, False])
    assert info["final_obs"][0][0] == 2 and info["final_obs"][0] in env.single_observation_space


def test_disabled_table():
    env = started(DISABLED)
    _, _, terminations, _, _ = env.step(np.array([1, 2, 3]))
    obs, info = env.reset(options={"reset_mask": terminations})
    assert np.all(obs[:, 0] == [0, 2, 2]) and info == {}
    check_step(env, [1, 2, 3], [1, 3, 3], [1, 2, 3], [False, True, True])
    # ended games stay ended (reward 0, same observation) until they are reset
    check_step(env, [1, 2, 3], [2, 3, 3], [1, 0, 0], [True, True, True], {})
    obs, info = env.reset(options={"reset_mask": np.array([False, True, True])})
    assert np.all(obs[:, 0] == [2, 0, 0]) and info == {}
    check_step(env, [1, 2, 3], [2, 1, 1], [0, 2, 3], [True, False, False], {})


def test_truncation_is_reported_like_termination():
    env = counting(NEXT, limits=(9, 9, 9), max_steps=2)
    env.reset()
    env.step(np.zeros(3, np.int64))
    check_step(env, [0, 0, 0], [2, 2, 2], [0, 0, 0], [False] * 3, {}, truncations=[True] * 3)


def test_autoreset_mode_by_value_and_bad_mode():
    assert NumbaVecEnv(count.game, 2, autoreset_mode="SameStep").metadata["autoreset_mode"] == SAME
    with pytest.raises(ValueError, match="'Sometimes' is not a valid AutoresetMode"):
        NumbaVecEnv(count.game, 2, autoreset_mode="Sometimes")


# --- the rest of the contract ------------------------------------------------------------

def test_spaces_metadata_and_types():
    env = NumbaVecEnv("pong", 5, seed=0)
    assert isinstance(env, gymnasium.vector.VectorEnv) and env.num_envs == 5
    assert env.single_observation_space == gymnasium.spaces.Box(0, 1, (8,), np.float32)
    assert env.observation_space == gymnasium.vector.utils.batch_space(env.single_observation_space, 5)
    assert env.action_space == gymnasium.spaces.MultiDiscrete([3] * 5)
    assert set(env.metadata) >= {"autoreset_mode", "render_modes", "render_fps"}
    obs, info = env.reset(seed=0)
    assert obs in env.observation_space and info == {}
    env.action_space.seed(0)
    obs, rewards, terminations, truncations, infos = env.step(env.action_space.sample())
    assert obs in env.observation_space and isinstance(infos, dict)
    assert rewards.shape == terminations.shape == truncations.shape == (5,)
    assert terminations.dtype == truncations.dtype == np.bool_
    assert not env.closed
    env.close()
    env.close()
    assert env.closed


def test_seeding():
    def run(env, seed):
        out = [env.reset(seed=seed)[0].copy()]
        for a in np.random.default_rng(0).integers(0, 3, (200, 4)):
            out.append(env.step(a)[0].copy())
        return np.array(out)

    a, b = NumbaVecEnv(walk.game, 4), NumbaVecEnv(walk.game, 4)
    assert np.array_equal(run(a, 5), run(b, 5))
    assert not np.array_equal(run(a, 5), run(a, 6))
    # a seed per game: games given the same seed start alike
    per_game = run(a, [9, 9, 9, 9])
    assert (per_game[0] == per_game[0][0]).all() and not (run(a, 9)[0] == per_game[0][0]).all()
    a.reset(seed=3)
    assert a.np_random_seed == 3  # as gymnasium's vector envs seed np_random


def test_copy_returns_fresh_arrays_by_default_and_the_buffers_when_false():
    env = NumbaVecEnv(walk.game, 8, seed=0)  # copy=True: gymnasium's default
    assert env.copy
    o1, _ = env.reset(seed=123)
    o2, _ = env.reset(seed=124)
    assert not np.array_equal(o1, o2)  # o1 was not overwritten by the second reset
    first, second = env.step(np.zeros(8, np.int64)), env.step(np.full(8, 2))
    buffers = (env.env.observations, env.env.rewards, env.env.terminals, env.env.truncations)
    for a, b, buf in zip(first[:4], second[:4], buffers):
        assert not np.shares_memory(a, buf) and not np.shares_memory(a, b)
    assert not np.array_equal(first[0], second[0])

    zero = NumbaVecEnv(walk.game, 8, seed=0, copy=False)
    assert zero.reset(seed=124)[0] is zero.env.observations
    out = zero.step(np.zeros(8, np.int64))
    assert all(a is b for a, b in zip(out[:4], (zero.env.observations, zero.env.rewards, zero.env.terminals,
                                                 zero.env.truncations)))
    assert np.array_equal(out[0], first[0])  # the same numbers either way
    assert gymnasium.make_vec("numbapuffer/CartPole-v0", num_envs=2).copy
    assert not gymnasium.make_vec("numbapuffer/CartPole-v0", num_envs=2, copy=False).copy


def test_partial_reset_resets_exactly_the_masked_games():
    env = NumbaVecEnv(walk.game, 3, seed=0, autoreset_mode=DISABLED)
    first, _ = env.reset(seed=[0, 1, 2])
    first = first.copy()
    for a in np.ones((5, 3), np.int64) * 2:
        stepped = env.step(a)[0].copy()
    obs, _ = env.reset(seed=[0, 1, 0], options={"reset_mask": np.array([True, True, False])})
    np.testing.assert_array_equal(obs[:2], first[:2])
    np.testing.assert_array_equal(obs[2], stepped[2])


@pytest.mark.parametrize("mask, match", [
    (np.array([True, False]), r"shape \(3,\), got bool array of shape \(2,\)"),
    (np.array([[True, True, True]]), r"shape \(3,\), got bool array of shape \(1, 3\)"),
    (np.array([1, 1, 0]), "got int64 array"),
    ([True, True, True], "got list"),
    (np.zeros(3, bool), "at least one True"),
])
def test_bad_reset_masks_are_named(mask, match):
    env = NumbaVecEnv(walk.game, 3, autoreset_mode=DISABLED)
    env.reset(seed=0)
    with pytest.raises(ValueError, match=match):
        env.reset(options={"reset_mask": mask})


def test_unknown_reset_option_and_bad_seed():
    env = NumbaVecEnv(walk.game, 3)
    with pytest.raises(ValueError, match="unknown reset option 'mask'"):
        env.reset(options={"mask": np.ones(3, bool)})
    with pytest.raises(ValueError, match="seed must be an int or 3 ints"):
        env.reset(seed=[1, 2])


def test_bad_actions_are_named():
    env = NumbaVecEnv("pong", 3, seed=0)
    env.reset(seed=0)
    with pytest.raises(ValueError, match="action value 7"):
        env.step(np.array([0, 7, 0]))


def test_info_format_converts_to_a_list_per_env():
    env = DictInfoToList(counting(SAME, report_interval=2))
    env.reset()
    env.step(np.array([1, 2, 3]))
    _, _, _, _, infos = env.step(np.array([1, 2, 3]))
    assert len(infos) == 3 and infos[1] == {} and infos[2] == {}
    assert infos[0]["final_obs"][0] == 2 and infos[0]["final_info"] == {}
    assert infos[0]["log"] == {"episode_return": 2.0, "episode_length": 2.0, "n": 1.0}


def test_native_log_reaches_infos_every_report_interval():
    env = counting(NEXT, report_interval=4)
    env.reset()
    infos = [env.step(np.array([1, 2, 3]))[4] for _ in range(7)]
    assert [bool(i) for i in infos] == [False, False, False, True, False, False, False]
    # by step 4, game 0 ended at step 2 (return 1 + 1), games 1 and 2 at step 3
    assert data_equivalence(infos[3], {"log": {"episode_return": np.array([2.0, 6, 9]),
                                               "episode_length": np.array([2.0, 3, 3]),
                                               "n": np.array([1.0, 1, 1])}, "_log": np.ones(3, bool)})
    # then game 0 at step 5 (the step after an end only restarts a game), games 1 and 2 at step 7;
    # log() has all six: the report took none from it
    assert env.log() == {"episode_return": 34 / 6, "episode_length": 16 / 6, "n": 6}
    assert env.log() == {}
    # step 8, the next report: every episode since the last report (log() took none from it),
    # game 0's at steps 5 and 8, games 1 and 2's at step 7
    info = env.step(np.array([1, 2, 3]))[4]
    assert list(info["_log"]) == [True, True, True] and list(info["log"]["episode_return"]) == [2, 6, 9]
    assert list(info["log"]["n"]) == [2, 1, 1]


def test_multi_agent_game_points_to_pettingzoo():
    two = npf.Game("count_pairs", count.STATE, count.reset, count.step, count.game.observation_space,
                   count.game.action_space, agents=2)
    with pytest.raises(ValueError, match="2 agents per game; NumbaVecEnv is for single-agent games.*PettingZoo"):
        NumbaVecEnv(two, 4)


def test_render_gives_one_frame_per_game_drawn_only_when_read(monkeypatch):
    env = NumbaVecEnv("pong", 3, render_mode="rgb_array")
    env.reset(seed=0)
    env.step(np.array([1, 2, 0]))
    drawn = []
    frame = render.Renderer.frame
    monkeypatch.setattr(render.Renderer, "frame", lambda self, record: drawn.append(1) or frame(self, record))
    frames = env.render()
    assert len(frames) == 3 and not drawn  # gymnasium's contract, and nothing drawn yet
    want = [env.env.render(i) for i in range(3)]
    drawn.clear()
    env.step(np.array([1, 1, 1]))  # frames show the games as they were at render()
    assert np.array_equal(frames[2], want[2]) and len(drawn) == 1
    assert all(np.array_equal(a, b) for a, b in zip(frames[:], want))
    with pytest.raises(ValueError, match="render_mode"):
        NumbaVecEnv("pong", 2).render()


def test_gymnasium_vector_record_video_records_every_game(tmp_path):
    pytest.importorskip("moviepy")
    from gymnasium.wrappers.vector import RecordVideo
    env = RecordVideo(gymnasium.make_vec("numbapuffer/CartPole-v0", num_envs=4, render_mode="rgb_array"),
                      str(tmp_path), episode_trigger=lambda e: e == 0, video_length=10)
    env.reset(seed=0)
    for _ in range(10):
        env.step(env.action_space.sample())
    env.close()
    assert [p.suffix for p in tmp_path.iterdir()] == [".mp4"]


# --- registration and make_vec ---------------------------------------------------------

def test_every_env_is_registered_and_made_by_make_vec():
    for env_id, name in npf.envs.ENVS.items():
        if name is None:
            continue
        spec = gymnasium.spec(f"numbapuffer/{name}-v0")
        assert spec.vector_entry_point == "numbapuffer.vector:NumbaVecEnv" and spec.kwargs == {"env": env_id}
    env = gymnasium.make_vec("numbapuffer/Pong-v0", num_envs=6, seed=0, autoreset_mode=SAME, frameskip=2)
    assert isinstance(env, NumbaVecEnv) and env.num_envs == 6 and env.env.params["frameskip"][0] == 2
    assert env.spec.id == "numbapuffer/Pong-v0" and env.metadata["autoreset_mode"] == SAME
    env.reset(seed=0)
    env.step(np.zeros(6, np.int64))


def test_import_registers_without_loading_env_modules():
    code = ("import sys, gymnasium, numbapuffer; "
            "print(sorted(k for k in gymnasium.registry if k.startswith('numbapuffer/'))); "
            "print([m for m in sys.modules if m.startswith('numbapuffer.envs.')])")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": ROOT}).stdout.splitlines()
    assert eval(out[0]) == sorted(f"numbapuffer/{n}-v0" for n in npf.envs.ENVS.values() if n) and out[1] == "[]"
    assert "numbapuffer/Snake-v0" not in eval(out[0]) and "numbapuffer/CartPole-v0" in eval(out[0])


def test_every_registered_id_is_made_by_make_and_make_vec():
    """Tools that loop over gymnasium.registry's numbapuffer/* ids can make each one."""
    ids = [k for k in gymnasium.registry if k.startswith("numbapuffer/")]
    assert len(ids) == sum(1 for n in npf.envs.ENVS.values() if n)
    for gym_id in ids:
        one = gymnasium.make(gym_id)
        obs, _ = one.reset(seed=0)
        assert one.observation_space.contains(obs), gym_id
        one.step(one.action_space.sample())
        one.close()
        envs = gymnasium.make_vec(gym_id, num_envs=2)
        obs, _ = envs.reset(seed=0)
        envs.step(envs.action_space.sample())
        assert obs.shape == (2,) + envs.single_observation_space.shape, gym_id
        envs.close()


# --- gymnasium's vector wrappers on top ----------------------------------------------------

@pytest.mark.parametrize("mode", [NEXT, SAME])
def test_record_episode_statistics_agrees_with_the_native_log(mode):
    env = RecordEpisodeStatistics(NumbaVecEnv(walk.game, 16, seed=0, autoreset_mode=mode, report_interval=50))
    env.reset(seed=0)
    returns, lengths, n = [], [], np.zeros(16)
    log_returns, log_lengths = np.zeros(16), np.zeros(16)
    for a in np.random.default_rng(0).integers(0, 3, (300, 16)):
        _, _, _, _, info = env.step(a)
        if "episode" in info:
            returns.extend(info["episode"]["r"][info["_episode"]])
            lengths.extend(info["episode"]["l"][info["_episode"]])
        if "log" in info:
            n += info["log"]["n"]
            log_returns += info["log"]["episode_return"] * info["log"]["n"]
            log_lengths += info["log"]["episode_length"] * info["log"]["n"]
    assert len(returns) > 30 and len(env.return_queue) == min(len(returns), 100)
    assert n.sum() == len(returns)  # the last report, at step 300, covers every episode
    assert log_returns.sum() == pytest.approx(sum(returns)) and log_lengths.sum() == pytest.approx(sum(lengths))


def test_normalize_and_clip_wrappers():
    env = NumbaVecEnv("pong", 32, seed=0)
    clipped = ClipReward(env, min_reward=0, max_reward=0.5)
    clipped.reset(seed=0)
    seen = [clipped.step(a)[1].copy() for a in np.random.default_rng(0).integers(0, 3, (300, 32))]
    assert np.max(seen) == 0.5 and np.min(seen) == 0  # Pong pays 1 and 10: clipped

    env = NormalizeReward(NormalizeObservation(NumbaVecEnv("pong", 32, seed=0)))
    obs, _ = env.reset(seed=0)
    observations, rewards = [], []
    for a in np.random.default_rng(0).integers(0, 3, (300, 32)):
        obs, rew, *_ = env.step(a)
        observations.append(obs.copy())
        rewards.append(rew.copy())
    observations = np.concatenate(observations[100:])[:, :6]  # (the scores barely move in 300 steps)
    assert np.all(np.abs(observations.mean(0)) < 0.5) and np.all(observations.std(0) < 3)
    assert np.max(np.abs(rewards)) < 10  # scaled down from Pong's raw 10
    assert env.env.obs_rms.count > 300 * 32


# --- one game as a plain gymnasium.Env -----------------------------------------------------

@pytest.mark.parametrize("name", ["CartPole", "Pong", "Squared", "Breakout", "Connect4"])
def test_gymnasium_make_gives_a_checked_single_env(name):
    from gymnasium.utils.env_checker import check_env
    env = gymnasium.make(f"numbapuffer/{name}-v0")
    check_env(env.unwrapped, skip_render_check=True)
    env.close()


def test_single_env_plays_episodes_and_waits_for_reset():
    env = gymnasium.make("numbapuffer/CartPole-v0")
    obs, info = env.reset(seed=3)
    assert env.observation_space.contains(obs) and info == {}
    native = npf.make("cartpole", num_envs=1)
    native.reset(seed=3)
    np.testing.assert_array_equal(obs, native.observations[0])  # game 0 of the same stream
    returns = []
    for _ in range(3):
        total, done = 0.0, False
        while not done:
            obs, reward, terminated, truncated, info = env.step(env.action_space.sample())
            assert isinstance(reward, float) and isinstance(terminated, bool) and obs.dtype == np.float32
            total += reward
            done = terminated or truncated
        returns.append(total)
        obs, _ = env.reset()
    assert all(r >= 1 for r in returns)
    with pytest.raises(ValueError, match="out of range for Discrete"):
        env.step(5)
    env.step(0)


def test_single_env_renders_and_refuses_multi_agent_games(monkeypatch):
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    env = gymnasium.make("numbapuffer/Pong-v0", render_mode="rgb_array")
    env.reset(seed=0)
    assert env.render().shape == (640, 500, 3)
    with pytest.raises(ValueError, match="PettingZoo"):
        NumbaEnv("snake")


def test_make_vec_sync_mode_runs_single_envs():
    envs = gymnasium.make_vec("numbapuffer/CartPole-v0", num_envs=3, vectorization_mode="sync")
    obs, _ = envs.reset(seed=0)
    assert obs.shape == (3, 4)
    for _ in range(30):
        obs, rewards, terminations, truncations, _ = envs.step(envs.action_space.sample())
    assert obs.shape == (3, 4) and rewards.shape == (3,)
    envs.close()
