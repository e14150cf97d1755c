"""The trainer's policies and normalizers (numbapuffer/train/policy.py): the CNN on pixel
observations, observation and reward normalization as gymnasium's wrappers compute them,
and the statistics saved with the policy."""
import math

import gymnasium
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import numbapuffer as npf  # noqa: E402
from numbapuffer.train import policy as P  # noqa: E402
from numbapuffer.train import loop as T  # noqa: E402


def few_updates(env_id, updates=2, **overrides):
    cfg = T.config(env_id, **{**dict(num_envs=16, num_steps=16, minibatch_size=128, update_epochs=1), **overrides})
    cfg.total_steps = updates * cfg.num_steps * cfg.num_envs
    return cfg


def test_observation_norm_matches_the_statistics_of_all_batches():
    rng = np.random.default_rng(0)
    batches = [rng.normal(3, 2, (n, 3)) * [1, 10, 0.1] for n in (5, 50, 500)]
    norm = P.ObservationNorm(3)
    for b in batches:
        norm.update(torch.from_numpy(b))
    every = np.concatenate(batches)
    np.testing.assert_allclose(norm.mean.numpy(), every.mean(0), rtol=1e-3)
    np.testing.assert_allclose(norm.var.numpy(), every.var(0), rtol=1e-2)
    out = norm(torch.tensor([[1e6, 0.0, 0.0]]))
    assert out[0, 0] == 10 and out.dtype == torch.float32  # clipped


def test_reward_norm_is_gymnasiums_normalize_reward():
    """Same rewards and episode ends: the scale of gymnasium's NormalizeReward, within 10% (it
    restarts a return at the step that ends it, ours at the next, and skips NEXT_STEP restarts)."""
    rng = np.random.default_rng(1)
    env = gymnasium.wrappers.vector.NormalizeReward(gymnasium.make_vec("CartPole-v1", num_envs=4), gamma=0.9)
    env.reset(seed=0)
    ours = P.RewardNorm(4, gamma=0.9, clip=math.inf)  # gymnasium clips nothing; CleanRL adds the clip
    restart = np.zeros(4, bool)
    for t in range(300):
        _, reward, term, trunc, _ = env.step(rng.integers(0, 2, 4))
        raw = np.where(restart, 0.0, 1.0)  # CartPole: 1 a step, 0 on a NEXT_STEP restart
        restart = term | trunc
        mine = ours(torch.from_numpy(raw).float(), torch.from_numpy(restart))
        if t > 20:  # (gymnasium restarts the return one step earlier, so it differs at first)
            np.testing.assert_allclose(mine.numpy(), reward, rtol=0.1)


def test_cnn_trains_on_pixels():
    cfg = few_updates("breakout_pixels")
    policy, history = T.train(cfg, progress=False)
    assert policy.image and isinstance(policy.trunk[0][0], torch.nn.Conv2d)
    assert all(math.isfinite(h["loss"]) for h in history) and len(history) == 2
    env = npf.make("breakout_pixels", num_envs=3, seed=0)
    obs, _ = env.reset(seed=0)
    actions = policy.predict(obs)
    assert actions.shape == (3,) and env.action_space.contains(actions.astype(np.int32))


def test_normalized_pendulum_saves_its_statistics(tmp_path):
    cfg = few_updates("pendulum")
    assert cfg.norm_obs and cfg.norm_reward  # pendulum's DEFAULTS row
    path = tmp_path / "p.pt"
    policy, _ = T.train(cfg, out=str(path), progress=False)
    assert policy.obs_norm.count > cfg.total_steps  # updated with every step's observations
    loaded, _, _ = T.load(str(path))
    for name in ("mean", "var", "count"):
        assert torch.equal(getattr(loaded.obs_norm, name), getattr(policy.obs_norm, name))
    obs = np.random.default_rng(0).uniform(-1, 1, (5, 3)).astype(np.float32)
    torch.manual_seed(0)
    a = policy.predict(obs, greedy=True)
    np.testing.assert_array_equal(a, loaded.predict(obs, greedy=True))
    assert a.shape == (5, 1) and np.abs(a).max() <= 2
