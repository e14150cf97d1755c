"""Trash pickup's rules from hand-set grids: moves, pickups, drops, pushing bins, the order of
agents, the end of an episode and its team log, the observation window; and its logged
stats beside PufferLib's C."""
import numpy as np
import pytest

import numbapuffer as npf
from numbapuffer.engine import logs
from numbapuffer.envs import trash_pickup
from numbapuffer.envs.trash_pickup import AGENT, BIN, DOWN, EMPTY, LEFT, RIGHT, TRASH, UP

SMALL = trash_pickup.make_game(grid_size=5, num_agents=2, agent_sight_range=2)


def grid(*rows, **params):
    """One game of SMALL with this grid: '.', 't' trash, 'b' a bin, '0'/'1' an agent
    ('A'/'B': agent 0/1 carrying trash)."""
    params = {"num_trash": 3, "num_bins": 1, **params}
    env = npf.Env(SMALL, num_envs=1, seed=0, report_interval=0, **params)
    env.reset(seed=0)
    s = env.state[0]
    s["grid"][:] = EMPTY
    s["carrying"][:] = 0
    trash = 0
    for y, line in enumerate(rows):
        for x, ch in enumerate(line):
            if ch == "t":
                s["grid"][y, x] = TRASH
                trash += 1
            elif ch == "b":
                s["grid"][y, x] = BIN
            elif ch in "01AB":
                k = "01AB".index(ch) % 2
                s["grid"][y, x] = AGENT + k
                s["x"][k], s["y"][k], s["carrying"][k] = x, y, ch in "AB"
    s["trash_left"], s["collected"], s["t"] = trash, 0, 0
    return env


def step(env, a0, a1):
    obs, rew, term, trunc, _ = env.step(np.array([a0, a1]))
    return env.state[0], obs.copy(), rew.copy(), term.copy()


def where(s, k):
    return int(s["x"][k]), int(s["y"][k])


def test_moves_walls_and_other_agents():
    env = grid("0....", ".....", ".....", ".....", "...1t")
    s, _, rew, term = step(env, UP, DOWN)  # both into the wall
    assert where(s, 0) == (0, 0) and where(s, 1) == (3, 4) and not rew.any() and not term.any()
    s, *_ = step(env, RIGHT, LEFT)
    assert where(s, 0) == (1, 0) and where(s, 1) == (2, 4)
    assert s["grid"][0, 1] == AGENT and s["grid"][0, 0] == EMPTY and s["grid"][4, 2] == AGENT + 1


def test_agents_move_in_order():
    env = grid("01...", ".....", ".....", ".....", "....t")
    s, *_ = step(env, RIGHT, LEFT)  # each bumps into the other
    assert where(s, 0) == (0, 0) and where(s, 1) == (1, 0)
    env = grid("01...", ".....", ".....", ".....", "....t")
    s, *_ = step(env, DOWN, LEFT)  # 0 moves first: 1 takes the cell it left
    assert where(s, 0) == (0, 1) and where(s, 1) == (0, 0)
    env = grid("10...", ".....", ".....", ".....", "....t")
    s, *_ = step(env, LEFT, DOWN)  # 0 bumps into 1, which has not moved yet
    assert where(s, 0) == (1, 0) and where(s, 1) == (0, 1)


def test_pickup_and_a_carrying_agent_is_blocked_by_trash():
    env = grid("0t...", "t....", ".....", ".....", "....1")
    s, _, rew, term = step(env, RIGHT, UP)
    assert where(s, 0) == (1, 0) and s["carrying"][0] == 1 and rew.tolist() == [0.5, 0]
    assert s["trash_left"] == 1 and s["grid"][0, 1] == AGENT and not term.any()
    s, _, rew, _ = step(env, LEFT, UP)
    assert where(s, 0) == (0, 0)
    s, _, rew, _ = step(env, DOWN, UP)  # trash below: carrying, it cannot enter
    assert where(s, 0) == (0, 0) and rew[0] == 0 and s["grid"][1, 0] == TRASH


def test_drop_into_a_bin_stays_put():
    env = grid("Ab...", ".....", ".....", "..t..", "....1")
    s, _, rew, term = step(env, RIGHT, UP)
    assert where(s, 0) == (0, 0) and s["carrying"][0] == 0 and rew[0] == 0.5 and s["grid"][0, 1] == BIN
    assert not term.any()  # trash still on the grid


@pytest.mark.parametrize("rows, pushed", [(("0b...",), True), (("0b.b.",), True), (("0bt..",), False),
                                          (("...0b",), False), (("0b1..",), False)])
def test_pushing_a_bin(rows, pushed):
    rows = rows + (".....", ".....", "..t..", ("....1" if "1" not in rows[0] else "....."))
    env = grid(*rows)
    x0, y0 = where(env.state[0], 0)
    s, _, rew, _ = step(env, RIGHT, UP)
    assert rew[0] == 0
    if pushed:
        assert where(s, 0) == (x0 + 1, y0) and s["grid"][y0, x0 + 2] == BIN
    else:
        assert where(s, 0) == (x0, y0) and s["grid"][y0, x0 + 1] == BIN


def test_episode_ends_for_every_agent_when_the_last_trash_is_in_a_bin():
    env = grid("0tb..", ".....", ".....", ".....", "....1")
    s, _, rew, term = step(env, RIGHT, UP)  # pick up: the trash is carried, not yet in
    assert not term.any()
    s, obs, rew, term = step(env, RIGHT, LEFT)  # agent 1 earns nothing; agent 0 drops it in
    assert term.all() and rew.tolist() == [0.5, 0]
    log = env.log()
    assert log["n"] == 2 and log["episode_return"] == 0.5 and log["team_return"] == 1.0
    assert log["trash_collected"] == 1 and log["score"] == 1 and log["perf"] == pytest.approx(1 / 3)
    assert env.state["t"][0] == 0  # a fresh game


def test_episode_ends_after_max_steps():
    env = grid("0....", ".....", "..t..", ".....", "....1", max_steps=3)
    for t in range(3):
        s, _, _, term = step(env, UP, DOWN)
        assert term.all() == (t == 2) and term.any() == (t == 2)


def test_observation_window():
    env = grid("A1...", "b....", "..t..", ".....", ".....")
    s, obs, *_ = step(env, UP, UP)  # nobody moves
    side, plane = 5, 25
    o = obs[0].reshape(5, side, side)  # agent 0 at (0, 0): the window's centre (2, 2)
    assert not o[0].any()
    assert o[AGENT, 2, 2] == 1 and o[AGENT, 2, 3] == 1 and o[4, 2, 2] == 1 and o[4, 2, 3] == 0
    assert o[BIN, 3, 2] == 1 and o[TRASH, 4, 4] == 1
    assert not o[:, :2, :].any() and not o[:, :, :2].any()  # off the grid
    assert o.sum() == 5 and obs[1].reshape(5, 5, 5)[AGENT, 2, 1] == 1 and obs.shape[1] == 5 * plane


def test_params_and_sizes_are_checked():
    for bad in (dict(num_trash=0), dict(max_steps=0), dict(num_bins=-1), dict(num_trash=96)):
        with pytest.raises(ValueError):
            npf.make("trash_pickup", **bad)
    with pytest.raises(ValueError):
        trash_pickup.make_game(grid_size=1, num_agents=2)
    env = npf.make("trash_pickup", num_envs=4)
    assert env.num_agents == 12 and env.single_observation_space.shape == (605,)


@pytest.mark.slow
def test_logged_stats_match_the_c(tmp_path, monkeypatch):
    pytest.importorskip("pufferlib.ocean", reason="PufferLib's C envs: ../shared/tools/build_pufferlib.sh VENV all")
    monkeypatch.chdir(tmp_path)  # `import pufferlib` makes a `resources` symlink in the current folder
    from benchmarks.ocean import random_actions
    from pufferlib.ocean.trash_pickup.trash_pickup import TrashPickupEnv
    games, steps = 512, 1500
    c = TrashPickupEnv(num_envs=games)
    c.reset(seed=0)
    ours = npf.make("trash_pickup", num_envs=games, seed=0)
    ours.reset(seed=0)
    acts = random_actions(ours.single_action_space, ours.num_agents, 64, 0).astype(np.int32)
    c_logs = []
    for t in range(steps):
        c_logs += c.step(acts[t % 64])[4]
        ours.step(acts[t % 64])
    mine, theirs = ours.log(), logs.merge(c_logs)  # the C's logs weighted by their counts, n summed
    assert theirs["n"] == 5 * games and mine["n"] == 5 * games * 3  # per game there, per agent here
    assert mine["episode_length"] == theirs["episode_length"] == 300
    assert mine["team_return"] == pytest.approx(theirs["episode_return"], rel=0.02)
    # The C's trash_collected counts one bin as uncollected trash and leaves the last two
    # pieces out (see the docstring): our count - 1 + twice the chance that a piece is left,
    # 1 - our count / 15, for pieces collected alike
    expected = mine["trash_collected"] - 1 + 2 * (1 - mine["trash_collected"] / 15)
    assert expected == pytest.approx(theirs["trash_collected"], rel=0.03)
