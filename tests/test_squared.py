"""Squared's rules from hand-set states, its start distribution, and that a generic learner
(a linear softmax policy trained by plain policy gradient) picks up its signal in a second."""
import numpy as np
import pytest

import numbapuffer as npf

from handset import one_game, put, step

STAY, UP, DOWN, LEFT, RIGHT = range(5)


def squared(**params):
    return one_game("squared", **params)


def test_start_in_the_centre_target_anywhere_else():
    env = npf.make("squared", num_envs=60000, seed=1)
    env.reset(seed=1)
    s = env.state
    assert (s["x"] == 5).all() and (s["y"] == 5).all() and (s["t"] == 0).all()
    cells = s["target_y"] * 11 + s["target_x"]
    counts = np.bincount(cells, minlength=121)
    assert counts[5 * 11 + 5] == 0 and counts.sum() == 60000
    others = np.delete(counts, 5 * 11 + 5)
    assert others.min() > 400 and others.max() < 600  # 500 each on average
    np.testing.assert_array_equal(env.observations[:, :2], 0.5)
    np.testing.assert_allclose(env.observations[:, 2], s["target_x"] / 10)


@pytest.mark.parametrize("action, x, y", [(STAY, 3, 4), (UP, 3, 3), (DOWN, 3, 5), (LEFT, 2, 4), (RIGHT, 4, 4)])
def test_moves(action, x, y):
    env = squared()
    put(env, x=3, y=4, target_x=9, target_y=9)
    s, obs, rew, term, trunc = step(env, action)
    assert (s["x"], s["y"], s["t"]) == (x, y, 1) and rew == 0 and not term and not trunc
    np.testing.assert_allclose(obs, np.array([x, y, 9, 9], np.float32) / 10)


@pytest.mark.parametrize("x, y, action", [(0, 4, LEFT), (10, 4, RIGHT), (4, 0, UP), (4, 10, DOWN)])
def test_border_blocks(x, y, action):
    env = squared()
    put(env, x=x, y=y, target_x=7, target_y=7)
    s, *_ = step(env, action)
    assert (s["x"], s["y"]) == (x, y)


def test_reaching_the_target_ends_the_episode_and_restarts():
    env = squared()
    put(env, x=3, y=4, target_x=3, target_y=5, t=7)
    s, obs, rew, term, trunc = step(env, DOWN)
    assert rew == 1 and term and not trunc
    assert (s["x"], s["y"], s["t"]) == (5, 5, 0)  # a new game started in the same step
    np.testing.assert_allclose(obs[:2], 0.5)
    assert env.log() == {"episode_return": 1.0, "episode_length": 1.0, "n": 1}


def test_timeout_truncates_without_reward():
    env = squared(max_steps=3)
    put(env, x=0, y=0, target_x=10, target_y=10)
    results = [step(env, STAY)[2:] for _ in range(3)]
    assert results == [(0, False, False), (0, False, False), (0, False, True)]
    assert env.state[0]["t"] == 0 and env.log()["episode_return"] == 0


def test_size_param_and_checks():
    env = squared(size=4)
    s = env.state[0]
    assert (s["x"], s["y"]) == (2, 2) and max(s["target_x"], s["target_y"]) <= 3
    put(env, x=3, y=3, target_x=0, target_y=0)
    s, *_ = step(env, RIGHT)
    assert s["x"] == 3
    for bad, match in ((dict(size=1), "size=1 must be >= 2"), (dict(max_steps=0), "max_steps=0 must be >= 1")):
        with pytest.raises(ValueError, match=match):
            npf.make("squared", **bad)


def test_walking_straight_always_wins_random_rarely():
    env = npf.make("squared", num_envs=512, seed=2, report_interval=0)
    obs, _ = env.reset(seed=2)
    for _ in range(10):
        dx, dy = obs[:, 2] - obs[:, 0], obs[:, 3] - obs[:, 1]
        obs = env.step(np.where(dx > 0, RIGHT, np.where(dx < 0, LEFT, np.where(dy > 0, DOWN, UP))))[0]
    log = env.log()
    assert log["episode_return"] == 1.0 and log["n"] >= 512 and log["episode_length"] <= 10
    rng = np.random.default_rng(0)
    for _ in range(200):
        env.step(rng.integers(0, 5, 512))
    assert env.log()["episode_return"] < 0.2


def test_a_generic_learner_picks_up_the_signal():
    n, horizon, gamma = 256, 32, 0.9
    env = npf.make("squared", num_envs=n, seed=0, report_interval=0)
    obs, _ = env.reset(seed=0)
    rng = np.random.default_rng(0)
    w = np.zeros((5, 5))  # logits = w @ [obs - 0.5, 1]

    def probs(x):
        z = np.exp(x @ w.T - (x @ w.T).max(1, keepdims=True))
        return z / z.sum(1, keepdims=True)

    for it in range(150):
        xs, acts, rews, dones = [], [], [], []
        for _ in range(horizon):
            x = np.c_[obs - 0.5, np.ones(n)]
            a = (probs(x).cumsum(1) > rng.random((n, 1))).argmax(1)
            obs, r, term, trunc, _ = env.step(a)
            xs.append(x), acts.append(a), rews.append(r.copy()), dones.append(term | trunc)
        ret, returns = np.zeros(n), []
        for r, d in zip(rews[::-1], dones[::-1]):
            ret = r + gamma * ret * ~d
            returns.append(ret)
        adv = np.array(returns[::-1])
        adv = (adv - adv.mean()) / (adv.std() + 1e-8)
        grad = sum(((np.eye(5)[a] - probs(x)) * g[:, None]).T @ x for x, a, g in zip(xs, acts, adv))
        w += 30 * grad / (n * horizon)
        if it == 0:
            first = env.log()["episode_return"]
        elif it == 139:
            env.log()  # keep only the last ten iterations' episodes
    assert first < 0.2 and env.log()["episode_return"] > 0.9


# PufferLib 3.0's Squared: make("squared", preset="pufferlib")
def puffer(**params):
    return one_game("squared", preset="pufferlib", **params)


@pytest.mark.parametrize("action, x, y", [(STAY, 3, 4), (1, 3, 5), (2, 3, 3), (LEFT, 2, 4), (RIGHT, 4, 4)])
def test_pufferlib_moves_1_down_2_up(action, x, y):
    env = puffer()
    put(env, x=3, y=4, target_x=9, target_y=9)
    s, obs, rew, term, trunc = step(env, action)
    assert (s["x"], s["y"], s["t"]) == (x, y, 1) and rew == 0 and not term and not trunc
    np.testing.assert_allclose(obs, np.array([x, y, 9, 9], np.float32) / 10)


@pytest.mark.parametrize("x, y, action", [(0, 4, LEFT), (10, 4, RIGHT), (4, 0, 2), (4, 10, 1)])
def test_pufferlib_leaving_the_grid_ends_with_minus_one(x, y, action):
    env = puffer()
    put(env, x=x, y=y, target_x=7, target_y=7, t=5)
    env.episodes[0]["episode_length"] = 5
    s, obs, rew, term, trunc = step(env, action)
    assert rew == -1 and term and not trunc
    assert (s["x"], s["y"], s["t"]) == (5, 5, 0)  # restarted in the same step
    assert env.log() == {"episode_return": -1.0, "episode_length": 6.0, "n": 1}


def test_pufferlib_the_34th_step_ends_with_minus_one_even_on_the_target():
    env = puffer()
    put(env, x=3, y=3, target_x=4, target_y=3, t=32)
    s, obs, rew, term, trunc = step(env, STAY)
    assert s["t"] == 33 and rew == 0 and not term and not trunc  # step 33 is still played
    s, obs, rew, term, trunc = step(env, RIGHT)  # onto the target, too late
    assert rew == -1 and term and not trunc and s["t"] == 0


def test_pufferlib_target_reward():
    env = puffer()
    put(env, x=3, y=3, target_x=3, target_y=4)
    assert step(env, 1)[2:5] == (1.0, True, False)


def test_timeout_reward_and_params_checks():
    env = squared(reward_fail=-0.5, max_steps=2)
    put(env, target_x=0, target_y=0)
    assert step(env, STAY)[2:5] == (0.0, False, False)
    assert step(env, STAY)[2:5] == (-0.5, False, True)
    with pytest.raises(ValueError, match="reward_fail"):
        squared(reward_fail=float("nan"))
    with pytest.raises(ValueError, match="max_steps"):
        squared(max_steps=2**31 - 1)


def test_pufferlib_preset_passes_check_env():
    env = npf.make("squared", num_envs=4, seed=0, preset="pufferlib")
    assert npf.check_env(env, num_envs=16, steps=300) == []


@pytest.mark.slow
def test_pufferlib_preset_logs_as_the_c(tmp_path, monkeypatch):
    """Random play: the mean episode_return and episode_length as PufferLib's C logs them."""
    pytest.importorskip("pufferlib.ocean", reason="PufferLib's C envs: ../shared/tools/build_pufferlib.sh VENV all")
    monkeypatch.chdir(tmp_path)
    from benchmarks.ocean import c_env, our_env, random_actions
    ours, c = our_env("squared", 1024), c_env("squared", 1024)
    ours.reset(seed=0)
    acts = random_actions(ours.single_action_space, 1024, 64, 0)
    infos = []
    for t in range(1024):
        ours.step(acts[t % 64].astype(ours.actions.dtype))
        infos += [i for i in c.step(acts[t % 64].astype(c.actions.dtype))[-1] if i]
    c.close()
    log = ours.log()
    assert log["n"] > 20000 and sum(i["n"] for i in infos) > 20000
    for key in ("episode_return", "episode_length"):
        theirs = sum(i[key] * i["n"] for i in infos) / sum(i["n"] for i in infos)
        assert log[key] == pytest.approx(theirs, rel=0.03), key
