"""Triple Triad's rules from hand-set states: selecting and placing, turning cards, the
opponent's reply, the end of a game and its reward, the time limit, the C's done signals
(c_dones), and its logged stats beside PufferLib's C."""
import numpy as np
import pytest

import numbapuffer as npf

from handset import one_game, put, step

f32 = np.float32
PLACE = 5
WEAK = np.ones((5, 4), np.int8)  # an opponent hand that can turn nothing (no value is below 1)


def tripletriad(**params):
    env = one_game("tripletriad", **params)
    hands = env.state["hands"][0].copy()
    hands[1] = WEAK
    put(env, hands=hands)
    return env


def board(env, cells):
    """Put cards on the board: {cell: (owner, (n, s, e, w))}; the hands' `where` is left as it is."""
    owner, values = np.zeros(9, np.int8), np.zeros((9, 4), np.int8)
    for c, (who, v) in cells.items():
        owner[c], values[c] = who, v
    put(env, owner=owner, values=values, taken=len(cells))


def test_start_and_observation_layout():
    env = one_game("tripletriad")
    env.reset(seed=3)
    s, obs = env.state[0], env.observations[0]
    assert (s["owner"] == 0).all() and (s["values"] == 0).all() and (s["where"] == 0).all()
    assert s["hands"].min() >= 1 and s["hands"].max() <= 7
    assert (s["selected"], tuple(s["score"]), s["taken"], s["t"]) == (-1, (5, 5), 0, 0)
    np.testing.assert_array_equal(obs[:24], 0)
    np.testing.assert_array_equal(obs[24:28], [-1, -1, 5, 5])
    np.testing.assert_array_equal(obs[28:64], 0)
    np.testing.assert_array_equal(obs[64:104], s["hands"].reshape(-1))
    np.testing.assert_array_equal(obs[104:], 0)


def test_hands_are_uniform_on_1_to_7():
    env = npf.make("tripletriad", num_envs=5000, seed=1)
    env.reset(seed=1)
    counts = np.bincount(env.state["hands"].reshape(-1), minlength=8)
    assert counts[0] == 0 and counts[1:].min() > 0.95 * 200000 / 7 and counts[1:].max() < 1.05 * 200000 / 7


def test_select_costs_a_tenth():
    env = tripletriad()
    s, obs, rew, term, trunc = step(env, 3)
    assert s["selected"] == 3 and obs[24] == 3 and rew == f32(-0.1) and not term and not trunc
    where = s["where"].copy()
    where[0, 1] = 5
    put(env, where=where)
    s, _, rew, *_ = step(env, 1)  # a placed card cannot be selected
    assert s["selected"] == 3 and rew == f32(-0.1)


def test_placing_needs_a_selected_card_and_an_empty_cell():
    env = tripletriad()
    s, _, rew, *_ = step(env, PLACE + 4)
    assert rew == f32(-0.1) and s["taken"] == 0
    board(env, {4: (-1, (1, 1, 1, 1))})
    put(env, selected=0)
    s, _, rew, *_ = step(env, PLACE + 4)
    assert rew == f32(-0.1) and s["taken"] == 1 and s["selected"] == 0


def test_placing_plays_the_card_and_the_opponent_replies():
    env = tripletriad()
    put(env, selected=2)
    s, obs, rew, term, _ = step(env, PLACE + 0)
    assert rew == 0 and not term and s["selected"] == -1
    assert s["owner"][0] == 1 and s["where"][0, 2] == 1 and (s["values"][0] == s["hands"][0, 2]).all()
    assert s["taken"] == 2 and (s["owner"] == -1).sum() == 1 and (s["where"][1] > 0).sum() == 1
    bot_cell = int(np.flatnonzero(s["owner"] == -1)[0])
    assert s["where"][1].max() == bot_cell + 1
    assert obs[9 + PLACE] == 1 and obs[9 + PLACE + bot_cell] == 1 and obs[9:24].sum() == 2


def test_the_opponent_plays_uniformly():
    env = npf.make("tripletriad", num_envs=9000, seed=2)
    env.reset(seed=2)
    env.step(np.zeros(9000, np.int32))  # select card 0
    env.step(np.full(9000, PLACE + 4, np.int32))  # centre
    s = env.state
    cells = s["where"][:, 1].max(axis=1) - 1  # the opponent's card may have turned the centre
    counts = np.bincount(cells, minlength=9)
    assert counts.sum() == 9000 and counts[4] == 0 and np.delete(counts, 4).min() > 1000
    cards = np.argmax(s["where"][:, 1] > 0, axis=1)
    assert np.bincount(cards, minlength=5).min() > 1600


@pytest.mark.parametrize("theirs, turned", [(4, True), (5, False), (6, False)])
def test_a_higher_value_turns_the_opponents_neighbour(theirs, turned):
    env = tripletriad()
    hands = env.state["hands"][0].copy()
    hands[0, 0] = (5, 5, 5, 5)
    put(env, hands=hands, selected=0)
    board(env, {1: (-1, (1, theirs, 1, 1)),  # above the centre: its south faces the centre's north
                3: (1, (1, 1, 1, 1)),        # the agent's own card never turns
                8: (-1, (1, 1, 1, 1))})      # not a neighbour
    s, *_ = step(env, PLACE + 4)
    assert s["owner"][1] == (1 if turned else -1) and s["owner"][3] == 1 and s["owner"][8] == -1
    assert tuple(s["score"]) == ((6, 4) if turned else (5, 5))


@pytest.mark.parametrize("side, value, cell", [(1, 3, 7), (2, 2, 5), (3, 1, 3)])
def test_each_side_faces_its_neighbours_opposite_side(side, value, cell):
    env = tripletriad()
    hands = env.state["hands"][0].copy()
    card = [1, 1, 1, 1]
    card[side] = 7
    hands[0, 0] = card
    put(env, hands=hands, selected=0)
    facing = [1, 1, 1, 1]
    facing[[1, 0, 3, 2][side]] = value
    board(env, {cell: (-1, facing)})
    s, *_ = step(env, PLACE + 4)
    assert s["owner"][cell] == 1


@pytest.mark.parametrize("score, reward, perf", [((6, 4), 1, 1), ((4, 6), -1, 0), ((5, 5), 0, 0)])
def test_the_fifth_card_ends_the_game(score, reward, perf):
    env = tripletriad()
    cells = {c: ((1 if c % 2 else -1), (1, 1, 1, 1)) for c in range(8)}
    board(env, cells)
    hands = env.state["hands"][0].copy()
    hands[0, 4] = (1, 1, 1, 1)  # turns nothing
    where = np.array([[2, 4, 6, 8, 0], [1, 3, 5, 7, 0]], np.int8)
    put(env, hands=hands, where=where, selected=4, score=score, t=8)
    s, obs, rew, term, trunc = step(env, PLACE + 8)
    assert rew == reward and term and not trunc
    assert s["taken"] == 0 and tuple(s["score"]) == (5, 5)  # a new game started
    log = env.log()
    assert (log["score"], log["perf"], log["episode_length"], log["n"]) == (score[0], perf, 1, 1)


def test_the_30th_step_is_a_truncation_that_costs_one():
    env = tripletriad()
    put(env, t=28, selected=0)
    s, _, rew, term, trunc = step(env, 1)
    assert s["t"] == 29 and s["selected"] == 1 and rew == f32(-0.1) and not term and not trunc
    s, _, rew, term, trunc = step(env, 2)  # not played
    assert rew == -1 and trunc and not term
    assert s["t"] == 0 and s["selected"] == -1
    assert env.log()["episode_return"] == pytest.approx(-1.1)


def test_c_dones_give_the_cs_signals():
    env = tripletriad(c_dones=True)
    put(env, t=29)
    s, _, rew, term, trunc = step(env, 0)
    assert rew == -1 and not term and not trunc and s["t"] == 0  # restarted without a done
    cells = {c: ((1 if c % 2 else -1), (1, 1, 1, 1)) for c in range(8)}
    board(env, cells)
    put(env, where=np.array([[2, 4, 6, 8, 0], [1, 3, 5, 7, 0]], np.int8), selected=4, score=(6, 4), t=3)
    s, _, rew, term, _ = step(env, PLACE + 8)
    assert rew == 1 and term
    s, _, rew, term, trunc = step(env, 0)  # the C's reset step: the action is not played
    assert rew == 0 and not term and not trunc and s["selected"] == -1 and s["t"] == 0
    s, *_ = step(env, 0)
    assert s["selected"] == 0 and s["t"] == 1


def random_logs(env, steps, seed=0):
    """Play uniformly at random; the means of every log the env reports, weighted by episodes."""
    rng = np.random.default_rng(seed)
    sums, n = {}, 0
    for _ in range(steps):
        *_, infos = env.step(rng.integers(0, 14, env.num_agents).astype(env.actions.dtype))
        for log in infos:
            for k, v in log.items():
                if k != "n":
                    sums[k] = sums.get(k, 0) + v * log["n"]
            n += log.get("n", 0)
    return {k: v / n for k, v in sums.items()}, n


@pytest.mark.slow
def test_logged_stats_match_the_c(tmp_path, monkeypatch):
    pytest.importorskip("pufferlib.ocean", reason="PufferLib's C envs: ../shared/tools/build_pufferlib.sh VENV all")
    monkeypatch.chdir(tmp_path)  # `import pufferlib` makes a `resources` symlink in the current folder
    from benchmarks.ocean import c_env
    ours = npf.make("tripletriad", num_envs=2048, seed=0, report_interval=1)
    ours.reset(seed=0)
    a, na = random_logs(ours, 1500)
    b, nb = random_logs(c_env("tripletriad", 2048), 1500)
    assert na > 50000 and nb > 50000
    assert a["perf"] == pytest.approx(b["perf"], abs=0.01), (a, b)
    for k in ("score", "episode_return"):
        assert a[k] == pytest.approx(b[k], rel=0.02), (k, a, b)
    # the C counts its reset step in a finished game's length: ours is 1 less for those
    assert a["episode_length"] == pytest.approx(b["episode_length"], rel=0.02), (a, b)
