"""Connect Four's rules from ASCII boards (X: +1, the agent / first player; O: -1), the
opponent's one-ply lookahead, and the two-player self-play game."""
import numpy as np
import pytest

import numbapuffer as npf
from numbapuffer.envs import connect4

ROWS, COLS = 6, 7
PIECES = {".": 0, "X": 1, "O": -1}


def parse(text):
    rows = text.split()
    assert len(rows) == ROWS and all(len(r) == COLS for r in rows), text
    return np.array([[PIECES[ch] for ch in row] for row in rows], np.int8)


def four_anywhere(board, piece):
    """Brute force: does `piece` hold four in a row anywhere on `board`?"""
    for r in range(ROWS):
        for c in range(COLS):
            for dr, dc in ((0, 1), (1, 0), (1, 1), (1, -1)):
                cells = [(r + i * dr, c + i * dc) for i in range(4)]
                if all(0 <= y < ROWS and 0 <= x < COLS and board[y, x] == piece for y, x in cells):
                    return True
    return False


def setup(env, text, g=0):
    """Put game g on the board drawn in `text` (pieces must rest on the floor or on pieces)."""
    board = parse(text)
    filled = board != 0
    assert all(not filled[r, c] or r == ROWS - 1 or filled[r + 1, c] for r in range(ROWS) for c in range(COLS))
    s = env.state
    s["board"][g] = board
    s["heights"][g] = filled.sum(axis=0)
    s["moves"][g] = filled.sum()
    s["turn"][g] = filled.sum() % 2
    if env.agents_per_game == 2:
        env.masks[2 * g:2 * g + 2] = [s["turn"][g] == 0, s["turn"][g] == 1]
    return board


def single(n=1, autoreset="disabled", seed=0):
    env = npf.Env(connect4.game, num_envs=n, seed=seed, report_interval=0, autoreset=autoreset)
    env.reset(seed=seed)
    return env


def play(env, *actions):
    obs, rew, term, trunc, _ = env.step(np.array(actions))
    return obs.copy(), rew.copy(), term.copy(), trunc.copy()


def test_reset_observation_and_spaces():
    env = single(3)
    assert env.single_observation_space.shape == (49,) and env.single_action_space.n == 7
    assert (env.state["board"] == 0).all() and env.masks.all()
    np.testing.assert_array_equal(env.observations[:, :42], 0)
    np.testing.assert_array_equal(env.observations[:, 42:], 1)


# Each board: the agent (X) plays `column` and completes four in the given direction.
WINS = {
    "horizontal": ("""
        .......
        .......
        .......
        .......
        .......
        XXX.OOO""", 3, (5, 3)),
    "vertical": ("""
        .......
        .......
        .......
        X......
        XO.....
        XO.O...""", 0, (2, 0)),
    "diagonal_rising": ("""
        .......
        .......
        .......
        ..XO...
        .XOO...
        XOOX..X""", 3, (2, 3)),
    "diagonal_falling": ("""
        .......
        .......
        .......
        ...OX..
        ...OOX.
        X..XOOX""", 3, (2, 3)),
}


@pytest.mark.parametrize("direction", WINS)
def test_agent_wins_in_every_direction(direction):
    text, column, cell = WINS[direction]
    env = single()
    board = setup(env, text)
    assert not four_anywhere(board, 1)
    obs, rew, term, trunc = play(env, column)
    board[cell] = 1
    assert four_anywhere(board, 1)
    np.testing.assert_array_equal(env.state["board"][0], board)  # the opponent did not move
    assert rew[0] == 1 and term[0] and not trunc[0]
    np.testing.assert_array_equal(obs[0, :42], board.reshape(-1))  # the final observation
    np.testing.assert_array_equal(obs[0, 42:], 0)  # no legal move in a finished game
    assert env.log() == {"episode_return": 1, "episode_length": 1, "win": 1, "draw": 0, "illegal": 0, "n": 1}


# A full board without four in a row, with both top-left pieces taken off: the agent (X)
# refills column 0, the opponent's only legal column is 1, and the board is full: a draw.
DRAW = """
    XOXOXOX
    OXOXOXO
    OXOXOXO
    XOXOXOX
    XOXOXOX
    OXOXOXO"""


def test_full_board_is_a_draw():
    full = parse(DRAW)
    assert not four_anywhere(full, 1) and not four_anywhere(full, -1) and (full == 1).sum() == 21
    env = single()
    setup(env, DRAW.replace("XOXOXOX", "..XOXOX", 1))
    obs, rew, term, _ = play(env, 0)
    np.testing.assert_array_equal(env.state["board"][0], full)
    assert rew[0] == 0 and term[0]
    assert env.log()["draw"] == 1


def test_full_column_is_an_illegal_move_and_a_loss():
    text = """
        O......
        X......
        O......
        X......
        O......
        X......"""
    env = single()
    board = setup(env, text)
    assert env.state["heights"][0, 0] == 6
    obs, rew, term, _ = play(env, 1)  # a legal move first: column 0 shows as full
    assert not term[0] and obs[0, 42] == 0 and (obs[0, 43:] == 1).all()
    board = env.state["board"][0].copy()
    obs, rew, term, _ = play(env, 0)
    assert rew[0] == -1 and term[0]
    np.testing.assert_array_equal(env.state["board"][0], board)  # nothing dropped, no reply
    assert env.log() == {"episode_return": -1, "episode_length": 2, "win": 0, "draw": 0, "illegal": 1, "n": 1}


def test_illegal_move_restarts_the_game_in_the_default_mode():
    env = npf.make("connect4", num_envs=1, seed=0, report_interval=0)
    env.reset(seed=0)
    for _ in range(6):
        obs, rew, term, _, _ = env.step(np.array([0]))
        if term[0]:
            break
    # the opponent's random replies may fill column 0 earlier; either way the sixth move at the latest is illegal
    assert term[0] and rew[0] == -1 and env.log()["illegal"] == 1
    assert (env.state["board"][0] == 0).all() and (env.observations[0, 42:] == 1).all()


def test_opponent_completes_four_when_it_can():
    text = """
        .......
        .......
        .......
        .......
        X......
        OOO.XX."""
    env = single()
    setup(env, text)
    _, rew, term, _ = play(env, 6)  # the agent makes three but leaves column 3 open
    assert env.state["board"][0, 5, 3] == -1
    assert rew[0] == -1 and term[0]
    assert env.log()["win"] == 0


def test_opponent_prefers_winning_to_blocking():
    text = """
        .......
        .......
        .......
        ......O
        ......O
        XXX...O"""
    env = single()
    setup(env, text)
    _, rew, term, _ = play(env, 5)  # the agent threatens column 3; the opponent wins in column 6
    board = env.state["board"][0]
    assert board[2, 6] == -1 and board[5, 3] == 0
    assert rew[0] == -1 and term[0]


def test_opponent_blocks_when_it_must():
    text = """
        .......
        .......
        .......
        .......
        OOO....
        XXX...."""
    env = single()
    setup(env, text)
    obs, rew, term, _ = play(env, 6)
    board = env.state["board"][0]
    assert board[5, 3] == -1 and board[5, 6] == 1 and (board != 0).sum() == 8
    assert rew[0] == 0 and not term[0]
    np.testing.assert_array_equal(obs[0, :42], board.reshape(-1))
    np.testing.assert_array_equal(obs[0, 42:], 1)


def test_opponent_otherwise_plays_a_random_legal_column():
    text = """
        ...O...
        ...X...
        ...O...
        ...X...
        ...O...
        ...X..."""
    n = 7000
    env = single(n, seed=3)
    for g in range(n):
        setup(env, text, g)
    play(env, *[0] * n)
    boards = env.state["board"]
    replies = np.array([np.flatnonzero((b == -1).any(axis=0) & (b != parse(text)).any(axis=0))[0] for b in boards])
    counts = np.bincount(replies, minlength=7)
    assert counts[3] == 0  # never the full column
    assert all(abs(counts[c] - n / 6) < 5 * np.sqrt(n / 6) for c in (0, 1, 2, 4, 5, 6)), counts


def test_observation_is_from_the_agents_side():
    env = single()
    setup(env, """
        .......
        .......
        .......
        .......
        .......
        .......""")
    obs, *_ = play(env, 3)
    board = env.state["board"][0]
    assert (board == 1).sum() == 1 and (board == -1).sum() == 1
    np.testing.assert_array_equal(obs[0, :42], board.reshape(-1).astype(np.float32))
    assert env.single_observation_space.contains(obs[0])


# --- self-play: two agents per game ------------------------------------------------------

def selfplay(n=1, autoreset="disabled", seed=0):
    env = npf.Env(connect4.selfplay, num_envs=n, seed=seed, report_interval=0, autoreset=autoreset)
    env.reset(seed=seed)
    return env


def test_selfplay_turns_masks_and_views():
    env = selfplay()
    assert env.num_agents == 2
    np.testing.assert_array_equal(env.masks, [True, False])
    np.testing.assert_array_equal(env.observations[0, 42:], 1)  # player 0 to move
    np.testing.assert_array_equal(env.observations[1, 42:], 0)
    obs, rew, term, _ = play(env, 3, 5)  # player 1's action is ignored: not its turn
    board = env.state["board"][0]
    assert board[5, 3] == 1 and (board != 0).sum() == 1
    np.testing.assert_array_equal(env.masks, [False, True])
    np.testing.assert_array_equal(obs[0, :42], board.reshape(-1))
    np.testing.assert_array_equal(obs[1, :42], -board.reshape(-1))  # each sees its own pieces as +1
    np.testing.assert_array_equal(obs[0, 42:], 0)
    np.testing.assert_array_equal(obs[1, 42:], 1)
    play(env, 0, 3)  # player 1 plays on top of player 0's piece
    assert env.state["board"][0, 4, 3] == -1 and (env.state["board"][0] != 0).sum() == 2
    np.testing.assert_array_equal(env.masks, [True, False])
    assert not rew.any() and not term.any()


def test_selfplay_win_rewards_both_players():
    env = selfplay()
    setup(env, """
        .......
        .......
        .......
        .......
        XX.....
        OOO.XX.""")  # 4 X, 3 O: player 1 (O) to move
    assert env.state["turn"][0] == 1 and env.masks.tolist() == [False, True]
    obs, rew, term, _ = play(env, 6, 3)
    assert env.state["board"][0, 5, 3] == -1
    np.testing.assert_array_equal(rew, [-1, 1])
    np.testing.assert_array_equal(term, [True, True])
    log = env.log()
    assert log["n"] == 2 and log["win"] == 0.5 and log["episode_return"] == 0


def test_selfplay_illegal_move_loses_for_the_mover():
    env = selfplay()
    setup(env, """
        X......
        O......
        X......
        O......
        X......
        O......""")
    assert env.state["turn"][0] == 0
    _, rew, term, _ = play(env, 0, 1)
    np.testing.assert_array_equal(rew, [-1, 1])
    assert term.all()
    assert env.log()["illegal"] == 0.5


def test_selfplay_draw():
    env = selfplay()
    setup(env, DRAW.replace("XOXOXOX", "X.XOXOX", 1))
    assert env.state["turn"][0] == 1  # 21 X, 20 O: player 1 (O) fills the board
    _, rew, term, _ = play(env, 0, 1)
    np.testing.assert_array_equal(rew, [0, 0])
    assert term.all() and env.log()["draw"] == 1


def test_selfplay_restarts_after_the_game_in_the_default_mode():
    env = npf.make("connect4_selfplay", num_envs=2, seed=0, report_interval=0)
    env.reset(seed=0)
    for _ in range(7):  # player 0 stacks column 0 and wins with its fourth piece
        env.step(np.array([0, 1, 0, 1]))
    assert env.terminals.all() and (env.rewards == [1, -1, 1, -1]).all()
    assert (env.state["board"] == 0).all() and env.masks.tolist() == [True, False, True, False]


# --- the searching opponent (opponent_depth, PufferLib 3.0's is 3) --------------------------

def searcher(depth, n=1, seed=0):
    env = npf.Env(connect4.game, num_envs=n, seed=seed, report_interval=0, autoreset="disabled",
                  opponent_depth=depth)
    env.reset(seed=seed)
    return env


def reference_value(board, piece, depth):
    """Negamax by brute force on a numpy board: `piece` to move; depth for a win now,
    0 when undecided within `depth` plies or drawn."""
    legal = [c for c in range(COLS) if board[0, c] == 0]
    if not legal:
        return 0
    children = []
    for c in legal:
        child = board.copy()
        child[np.flatnonzero(child[:, c] == 0)[-1], c] = piece
        if four_anywhere(child, piece):
            return depth
        children.append(child)
    if depth == 1:
        return 0
    return max(-reference_value(child, -piece, depth - 1) for child in children)


@pytest.mark.parametrize("depth", [1, 2, 3, 4])
def test_searching_opponent_takes_an_immediate_win(depth):
    text = """
        .......
        .......
        .......
        ......O
        ......O
        XXX...O"""
    env = searcher(depth)
    setup(env, text)
    _, rew, term, _ = play(env, 5)  # the agent threatens column 3; the opponent wins in column 6
    assert env.state["board"][0, 2, 6] == -1 and rew[0] == -1 and term[0]


@pytest.mark.parametrize("depth", [2, 3, 4])
def test_searching_opponent_blocks_an_immediate_loss(depth):
    text = """
        .......
        .......
        .......
        .......
        OOO....
        XXX...."""
    env = searcher(depth, n=50)
    for g in range(50):
        setup(env, text, g)
    play(env, *[6] * 50)
    assert (env.state["board"][:, 5, 3] == -1).all() and not env.terminals.any()


def test_depth_3_sets_up_a_double_threat_that_depth_0_does_not():
    text = """
        .......
        .......
        .......
        .......
        .XX....
        .OO...."""
    n = 200
    for depth, always in ((3, True), (0, False)):
        env = searcher(depth, n=n, seed=depth)
        for g in range(n):
            setup(env, text, g)
        play(env, *[6] * n)  # the agent plays away; O in column 3 threatens columns 0 and 4
        chose_3 = env.state["board"][:, 5, 3] == -1
        assert chose_3.all() if always else 0 < chose_3.sum() < n / 2


def test_searching_opponent_breaks_ties_at_random():
    text = """
        ...O...
        ...X...
        ...O...
        ...X...
        ...O...
        ...X..."""
    n = 7000
    env = searcher(3, n, seed=3)
    for g in range(n):
        setup(env, text, g)
    play(env, *[0] * n)
    boards = env.state["board"]
    replies = np.array([np.flatnonzero((b == -1).any(axis=0) & (b != parse(text)).any(axis=0))[0] for b in boards])
    counts = np.bincount(replies, minlength=7)
    assert counts[3] == 0
    assert all(abs(counts[c] - n / 6) < 5 * np.sqrt(n / 6) for c in (0, 1, 2, 4, 5, 6)), counts


def test_searching_opponent_plays_a_best_move_of_a_brute_force_negamax():
    """Random midgame positions: the opponent's reply is one of the best by the reference search."""
    rng = np.random.default_rng(0)
    env, checked = searcher(3, n=1, seed=1), 0
    while checked < 12:
        env.reset(seed=int(rng.integers(1 << 30)))
        for _ in range(int(rng.integers(3, 9))):  # random moves into a midgame
            board = env.state["board"][0].copy()
            legal = np.flatnonzero(board[0] == 0)
            move = int(rng.choice(legal))
            after = board.copy()
            after[np.flatnonzero(after[:, move] == 0)[-1], move] = 1
            play(env, move)
            if env.terminals[0] or four_anywhere(after, 1) or (after != 0).all():
                break
            values = {}
            for c in np.flatnonzero(after[0] == 0):
                child = after.copy()
                child[np.flatnonzero(child[:, c] == 0)[-1], c] = -1
                values[c] = 3 if four_anywhere(child, -1) else -reference_value(child, 1, 2)
            reply = int(np.flatnonzero((env.state["board"][0] != after).any(axis=0))[0])
            assert values[reply] == max(values.values()), (after, values, reply)
            checked += 1


def test_opponent_depth_is_checked():
    with pytest.raises(ValueError, match="opponent_depth=9 must be in 0..8"):
        searcher(9)
    with pytest.raises(ValueError, match="opponent_depth=-1"):
        searcher(-1)


def test_searching_opponent_passes_check_env():
    env = npf.make("connect4", num_envs=8, seed=0, opponent_depth=3)
    assert npf.check_env(env, num_envs=16, steps=200) == []


# PufferLib 3.0's opponent: make("connect4", preset="pufferlib") (opponent_depth 3, search_sums)
def puffer(n=1, seed=0, autoreset="disabled"):
    env = npf.Env(connect4.game, num_envs=n, seed=seed, report_interval=0, autoreset=autoreset, preset="pufferlib")
    env.reset(seed=seed)
    return env


def four_sliced(board, piece):
    """four_anywhere by numpy slices (fast enough for the brute-force worth below)."""
    b = board == piece
    return bool((b[:, :-3] & b[:, 1:-2] & b[:, 2:-1] & b[:, 3:]).any() or (b[:-3] & b[1:-2] & b[2:-1] & b[3:]).any()
                or (b[:-3, :-3] & b[1:-2, 1:-2] & b[2:-1, 2:-1] & b[3:, 3:]).any()
                or (b[3:, :-3] & b[2:-1, 1:-2] & b[1:-2, 2:-1] & b[:-3, 3:]).any())


def reference_worth(board, moved, depth):
    """PufferLib's worth by brute force on a numpy board, to the side `moved` that has just
    moved: 10**depth if it has four, else minus the sum over the other side's replies."""
    if four_sliced(board, moved):
        return 10 ** depth
    if four_sliced(board, -moved) or depth == 0 or (board != 0).all():
        return 0
    worth = 0
    for c in range(COLS):
        if board[0, c] == 0:
            child = board.copy()
            child[np.flatnonzero(child[:, c] == 0)[-1], c] = -moved
            worth -= reference_worth(child, -moved, depth - 1)
    return worth


def bitboard(board, piece):
    return sum(1 << (7 * c + (ROWS - 1 - r)) for r in range(ROWS) for c in range(COLS) if board[r, c] == piece)


def test_summed_worth_sums_the_replies():
    board = parse("""
        .......
        .......
        .......
        .......
        .......
        .XXX.O.""")  # X to move has two winning replies (columns 0 and 4): worth -2 to O
    x, o = np.uint64(bitboard(board, 1)), np.uint64(bitboard(board, -1))
    assert connect4.summed_worth(x, o, 4, 1) == -2 == reference_worth(board, -1, 1)
    assert connect4.summed_worth(o, x, 4, 0) == 0 and connect4.summed_worth(o, x | np.uint64(1), 5, 2) == 100
    assert connect4.summed_worth(o, x, 4, 2) == reference_worth(board, 1, 2)


@pytest.mark.parametrize("first, reply", [(3, 2), (4, 3)])
def test_pufferlib_opening_book(first, reply):
    env = puffer(n=20)
    play(env, *[first] * 20)
    assert (env.state["board"][:, 5, reply] == -1).all()


def test_pufferlib_opponent_takes_an_immediate_win():
    env = puffer()
    setup(env, """
        .......
        .......
        .......
        ......O
        ......O
        XXX...O""")
    _, rew, term, _ = play(env, 5)
    assert env.state["board"][0, 2, 6] == -1 and rew[0] == -1 and term[0]


def test_pufferlib_preset_with_next_step_autoreset_spends_a_step_on_the_restart():
    env = puffer(autoreset="next_step")
    setup(env, """
        .......
        .......
        .......
        O......
        O......
        OXXX...""")
    obs, rew, term, _ = play(env, 4)  # the agent wins
    assert rew[0] == 1 and term[0] and (obs[0, :42] != 0).any()
    obs, rew, term, _ = play(env, 0)  # the restart: action ignored, reward 0, an empty board
    assert rew[0] == 0 and not term[0] and (obs[0, :42] == 0).all() and env.state["moves"][0] == 0


def test_pufferlib_preset_passes_check_env():
    env = npf.make("connect4", num_envs=8, seed=0, preset="pufferlib")
    assert npf.check_env(env, num_envs=16, steps=200) == []
