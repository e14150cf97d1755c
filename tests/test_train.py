"""The PPO trainer (numbapuffer/train/): a few updates on native and gymnasium envs with
every kind of action space, checkpoints, evaluation, and the train/eval commands. Short
runs only; the long acceptance runs are examples/learn.py."""
import math
import os
import subprocess
import sys

import gymnasium
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import numbapuffer as npf  # noqa: E402
from numbapuffer.tools import cli  # noqa: E402
from numbapuffer.train import loop as T  # noqa: E402

import reach  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # this checkout, whose numbapuffer runs


def few_updates(env_id, updates=3, **overrides):
    agents = overrides.pop("agents", 1)
    cfg = T.config(env_id, **{**dict(num_envs=64, num_steps=16, minibatch_size=256, update_epochs=2), **overrides})
    cfg.total_steps = updates * cfg.num_steps * cfg.num_envs * agents
    return cfg


def check_history(history, updates):
    assert len(history) == updates
    for h in history:
        for k in ("loss", "policy_loss", "value_loss", "entropy", "approx_kl", "reward"):
            assert math.isfinite(h[k]), (k, h)
    assert history[-1]["step"] == len(history) * history[0]["step"]


def test_native_few_updates_checkpoint_saved_loaded_and_evaluated(tmp_path):
    cfg = few_updates("cartpole")
    path = tmp_path / "cartpole.pt"
    policy, history = T.train(cfg, out=str(path), progress=False)
    check_history(history, 3)
    assert history[-1]["episode_return"] > 0 and history[-1]["n"] > 0
    assert set(history[-1]["timing"]) == {"wall", "env", "act", "learn"}

    loaded, cfg2, history2 = T.load(str(path))
    assert cfg2 == cfg and history2 == history
    for a, b in zip(policy.state_dict().values(), loaded.state_dict().values()):
        assert torch.equal(a, b)
    obs = torch.rand(5, 4)
    assert torch.equal(policy(obs)[0], loaded(obs)[0])

    env = T.make_env(cfg, num_envs=20)
    result = T.evaluate(loaded, env, seed=3)
    assert result["n"] == 20 and result["unfinished"] == 0
    assert result["episode_return"] == result["episode_length"] >= 8  # CartPole: +1 a step


def test_same_seed_same_training():
    cfg = few_updates("squared", updates=2)
    a = T.train(cfg, progress=False)[1]
    b = T.train(cfg, progress=False)[1]
    drop = ("time", "timing")
    assert [{k: v for k, v in h.items() if k not in drop} for h in a] == \
           [{k: v for k, v in h.items() if k not in drop} for h in b]


def test_squared_is_learned_in_a_short_run():
    """A trainer that fails to learn fails here: a random walk reaches the target in ~8% of
    episodes; PPO should reach it nearly always, by a short path (5.5 steps on average), within
    150k steps."""
    cfg = T.config("squared", total_steps=150_000)
    policy, history = T.train(cfg, progress=False)
    env = T.make_env(cfg, num_envs=200)
    trained = T.evaluate(policy, env, seed=5)
    random = T.evaluate(None, env, seed=5)
    assert random["episode_return"] < 0.2
    assert trained["episode_return"] > 0.95 and trained["episode_length"] < 7


def test_gymnasium_vector_env_few_updates():
    """gymnasium's own CartPole vector env (NEXT_STEP autoreset): the trainer counts the
    episodes itself and leaves out the restart step after each episode's end."""
    env = gymnasium.make_vec("CartPole-v1", num_envs=8)
    assert env.metadata["autoreset_mode"] == gymnasium.vector.AutoresetMode.NEXT_STEP
    cfg = few_updates("CartPole-v1", num_envs=8, num_steps=64)
    assert cfg.learning_rate == T.DEFAULTS["cartpole"]["learning_rate"]  # found its row by name
    policy, history = T.train(cfg, env=env, progress=False)
    check_history(history, 3)
    finished = [h for h in history if "n" in h]
    assert finished and all(h["episode_return"] == h["episode_length"] for h in finished)


def test_numbapuffer_through_gymnasium_make_vec_few_updates():
    """The same trainer through numbapuffer's own gymnasium drop-in (NumbaVecEnv)."""
    env = gymnasium.make_vec("numbapuffer/CartPole-v0", num_envs=8)
    cfg = few_updates("numbapuffer/CartPole-v0", num_envs=8, num_steps=64)
    policy, history = T.train(cfg, env=env, progress=False)
    check_history(history, 3)
    finished = [h for h in history if "n" in h]
    assert finished and all(h["episode_return"] == h["episode_length"] for h in finished)
    result = T.evaluate(policy, gymnasium.make_vec("numbapuffer/CartPole-v0", num_envs=10), seed=1)
    assert result["n"] == 10 and result["episode_return"] == result["episode_length"] >= 8


def test_gymnasium_restart_steps_do_not_count():
    env = gymnasium.make_vec("CartPole-v1", num_envs=4)
    agents = T.Agents(env)
    agents.reset(seed=0)
    lengths, counted = np.zeros(4), []
    for _ in range(300):
        valid = agents.valid().numpy().copy()
        _, rewards, done = agents.step(torch.ones(4, dtype=torch.int64))  # always push right: short episodes
        assert (rewards.numpy()[~valid] == 0).all()
        lengths += valid
        for i in np.flatnonzero(done.numpy() & valid):
            counted.append(lengths[i])
            lengths[i] = 0
    log = agents.log()
    assert log["n"] == len(counted) > 10
    assert log["episode_length"] == pytest.approx(np.mean(counted))
    assert 8 <= log["episode_length"] < 15


def test_gymnasium_box_actions_few_updates():
    env = gymnasium.make_vec("Pendulum-v1", num_envs=4)
    cfg = few_updates("Pendulum-v1", num_envs=4, num_steps=32, minibatch_size=64)
    policy, history = T.train(cfg, env=env, progress=False)
    check_history(history, 3)
    assert policy.log_std.shape == (1,)


@pytest.mark.parametrize("game", [reach.multi, reach.box], ids=["multidiscrete", "box"])
def test_native_multidiscrete_and_box_actions(game):
    env = npf.make(game, num_envs=64, seed=0, report_interval=0)
    cfg = few_updates(game.name)
    seen = []
    step = env.step

    def spy(actions):
        seen.append(actions.copy())
        return step(actions)

    env.step = spy
    policy, history = T.train(cfg, env=env, progress=False)
    check_history(history, 3)
    acts = np.concatenate(seen)
    assert acts.dtype == env.actions.dtype and acts.shape[1:] == (2,)
    assert all(game.action_space.contains(a) for a in acts[:500])
    assert len(np.unique(acts[:, 0])) > 2  # sampled, not constant


def test_connect4_action_mask_never_plays_an_illegal_move():
    cfg = few_updates("connect4")
    assert cfg.action_mask == 7
    policy, history = T.train(cfg, progress=False)
    check_history(history, 3)
    result = T.evaluate(policy, T.make_env(cfg, num_envs=300), seed=2)
    assert result["illegal"] == 0 and result["n"] == 300
    unmasked = T.evaluate(None, T.make_env(cfg, num_envs=300), seed=2)
    assert unmasked["illegal"] > 0.05  # random play does hit full columns


def test_multi_agent_masks_leave_out_the_agent_not_to_move():
    cfg = few_updates("connect4_selfplay", num_envs=32, agents=2)
    env = T.make_env(cfg)
    policy, history = T.train(cfg, env=env, progress=False)
    check_history(history, 3)
    assert env.num_agents == 64
    # one agent of each game moves in each step: the other half of the agent steps is left out
    assert [h["samples"] for h in history] == [32 * 16] * 3


def test_evaluate_counts_each_games_first_episode():
    env = npf.make("squared", num_envs=50, seed=0, report_interval=0)
    result = T.evaluate(None, env, seed=1)
    assert result["n"] == 50 and result["unfinished"] == 0
    assert 0 <= result["episode_return"] < 0.3 and 1 <= result["episode_length"] <= 20


def test_evaluate_reports_unfinished_games():
    env = npf.make("pong", num_envs=4, seed=0, report_interval=0)
    result = T.evaluate(None, env, seed=1, max_steps=50)  # no game of 21 points ends in 50 steps
    assert result == dict(n=0, unfinished=4)


def test_bad_configs_fail_clearly():
    with pytest.raises(ValueError, match="action_mask=7 needs a Discrete"):
        T.train(few_updates("squared", action_mask=7), progress=False)
    env = gymnasium.make_vec("CartPole-v1", num_envs=2, vectorization_mode="sync",
                             vector_kwargs=dict(autoreset_mode=gymnasium.vector.AutoresetMode.DISABLED))
    with pytest.raises(ValueError, match="DISABLED"):
        T.train(few_updates("CartPole-v1", num_envs=2), env=env, progress=False)


def test_cli_train_then_eval(tmp_path, capsys):
    path = tmp_path / "sq.pt"
    assert cli.main(["train", "squared", "--total-steps", "4096", "--num-envs", "64", "--num-steps", "16",
                     "--minibatch-size", "512", "--learning-rate", "0.001", "--norm-adv", "false",
                     "--out", str(path), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "steps/s overall" in out and "episode_return=" in out
    _, cfg, history = T.load(str(path))
    assert (cfg.total_steps, cfg.num_envs, cfg.learning_rate, cfg.norm_adv) == (4096, 64, 0.001, False)
    assert cfg.gamma == T.DEFAULTS["squared"]["gamma"]
    assert len(history) == 4

    assert cli.main(["eval", "squared", "--policy", str(path), "--episodes", "30"]) == 0
    out = capsys.readouterr().out
    assert "episode_return=" in out and "episode_length=" in out and "n=30" in out
    assert cli.main(["eval", "squared", "--random", "--episodes", "30"]) == 0
    assert "random policy" in capsys.readouterr().out


def test_cli_train_with_env_params_and_eval_log_fields(tmp_path, capsys):
    path = tmp_path / "pong.pt"
    assert cli.main(["train", "pong", "--total-steps", "2048", "--num-envs", "64", "--num-steps", "16",
                     "--env-param", "max_score=1", "--out", str(path), "--quiet"]) == 0
    _, cfg, _ = T.load(str(path))
    assert cfg.env_params == {"max_score": 1}
    assert cli.main(["eval", "pong", "--policy", str(path), "--episodes", "8"]) == 0
    assert "score=" in capsys.readouterr().out  # the env's own log field


def cli_error(argv, capsys):
    """The one stderr line of a CLI error (exit status 2)."""
    with pytest.raises(SystemExit) as e:
        cli.main(argv)
    err = capsys.readouterr().err
    assert e.value.code == 2 and len(err.splitlines()) == 1, err
    return err


def test_cli_errors(tmp_path, capsys):
    assert "no checkpoint" in cli_error(["eval", "squared", "--policy", str(tmp_path / "missing.pt")], capsys)
    path = tmp_path / "sq.pt"
    cli.main(["train", "squared", "--total-steps", "1024", "--num-envs", "64", "--num-steps", "16", "--out",
              str(path), "--quiet"])
    assert "trained on 'squared', not 'pong'" in cli_error(["eval", "pong", "--policy", str(path)], capsys)
    assert "unexpected keyword argument" in cli_error(["train", "squared", "--env-param", "nope=1", "--quiet"], capsys)
    assert "expected true or false" in cli_error(["train", "squared", "--anneal-lr", "maybe"], capsys)


def test_cli_train_says_the_steps_it_runs_and_keeps_an_existing_checkpoint(tmp_path, capsys):
    path = tmp_path / "sq.pt"
    args = ["train", "squared", "--total-steps", "2500", "--num-envs", "64", "--num-steps", "16", "--out", str(path),
            "--quiet"]
    assert cli.main(args) == 0
    assert "numbapuffer train squared: 2,048 steps (--total-steps 2,500 in whole rollouts of 64 agents x 16 steps)" \
        in capsys.readouterr().out
    _, _, history = T.load(str(path))
    assert history[-1]["step"] == 2048
    written = path.stat().st_mtime_ns
    err = cli_error(args, capsys)
    assert "sq.pt exists: pass --force to overwrite it" in err and path.stat().st_mtime_ns == written
    assert cli.main(args + ["--force", "--total-steps", "1024"]) == 0
    assert "1,024 steps ->" in capsys.readouterr().out and len(T.load(str(path))[2]) == 1


def test_cli_eval_render_plays_one_game_in_a_window(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    path = tmp_path / "sq.pt"
    cli.main(["train", "squared", "--total-steps", "1024", "--num-envs", "64", "--num-steps", "16", "--out",
              str(path), "--quiet"])
    drawn = []
    from numbapuffer.engine import render
    real = render.Renderer.show
    monkeypatch.setattr(render.Renderer, "show", lambda self, s: drawn.append(1) or real(self, s))
    assert cli.main(["eval", "squared", "--policy", str(path), "--render"]) == 0
    out = capsys.readouterr().out
    assert "squared, " in out and "n=1" in out
    assert len(drawn) >= 2  # the window showed the game after reset and after each step


def run_python(code):
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)


def test_the_core_package_and_its_command_work_without_torch():
    # sys.modules["torch"] = None makes `import torch` fail, as on a machine without it
    done = run_python("import sys; sys.modules['torch'] = None\n"
                      "import numbapuffer as npf, numbapuffer.tools.cli as cli\n"
                      "env = npf.make('squared', num_envs=4); env.reset(seed=0)\n"
                      "assert cli.main(['list']) == 0\n"
                      "cli.main(['train', 'squared'])")
    assert "squared" in done.stdout
    assert done.returncode == 2 and "training needs torch" in done.stderr and "[train]" in done.stderr
    done = run_python("import sys, numbapuffer, numbapuffer.tools.cli; assert 'torch' not in sys.modules")
    assert done.returncode == 0, done.stderr


def test_cli_play_with_a_trained_policy(monkeypatch, capsys):
    """The committed Pong policy plays in the window instead of the keyboard, and wins points."""
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    pong_policy = os.path.join(ROOT, "examples", "policies", "pong.pt")
    assert cli.main(["play", "pong", "--policy", pong_policy, "--max-frames", "1200", "--fps", "0", "--seed", "0"]) == 0
    final = capsys.readouterr().out.splitlines()[-1]
    score = int(final.split("score_r=")[1].split(",")[0])
    assert score >= 1, final
    assert "trained on 'pong', not 'breakout'" in cli_error(["play", "breakout", "--policy", pong_policy,
                                                              "--max-frames", "2"], capsys)
