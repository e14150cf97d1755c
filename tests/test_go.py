"""Go's rules from hand-set boards: stones, captures, suicide, ko, the opponent's priorities,
rewards, the end of a game and its score as PufferLib counts it; and its logged stats beside
PufferLib's C."""
import numpy as np
import pytest

import numbapuffer as npf
from numbapuffer.engine import logs
from numbapuffer.envs import go

from handset import one_game, step

N = 7
f32 = np.float32


def board(*rows):
    """A one-game env with this board: rows of '.', 'B' (black, the agent) and 'W'."""
    env = one_game("go")
    cells = np.zeros((N, N), np.int8)
    for y, line in enumerate(rows):
        for x, ch in enumerate(line):
            cells[y, x] = ".BW".index(ch)
    env.state["board"][0] = cells.reshape(-1)
    return env


def at(env, x, y):
    return ".BW"[env.state["board"][0, y * N + x]]


def move(x, y):
    return 1 + y * N + x


def test_reset_and_observation_layout():
    env = one_game("go")
    assert env.observations.shape == (1, 2 * N * N + 2) and not env.observations.any()
    s, obs, rew, term, _ = step(env, move(3, 2))
    assert obs[2 * N + 3] == 1 and obs[:N * N].sum() == 1  # black's plane
    assert obs[N * N:2 * N * N].sum() == 1 and (s["board"] == 2).sum() == 1  # white answered
    assert rew == f32(0.1) and not term and obs[-2:].tolist() == [0, 0]


def test_occupied_point_is_refused_and_white_does_not_answer():
    env = board("..W")
    s, obs, rew, term, _ = step(env, move(2, 0))
    assert rew == f32(-0.1) and not term and (s["board"] != 0).sum() == 1


def test_suicide_is_refused():
    env = board(".W", "W")
    s, _, rew, *_ = step(env, move(0, 0))
    assert rew == f32(-0.1) and at(env, 0, 0) == "." and (s["board"] != 0).sum() == 2


def test_black_captures_and_the_valid_move_reward_replaces_its_capture_reward():
    env = board(".B", "BW", ".B")  # white (1, 1) has one liberty left: (2, 1)
    s, obs, rew, *_ = step(env, move(2, 1))
    assert at(env, 1, 1) == "." and s["captures"].tolist() == [1, 0] and obs[-2] == 1
    assert rew == f32(0.1)  # as in PufferLib: reward_player_capture is not paid


def test_suicide_that_captures_stands():
    env = board(".WB", "WB", "B")  # (0, 0) has no liberty for black but captures both whites
    s, *_ = step(env, move(0, 0))
    assert at(env, 0, 0) == "B" and at(env, 1, 0) == "." and at(env, 0, 1) == "."
    assert s["captures"][0] == 2


def test_white_captures_a_group_in_atari_and_black_pays_per_stone():
    env = board("BB.", "WWW")  # black's pair has one liberty: (2, 0)
    s, obs, rew, term, _ = step(env, move(5, 5))
    assert at(env, 2, 0) == "W" and at(env, 0, 0) == "." and at(env, 1, 0) == "."
    assert s["captures"].tolist() == [0, 2] and obs[-1] == 2
    assert rew == f32(0.1) + f32(-0.25) + f32(-0.25) and not term


def test_a_stones_reward_is_clipped_but_a_pass_is_not():
    env = board("BBBBBB.", "WWWWWWW")  # six black stones in atari on (6, 0)
    _, _, rew, *_ = step(env, move(3, 4))
    assert rew == -1
    env = board("BBBBBB.", "WWWWWWW")
    _, _, rew, *_ = step(env, go.PASS)
    assert rew == f32(-0.25) * 7  # the pass and six captured stones


def test_white_saves_its_own_group_in_atari():
    env = board("WB.")  # white (0, 0)'s last liberty is (0, 1)
    step(env, move(6, 3))
    assert at(env, 0, 1) == "W" and at(env, 0, 0) == "W"


def test_white_attacks_the_black_group_with_fewest_liberties():
    env = board(".......", ".B.....")  # black (1, 1) has 4 liberties; black (6, 6) will have 2
    step(env, move(6, 6))
    whites = [(x, y) for y in range(N) for x in range(N) if at(env, x, y) == "W"]
    assert whites == [(5, 6)]  # the first liberty of the corner stone's walk: x - 1 first


def test_white_fills_the_atari_liberty_first():
    env = board("B......", "W......")  # black (0, 0) has one liberty: (1, 0)
    step(env, move(4, 4))
    assert at(env, 1, 0) == "W" and at(env, 0, 0) == "."


def test_ko_white_cannot_take_back_at_once_and_leaves_no_trace():
    env = board(".BWW", "BW.W", ".BW")
    s, obs, *_ = step(env, move(2, 1))  # black takes (1, 1), its stone then in atari
    # white's retake at (1, 1) would repeat the board: refused (and its capture not counted);
    # (0, 0) is suicide; the next black group's first liberty is (1, 1) again; then (0, 2)
    assert at(env, 1, 1) == "." and at(env, 2, 1) == "B" and at(env, 0, 2) == "W"
    assert s["captures"].tolist() == [1, 0] and obs[-2:].tolist() == [1, 0]
    assert (s["board"] == 2).sum() == 5


def test_game_ends_after_three_moves_per_point():
    env = board("BBB")
    env.state["tick"][0] = 3 * N * N
    s, obs, rew, term, _ = step(env, move(4, 4))
    assert term and rew == -1  # 3 stones - 7.5; the action is not played
    assert obs[4 * N + 4] == 0
    log = env.log()
    assert log["score"] == -4.5 and log["perf"] == 0 and log["n"] == 1


def test_game_ends_when_white_has_no_legal_point_and_black_wins():
    rows = ["BBBBBBB"] * N
    rows[0], rows[6] = ".BBBBBB", "BBBBBB."
    env = board(*rows)
    s, obs, rew, term, _ = step(env, go.PASS)
    assert term and rew == 1
    log = env.log()
    assert log["score"] == 47 + 2 - 7.5 and log["perf"] == 1


def test_score_counts_only_the_regions_pufferlibs_walk_counts():
    env = board(*["..B...."] * N)  # a black wall: true Tromp-Taylor gives black the whole board
    env.state["tick"][0] = 3 * N * N
    step(env, 0)
    assert env.log()["score"] == 7 - 7.5  # both sides' regions count as mixed
    env = board(".B", "B")
    env.state["tick"][0] = 3 * N * N
    step(env, 0)
    assert env.log()["score"] == 2 + 1 - 7.5  # the one-point eye counts


def test_params_and_sizes_are_checked():
    with pytest.raises(ValueError):
        npf.make("go", komi=np.float32(np.inf))
    with pytest.raises(ValueError):
        go.make_game(grid_size=0)
    env = npf.Env(go.make_game(grid_size=3), num_envs=4, seed=0)
    env.reset(seed=0)
    rng = np.random.default_rng(0)
    for _ in range(100):
        env.step(rng.integers(0, 10, 4))
    assert env.single_action_space.n == 10


@pytest.mark.slow
def test_logged_stats_match_the_c(tmp_path, monkeypatch):
    pytest.importorskip("pufferlib.ocean", reason="PufferLib's C envs: ../shared/tools/build_pufferlib.sh VENV all")
    monkeypatch.chdir(tmp_path)  # `import pufferlib` makes a `resources` symlink in the current folder
    from benchmarks.ocean import random_actions
    from pufferlib.ocean.go.go import Go
    games, steps = 256, 1500
    c = Go(num_envs=games)  # log_interval 1: each log holds one step's episodes (its perf is a mean per game)
    c.reset(seed=0)
    ours = npf.make("go", num_envs=games, seed=0)
    ours.reset(seed=0)
    acts = random_actions(ours.single_action_space, games, 64, 0).astype(np.int32)
    c_logs = []
    for t in range(steps):
        c_logs += c.step(acts[t % 64])[4]
        ours.step(acts[t % 64])
    mine, theirs = ours.log(), logs.merge(c_logs)  # the C's logs weighted by their counts, n summed
    assert mine["n"] > 2000 and theirs["n"] > 2000
    assert mine["episode_length"] == pytest.approx(theirs["episode_length"], rel=0.01)
    assert mine["score"] == pytest.approx(theirs["score"], rel=0.03)
    assert mine["perf"] == pytest.approx(theirs["perf"], abs=0.01)
