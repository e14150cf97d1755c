"""Checkers' rules from hand-set boards: steps and jumps, forced and chained jumps, kings,
whose side a step plays, the step's reward (its last move's), the end of a game and its log.
Boards are drawn row 0 first: . empty, a/A the agent's pawn/king, o/O the opponent's."""
import numpy as np
import pytest

import numbapuffer as npf
from numbapuffer.envs import checkers

from handset import step

UL, UR, DL, DR, JUL, JUR, JDL, JDR = range(8)
CODES = {".": 0, "a": 1, "A": 2, "o": 3, "O": 4}


def act(r, c, d, n=8):
    return (r * n + c) * 8 + d


def game(rows, turn=1, num_envs=1, **params):
    n = len(rows)
    env = npf.Env(checkers.make_game(size=n), num_envs=num_envs, seed=0, report_interval=0, **params)
    env.reset(seed=0)
    board = np.array([[CODES[ch] for ch in row] for row in rows], np.uint8)
    s = env.state
    s["board"][:] = board
    s["agent_pieces"][:] = ((board == 1) | (board == 2)).sum()
    s["opponent_pieces"][:] = ((board == 3) | (board == 4)).sum()
    s["turn"][:] = turn
    return env


def board(env):
    inverse = {v: k for k, v in CODES.items()}
    return ["".join(inverse[int(v)] for v in row) for row in env.state["board"][0]]


# The opponent's lone pawn in the corner has one move (up-right): the random player is forced.
LONE = "o......."


def test_start_position_and_observation():
    env = npf.make("checkers", num_envs=1, seed=0)
    env.reset(seed=0)
    assert board(env) == [".a.a.a.a", "a.a.a.a.", ".a.a.a.a", "........", "........",
                          "o.o.o.o.", ".o.o.o.o", "o.o.o.o."]
    np.testing.assert_array_equal(env.observations[0], env.state["board"][0].reshape(-1))
    s = env.state[0]
    assert (s["agent_pieces"], s["opponent_pieces"], s["turn"]) == (12, 12, 1)


def test_a_step_then_the_random_reply():
    env = game(["........", "........", ".a......", "........", "........", "........", "........", LONE])
    s, obs, rew, term, trunc = step(env, act(2, 1, DR))
    assert board(env)[3] == "..a....." and board(env)[6] == ".o......" and board(env)[7] == "........"
    assert rew == 0 and not term and not trunc and s["turn"] == 1  # the reply's reward: an opponent step, 0
    np.testing.assert_array_equal(obs, s["board"].reshape(-1))


def test_an_illegal_move_lets_the_random_player_move_the_agents_side():
    rows = ["........", "........", ".a......", "........", "........", "........", "........", LONE]
    env = game(rows)
    s, _, rew, *_ = step(env, act(2, 1, UL))  # a pawn never steps back
    assert board(env)[2] == "........" and board(env)[3] == "a......."  # its first legal move: down-left
    assert rew == pytest.approx(0.01) and s["turn"] == 3
    # now the agent's action moves the opponent's side, and the random player the agent's
    s, _, rew, *_ = step(env, act(7, 0, UR))
    assert board(env)[6] == ".o......" and board(env)[4] == ".a......" and rew == pytest.approx(0.01)


def test_a_jump_takes_the_piece_and_is_forced():
    rows = ["........", "........", ".a......", "..o.....", "........", "........", "........", LONE]
    env = game(rows)
    s, _, rew, *_ = step(env, act(2, 1, DL))  # a step while a jump exists: illegal, the random player jumps
    assert board(env)[2] == "........" and board(env)[3] == "........" and board(env)[4] == "...a...."
    assert s["opponent_pieces"] == 1 and rew == pytest.approx(0.01) and s["turn"] == 3


def test_a_jump_chains_while_a_forward_jump_remains():
    rows = ["........", "........", ".a......", "..o.....", "........", "....o...", "........", LONE]
    env = game(rows)
    s, _, rew, *_ = step(env, act(2, 1, JDR))
    # the agent's side jumped twice: its own jump, then the random player's for the same side
    assert board(env)[3] == "........" and board(env)[5] == "........" and board(env)[6] == ".....a.."
    assert s["opponent_pieces"] == 1 and rew == pytest.approx(0.01)


def test_the_opponents_jump_pays_the_agent_a_twentieth():
    rows = ["........", "........", ".......a", "........", "........", "..a.....", "...o....", "....o..."]
    env = game(rows)  # (7, 4) blocks the agent's jump over (6, 3)
    s, _, rew, *_ = step(env, act(2, 7, DL))
    assert board(env)[5] == "........" and board(env)[4] == ".o......"
    assert s["agent_pieces"] == 1 and rew == pytest.approx(0.1 - 0.05)


def test_promotion_pays_when_an_agent_king_stands_on_the_far_row():
    rows = ["...o....", "........", "........", "........", "........", "........", ".a......", "........"]
    env = game(rows)
    s, _, rew, *_ = step(env, act(0, 0, DR))  # no piece there: the random player moves the agent's pawn
    assert board(env)[7] == "A......." and rew == pytest.approx(0.06)


def test_a_king_moves_and_jumps_backward_but_its_backward_jump_is_not_forced():
    rows = ["........", "........", "........", "........", "..o.....", "...A....", "........", LONE]
    env = game(rows)
    s, *_ = step(env, act(5, 3, DR))  # a step, though a backward jump exists
    assert board(env)[6][4] == "A"
    env = game(rows)
    s, *_ = step(env, act(5, 3, JUL))
    assert board(env)[3] == ".A......" and s["opponent_pieces"] == 1


def test_taking_the_last_piece_wins():
    rows = ["........", "........", ".a......", "..o.....", "........", "........", "........", "........"]
    env = game(rows)
    s, obs, rew, term, trunc = step(env, act(2, 1, JDR))
    assert rew == 1 and term and not trunc
    assert board(env)[0] == ".a.a.a.a"  # a new game
    log = env.log()
    assert (log["perf"], log["winrate"], log["episode_length"], log["n"]) == (1, 1, 1, 1)
    assert log["score"] == pytest.approx(1.4)  # one agent pawn on row 4


def test_a_side_that_cannot_move_loses():
    # the agent's step blocks the opponent's only pawn (no step, no jump): the agent wins
    env = game(["........", "........", "........", "........", "........", "a.a.....", "........", "o......."])
    s, _, rew, term, _ = step(env, act(5, 0, DR))
    assert rew == 1 and term and env.log()["perf"] == 1
    # the opponent's step (played by the agent's action) leaves the agent's pawn blocked: it loses
    env = game(["........", "........", "........", "....o...", "........", "o.o.....", ".a......", "o.o....."],
               turn=3)
    s, _, rew, term, _ = step(env, act(3, 4, UR))
    assert rew == -1 and term
    log = env.log()
    assert log["perf"] == 0 and log["score"] == pytest.approx(1.6 - 1.5 - 1.2 - 1.2 - 1.0 - 1.0)


@pytest.mark.parametrize("cached", [False, True])
def test_stale_capture_cache_is_the_cs_and_off_by_default(cached):
    # The agent's action plays the opponent's jump over (5, 1), which ends its turn; then the
    # random player moves the agent's side, which has a jump ((2, 3) over (3, 4)). As the C
    # (c_capture_cache) that first move need not be the jump: its pieces' first legal moves
    # are then steps.
    rows = ["........", "..a.....", "...a....", "....o...", "........", ".a......", "..o.....", "........"]
    env = game(rows, turn=3, num_envs=64, c_capture_cache=cached)
    env.step(np.full(64, act(6, 2, JUL)))
    boards = env.state["board"]
    assert (boards[:, 4, 0] == 3).all() and (boards[:, 5, 1] == 0).all()
    jumped = boards[:, 4, 5] == 1
    assert jumped.all() if not cached else not jumped.any()


def test_max_steps_truncates():
    env = npf.make("checkers", num_envs=1, seed=0, max_steps=3, report_interval=0)
    env.reset(seed=0)
    results = [step(env, act(2, 1, DR))[3:] for _ in range(3)]
    assert [r[1] for r in results] == [False, False, True]


def test_sizes_and_checks():
    env = npf.Env(checkers.make_game(size=6), num_envs=1, seed=0)
    env.reset(seed=0)
    assert env.single_action_space.n == 6 * 6 * 8 and env.state[0]["agent_pieces"] == 9
    with pytest.raises(ValueError, match="at least 6"):
        checkers.make_game(size=5)
    with pytest.raises(ValueError, match="max_steps=-1 must be >= 0"):
        npf.make("checkers", max_steps=-1)
