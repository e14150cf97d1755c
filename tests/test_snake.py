"""Snake's rules from hand-set states: movement, eating, collisions, respawn, per-snake
episodes, the observation window, and the engine's handling of snakes out of play."""
import numpy as np
import pytest

import numbapuffer as npf
from numbapuffer.envs import snake
from numbapuffer.envs.snake import EMPTY, FOOD, WALL, SNAKE, UP, DOWN, LEFT, RIGHT

V = 2  # vision of the small test game; interior cell (r, c) is grid cell (r + V, c + V)
SMALL = snake.make_game(num_snakes=2, width=8, height=6, vision=V, max_length=6)


def small(food=0, autoreset="same_step", **params):
    """A one-game env of SMALL with an empty grid: place snakes and food by hand."""
    env = npf.Env(SMALL, num_envs=1, seed=0, report_interval=0, autoreset=autoreset, food=food, **params)
    env.reset(seed=0)
    grid = env.state["grid"][0]
    grid[V:-V, V:-V] = EMPTY
    env.state["num_food"][0] = 0
    return env


def place(env, k, cells):
    """Snake k on `cells` (interior coordinates), tail first, head last."""
    s = env.state
    for i, (r, c) in enumerate(cells):
        s["body_r"][0, k, i], s["body_c"][0, k, i] = r + V, c + V
        s["grid"][0, r + V, c + V] = SNAKE + 2 * k + (i == len(cells) - 1)
    s["head"][0, k], s["length"][0, k], s["age"][0, k] = len(cells) - 1, len(cells), 0


def food(env, r, c):
    env.state["grid"][0, r + V, c + V] = FOOD
    env.state["num_food"][0] += 1


def body(env, k):
    """Snake k's cells, tail first, in interior coordinates."""
    s = env.state[0]
    n, h, L = s["length"][k], s["head"][k], s["body_r"].shape[1]
    idx = [(h - n + 1 + i) % L for i in range(n)]
    return [(int(s["body_r"][k, j]) - V, int(s["body_c"][k, j]) - V) for j in idx]


def cell(env, r, c):
    return env.state["grid"][0, r + V, c + V]


def step(env, *actions):
    obs, rew, term, trunc, _ = env.step(np.array(actions))
    return obs.copy(), rew.copy(), term.copy(), trunc.copy()


def check_grid(env):
    """The grid holds exactly the snakes' bodies and heads, walls on the border, and food."""
    s = env.state[0]
    expected = np.full(s["grid"].shape, WALL, np.int8)
    inside = s["grid"][V:-V, V:-V]
    expected[V:-V, V:-V] = np.where(inside == FOOD, FOOD, EMPTY)
    for k in range(s["length"].shape[0]):
        cells = body(env, k)
        for i, (r, c) in enumerate(cells):
            expected[r + V, c + V] = SNAKE + 2 * k + (i == len(cells) - 1)
    np.testing.assert_array_equal(s["grid"], expected)
    assert s["num_food"] == (inside == FOOD).sum()


@pytest.mark.parametrize("action, head", [(UP, (1, 4)), (DOWN, (3, 4)), (RIGHT, (2, 5))])
def test_moves_head_first_and_tail_follows(action, head):
    env = small()
    place(env, 0, [(2, 2), (2, 3), (2, 4)])
    place(env, 1, [(5, 0)])
    _, rew, term, _ = step(env, action, RIGHT)
    assert body(env, 0) == [(2, 3), (2, 4), head]
    assert body(env, 1) == [(5, 1)]
    assert cell(env, 2, 2) == EMPTY and not rew.any() and not term.any()
    check_grid(env)


def test_reversing_goes_straight_on():
    env = small()
    place(env, 0, [(2, 2), (2, 3), (2, 4)])  # heading right
    place(env, 1, [(5, 5)])
    step(env, LEFT, RIGHT)
    assert body(env, 0) == [(2, 3), (2, 4), (2, 5)]
    step(env, UP, LEFT)  # a one-cell snake has no neck: it may turn back
    assert body(env, 1) == [(5, 5)]
    check_grid(env)


def test_eating_grows_scores_and_respawns_food():
    env = small(food=1)
    place(env, 0, [(2, 2), (2, 3), (2, 4)])
    place(env, 1, [(5, 0)])
    food(env, 2, 5)
    _, rew, term, _ = step(env, RIGHT, RIGHT)
    assert body(env, 0) == [(2, 2), (2, 3), (2, 4), (2, 5)]  # the tail stayed
    assert rew[0] == np.float32(0.1) and rew[1] == 0 and not term.any()
    assert env.episodes[0]["score"] == 1
    grid = env.state["grid"][0]
    assert (grid == FOOD).sum() == 1 and cell(env, 2, 5) != FOOD  # new food, on an empty cell
    check_grid(env)


def test_eating_at_max_length_does_not_grow():
    env = small(food=1)
    full = [(1, 0), (1, 1), (1, 2), (1, 3), (1, 4), (1, 5)]
    place(env, 0, full)
    place(env, 1, [(5, 0)])
    food(env, 1, 6)
    _, rew, *_ = step(env, RIGHT, RIGHT)
    assert body(env, 0) == full[1:] + [(1, 6)] and rew[0] == np.float32(0.1)
    check_grid(env)


def assert_respawned(env, k, old_cells):
    cells = body(env, k)
    assert len(cells) == 1 and env.state["age"][0, k] == 0
    for r, c in old_cells:
        assert cell(env, r, c) in (EMPTY, FOOD) or (r, c) == cells[0]
    check_grid(env)


def test_wall_collision_ends_that_snakes_episode_and_it_respawns():
    env = small()
    old = [(1, 3), (0, 3)]
    place(env, 0, old)
    place(env, 1, [(5, 0)])
    obs, rew, term, trunc = step(env, UP, RIGHT)
    np.testing.assert_array_equal(rew, [-1, 0])
    np.testing.assert_array_equal(term, [True, False])
    assert not trunc.any() and env.masks.all()
    assert_respawned(env, 0, old)
    assert body(env, 1) == [(5, 1)]  # the game went on
    r, c = body(env, 0)[0]
    assert obs[0, V, V] == 3  # the new life's observation, centred on its head
    np.testing.assert_array_equal(obs[0], window(env, r, c, 0))


def test_self_collision():
    env = small()
    old = [(1, 1), (1, 2), (1, 3), (2, 3), (2, 2)]  # head (2, 2) under its own body
    place(env, 0, old)
    place(env, 1, [(5, 0)])
    _, rew, term, _ = step(env, UP, RIGHT)
    assert term[0] and rew[0] == -1
    assert_respawned(env, 0, old)


def test_following_its_own_tail_is_allowed():
    env = small()
    place(env, 0, [(1, 1), (1, 2), (2, 2), (2, 1)])  # a 2x2 loop, head next to the tail
    place(env, 1, [(5, 0)])
    _, rew, term, _ = step(env, UP, RIGHT)
    assert not term.any() and body(env, 0) == [(1, 2), (2, 2), (2, 1), (1, 1)]
    check_grid(env)


def test_collision_with_another_snake():
    env = small()
    place(env, 0, [(3, 0), (3, 1), (3, 2)])
    place(env, 1, [(1, 3), (2, 3), (3, 3), (4, 3)])
    _, rew, term, _ = step(env, RIGHT, DOWN)  # snake 0 runs into snake 1's body
    np.testing.assert_array_equal(term, [True, False])
    np.testing.assert_array_equal(rew, [-1, 0])
    assert body(env, 1) == [(2, 3), (3, 3), (4, 3), (5, 3)]
    check_grid(env)


def test_snakes_move_in_order_head_on():
    env = small()
    place(env, 0, [(2, 0), (2, 1)])
    place(env, 1, [(2, 4), (2, 3)])
    _, rew, term, _ = step(env, RIGHT, LEFT)  # both aim at (2, 2): snake 0 gets there first
    np.testing.assert_array_equal(term, [False, True])
    assert body(env, 0) == [(2, 1), (2, 2)]
    check_grid(env)


def test_a_later_snake_may_take_the_cell_an_earlier_tail_left():
    env = small()
    place(env, 0, [(2, 2), (2, 3)])
    place(env, 1, [(3, 1), (2, 1)])  # snake 1's head is next to snake 0's tail
    _, _, term, _ = step(env, RIGHT, RIGHT)
    assert not term.any() and body(env, 1) == [(2, 1), (2, 2)]
    env = small()
    place(env, 0, [(3, 1), (2, 1)])  # the same with the order swapped: snake 1 has not moved yet
    place(env, 1, [(2, 2), (2, 3)])
    _, _, term, _ = step(env, RIGHT, RIGHT)
    np.testing.assert_array_equal(term, [True, False])


def test_each_snakes_episode_is_counted_from_its_respawn():
    env = small(food=1)
    place(env, 0, [(2, 0)])
    place(env, 1, [(4, 0)])
    food(env, 2, 1)
    for _ in range(3):
        step(env, RIGHT, RIGHT)  # snake 0 eats at the first step
    step(env, UP, UP)
    step(env, UP, UP)
    _, rew, term, _ = step(env, UP, RIGHT)  # snake 0 hits the top wall at its 6th step
    assert term[0] and not term[1]
    log = env.log()
    assert log["n"] == 1 and log["episode_length"] == 6 and log["score"] == 1
    assert log["episode_return"] == pytest.approx(0.1 - 1)
    assert env.episodes[0]["episode_length"] == 0 and env.episodes[1]["episode_length"] == 6
    (r, c), = body(env, 0)
    safe = next(a for a, (dr, dc) in enumerate([(-1, 0), (1, 0), (0, -1), (0, 1)]) if cell(env, r + dr, c + dc) == EMPTY)
    _, _, term, _ = step(env, safe, DOWN)
    assert not term.any()
    assert env.episodes[0]["episode_length"] == 1 and env.episodes[1]["episode_length"] == 7


def test_max_steps_truncates_a_life():
    env = small(max_steps=3)
    place(env, 0, [(2, 0)])
    place(env, 1, [(4, 0)])
    for t in range(1, 4):
        _, rew, term, trunc = step(env, RIGHT, RIGHT)
    assert trunc.all() and not term.any()
    log = env.log()
    assert log["n"] == 2 and log["episode_length"] == 3 and log["episode_return"] == 0
    assert (env.state["age"][0] == 0).all() and (env.state["length"][0] == 1).all()


def test_all_snakes_dying_at_once_restarts_the_game_as_a_fresh_one():
    env, manual = small(food=2), small(food=2, autoreset="disabled")
    for e in (env, manual):
        place(e, 0, [(0, 2), (0, 1), (0, 0)])
        place(e, 1, [(5, 5), (5, 6), (5, 7)])
    _, rew, term, _ = step(env, UP, DOWN)
    assert term.all() and (rew == -1).all() and env.log()["n"] == 2
    assert (env.state["length"][0] == 1).all() and env.state["num_food"][0] == 2
    check_grid(env)
    step(manual, UP, DOWN)  # the same step without the restart, then a reset from a zeroed state
    rng = manual.state["rng"].copy()
    manual.state[0] = np.zeros(1, manual.state.dtype)
    manual.state["rng"] = rng
    manual.reset(mask=np.array([True]))
    np.testing.assert_array_equal(manual.state, env.state)
    np.testing.assert_array_equal(manual.observations, env.observations)


def test_without_respawn_a_dead_snake_stays_out_until_the_game_restarts():
    """The engine restarts a game when each snake is done or out of play (masks False)."""
    env = small(respawn=False)
    place(env, 0, [(0, 0)])
    place(env, 1, [(3, 3)])
    obs, rew, term, _ = step(env, UP, RIGHT)
    np.testing.assert_array_equal(term, [True, False])
    np.testing.assert_array_equal(env.masks, [False, True])
    assert env.state["length"][0, 0] == 0 and cell(env, 0, 0) == EMPTY
    np.testing.assert_array_equal(obs[0], window(env, 0, 0, 0))  # final observation, where it died
    for _ in range(3):
        obs2, rew, term, _ = step(env, DOWN, RIGHT)  # snake 0's action is ignored
        assert not term.any() and rew[0] == 0 and env.state["length"][0, 0] == 0
        np.testing.assert_array_equal(obs2[0], obs[0])
    assert body(env, 1) == [(3, 7)]
    _, rew, term, _ = step(env, DOWN, RIGHT)  # snake 1 hits the right wall: the last one out
    np.testing.assert_array_equal(term, [False, True])
    assert env.masks.all() and (env.state["length"][0] == 1).all()  # the game restarted
    log = env.log()
    assert log["n"] == 2 and log["episode_length"] == 3  # lives of 1 and 5 steps
    check_grid(env)


def test_without_respawn_next_step_and_disabled_autoreset():
    env = small(respawn=False, autoreset="next_step")
    place(env, 0, [(0, 0)])
    place(env, 1, [(3, 7)])
    step(env, UP, DOWN)
    step(env, UP, RIGHT)  # snake 1 dies; the game restarts at the next step
    assert env.terminals[1] and not env.masks.any()
    _, rew, term, _ = step(env, UP, UP)
    assert not term.any() and not rew.any() and env.masks.all() and (env.state["length"][0] == 1).all()
    env = small(respawn=False, autoreset="disabled")
    place(env, 0, [(0, 0)])
    place(env, 1, [(0, 7)])
    step(env, UP, UP)
    assert not env.masks.any() and (env.state["length"][0] == 0).all()
    env.reset(mask=np.array([True]))
    assert env.masks.all() and (env.state["length"][0] == 1).all()


def window(env, r, c, k):
    """Snake k's expected observation centred on interior cell (r, c), from the grid."""
    grid = env.state["grid"][0]
    w = grid[r:r + 2 * V + 1, c:c + 2 * V + 1].astype(np.int8)  # interior (r, c) is grid (r + V, c + V)
    out = np.where(w >= SNAKE, np.where((w - SNAKE) // 2 == k, 3, 4 + (w - SNAKE) % 2), w)
    return out.astype(np.int8)


def test_observation_window():
    env = small(food=1)
    place(env, 0, [(1, 2), (1, 1), (0, 1)])  # head in the top row
    place(env, 1, [(3, 0), (2, 0), (2, 1)])
    food(env, 0, 3)
    obs, *_ = step(env, RIGHT, RIGHT)  # heads now at (0, 2) and (2, 2)
    np.testing.assert_array_equal(obs[0], [
        [2, 2, 2, 2, 2],  # the wall above the top row
        [2, 2, 2, 2, 2],
        [0, 3, 3, 1, 0],  # own body, own head at the centre, food
        [0, 3, 0, 0, 0],  # own tail; (1, 2) was left behind
        [4, 4, 5, 0, 0],  # the other snake's body and head
    ])
    np.testing.assert_array_equal(obs[1], [
        [0, 4, 5, 1, 0],
        [0, 4, 0, 0, 0],
        [3, 3, 3, 0, 0],
        [0, 0, 0, 0, 0],
        [0, 0, 0, 0, 0],
    ])
    np.testing.assert_array_equal(obs[0], window(env, 0, 2, 0))
    np.testing.assert_array_equal(obs[1], window(env, 2, 2, 1))
    assert env.single_observation_space.contains(obs[0]) and env.single_observation_space.contains(obs[1])


def test_default_game_reset_and_random_play_keep_the_grid_consistent():
    env = npf.make("snake", num_envs=8, seed=1, report_interval=0)
    env.reset(seed=1)
    assert env.num_agents == 32 and env.observations.shape == (32, 11, 11) and env.observations.dtype == np.int8
    rng = np.random.default_rng(1)
    for _ in range(300):
        obs, rew, term, trunc, _ = env.step(rng.integers(0, 4, 32))
        assert env.masks.all()
        assert set(np.unique(rew)) <= {np.float32(0), np.float32(0.1), np.float32(-1)}
        assert (obs[:, 5, 5] == 3).all()  # every snake sees its own head at the centre
    s = env.state
    for g in range(8):
        grid = s["grid"][g]
        assert (grid[5:-5, 5:-5] == FOOD).sum() == 8 == s["num_food"][g]
        for k in range(4):
            assert (grid == SNAKE + 2 * k + 1).sum() == 1 and (grid == SNAKE + 2 * k).sum() == s["length"][g, k] - 1
    log = env.log()
    assert log["n"] > 30 and set(log) == {"episode_return", "episode_length", "score", "n"}


def test_sizes_and_params_are_checked():
    with pytest.raises(ValueError, match="num_snakes must be an integer >= 1, got 0"):
        snake.make_game(num_snakes=0)
    with pytest.raises(ValueError, match="num_snakes must be at most 16382, got 20000"):
        snake.make_game(num_snakes=20000)
    assert snake.make_game(num_snakes=62, width=30, height=30, max_length=8).state["grid"].base == np.int8
    assert snake.make_game(num_snakes=63, width=30, height=30, max_length=8).state["grid"].base == np.int16
    with pytest.raises(ValueError, match="reward_corpse"):
        npf.make("snake", reward_corpse=float("inf"))
    with pytest.raises(ValueError, match="vision must be an integer >= 1, got 2.5"):
        snake.make_game(vision=2.5)
    with pytest.raises(ValueError, match="do not fit a 8x6 grid"):
        npf.Env(SMALL, num_envs=1, food=40)
    with pytest.raises(ValueError, match="food=-1"):
        npf.make("snake", food=-1)
    with pytest.raises(TypeError, match="unexpected keyword argument 'num_snakes'"):
        npf.make("snake", num_snakes=3)


def test_a_larger_game():
    g = snake.make_game(num_snakes=9, width=40, height=30, vision=3, max_length=20)
    env = npf.make(g, num_envs=3, seed=0, food=20)
    env.reset(seed=0)
    assert env.num_agents == 27 and env.observations.shape == (27, 7, 7)
    rng = np.random.default_rng(0)
    for _ in range(200):
        env.step(rng.integers(0, 4, 27))
    assert (env.observations[:, 3, 3] == 3).all()


# PufferLib 3.0's rules (the "pufferlib" preset's, but its food, on the small game)
PUFFER_RULES = dict(head_first=True, corpses=True, max_steps=0)
CORPSE = snake.CORPSE


def test_pufferlib_following_its_own_tail_kills():
    env = small(**PUFFER_RULES)
    place(env, 0, [(1, 1), (1, 2), (2, 2), (2, 1)])  # a 2x2 loop, head next to the tail
    place(env, 1, [(5, 0)])
    _, rew, term, _ = step(env, UP, RIGHT)  # the tail's cell is looked at before it moves on
    np.testing.assert_array_equal(term, [True, False])
    assert rew[0] == -1 and len(body(env, 0)) == 1


def test_pufferlib_a_later_snake_may_still_take_the_cell_an_earlier_tail_left():
    env = small(**PUFFER_RULES)
    place(env, 0, [(2, 2), (2, 3)])
    place(env, 1, [(3, 1), (2, 1)])
    _, _, term, _ = step(env, RIGHT, RIGHT)
    assert not term.any() and body(env, 1) == [(2, 1), (2, 2)]


def test_pufferlib_a_dead_snake_leaves_every_other_segment_as_a_corpse():
    env = small(**PUFFER_RULES)
    old = [(0, 1), (0, 2), (0, 3), (0, 4)]  # tail first; the head at (0, 4) runs up into the wall
    place(env, 0, old)
    place(env, 1, [(5, 0)])
    obs, rew, term, _ = step(env, UP, RIGHT)
    assert term[0] and rew[0] == -1
    (r, c), = body(env, 0)
    corpses = [rc for rc in old if rc != (r, c)]
    # segments at an even count from the tail end (tail 1): (0, 2) and the head (0, 4)
    assert [cell(env, *rc) for rc in corpses] == [CORPSE if old.index(rc) % 2 == 1 else EMPTY for rc in corpses]
    assert cell(env, 0, 2) == CORPSE
    assert env.state["num_food"][0] == 0  # corpses are not food to replace
    # a corpse in view is observed as food
    assert (obs[1] == FOOD).sum() == sum(1 for rc in corpses if cell(env, *rc) == CORPSE and
                                         abs(rc[0] - 5) <= V and abs(rc[1] - 1) <= V)


def test_pufferlib_eating_a_corpse_rewards_and_grows_without_new_food():
    env = small(food=0, reward_corpse=0.25, **PUFFER_RULES)
    place(env, 0, [(2, 1), (2, 2)])
    place(env, 1, [(5, 0)])
    env.state["grid"][0, 2 + V, 3 + V] = CORPSE
    _, rew, term, _ = step(env, RIGHT, RIGHT)
    assert rew[0] == np.float32(0.25) and not term.any()
    assert body(env, 0) == [(2, 1), (2, 2), (2, 3)] and env.episodes[0]["score"] == 0
    assert (env.state["grid"][0] == FOOD).sum() == 0 and (env.state["grid"][0] == CORPSE).sum() == 0


def test_pufferlib_spawns_may_take_a_corpse():
    env = small(**PUFFER_RULES)
    grid = env.state["grid"][0]
    grid[V:-V, V:-V] = CORPSE  # every cell a corpse but snake 1's
    place(env, 1, [(5, 0)])
    place(env, 0, [(0, 3)])
    step(env, UP, RIGHT)  # snake 0 dies; its respawn can only land on a corpse
    (r, c), = body(env, 0)
    assert cell(env, r, c) == SNAKE + 1


def test_pufferlib_preset_needs_pufferlibs_sizes():
    with pytest.raises(ValueError, match="food=4096 do not fit a 24x24 grid"):
        npf.make("snake", preset="pufferlib")


def test_pufferlib_preset_plays_on_pufferlibs_sizes():
    g = snake.make_game(**snake.PUFFERLIB_SIZES)
    env = npf.make(g, num_envs=1, seed=0, preset="pufferlib")
    env.reset(seed=0)
    assert env.num_agents == 256 and env.observations.shape == (256, 11, 11)
    assert env.state["grid"].shape == (1, 360, 640) and (env.state["grid"] == FOOD).sum() == 4096
    assert env.param_values()["max_steps"] == 0 and env.param_values()["reward_corpse"] == np.float32(0.1)
    assert npf.check_env(env, num_envs=1, steps=100) == []


@pytest.mark.slow
def test_pufferlib_preset_logs_as_the_c(tmp_path, monkeypatch):
    """Random play, PufferLib's sizes: lives per agent-step and their mean return and length
    as the C logs them (its buffers never end an episode: its log is the only count), and the
    reward per agent-step from the buffers."""
    pytest.importorskip("pufferlib.ocean", reason="PufferLib's C envs: ../shared/tools/build_pufferlib.sh VENV all")
    monkeypatch.chdir(tmp_path)
    from benchmarks.ocean import c_env, our_env, random_actions
    ours, c = our_env("snake", 16), c_env("snake", 16)
    ours.reset(seed=0)
    acts = random_actions(ours.single_action_space, ours.num_agents, 64, 0)
    infos, rewards = [], {"ours": 0.0, "c": 0.0}
    steps = 512
    for t in range(steps):
        ours.step(acts[t % 64].astype(ours.actions.dtype))
        rewards["ours"] += float(ours.rewards.sum())
        infos += [i for i in c.step(acts[t % 64].astype(c.actions.dtype))[-1] if i]
        rewards["c"] += float(c.rewards.sum())
    c.close()
    log = ours.log()
    n_c = sum(i["n"] for i in infos)
    assert log["n"] > 5000 and n_c > 5000
    assert log["n"] == pytest.approx(n_c, rel=0.03)
    for key in ("episode_return", "episode_length"):
        theirs = sum(i[key] * i["n"] for i in infos) / n_c
        assert log[key] == pytest.approx(theirs, rel=0.03), key
    assert rewards["ours"] == pytest.approx(rewards["c"], rel=0.03)
