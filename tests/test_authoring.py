"""What a game author declares beyond game code: sizes that shape the state (fixed per Game,
read as params), scratch fields, logs per game, and the errors an author meets."""
import pickle

import numpy as np
import pytest
from gymnasium import spaces
from numba import njit

import numbapuffer as npf
from numbapuffer.core import factory


# --- a factory-made game whose state is shaped by its size -------------------------------
@njit
def count_reset(s, p, buf, a):
    for k in range(p.size):
        s.cells[k] = 0
    s.t = 0
    buf.observations[a, 0] = 0


@njit
def count_step(s, p, buf, a):
    s.cells[s.t % p.size] += 1  # p.size: the size, which shaped `cells`
    s.t += 1
    buf.observations[a, 0] = s.cells[0]
    buf.rewards[a] = p.bonus
    if s.t >= 2 * p.size:
        buf.terminals[a] = True


@factory
def make_counter(size=4):
    return npf.Game("counter", np.dtype([("cells", np.int32, (size,)), ("t", np.int32)]), count_reset, count_step,
                    spaces.Box(0, 100, (1,), np.float32), spaces.Discrete(2), params=dict(bonus=1.0),
                    sizes=dict(size=size))


def test_sizes_reach_game_code_and_cannot_be_changed_after_the_game_is_made():
    game = make_counter(size=3)
    env = npf.make(game, 2, seed=0)
    env.reset(seed=0)
    for _ in range(5):
        env.step(np.zeros(2, np.int64))
    assert env.state["cells"].tolist() == [[2, 2, 1], [2, 2, 1]]
    env.step(np.zeros(2, np.int64))
    assert env.terminals.all() and env.log()["episode_length"] == 6  # 2 * size steps: game code read size = 3
    with pytest.raises(TypeError, match="'size' is a size of this game \\(3\\), fixed when its Game was made"):
        npf.make(game, 2, size=5)
    assert npf.make(game, 1, bonus=2.0).param_values() == {"bonus": 2.0}  # params stay params
    copy = pickle.loads(pickle.dumps(game))  # by the factory call: the same size
    assert copy.sizes == {"size": 3} and copy.state == game.state


def test_bad_sizes_are_named():
    with pytest.raises(ValueError, match="size 'size' must be a positive int"):
        npf.Game(
            "counter", np.dtype([("t", np.int32)]), count_reset, count_step, spaces.Box(0, 1, (1,), np.float32),
            spaces.Discrete(2), params=dict(bonus=1.0), sizes=dict(size=0))
    with pytest.raises(ValueError, match="'bonus' is both a param and a size"):
        npf.Game("counter", np.dtype([("t", np.int32)]), count_reset, count_step, spaces.Box(0, 1, (1,), np.float32),
                 spaces.Discrete(2), params=dict(bonus=1.0), sizes=dict(bonus=2))


# --- scratch fields ----------------------------------------------------------------------
@njit
def fill_reset(s, p, buf, a):  # never sets `queue`: step writes it before reading it
    s.t = 0
    buf.observations[a, 0] = 0


@njit
def fill_step(s, p, buf, a):
    for k in range(4):
        s.queue[k] = s.t + k
    total = 0
    for k in range(4):
        total += s.queue[k]
    s.t += 1
    buf.observations[a, 0] = total % 7
    if s.t >= 5:
        buf.terminals[a] = True


def fill_game(scratch):
    return npf.Game("fill", np.dtype([("queue", np.int32, (4,)), ("t", np.int32)]), fill_reset, fill_step,
                    spaces.Box(0, 7, (1,), np.float32), spaces.Discrete(2), scratch=scratch)


@pytest.mark.slow  # check_env compiles every kernel variant of three games
def test_games_with_sizes_scratch_and_logs_per_game_pass_check_env():
    assert npf.check_env(make_counter(size=3), num_envs=4) == []
    assert npf.check_env(team_game("game"), num_envs=4) == []


@pytest.mark.slow
def test_scratch_fields_need_not_be_set_by_reset():
    problems = npf.check_env(fill_game(()), num_envs=4, debug=False)
    assert any("reset must set every field" in p and "queue" in p for p in problems), problems
    assert npf.check_env(fill_game(("queue",)), num_envs=4, debug=False) == []
    with pytest.raises(ValueError, match="scratch field 'stack' is not a state field"):
        fill_game(("stack",))


# --- logs per game -----------------------------------------------------------------------
@njit
def team_reset(s, p, buf, a):
    s.t = 0
    for k in range(3):
        buf.observations[a + k, 0] = 0


@njit
def team_step(s, p, buf, a):
    s.t += 1
    for k in range(3):
        buf.rewards[a + k] = k + 1  # the team earns 6 a step
        buf.observations[a + k, 0] = s.t
        if s.t >= 4:
            buf.terminals[a + k] = True
    buf.episode[a].picked += 2


def team_game(log_per):
    return npf.Game("team", np.dtype([("t", np.int32)]), team_reset, team_step, spaces.Box(0, 10, (1,), np.float32),
                    spaces.Discrete(2), agents=3, log=("picked",), log_per=log_per)


@pytest.mark.parametrize("autoreset", ["same_step", "next_step"])
def test_a_game_logged_per_game_counts_games_and_sums_its_team(autoreset):
    env = npf.make(team_game("game"), 5, seed=0, autoreset=autoreset)
    env.reset(seed=0)
    for _ in range(4):
        env.step(np.zeros(15, np.int64))
    assert env.log() == {"episode_return": 24.0, "episode_length": 4.0, "picked": 8.0, "n": 5}
    per_agent = npf.make(team_game("agent"), 5, seed=0)
    per_agent.reset(seed=0)
    for _ in range(4):
        per_agent.step(np.zeros(15, np.int64))
    assert per_agent.log() == {"episode_return": 8.0, "episode_length": 4.0, "picked": 8 / 3, "n": 15}
    with pytest.raises(ValueError, match="log_per must be 'agent' or 'game'"):
        team_game("team")


# --- errors an author meets ----------------------------------------------------------------
@pytest.mark.slow
def test_a_game_that_does_not_compile_is_named_once_by_check_env():
    @njit
    def broken_step(s, p, buf, a):
        s.nosuch += 1

    game = npf.Game("broken", np.dtype([("t", np.int32)]), count_reset, broken_step,
                    spaces.Box(0, 100, (1,), np.float32), spaces.Discrete(2), params=dict(bonus=1.0),
                    sizes=dict(size=1))
    problems = npf.check_env(game, num_envs=2)
    assert problems and problems[0].startswith("broken: the game does not compile")
    assert problems[0].count("does not compile") == 1, problems[0]


@njit
def misspelt_step(s, p, buf, a):
    s.t += 1
    buf.episode[a].c_ret += 1.0  # the log field is c_return; the state has a field c_rat


@pytest.mark.slow  # a game that does not compile is compiled again every time
def test_a_misspelt_log_field_names_the_episode_log_record():
    game = npf.Game("misspelt", np.dtype([("t", np.int32), ("c_rat", np.int32)]), fill_reset, misspelt_step,
                    spaces.Box(0, 7, (1,), np.float32), spaces.Discrete(2), log=("c_return",))
    with pytest.raises(npf.GameCompileError) as e:
        npf.make(game, 2)
    text = str(e.value)
    assert "the episode log record buf.episode[a] has no field 'c_ret'. Did you mean 'c_return'?" in text, text
    assert "the state record" not in text and "c_rat" not in text.split("\n", 2)[2], text
