"""Tetris's rules from hand-set states: moves, rotation, drops, gravity, clearing rows, hold,
the end of a game and the observation layout; and its logged stats beside PufferLib's C."""
import numpy as np
import pytest

import numbapuffer as npf
from numbapuffer.envs import tetris
from numbapuffer.envs.tetris import HARD_DROP, HOLD, LEFT, NOOP, RIGHT, ROTATE, SOFT_DROP

from handset import one_game, put, step

f32 = np.float32
O, I, S, Z, T, L, J = range(7)
ROWS, COLS = 20, 10


def game(piece=T, deck=(T, O, I), **fields):
    """One game, empty well, `piece` falling at the spawn point, deck[1:] next."""
    env = one_game("tetris")
    env.state["grid"][0] = 0
    env.state["deck"][0] = deck
    put(env, **{**dict(piece=piece, deck_pos=0, rot=0, row=0, col=COLS // 2, tick=0, tick_fall=0, hold=-1, can_swap=1,
                       score=0, lines=0, combos=0, soft_drops=0, hard_drops=0, rotates=0), **fields})
    return env


def cells(s):
    """The falling piece's cells (row, col) in the well."""
    return {(int(s["row"]) + r, int(s["col"]) + c) for r, c in np.argwhere(tetris.SHAPE[s["piece"], s["rot"]])}


def test_pieces_as_drawn():
    assert tetris.SHAPE.sum((2, 3)).tolist() == [[4] * 4] * 7
    assert tetris.FILL_ROWS[I].tolist() == [4, 1, 4, 1] and tetris.FILL_COLS[I].tolist() == [1, 4, 1, 4]
    assert tetris.FILL_ROWS[T].tolist() == [3, 2, 3, 2] and tetris.FILL_COLS[O].tolist() == [2, 2, 2, 2]


def test_reset_and_observation_layout():
    env = one_game("tetris")
    s, obs = env.state[0], env.observations[0]
    assert obs.shape == (ROWS * COLS + 6 + 7 * 4,)
    assert (s["row"], s["col"], s["rot"], s["hold"], s["can_swap"], s["tick"]) == (0, 5, 0, -1, 1, 0)
    assert s["piece"] == s["deck"][s["deck_pos"]]
    well = np.zeros(ROWS * COLS, np.float32)
    for r, c in cells(s):
        well[r * COLS + c] = 2
    np.testing.assert_array_equal(obs[:200], well)
    env = game(piece=T, deck=(T, O, I), tick=8, tick_fall=2, row=3, col=4, rot=2, hold=Z, can_swap=0)
    s, obs, *_ = step(env, NOOP)  # tick 9, fall 3
    o = 200
    expected = np.zeros(34, np.float32)
    expected[:4] = f32(9) / f32(10000), f32(3) / f32(4), f32(3) / f32(20), f32(4) / f32(10)
    expected[4], expected[5] = 2, 0  # the rotation as it is, can-hold
    for j, t in enumerate((T, O, I)):  # the deck's one-hots start at entry 4, over those two
        expected[4 + 7 * j + t] = 1
    expected[4 + 21 + Z] = 1
    np.testing.assert_array_equal(obs[o:], expected)
    assert obs[o + 4] == 2 and obs[o + 4 + T] == 1  # the rotation shows through; the current T's one-hot
    assert obs.max() <= env.single_observation_space.high.max()


@pytest.mark.parametrize("action, col", [(LEFT, 4), (RIGHT, 6), (NOOP, 5)])
def test_moves(action, col):
    env = game()
    s, *_, rew, term, _ = step(env, action)
    assert s["col"] == col and rew == 0 and not term


def test_walls_and_blocks_stop_moves():
    env = game(piece=O, col=0)
    s, *_ = step(env, LEFT)
    assert s["col"] == 0
    env = game(piece=O, col=8)
    s, *_ = step(env, RIGHT)
    assert s["col"] == 8
    env = game(piece=O, col=4)
    env.state["grid"][0, 1, 3] = 1
    s, *_ = step(env, LEFT)
    assert s["col"] == 4


def test_rotation_and_its_limits():
    env = game(piece=I, col=3)
    s, *_ = step(env, ROTATE)
    assert s["rot"] == 1 and s["rotates"] == 1
    env = game(piece=I, col=7)  # lying down, it would stick out on the right
    s, *_ = step(env, ROTATE)
    assert s["rot"] == 0 and s["rotates"] == 1
    env = game(piece=T, col=3)
    env.state["grid"][0, 1, 5] = 1  # the turned T needs that cell
    s, *_ = step(env, ROTATE)
    assert s["rot"] == 0


def test_soft_drop_scores_and_stops_at_the_floor():
    env = game(piece=O)
    s, _, rew, *_ = step(env, SOFT_DROP)
    assert s["row"] == 1 and s["score"] == 1 and rew == f32(0.01)
    env = game(piece=O, row=ROWS - 2, tick_fall=0)
    s, _, rew, *_ = step(env, SOFT_DROP)
    assert s["row"] == ROWS - 2 and rew == 0 and s["soft_drops"] == 1


def test_gravity_every_fourth_tick():
    env = game(piece=O)
    for t in range(1, 9):
        s, *_ = step(env, NOOP)
        assert s["row"] == t // 4 and s["tick_fall"] == t % 4


def test_gravity_places_a_piece_that_cannot_fall():
    env = game(piece=O, row=ROWS - 2, tick_fall=3)
    s, _, rew, term, _ = step(env, NOOP)
    assert not term and rew == 0
    assert s["grid"][ROWS - 2:, 5:7].tolist() == [[O + 1] * 2] * 2
    assert (s["piece"], s["row"], s["col"], s["deck_pos"]) == (O, 0, 5, 1)  # the deck's next piece


def test_hard_drop_scores_per_row_and_places():
    env = game(piece=O)
    s, obs, rew, term, _ = step(env, HARD_DROP)
    assert not term and s["score"] == 2 * 18 and rew == pytest.approx(0.02 * 18, rel=1e-5)
    assert s["grid"][18:, 5:7].all() and s["grid"].sum() == 4 * (O + 1)
    assert s["hard_drops"] == 1 and s["tick_fall"] == 0
    assert obs[18 * COLS + 5] == 1 and obs[5] == 2  # placed cells 1, the new piece 2


@pytest.mark.parametrize("rows, reward, score", [(1, 0.1, 100), (2, 0.3, 300), (3, 0.5, 500), (4, 1.0, 1000)])
def test_clearing_rows(rows, reward, score):
    env = game(piece=I, col=0, row=ROWS - 4, tick_fall=3)  # upright in column 0, on the floor
    grid = env.state["grid"][0]
    grid[ROWS - 4:, 1:] = 1
    grid[ROWS - 4:ROWS - rows, 5] = 0  # the rows above the cleared ones keep a hole
    grid[ROWS - 5, 3] = 2  # a cell above it all falls by the cleared rows
    s, _, rew, term, _ = step(env, NOOP)
    assert not term and rew == f32(reward) and s["score"] == score and s["lines"] == rows and s["combos"] == 1
    assert s["grid"][ROWS - 5 + rows, 3] == 2 and s["grid"][:ROWS - 5 + rows].sum() == 0
    assert (s["grid"][ROWS - 4 + rows:] > 0).sum() == (4 - rows) * 9


def test_hold_takes_the_next_piece_then_swaps_back_after_a_placement():
    env = game(piece=T, deck=(T, O, I), row=2)
    s, *_ = step(env, HOLD)
    assert (s["hold"], s["piece"], s["can_swap"], s["row"], s["deck_pos"]) == (T, O, 0, 0, 1)
    s, *_ = step(env, HOLD)  # once per placed piece
    assert (s["hold"], s["piece"]) == (T, O)
    step(env, HARD_DROP)
    s = env.state[0]
    assert s["can_swap"] == 1 and s["piece"] == I
    put(env, col=3, row=4)
    s, *_ = step(env, HOLD)
    assert (s["hold"], s["piece"], s["rot"], s["row"], s["col"]) == (I, T, 0, 0, 5)
    assert s["deck"][s["deck_pos"]] == T


def test_hold_refused_when_the_held_piece_would_overlap_one_column_right():
    env = game(piece=T, hold=O, row=5, col=2)
    env.state["grid"][0, 5, 3] = 1
    s, *_ = step(env, HOLD)
    assert (s["hold"], s["piece"]) == (O, T)


def test_game_ends_when_the_next_piece_cannot_spawn():
    env = game(piece=O, deck=(O, I, T), row=ROWS - 2, col=0, tick=99, tick_fall=3, soft_drops=10, rotates=20)
    env.state["grid"][0, 3, 5] = 1  # in the way of the next piece, the upright I
    s, obs, rew, term, _ = step(env, HARD_DROP)
    assert term and rew == 0
    log = env.log()
    assert log["n"] == 1
    assert log["atn_frac_soft_drop"] == pytest.approx(0.1) and log["atn_frac_rotate"] == pytest.approx(0.2)
    assert log["atn_frac_hard_drop"] == pytest.approx(0.01) and log["avg_combo"] == 1
    assert env.state["tick"][0] == 0 and env.state["grid"][0].sum() == 0  # the next game


def test_game_ends_at_the_tick_limit_on_a_placement():
    env = game(piece=O, tick=tetris.MAX_TICKS + 5)
    s, _, rew, term, trunc = step(env, NOOP)
    assert not term
    s, _, rew, term, trunc = step(env, HARD_DROP)
    assert term and not trunc


def test_sizes_are_checked():
    for bad in (dict(n_cols=3), dict(n_rows=3), dict(deck_size=0), dict(n_cols=2.5)):
        with pytest.raises(ValueError):
            tetris.make_game(**bad)
    small = tetris.make_game(n_cols=4, n_rows=4, deck_size=1)
    env = npf.Env(small, num_envs=8, seed=0)
    env.reset(seed=0)
    for _ in range(200):
        env.step(np.random.default_rng(0).integers(0, 7, 8))
    assert env.single_observation_space.shape == (16 + 6 + 14,)


@pytest.mark.slow
def test_logged_stats_match_the_c(tmp_path, monkeypatch):
    pytest.importorskip("pufferlib.ocean", reason="PufferLib's C envs: ../shared/tools/build_pufferlib.sh VENV all")
    monkeypatch.chdir(tmp_path)  # `import pufferlib` makes a `resources` symlink in the current folder
    from benchmarks.ocean import random_actions
    from pufferlib.ocean.tetris import binding
    from pufferlib.ocean.tetris.tetris import Tetris
    games, steps = 256, 3000
    c = Tetris(num_envs=games, log_interval=10**9)
    c.reset(seed=0)
    ours = npf.make("tetris", num_envs=games, seed=0)
    ours.reset(seed=0)
    acts = random_actions(ours.single_action_space, games, 64, 0).astype(np.int32)
    for t in range(steps):
        c.step(acts[t % 64])
        ours.step(acts[t % 64])
    theirs, mine = binding.vec_log(c.c_envs), ours.log()
    c.close()
    assert mine["n"] > 5000 and theirs["n"] > 5000
    for k in ("score", "perf", "atn_frac_soft_drop", "atn_frac_hard_drop", "atn_frac_rotate"):
        assert mine[k] == pytest.approx(theirs[k], rel=0.03), k
    assert mine["episode_length"] == pytest.approx(theirs["ep_length"], rel=0.02)
    assert mine["episode_return"] == pytest.approx(theirs["ep_return"], rel=0.03)
    assert mine["avg_combo"] == pytest.approx(theirs["avg_combo"], rel=0.01)
