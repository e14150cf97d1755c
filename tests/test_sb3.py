"""numbapuffer.sb3.vec_env with the real Stable-Baselines3: one VecEnv over one native env, with
SB3's conventions, wrapped by VecMonitor and VecNormalize, and PPO learning CartPole through it."""
import numpy as np
import pytest

pytest.importorskip("stable_baselines3")
from stable_baselines3.common.monitor import Monitor  # noqa: E402
from stable_baselines3.common.vec_env import VecEnv, VecMonitor, VecNormalize  # noqa: E402

import numbapuffer as npf  # noqa: E402
import numbapuffer.sb3 as nsb3  # noqa: E402


def test_a_vec_env_over_one_native_env_with_terminal_observations():
    vec = nsb3.vec_env("cartpole", 8, max_steps=5)
    ref = npf.make("cartpole", num_envs=8, max_steps=5, autoreset="disabled")  # the games' own last frames
    assert isinstance(vec, VecEnv) and vec.num_envs == 8
    vec.seed(3)
    first = vec.reset()
    assert np.array_equal(first, ref.reset(seed=[3 + i for i in range(8)])[0])
    actions = np.random.default_rng(0).integers(0, 2, (5, 8))
    for k, a in enumerate(actions):
        obs, rewards, dones, infos = vec.step(a)
        ref_obs, _, term, trunc, _ = ref.step(a)
        assert np.array_equal(dones, term | trunc) and len(infos) == 8
        for i in range(8):
            if dones[i]:
                assert np.array_equal(infos[i]["terminal_observation"], ref_obs[i])
                assert infos[i]["TimeLimit.truncated"] == bool(trunc[i] and not term[i])
            else:
                assert "terminal_observation" not in infos[i]
        ref.reset(mask=term | trunc)
        assert np.array_equal(obs, ref.observations)
    assert dones.all() and any(i["TimeLimit.truncated"] for i in infos)  # the 5-step limit ended the rest
    obs[...] = 99  # a copy: the next step is not written into what SB3 keeps
    assert not np.array_equal(vec.step(actions[0])[0], obs)


def test_attributes_params_render_and_wrappers():
    vec = nsb3.vec_env("cartpole", 4, render_mode="rgb_array", max_steps=50)
    assert vec.get_attr("render_mode") == ["rgb_array"] * 4 and vec.env_is_wrapped(Monitor) == [False] * 4
    vec.set_attr("max_steps", 7)
    assert vec.get_attr("param_values", [0])[0]()["max_steps"] == 7
    with pytest.raises(ValueError, match="max_stepz"):
        vec.set_attr("max_stepz", 7)
    with pytest.raises(ValueError, match="indices=None"):
        vec.set_attr("max_steps", 7, indices=[0])
    with pytest.raises(ValueError, match="nope"):
        vec.env_method("nope")
    vec.reset()
    frames = vec.env_method("render", indices=[1, 2])
    assert len(frames) == 2 and frames[0].ndim == 3 and len(vec.get_images()) == 4
    with pytest.raises(ValueError, match="single-agent"):
        nsb3.vec_env("snake", 2)


def test_vec_monitor_and_vec_normalize_wrap_it():
    vec = VecNormalize(VecMonitor(nsb3.vec_env("cartpole", 16)))
    obs = vec.reset()
    episodes = []
    for _ in range(200):
        obs, rewards, dones, infos = vec.step(np.random.default_rng(0).integers(0, 2, 16))
        episodes += [i["episode"] for i in infos if "episode" in i]
    assert obs.shape == (16, 4) and abs(obs.mean()) < 1.0  # normalized
    assert len(episodes) > 16 and all(e["l"] >= 1 and e["r"] == e["l"] for e in episodes)


@pytest.mark.slow
def test_ppo_learns_cartpole_through_it():
    """rl-baselines3-zoo's CartPole hyperparameters; one torch thread (two crawl on a busy
    2-core machine)."""
    import torch
    from stable_baselines3 import PPO
    from stable_baselines3.common.evaluation import evaluate_policy
    torch.set_num_threads(1)
    vec = VecMonitor(nsb3.vec_env("cartpole", 8, seed=0))
    model = PPO("MlpPolicy", vec, n_steps=32, batch_size=256, gae_lambda=0.8, gamma=0.98, n_epochs=20,
                ent_coef=0.0, learning_rate=1e-3, seed=0, device="cpu", verbose=0)
    model.learn(40_000)
    mean, _ = evaluate_policy(model, VecMonitor(nsb3.vec_env("cartpole", 8, seed=1)), n_eval_episodes=8)
    assert mean > 150, mean  # random play: about 22
