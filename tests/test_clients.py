"""Third-party clients nobody here wrote, each for a few seconds on numbapuffer's faces:
Stable-Baselines3, a CleanRL-style PPO loop, Tianshou and SuperSuit (with PettingZoo's own
test utilities). A client that is not installed is skipped with a message saying how to get
it; SB3 and SuperSuit are in the dev extra, Tianshou is not (it pulls tensorboard, pandas,
h5py and grpcio): `pip install tianshou` to run its test."""
import importlib

import gymnasium
import numpy as np
import pytest

import numbapuffer  # noqa: F401  (registers numbapuffer/<Name>-v0)
from numbapuffer.envs import connect4, snake


def need(module):
    """The module, or the test is skipped saying how to install it."""
    try:
        return importlib.import_module(module)
    except ImportError as e:
        pytest.skip(f"{module} is not installed ({e}); pip install it to run this client's test")


# --- Stable-Baselines3 --------------------------------------------------------------------

def test_stable_baselines3_checks_and_trains_on_a_registered_id():
    need("stable_baselines3")
    from stable_baselines3 import PPO
    from stable_baselines3.common.env_checker import check_env
    from stable_baselines3.common.env_util import make_vec_env

    check_env(gymnasium.make("numbapuffer/CartPole-v0"))
    envs = make_vec_env("numbapuffer/CartPole-v0", n_envs=4, seed=0)
    model = PPO("MlpPolicy", envs, n_steps=64, batch_size=128, n_epochs=2, seed=0, device="cpu",
                policy_kwargs=dict(net_arch=[32]))
    model.learn(total_timesteps=512)
    obs = envs.reset()
    actions, _ = model.predict(obs, deterministic=True)
    assert obs.shape == (4, 4) and actions.shape == (4,)
    assert model.num_timesteps == 512 and len(model.ep_info_buffer) > 0  # episodes ended and were counted
    envs.close()


# --- CleanRL: a PPO loop that only knows gymnasium ------------------------------------------

def test_cleanrl_style_ppo_runs_through_make_vec():
    """The loop of CleanRL's ppo.py (GAE, clipped surrogate, value loss, entropy bonus,
    advantage normalization), written against gymnasium only, on numbapuffer's id."""
    torch = need("torch")
    from torch import nn

    num_envs, num_steps, updates, epochs, minibatches = 8, 16, 3, 2, 2
    gamma, gae_lambda, clip_coef, ent_coef, vf_coef = 0.99, 0.95, 0.2, 0.01, 0.5
    torch.manual_seed(0)
    envs = gymnasium.wrappers.vector.RecordEpisodeStatistics(
        gymnasium.make_vec("numbapuffer/Pong-v0", num_envs=num_envs, max_score=1))
    assert isinstance(envs.single_action_space, gymnasium.spaces.Discrete)
    obs_dim, n_actions = envs.single_observation_space.shape[0], envs.single_action_space.n
    actor = nn.Sequential(nn.Linear(obs_dim, 32), nn.Tanh(), nn.Linear(32, n_actions))
    critic = nn.Sequential(nn.Linear(obs_dim, 32), nn.Tanh(), nn.Linear(32, 1))
    params = list(actor.parameters()) + list(critic.parameters())
    optimizer = torch.optim.Adam(params, lr=2.5e-4, eps=1e-5)

    obs = torch.zeros((num_steps, num_envs, obs_dim))
    actions = torch.zeros((num_steps, num_envs))
    logprobs, rewards, dones, values = (torch.zeros((num_steps, num_envs)) for _ in range(4))
    next_obs, _ = envs.reset(seed=0)
    next_obs, next_done = torch.Tensor(next_obs), torch.zeros(num_envs)
    returns_seen, losses = [], []
    for _ in range(updates):
        for step in range(num_steps):
            obs[step], dones[step] = next_obs, next_done
            with torch.no_grad():
                dist = torch.distributions.Categorical(logits=actor(next_obs))
                action = dist.sample()
                values[step] = critic(next_obs).flatten()
            actions[step], logprobs[step] = action, dist.log_prob(action)
            next_obs, reward, terminations, truncations, infos = envs.step(action.cpu().numpy())
            rewards[step] = torch.tensor(reward).view(-1)
            next_obs = torch.Tensor(next_obs)
            next_done = torch.Tensor(np.logical_or(terminations, truncations))
            if "episode" in infos:
                returns_seen.extend(infos["episode"]["r"][infos["_episode"]])
        with torch.no_grad():
            next_value = critic(next_obs).reshape(1, -1)
            advantages = torch.zeros_like(rewards)
            last = 0
            for t in reversed(range(num_steps)):
                nonterminal = 1.0 - (next_done if t == num_steps - 1 else dones[t + 1])
                nextvalues = next_value if t == num_steps - 1 else values[t + 1]
                delta = rewards[t] + gamma * nextvalues * nonterminal - values[t]
                advantages[t] = last = delta + gamma * gae_lambda * nonterminal * last
            returns = advantages + values
        b_obs, b_actions = obs.reshape(-1, obs_dim), actions.reshape(-1)
        b_logprobs, b_adv, b_returns = logprobs.reshape(-1), advantages.reshape(-1), returns.reshape(-1)
        batch = num_steps * num_envs
        for _ in range(epochs):
            order = torch.randperm(batch)
            for mb in order.split(batch // minibatches):
                dist = torch.distributions.Categorical(logits=actor(b_obs[mb]))
                ratio = (dist.log_prob(b_actions[mb]) - b_logprobs[mb]).exp()
                adv = (b_adv[mb] - b_adv[mb].mean()) / (b_adv[mb].std() + 1e-8)
                pg_loss = torch.max(-adv * ratio, -adv * ratio.clamp(1 - clip_coef, 1 + clip_coef)).mean()
                v_loss = 0.5 * ((critic(b_obs[mb]).view(-1) - b_returns[mb]) ** 2).mean()
                loss = pg_loss - ent_coef * dist.entropy().mean() + vf_coef * v_loss
                optimizer.zero_grad()
                loss.backward()
                nn.utils.clip_grad_norm_(params, 0.5)
                optimizer.step()
                losses.append(loss.item())
    envs.close()
    assert len(losses) == updates * epochs * minibatches and all(np.isfinite(losses))
    assert returns_seen  # max_score=1: episodes end within the run, and their stats arrive


# --- Tianshou -------------------------------------------------------------------------------

def test_tianshou_collects_and_trains_dqn_on_single_envs():
    need("tianshou")
    torch = need("torch")
    from tianshou.algorithm import DQN
    from tianshou.algorithm.modelfree.dqn import DiscreteQLearningPolicy
    from tianshou.algorithm.optim import AdamOptimizerFactory
    from tianshou.data import Collector, VectorReplayBuffer
    from tianshou.env import DummyVectorEnv
    from tianshou.trainer import OffPolicyTrainerParams
    from tianshou.utils.net.common import Net

    torch.manual_seed(0)
    envs = DummyVectorEnv([lambda: gymnasium.make("numbapuffer/CartPole-v0") for _ in range(4)])
    envs.seed(0)
    space = gymnasium.make("numbapuffer/CartPole-v0")
    net = Net(state_shape=space.observation_space.shape, action_shape=space.action_space.n, hidden_sizes=[32])
    policy = DiscreteQLearningPolicy(model=net, action_space=space.action_space, eps_training=0.2)
    algorithm = DQN(policy=policy, optim=AdamOptimizerFactory(lr=1e-3), target_update_freq=50)
    collector = Collector(algorithm, envs, VectorReplayBuffer(2000, 4), exploration_noise=True)
    collector.reset()
    stats = collector.collect(n_step=200, random=True)
    assert stats.n_collected_steps >= 200 and stats.n_collected_episodes > 0
    result = algorithm.run_training(OffPolicyTrainerParams(
        training_collector=collector, max_epochs=1, epoch_num_steps=100, collection_step_num_env_steps=20,
        update_step_num_gradient_steps_per_sample=0.1, batch_size=32, test_in_training=False, verbose=False,
        show_progress=False, test_collector=None))
    assert result.update_step == 5 and result.train_step >= 100
    envs.close()


# --- SuperSuit and PettingZoo's own utilities ---------------------------------------------

def test_supersuit_black_death_and_vec_env_conversion_run_snake_through_many_episodes():
    """Snakes that die stay in SuperSuit's bookkeeping (black death, zero observations) until
    it sees the episode end, and the vec env restarts it: thousands of steps, many episodes."""
    ss = need("supersuit")
    envs = ss.pettingzoo_env_to_vec_env_v1(ss.black_death_v3(snake.parallel_env(seed=0, max_cycles=200)))
    obs, _ = envs.reset(seed=0)
    assert envs.num_envs == 4 and obs.shape == (4, 11, 11)
    rng, episodes, dead_seen = np.random.default_rng(0), 0, False
    for _ in range(2000):
        obs, rewards, terminations, truncations, infos = envs.step(rng.integers(0, 4, 4))
        dead_seen |= bool((obs == 0).all(axis=(1, 2)).any())  # a dead snake's black observation
        episodes += bool((terminations | truncations).all())
    assert episodes >= 10 and dead_seen
    envs.close()


def test_pettingzoo_benchmark_and_render_test_play_only_legal_connect4_moves(monkeypatch):
    """PettingZoo's performance_benchmark and render_test pick moves from the observation's
    "action_mask" (PettingZoo's classic form): none is illegal."""
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    from pettingzoo.test import performance_benchmark, render_test
    benchmark = importlib.import_module("pettingzoo.test.performance_benchmark")
    clock = iter(np.arange(0, 1e6, 0.01))  # its 5 s loop, in 500 turns of a fake clock
    monkeypatch.setattr(benchmark, "time", type("Clock", (), {"time": staticmethod(lambda: float(next(clock)))}))
    env = connect4.env(seed=0)
    performance_benchmark(env)
    log = env.parallel.env.log()
    assert log["n"] >= 2 * 10 and log["illegal"] == 0  # both players' episodes: at least 10 games
    render_test(lambda render_mode=None: connect4.env(render_mode=render_mode, seed=0))
