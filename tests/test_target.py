"""Target's rules from hand-set states: turning, speed, moving and its clipping, the jump
after 512 steps, eating goals, the observation layout; and its logged stats beside
PufferLib's C."""
import math

import numpy as np
import pytest

import numbapuffer as npf
from numbapuffer.envs import target

f32 = np.float32
SMALL = target.make_game(num_agents=2, num_goals=2)
W, H = 1080, 720


def field(**params):
    env = npf.Env(SMALL, num_envs=1, seed=0, report_interval=0, **params)
    env.reset(seed=0)
    put(env, x=[100, 900], y=[100, 600], heading=[0, 0], speed=[0, 0], ticks=[0, 0], goal_x=[500, 500],
        goal_y=[300, 400])
    return env


def put(env, **fields):
    for k, v in fields.items():
        env.state[k][0] = v


def step(env, *actions):
    obs, rew, term, trunc, _ = env.step(np.array(actions, np.int32))
    return env.state[0], obs.copy(), rew.copy(), term.copy(), trunc.copy()


STILL = (4, 2)


def test_turn_speed_and_move():
    env = field()
    s, *_ = step(env, (8, 4), (0, 0))
    assert s["heading"][0] == f32(4) / f32(12) and s["speed"][0] == 2
    c, sn = target.cos_sin(f32(1 / 3))
    assert s["x"][0] == f32(100) + f32(2) * c and s["y"][0] == f32(100) + f32(2) * sn
    assert s["heading"][1] == 0 and s["speed"][1] == -2 and s["x"][1] == 898 and s["y"][1] == 600


def test_cos_sin_to_a_few_ulp():
    for h in np.linspace(0, 2 * math.pi, 2001).astype(np.float32):
        c, sn = target.cos_sin(h)
        assert abs(c - math.cos(h)) < 2e-7 and abs(sn - math.sin(h)) < 2e-7


def test_heading_speed_and_position_are_clipped():
    env = field()
    put(env, heading=[f32(6.2), f32(0.1)], speed=[f32(19.5), f32(-19.5)], x=[1079, 2], y=[300, 300])
    s, *_ = step(env, (8, 4), (0, 0))
    assert s["heading"][0] == target.TWO_PI and s["speed"][0] == 20
    assert s["heading"][1] == 0 and s["speed"][1] == -20
    assert s["x"][0] == W and s["x"][1] == 0


def test_an_agent_jumps_after_512_steps_without_a_goal():
    env = field()
    put(env, ticks=[510, 0])
    s, *_ = step(env, STILL, STILL)
    assert (s["x"][0], s["y"][0]) == (100, 100)
    s, *_ = step(env, STILL, STILL)
    assert (s["x"][0], s["y"][0]) != (100, 100) and s["x"][0] == int(s["x"][0]) and s["ticks"][0] == 512
    assert (s["x"][1], s["y"][1]) == (900, 600)


def test_eating_a_goal_pays_and_ends_the_agents_episode_only():
    env = field()
    put(env, x=[500 - 32, 900], y=[300, 600], ticks=[40, 7])
    s, obs, rew, term, trunc = step(env, STILL, STILL)  # exactly 32 pixels away: eaten
    assert rew.tolist() == [1, 0] and trunc.tolist() == [True, False] and not term.any()
    assert (s["goal_x"][0], s["goal_y"][0]) != (500, 300) and s["ticks"].tolist() == [0, 8]
    assert obs[0, 2 * 4 + 1] == 1  # the reward entry
    log = env.log()
    assert log == {"episode_return": 1, "episode_length": 1, "score": 1, "perf": 1, "n": 1}  # 1 step since reset
    s, _, rew, _, trunc = step(env, STILL, STILL)
    assert not rew.any() and not trunc.any() and (s["x"][1], s["y"][1]) == (900, 600)  # the game went on


def test_two_goals_in_one_step_are_one_reward():
    env = field()
    put(env, x=[500, 900], y=[315, 600], goal_y=[300, 330])
    s, _, rew, _, trunc = step(env, STILL, STILL)
    assert rew[0] == 1 and trunc[0] and env.log()["score"] == 2


def test_a_goal_just_out_of_reach_stays():
    env = field()
    put(env, x=[500 - 33, 900], y=[300, 600])
    s, _, rew, *_ = step(env, STILL, STILL)
    assert not rew.any() and s["goal_x"][0] == 500


def test_observation_layout():
    env = field()
    s, obs, *_ = step(env, STILL, STILL)
    iw, ih = f32(1) / f32(W), f32(1) / f32(H)
    expected = [(f32(500) - 100) * iw, (f32(300) - 100) * ih, (f32(500) - 100) * iw, (f32(400) - 100) * ih,
                0, 0, (f32(900) - 100) * iw, (f32(600) - 100) * ih, 0, 0, f32(100) * iw, f32(100) * ih]
    np.testing.assert_array_equal(obs[0], np.array(expected, np.float32))
    assert obs[1, 4] == (f32(100) - 900) * iw and obs[1, 6] == 0 and obs.shape == (2, 2 * 4 + 4)


def test_params_and_sizes_are_checked():
    for bad in (dict(width=0), dict(height=2**25)):
        with pytest.raises(ValueError):
            npf.make("target", **bad)
    with pytest.raises(ValueError):
        target.make_game(num_agents=0)
    assert npf.make("target", num_envs=2).num_agents == 16


@pytest.mark.slow
def test_logged_stats_match_the_c(tmp_path, monkeypatch):
    pytest.importorskip("pufferlib.ocean", reason="PufferLib's C envs: ../shared/tools/build_pufferlib.sh VENV all")
    monkeypatch.chdir(tmp_path)  # `import pufferlib` makes a `resources` symlink in the current folder
    from benchmarks.ocean import random_actions
    from pufferlib.ocean.target import binding
    from pufferlib.ocean.target.target import Target
    games, steps = 256, 3000
    c = Target(num_envs=games, log_interval=10**9)
    c.reset(seed=0)
    ours = npf.make("target", num_envs=games, seed=0)
    ours.reset(seed=0)
    acts = random_actions(ours.single_action_space, ours.num_agents, 64, 0).astype(np.int32)
    for t in range(steps):
        c.step(acts[t % 64])
        ours.step(acts[t % 64])
    theirs, mine = binding.vec_log(c.c_envs), ours.log()
    c.close()
    assert mine["n"] > 2000 and mine["n"] == pytest.approx(theirs["n"], rel=0.06)
    assert mine["episode_length"] == pytest.approx(theirs["episode_length"], rel=0.06)
    assert mine["perf"] == theirs["perf"] == 1 and mine["episode_return"] == theirs["episode_return"] == 1
