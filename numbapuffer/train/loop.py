"""PPO on the CPU: proof that numbapuffer's envs learn. This file drives it (config, policy,
training loop, checkpoints, evaluation); rollouts.py holds the rollouts and the update step,
train_ray.py the rollouts from Ray actors (`--backend ray`).

    numbapuffer train cartpole --total-steps 200000 --out cartpole.pt
    numbapuffer eval cartpole --policy cartpole.pt

The algorithm is PPO with the usual details, after CleanRL's ppo.py: rollouts of
`num_steps` steps from every agent at once, advantages by GAE(lambda), the clipped policy
objective, a clipped value loss, an entropy bonus, advantages normalized per minibatch,
the learning rate annealed linearly to 0, and gradients clipped by their global norm.
Truncation is treated as termination (no bootstrap from the final observation, which a
native env's same-step autoreset has already replaced by the next episode's first one).

The env is one vector of agents, met through the few names that a native numbapuffer `Env`
and a gymnasium `VectorEnv` both have: `reset(seed=)`, `step(actions)` returning
(observations, rewards, terminals, truncations, infos), `single_observation_space`,
`single_action_space` and `num_envs` (`num_agents` where a game has several agents). The
trainer adds what each lacks: a native env keeps its own episode log (`log()`, with the
env's extra fields such as Pong's `score`) and says which agents are in play (`masks`);
for a gymnasium env the trainer counts episode returns and lengths itself, and under its
NEXT_STEP autoreset leaves out the step after each episode's end, whose action is ignored.
The native env's buffers are read in place (torch.from_numpy) and actions are written
straight into its `actions` buffer.

Policies (numbapuffer/train/policy.py) have a shared trunk, an MLP or, for image observations, a
small CNN: Discrete and MultiDiscrete actions are sampled from categorical heads, Box actions
from a Gaussian with a learned, state-independent std. `norm_obs` and `norm_reward`
normalize observations and rewards by running statistics, as CleanRL's
ppo_continuous_action.py does. torch is an optional dependency of numbapuffer
(`pip install -e ".[train]"`): only the trainer's modules import it.
"""
import dataclasses
import time

import gymnasium
import numpy as np
import torch
from gymnasium import spaces
from tqdm import tqdm

import numbapuffer as npf
from numbapuffer.train import checkpoint
from numbapuffer.train.policy import Policy
from numbapuffer.train.rollouts import Agents, Rollouts, learn

__all__ = ["Config", "Policy", "config", "train", "evaluate", "save", "load", "make_env", "make_policy"]


def doc(default, help):
    """A Config field with its documentation (also the CLI's --help)."""
    if isinstance(default, dict):
        return dataclasses.field(default_factory=lambda: dict(default), metadata={"help": help})
    return dataclasses.field(default=default, metadata={"help": help})


@dataclasses.dataclass
class Config:
    env: str = doc("cartpole", "a numbapuffer env id (npf.list_envs()), a Game of yours (my_env.py:game, "
                               "my_package.my_env:game) or a gymnasium id for gymnasium.make_vec")
    env_params: dict = doc({}, "keyword params of the env, e.g. {'frameskip': 4} for pong")
    total_steps: int = doc(500_000, "agent steps to train for (all agents of all games count)")
    num_envs: int = doc(64, "games (gymnasium: sub-envs) stepped together; agents = games x agents per game")
    num_steps: int = doc(128, "rollout length: steps of every agent between two updates")
    seed: int = doc(0, "seeds the env's games and torch")
    learning_rate: float = doc(2.5e-4, "Adam's step size at the start")
    anneal_lr: bool = doc(True, "anneal the learning rate linearly to 0 over the run")
    gamma: float = doc(0.99, "discount factor")
    gae_lambda: float = doc(0.95, "GAE's lambda: 0 is one-step TD, 1 Monte Carlo returns")
    minibatch_size: int = doc(1024, "samples per gradient step (the rollout is num_envs x num_steps samples)")
    update_epochs: int = doc(4, "passes over each rollout")
    norm_adv: bool = doc(True, "normalize advantages to mean 0, std 1 within each minibatch")
    clip_coef: float = doc(0.2, "PPO's clip range of the probability ratio, and of the value's change (clip_vloss)")
    clip_vloss: bool = doc(True, "clip the value loss as PPO2 does: the worse of the clipped and unclipped errors")
    ent_coef: float = doc(0.01, "weight of the entropy bonus")
    vf_coef: float = doc(0.5, "weight of the value loss")
    max_grad_norm: float = doc(0.5, "clip the global norm of the gradients to this")
    reward_scale: float = doc(1.0, "rewards are multiplied by this before learning (a scale, not a shaping)")
    hidden: int = doc(64, "width of the MLP's hidden layers")
    layers: int = doc(2, "hidden layers in the shared trunk")
    action_mask: int = doc(0, "k > 0: the observation's last k entries are the legal-move mask of a Discrete(k) "
                              "action (1 legal); the policy never picks an illegal move. A numbapuffer game "
                              "that declares its mask (Game(action_mask=...)) sets it")
    threads: int = doc(1, "torch threads; on 2 busy cores a second one, spin-waiting, ran 20-200x slower")
    norm_obs: bool = doc(False, "normalize vector observations by running mean and std, clipped to +-10 (kept in "
                                "the policy)")
    norm_reward: bool = doc(False, "divide rewards by the running std of the discounted return, clipped to +-10")
    device: str = doc("cpu", "where games, rollouts and the policy live: cpu, or cuda (numbapuffer envs only)")


# Per-env defaults: what differs from Config's defaults. Keys are numbapuffer env ids; a
# gymnasium id finds its row by its bare lowercase name (CartPole-v1 -> cartpole).
DEFAULTS = {
    "cartpole": dict(total_steps=200_000, num_envs=16, num_steps=128, minibatch_size=512, learning_rate=2.5e-3,
                     reward_scale=0.1),
    "squared": dict(total_steps=200_000, num_envs=256, num_steps=32, minibatch_size=2048, learning_rate=3e-3,
                    gamma=0.95),
    # pong.md's reference settings (lr, clip, coefficients, 32-step rollouts, big minibatches)
    # on 1024 games, but with gamma 0.99 and lambda 0.95: with its 0.934 and 0.655, credit
    # reached back ~3 steps of the ~40 a ball takes to cross, the untrained critic's noise
    # drove the advantages and the MLP policy collapsed to one action. Rewards unscaled
    # (scaled by 0.1 they were as small as that noise).
    "pong": dict(total_steps=60_000_000, num_envs=1024, num_steps=32, minibatch_size=8192, update_epochs=2,
                 learning_rate=1.2e-3, clip_coef=0.36, vf_coef=0.76, ent_coef=0.015, max_grad_norm=0.4),
    # CleanRL's ppo_continuous_action.py settings (normalized observations and rewards, 10
    # epochs, no entropy bonus) on 64 games, with Pendulum's short horizon: gamma 0.95.
    "pendulum": dict(total_steps=1_000_000, num_envs=64, num_steps=128, minibatch_size=1024, update_epochs=10,
                     learning_rate=1e-3, gamma=0.95, ent_coef=0.0, norm_obs=True, norm_reward=True),
    # the same method, 256-step rollouts and gamma 0.99: the Gaussian's initial std of 1 (actions
    # clipped to [-1, 1]) explores enough to find the flag, and the normalized +100 stands out
    # (3 seeds of 3 reached a mean return of ~93.8 in 1M steps, ~20-25 s on a busy machine)
    "mountaincar_continuous": dict(total_steps=1_000_000, num_envs=64, num_steps=256, minibatch_size=1024,
                                   update_epochs=10, learning_rate=3e-4, ent_coef=0.0, norm_obs=True,
                                   norm_reward=True),
    # the CNN on 4 stacked 84x84 frames; rollouts kept small: 8192 uint8 samples are 231 MB
    "breakout_pixels": dict(total_steps=1_000_000, num_envs=64, num_steps=128, minibatch_size=1024,
                            update_epochs=2, learning_rate=5e-4, ent_coef=0.01),
    "connect4": dict(total_steps=5_000_000, num_envs=1024, num_steps=16, minibatch_size=4096, update_epochs=2,
                     learning_rate=1e-3, hidden=256, layers=3),
    # PufferLib's Ocean ports: each beats random play in 16-74 s on 2 quiet cores (README's
    # training table, docs/learning_<env>.png); the settings are a start, not a tuned solution.
    "tetris": dict(total_steps=4_000_000, num_envs=512, num_steps=64, minibatch_size=4096, update_epochs=2,
                   learning_rate=1e-3),
    "go": dict(total_steps=8_000_000, num_envs=512, num_steps=64, minibatch_size=4096, update_epochs=2,
               learning_rate=2e-3),
    "trash_pickup": dict(total_steps=4_000_000, num_envs=256, num_steps=64, minibatch_size=4096, update_epochs=2,
                         learning_rate=1e-3),
    "freeway": dict(total_steps=2_000_000, num_envs=256, num_steps=64, minibatch_size=4096, update_epochs=2,
                    learning_rate=1e-3),
    "enduro": dict(total_steps=12_000_000, num_envs=512, num_steps=64, minibatch_size=16384, update_epochs=2,
                   learning_rate=1e-3, gamma=0.97, gae_lambda=0.95, ent_coef=0.01),
}


def env_key(env):
    """The bare lowercase name of an env id: numbapuffer/CartPole-v0 and CartPole-v1 -> cartpole."""
    return env.split("/")[-1].split("-v")[0].lower()


def native(env):
    """Whether `env` names a numbapuffer game: a first-party id, or a user's Game by file or
    module ("my_env.py:game", "my_package.my_env:game"; npf.envs.is_spec)."""
    return env in npf.list_envs() or npf.envs.is_spec(env)


def config(env, **overrides):
    """The Config of `env`: Config's defaults, the game's declared legal-move mask, the env's
    row of DEFAULTS, then `overrides`."""
    declared = {}
    if native(env) and npf.envs.get(env).action_mask is not None:
        declared["action_mask"] = npf.envs.get(env).action_space.n
    return Config(env=env, **{**declared, **DEFAULTS.get(env_key(env), {}), **overrides})


def action_mask(cfg, action_space):
    """The observation entries holding the legal-move mask of a Discrete(cfg.action_mask)
    action, or None: a numbapuffer game's own declaration, else the last entries."""
    k = cfg.action_mask
    if not k:
        return None
    if not isinstance(action_space, spaces.Discrete) or action_space.n != k:
        raise ValueError(f"train: action_mask={k} needs a Discrete({k}) action space, got {action_space}")
    if native(cfg.env) and npf.envs.get(cfg.env).action_mask is not None:
        return npf.envs.get(cfg.env).action_mask
    return slice(-k, None)


def make_policy(cfg, observation_space, action_space):
    return Policy(observation_space, action_space, cfg.hidden, cfg.layers, action_mask(cfg, action_space),
                  norm_obs=cfg.norm_obs)


def make_env(cfg, num_envs=None, **kwargs):
    """The env of `cfg`: a native numbapuffer env, or a gymnasium vector env for other ids."""
    n = cfg.num_envs if num_envs is None else num_envs
    if native(cfg.env):
        # report_interval=0: the trainer reads env.log() itself, once per rollout
        return npf.make(cfg.env, num_envs=n, seed=cfg.seed, report_interval=0, device=cfg.device, **kwargs,
                        **cfg.env_params)
    if cfg.device != "cpu":
        raise ValueError(f"train: device={cfg.device!r} needs a numbapuffer env id, got {cfg.env!r}")
    return gymnasium.make_vec(cfg.env, num_envs=n, **kwargs, **cfg.env_params)


# ---------------------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------------------
def train(cfg, env=None, out=None, progress=True, save_interval=0, rollouts=None):
    """Train a policy by PPO; returns (policy, history). `env` defaults to make_env(cfg);
    `out` is the checkpoint path, written at the end (and every `save_interval` updates).
    rollouts: where rollouts come from, default Rollouts(env) in this process (train_ray.py:
    Ray actors). history: one dict per update (step, time, losses, that rollout's episode log)."""
    torch.manual_seed(cfg.seed)
    torch.set_num_threads(cfg.threads)
    if rollouts is not None and (cfg.norm_obs or cfg.norm_reward):
        raise ValueError("train: norm_obs and norm_reward keep their statistics in this process; they need its "
                         "own rollouts (not --backend ray)")
    own_env = env is None and rollouts is None
    env = make_env(cfg) if own_env else env
    rollouts = Rollouts(cfg, env) if rollouts is None else rollouts
    n, T = rollouts.n, cfg.num_steps
    policy = make_policy(cfg, rollouts.observation_space, rollouts.action_space).to(cfg.device)
    optimizer = torch.optim.Adam(policy.parameters(), lr=cfg.learning_rate, eps=1e-5)
    updates = num_updates(cfg, n)
    history, timer = [], dict(env=0.0, act=0.0, learn=0.0)
    start = time.perf_counter()
    bar = _progress(updates * n * T, progress)
    for update in range(updates):
        if cfg.anneal_lr:
            optimizer.param_groups[0]["lr"] = cfg.learning_rate * (1 - update / updates)
        batch, log = rollouts.collect(policy, timer)
        tick = time.perf_counter()
        losses = learn(cfg, policy, optimizer, batch)
        timer["learn"] += time.perf_counter() - tick
        steps, elapsed = (update + 1) * n * T, time.perf_counter() - start
        loss = losses["policy_loss"] + cfg.vf_coef * losses["value_loss"] - cfg.ent_coef * losses["entropy"]
        # samples: the agent steps that counted; reward: their mean reward
        record = dict(step=steps, time=elapsed, samples=len(batch["obs"]), reward=float(batch["rewards"].mean()),
                      loss=loss, **losses, **log)
        history.append(record)
        bar.update(n * T)
        bar.set_postfix_str(_summary(record), refresh=False)
        if out and save_interval and (update + 1) % save_interval == 0:
            save(out, policy, cfg, history)
    bar.close()
    history[-1]["timing"] = dict(wall=time.perf_counter() - start, **timer)
    if out:
        save(out, policy, cfg, history)
    if own_env:
        env.close()
    rollouts.close()
    return policy, history


def num_updates(cfg, n):
    """Updates for cfg.total_steps steps of `n` agents: whole rollouts, rounded down (at least one)."""
    return max(1, cfg.total_steps // (n * cfg.num_steps))


def speed(history):
    """One line on where a run's time went: overall steps/s, and the env's share."""
    steps, t = history[-1]["step"], history[-1]["timing"]
    return (f"{steps:,} steps in {t['wall']:.1f} s: {steps / t['wall']:,.0f} steps/s overall; env.step "
            f"{steps / max(t['env'], 1e-9):,.0f} steps/s ({t['env'] / t['wall']:.0%} of the time), acting "
            f"{t['act'] / t['wall']:.0%}, learning {t['learn'] / t['wall']:.0%}")


def _progress(total, enabled):
    return tqdm(total=total, unit="step", unit_scale=True, disable=not enabled, dynamic_ncols=True)


def _summary(record):
    hidden = ("step", "time", "samples", "n", "policy_loss", "value_loss", "approx_kl", "clipfrac", "loss")
    return " ".join(f"{k}={v:.3g}" for k, v in record.items() if k not in hidden)


# ---------------------------------------------------------------------------------------
# Checkpoints and evaluation
# ---------------------------------------------------------------------------------------
def save(path, policy, cfg, history=()):
    """A checkpoint: the policy's weights, the Config (env id, env params, hyperparameters)
    and the training history. Atomic (checkpoint.write): a save that fails raises and leaves
    the previous checkpoint at `path` as it was."""
    weights = {k: v.cpu() for k, v in policy.state_dict().items()}  # a GPU run's checkpoint loads anywhere
    checkpoint.write(path, dict(policy=weights, config=dataclasses.asdict(cfg), history=list(history)))


def load(path, env=None):
    """(policy, cfg, history) from a checkpoint written by save(), of `env` if given. The
    checkpoint is checked before anything is built (numbapuffer/train/checkpoint.py): a ValueError
    names what is wrong."""
    config, weights, history = checkpoint.read(path, Config, env)
    cfg = dataclasses.replace(Config(**config), device="cpu")  # evaluation runs on the CPU
    env = make_env(cfg, num_envs=1)
    policy = make_policy(cfg, env.single_observation_space, env.single_action_space)
    env.close()
    try:
        policy.load_state_dict(weights)
    except Exception as e:  # wrong names, shapes or types
        raise ValueError(f"{path}: the weights do not fit the policy of {cfg.env} "
                         f"({str(e).splitlines()[0][:120]})") from None
    return policy, cfg, history


def evaluate(policy, env, greedy=False, seed=0, max_steps=100_000):
    """Play until each of the env's agents has finished one episode (or `max_steps` steps
    passed); returns the means of the log fields over those first episodes, their count
    "n" and "unfinished" (agents still in their first episode at the cap). The first episode
    of every agent counts, so long episodes weigh as much as short ones. `policy` None
    plays uniformly random actions from the action space. An env made with
    render_mode="human" draws each step itself."""
    agents = Agents(env)
    obs = agents.reset(seed)
    agents.log()  # clears the sums of episodes finished before
    space = env.single_action_space
    rng = np.random.default_rng(seed)
    first = np.zeros_like(agents.logs())
    finished = np.zeros(agents.n, bool)
    with torch.inference_mode():
        for _ in range(max_steps):
            if policy is None:
                action = _random_actions(space, agents.n, rng)
            else:
                action = policy.env_actions(policy.act(policy.normalize(obs), greedy)[0])
            obs, _, done = agents.step(action)
            ended = done.numpy() & ~finished
            if ended.any():
                first[ended] = agents.logs()[ended]
                finished |= ended
                if finished.all():
                    break
    if not finished.any():
        return dict(n=0, unfinished=int(agents.n))
    out = {f: float(first[f][finished].mean()) for f in first.dtype.names if f != "n"}
    return dict(out, n=int(finished.sum()), unfinished=int((~finished).sum()))


def _random_actions(space, n, rng):
    if isinstance(space, spaces.Discrete):
        return torch.from_numpy(rng.integers(space.start, space.start + space.n, n))
    if isinstance(space, spaces.MultiDiscrete):
        start = np.zeros_like(space.nvec) if getattr(space, "start", None) is None else space.start
        return torch.from_numpy(start + (rng.random((n, *space.shape)) * space.nvec).astype(np.int64))
    return torch.from_numpy(rng.uniform(space.low, space.high, (n, *space.shape)).astype(np.float32))
