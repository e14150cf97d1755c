"""The engine's contracts: make, buffers, bad input, seeding, logging, kernels and cache."""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from gymnasium import spaces
from numba import njit

import numbapuffer as npf
from numbapuffer.core import seed_streams

import slide
import walk

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def random_actions(env, steps, seed=0):
    return np.random.default_rng(seed).integers(0, env.single_action_space.n, (steps, env.num_agents))


def rollout(env, actions):
    """Every step's (observations, rewards, terminals, truncations), copied."""
    out = []
    for a in actions:
        obs, rew, term, trunc, _ = env.step(a)
        out.append((obs.copy(), rew.copy(), term.copy(), trunc.copy()))
    return out


def assert_same(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        for u, v in zip(x, y):
            np.testing.assert_array_equal(u, v)


# --- make, list_envs, params -------------------------------------------------------------

def test_list_and_make():
    assert "pong" in npf.list_envs()
    env = npf.make("pong", num_envs=3, seed=0)
    assert env.num_envs == 3 and env.num_agents == 3
    assert env.single_observation_space == spaces.Box(0, 1, (8,), np.float32)
    assert env.single_action_space == spaces.Discrete(3)
    assert env.observation_space.shape == (3, 8) and env.action_space.shape == (3,)
    assert env.state.shape == (3,) and "ball_x" in env.state.dtype.names


def test_unknown_env_is_named():
    with pytest.raises(ValueError, match="unknown env 'pongg'.*pong"):
        npf.make("pongg")


def test_unknown_param_is_named():
    with pytest.raises(TypeError, match="unexpected keyword argument 'widht'"):
        npf.make("pong", widht=3)


@pytest.mark.parametrize("kw, match", [
    (dict(width=-5), "width=-5"),
    (dict(max_score=2.5), "max_score=2.5 must be an integer"),
    (dict(paddle_speed=float("nan")), "paddle_speed=nan must be finite"),
    (dict(frameskip="2"), "frameskip='2'"),
    (dict(ball_width=600), "ball must be smaller"),
])
def test_invalid_param_is_named(kw, match):
    with pytest.raises(ValueError, match=match):
        npf.make("pong", **kw)


@pytest.mark.parametrize("n", [0, -1, 2.5, "4", True])
def test_bad_num_envs(n):
    with pytest.raises(ValueError, match=f"num_envs must be an integer >= 1, got {n!r}"):
        npf.make("pong", num_envs=n)


def test_params_override():
    env = npf.make("pong", num_envs=1, seed=0, width=300, max_score=3)
    assert env.params[0]["width"] == 300 and env.params.dtype["width"] == np.float32
    assert env.params[0]["max_score"] == 3


def test_step_before_reset():
    env = npf.make("pong", num_envs=2, seed=0)
    with pytest.raises(RuntimeError, match="reset"):
        env.step(np.zeros(2, np.int32))


# --- buffers -----------------------------------------------------------------------------

def make_buf(n, obs_dim=8):
    return dict(observations=np.zeros((n, obs_dim), np.float32), actions=np.zeros(n, np.int32),
                rewards=np.zeros(n, np.float32), terminals=np.zeros(n, bool),
                truncations=np.zeros(n, bool), masks=np.zeros(n, bool))


def test_buffers_allocated_with_right_types():
    env = npf.make("pong", num_envs=5, seed=0)
    assert env.observations.shape == (5, 8) and env.observations.dtype == np.float32
    assert env.actions.dtype == np.int32 and env.rewards.dtype == np.float32
    assert env.terminals.dtype == env.truncations.dtype == env.masks.dtype == np.bool_
    obs, infos = env.reset(seed=0)
    assert obs is env.observations and infos == []
    assert env.masks.all()
    obs, rew, term, trunc, infos = env.step(np.zeros(5, np.int32))
    assert obs is env.observations and rew is env.rewards and term is env.terminals and trunc is env.truncations


def test_adopts_given_buffers():
    buf = make_buf(64)
    env = npf.make("pong", num_envs=64, seed=0, buf=buf)
    for name, arr in buf.items():
        assert getattr(env, name) is arr
    env.reset(seed=0)
    assert buf["observations"].any() and buf["masks"].all()
    ref = npf.make("pong", num_envs=64, seed=0)
    ref.reset(seed=0)
    acts = random_actions(env, 50)
    assert_same(rollout(env, acts), rollout(ref, acts))


def test_buffers_from_an_object():
    class Buf:
        pass
    b = Buf()
    b.__dict__.update(make_buf(4))
    env = npf.make("pong", num_envs=4, seed=0, buf=b)
    assert env.rewards is b.rewards


@pytest.mark.parametrize("name, bad, match", [
    ("observations", np.zeros((64, 7), np.float32), r"buf.observations has shape \(64, 7\), expected \(64, 8\)"),
    ("rewards", np.zeros(64, np.float64), "buf.rewards has dtype float64, expected float32"),
    ("actions", np.zeros((64, 2), np.int32)[:, 0], "buf.actions must be C-contiguous"),
    ("terminals", [False] * 64, "buf.terminals must be a numpy array, got list"),
    ("masks", None, "buf.masks must be a numpy array, got NoneType"),
])
def test_bad_buffers_are_named(name, bad, match):
    buf = make_buf(64)
    buf[name] = bad
    with pytest.raises((ValueError, TypeError), match=match):
        npf.make("pong", num_envs=64, buf=buf)


def test_read_only_buffer_rejected():
    buf = make_buf(8)
    buf["rewards"].flags.writeable = False
    with pytest.raises(ValueError, match="buf.rewards must be writeable"):
        npf.make("pong", num_envs=8, buf=buf)


# --- actions: accepted forms and bad input ------------------------------------------------

@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.int16, np.int32, np.int64, np.uint64])
def test_any_integer_dtype(dtype):
    acts = random_actions(walk_env(), 30)
    env, ref = walk_env(), walk_env()
    assert_same(rollout(env, acts.astype(dtype)), rollout(ref, acts.astype(np.int32)))


def test_lists_and_own_buffer_accepted():
    env, ref = walk_env(), walk_env()
    acts = random_actions(env, 20)
    expected = rollout(ref, acts)
    got = []
    for a in acts:
        env.actions[:] = a  # writing into env.actions and passing it back is allowed
        obs, rew, term, trunc, _ = env.step(env.actions if len(got) % 2 else a.tolist())
        got.append((obs.copy(), rew.copy(), term.copy(), trunc.copy()))
    assert_same(got, expected)


def walk_env(n=16):
    env = npf.make(walk.game, num_envs=n, seed=3)
    env.reset(seed=3)
    return env


BAD_ACTIONS = [
    (None, TypeError, "actions is None"),
    (np.zeros(15, np.int32), ValueError, r"actions have shape \(15,\), expected \(16,\)"),
    (np.zeros((16, 1), np.int32), ValueError, r"actions have shape \(16, 1\), expected \(16,\)"),
    (np.zeros(16, np.float32), TypeError, "actions have dtype float32, expected integers for Discrete"),
    (np.zeros(16, bool), TypeError, "actions have dtype bool, expected integers"),
    (np.full(16, 3), ValueError, r"action value 3 \(flat index 0\) is out of range for Discrete\(3\): expected 0..2"),
    (np.r_[np.zeros(9, int), -1, np.zeros(6, int)], ValueError, r"action value -1 \(flat index 9\) is out of range"),
    (np.full(16, 2**32 + 1, np.int64), ValueError, "action value 4294967297"),
    ("left", ValueError, "actions have shape"),
]


@pytest.mark.parametrize("bad, error, match", BAD_ACTIONS)
def test_bad_actions_rejected_and_env_still_works(bad, error, match):
    env, ref = walk_env(), walk_env()
    acts = random_actions(env, 40)
    before = rollout(env, acts[:20])
    assert_same(before, rollout(ref, acts[:20]))
    state = env.state.copy()
    with pytest.raises(error, match=match):
        env.step(bad)
    np.testing.assert_array_equal(env.state, state)  # nothing was stepped
    assert_same(rollout(env, acts[20:]), rollout(ref, acts[20:]))


def test_box_actions_reject_nan():
    env = npf.make(box_game(), num_envs=4, seed=0)
    env.reset(seed=0)
    a = np.zeros((4, 2), np.float32)
    a[2, 1] = np.nan
    with pytest.raises(ValueError, match=r"actions contain NaN \(flat index 5\)"):
        env.step(a)
    with pytest.raises(TypeError, match="expected float"):
        env.step(np.zeros((4, 2), bool))
    env.step(np.ones((4, 2), np.float32))
    np.testing.assert_allclose(env.state["x"], 2.0)


def box_game():
    """slide's game with its functions compiled anew here: not importable by name, so
    compiled uncached."""
    return npf.Game("slide", np.dtype([("x", np.float64)]), njit(slide.reset.py_func), njit(slide.step.py_func),
                    observation_space=slide.game.observation_space, action_space=slide.game.action_space)


# --- determinism and seeding -------------------------------------------------------------

def test_same_seed_same_results_and_seed_matters():
    acts = random_actions(walk_env(), 100)
    a, b, c = (npf.make(walk.game, num_envs=16) for _ in range(3))
    a.reset(seed=5), b.reset(seed=5), c.reset(seed=6)
    ra, rb, rc = rollout(a, acts), rollout(b, acts), rollout(c, acts)
    assert_same(ra, rb)
    assert not all(np.array_equal(x[0], y[0]) for x, y in zip(ra, rc))


def test_serial_and_parallel_kernels_agree():
    a, b = npf.make("pong", num_envs=300, seed=1), npf.make("pong", num_envs=300, seed=1)
    a.use_serial(True), b.use_serial(False)
    a.reset(seed=1), b.reset(seed=1)
    acts = random_actions(a, 3000)
    assert_same(rollout(a, acts), rollout(b, acts))
    assert a.log() == b.log()


def test_splitting_games_keeps_each_games_stream():
    """Games 0-99 of one env equal a 60-game env and a 40-game env with game_offset=60."""
    whole = npf.Env(walk.game, num_envs=100, seed=9)
    left = npf.Env(walk.game, num_envs=60, seed=9)
    right = npf.Env(walk.game, num_envs=40, seed=9, game_offset=60)
    for e in (whole, left, right):
        e.reset(seed=9)
    acts = random_actions(whole, 200)
    w, l, r = rollout(whole, acts), rollout(left, acts[:, :60]), rollout(right, acts[:, 60:])
    for x, y, z in zip(w, l, r):
        for u, v, t in zip(x, y, z):
            np.testing.assert_array_equal(u, np.concatenate([v, t]))


def test_reset_with_seed_list_and_mask():
    env = npf.make(walk.game, num_envs=4)
    env.reset(seed=[10, 11, 12, 13])
    single = npf.make(walk.game, num_envs=1)
    single.reset(seed=[12])
    np.testing.assert_array_equal(env.observations[2], single.observations[0])
    before = env.observations.copy()
    state = env.state.copy()
    env.reset(seed=[20, 21, 22, 23], mask=np.array([False, True, False, False]))
    np.testing.assert_array_equal(env.state[[0, 2, 3]], state[[0, 2, 3]])
    np.testing.assert_array_equal(env.observations[[0, 2, 3]], before[[0, 2, 3]])
    with pytest.raises(ValueError, match="seed must be an int or 4 ints"):
        env.reset(seed=[1, 2])
    with pytest.raises(ValueError, match="reset mask must be a bool array of shape"):
        env.reset(mask=[1, 0, 1, 1])


def test_seed_streams_never_zero_and_distinct():
    s = seed_streams(0, np.arange(100000))
    assert (s != 0).all() and len(np.unique(s)) == len(s)


THREADS_SCRIPT = textwrap.dedent("""
    import hashlib, numpy as np, numbapuffer as npf
    env = npf.make("pong", num_envs=1000, seed=4)
    env.reset(seed=4)
    h = hashlib.sha256()
    rng = np.random.default_rng(0)
    for _ in range(3000):
        obs, rew, term, trunc, _ = env.step(rng.integers(0, 3, 1000))
        h.update(obs.tobytes()); h.update(rew.tobytes()); h.update(term.tobytes())
    print(h.hexdigest(), env.log())
""")


def test_identical_on_one_and_two_threads():
    outs = [subprocess.run([sys.executable, "-c", THREADS_SCRIPT], capture_output=True, text=True, check=True,
                           env=dict(os.environ, NUMBA_NUM_THREADS=str(t))).stdout for t in (1, 2)]
    assert outs[0] == outs[1] and len(outs[0]) > 64


# --- logging -----------------------------------------------------------------------------

def test_log_means_count_and_clears():
    env = npf.make(walk.game, num_envs=32, seed=0, report_interval=0)
    env.reset(seed=0)
    assert env.log() == {}
    returns, lengths, ep_ret, ep_len = [], [], np.zeros(32), np.zeros(32)
    for a in random_actions(env, 300):
        _, rew, term, trunc, infos = env.step(a)
        assert infos == []
        ep_ret += rew
        ep_len += 1
        done = term | trunc
        returns += list(ep_ret[done])
        lengths += list(ep_len[done])
        ep_ret[done] = 0
        ep_len[done] = 0
    log = env.log()
    assert log["n"] == len(returns) > 50
    assert log["episode_return"] == pytest.approx(np.mean(returns))
    assert log["episode_length"] == pytest.approx(np.mean(lengths))
    assert env.log() == {}


def test_infos_carry_log_every_report_interval():
    env = npf.make(walk.game, num_envs=32, seed=0, report_interval=10)
    env.reset(seed=0)
    for t, a in enumerate(random_actions(env, 100), 1):
        infos = env.step(a)[4]
        if t % 10:
            assert infos == []
        else:
            assert len(infos) == 1 and infos[0]["n"] > 0 and set(infos[0]) == {"episode_return", "episode_length", "n"}


# --- the author's side: a game is game code only -----------------------------------------

def test_game_declaration_errors():
    with pytest.raises(TypeError, match="step must be an @njit function"):
        npf.Game("x", walk.STATE, walk.reset, walk.step.py_func, walk.game.observation_space, walk.game.action_space)
    with pytest.raises(ValueError, match="'rng' is reserved"):
        npf.Game("x", np.dtype([("rng", np.uint64)]), walk.reset, walk.step, walk.game.observation_space,
                 walk.game.action_space)
    with pytest.raises(ValueError, match="game name"):
        npf.Game("Bad Name", walk.STATE, walk.reset, walk.step, walk.game.observation_space, walk.game.action_space)


def test_tiny_env_is_under_40_lines_and_learnable_signal():
    with open(walk.__file__) as f:
        assert len(f.readlines()) < 40
    env = walk_env(64)
    # moving toward the target always reaches it: every episode ends with reward 1
    for _ in range(40):
        obs = env.observations
        env.step(np.where(obs[:, 0] < obs[:, 1], 2, np.where(obs[:, 0] > obs[:, 1], 0, 1)))
    log = env.log()
    assert log["episode_return"] == 1.0 and log["episode_length"] <= 16


def test_rand_helpers_deterministic_and_uniform():
    @njit
    def draw(state, n):
        out = np.empty((n, 2))
        for k in range(n):
            out[k, 0] = npf.rand_float(state[0])
            out[k, 1] = npf.rand_int(state[0], 6)
        return out

    st = np.zeros(1, np.dtype([("rng", np.uint64)]))
    st["rng"] = seed_streams(1, [0])
    a = draw(st, 60000)
    st["rng"] = seed_streams(1, [0])
    np.testing.assert_array_equal(a, draw(st, 60000))
    assert 0 <= a[:, 0].min() and a[:, 0].max() < 1 and abs(a[:, 0].mean() - 0.5) < 0.01
    assert set(np.unique(a[:, 1])) == set(range(6))
    assert np.bincount(a[:, 1].astype(int)).min() > 9000


# --- the kernel cache --------------------------------------------------------------------

GAME_SOURCE = textwrap.dedent('''
    import numpy as np
    from gymnasium import spaces
    from numba import njit
    from numbapuffer import Game
    BONUS = {bonus}

    @njit
    def reset(s, p, buf, a):
        s.t = 0
        buf.observations[a, 0] = 0

    @njit
    def step(s, p, buf, a):
        s.t += 1
        buf.rewards[a] = BONUS
        buf.observations[a, 0] = s.t

    game = Game("cachetest", np.dtype([("t", np.int32)]), reset, step,
                spaces.Box(0, 1e9, (1,), np.float32), spaces.Discrete(2))
''')

CHILD = textwrap.dedent('''
    import sys
    sys.path.insert(0, sys.argv[1])
    import numpy as np, numbapuffer as npf, cachegame
    env = npf.make(cachegame.game, num_envs=300, seed=0)
    env.reset(seed=0)
    _, rew, *_ = env.step(np.zeros(300, np.int32))
    stats = env._step_kernel.stats  # Numba's own count of kernels loaded from disk vs compiled
    print(rew[0], sum(stats.cache_hits.values()), sum(stats.cache_misses.values()))
''')


def test_kernel_cache_is_used_and_never_stale(tmp_path):
    env = dict(os.environ, NUMBAPUFFER_CACHE_DIR=str(tmp_path / "cache"))

    def run(bonus):
        (tmp_path / "cachegame.py").write_text(GAME_SOURCE.format(bonus=bonus))
        out = subprocess.run([sys.executable, "-c", CHILD, str(tmp_path)], capture_output=True, text=True,
                             env=env, check=True).stdout.split()
        return float(out[0]), int(out[1]), int(out[2])  # reward, cache hits, cache misses

    assert run(1) == (1.0, 0, 1)  # compiled, then written to disk
    assert run(1) == (1.0, 1, 0)  # loaded from disk
    assert len(list((tmp_path / "cache").glob("npf_cachetest_*.py"))) == 1
    assert list((tmp_path / "cache" / "__pycache__").glob("*.nbc"))
    assert run(7) == (7.0, 0, 1)  # the edited game never meets the old cached kernel
    assert run(1) == (1.0, 1, 0)  # ...and the old one's cache is still good


# --- autoreset modes ---------------------------------------------------------------------

def walk_to_end(autoreset):
    """A one-game walk env one step before reaching its target."""
    env = npf.make(walk.game, num_envs=1, seed=0, autoreset=autoreset, report_interval=0)
    env.reset(seed=0)
    env.state[0]["pos"], env.state[0]["target"] = 5, 6
    return env


def test_same_step_autoreset_returns_the_new_games_first_observation():
    env = walk_to_end("same_step")
    obs, rew, term, _, _ = env.step([2])
    assert term[0] and rew[0] == 1
    s = env.state[0]
    np.testing.assert_allclose(obs[0], [s["pos"] / 15, s["target"] / 15])
    assert s["t"] == 0 and env.log()["n"] == 1


def test_next_step_autoreset():
    env = walk_to_end("next_step")
    obs, rew, term, trunc, _ = env.step([2])
    assert term[0] and rew[0] == 1
    np.testing.assert_allclose(obs[0], [6 / 15, 6 / 15])  # the final observation
    assert env.log() == {"episode_return": 1.0, "episode_length": 1.0, "n": 1}
    obs, rew, term, trunc, _ = env.step([0])  # this step only restarts the game
    s = env.state[0]
    assert not term[0] and not trunc[0] and rew[0] == 0 and s["t"] == 0
    np.testing.assert_allclose(obs[0], [s["pos"] / 15, s["target"] / 15])
    assert env.log() == {}
    env.step([1])
    assert env.state[0]["t"] == 1 and env.episodes[0]["episode_length"] == 1


def test_disabled_autoreset_waits_for_reset_mask():
    env = walk_to_end("disabled")
    obs, rew, term, _, _ = env.step([2])
    assert term[0] and env.state[0]["pos"] == 6 and env.state[0]["t"] == 1  # not restarted
    env.reset(mask=np.array([True]))
    assert env.state[0]["t"] == 0 and not env.terminals[0]


def test_disabled_autoreset_leaves_an_ended_game_alone_until_reset():
    env = walk_to_end("disabled")
    env.step([2])
    state, obs = env.state.copy(), env.observations.copy()
    for a in ([2], [0]):  # stepping on neither moves the game nor logs another episode
        _, rew, term, trunc, _ = env.step(a)
        assert term[0] and not trunc[0] and rew[0] == 0
        assert env.state[0] == state[0] and np.array_equal(env.observations, obs)
    assert env.log()["n"] == 1 and env.log() == {}
    env.reset(mask=np.array([True]))
    _, _, term, _, _ = env.step([1])
    assert not term[0] and env.state[0]["t"] == 1


def test_native_env_speaks_the_backend_interface():
    env = npf.make("pong", num_envs=4, seed=0)
    ref = npf.make("pong", num_envs=4, seed=0)
    env.async_reset(seed=3)
    obs, rew, term, trunc, infos, ids, masks = env.recv()
    np.testing.assert_array_equal(obs, ref.reset(seed=3)[0])
    assert list(ids) == [0, 1, 2, 3] and masks.all() and infos == []
    for a in random_actions(env, 20):
        env.send(a)
        out = env.recv()
        for x, y in zip(out[:4], ref.step(a)[:4]):
            np.testing.assert_array_equal(x, y)


def test_bad_autoreset_mode():
    with pytest.raises(ValueError, match="autoreset must be one of same_step, next_step, disabled, got 'sometimes'"):
        npf.make(walk.game, autoreset="sometimes")


def test_fingerprint_is_stable_across_processes():
    """The kernel module's name (its cache key) must not depend on addresses, e.g. of the
    code objects of a comprehension inside a game function."""
    script = textwrap.dedent("""
        import numpy as np
        from numba import njit
        from gymnasium import spaces
        import numbapuffer as npf
        from numbapuffer.core import kernels

        @njit
        def reset(s, p, buf, a):
            s.x = sum([k for k in range(3)])
            buf.observations[a, 0] = s.x

        @njit
        def step(s, p, buf, a):
            buf.observations[a, 0] = s.x

        game = npf.Game("stable", np.dtype([("x", np.float64)]), reset, step,
                        spaces.Box(-9, 9, (1,), np.float32), spaces.Discrete(2))
        print(kernels(game).__name__)
    """)
    names = {subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
             for _ in range(2)}
    assert len(names) == 1 and next(iter(names)).startswith("npf_stable_")


LAYOUT_CHILD = textwrap.dedent('''
    import sys
    import numpy as np, numbapuffer as npf
    from numbapuffer.envs import snake
    for width in map(int, sys.argv[1:]):
        game = snake.make_game(num_snakes=2, width=width, height=6, vision=2, max_length=6)
        env = npf.make(game, num_envs=3, seed=0, food=2)
        env.reset(seed=0)
        for t in range(50):
            env.step(np.full(6, t % 4))
        print(int(env.observations.sum()), env.log()["n"], end=" ")
''')


def test_cached_kernels_of_two_state_layouts_load_into_one_process(tmp_path):
    """One game's code (snake's) compiled for two state layouts, each cached by its own
    process, then both loaded by a third. With numba's own symbol names for record types (a
    per-process counter) the two cached kernels' helpers shared names and this crashed."""
    env = dict(os.environ, NUMBAPUFFER_CACHE_DIR=str(tmp_path / "cache"))

    def run(*widths):
        out = subprocess.run([sys.executable, "-c", LAYOUT_CHILD, *map(str, widths)], cwd=ROOT,
                             capture_output=True, text=True, env=env)
        assert out.returncode == 0, f"exit code {out.returncode}: {out.stderr[-2000:]}"
        return out.stdout.split()

    a, b = run(8), run(12)
    assert a != b
    assert run(8, 12) == a + b


# --- several agents per game -------------------------------------------------------------

@njit
def _leave_reset(s, p, buf, a):
    s.t = 0
    for k in range(2):
        buf.observations[a + k, 0] = 0


@njit
def _leave_step(s, p, buf, a):
    """Action 1 takes a playing agent out of the game: terminal, then masks False."""
    s.t += 1
    for k in range(2):
        if buf.masks[a + k] and buf.actions[a + k] == 1:
            buf.terminals[a + k] = True
            buf.rewards[a + k] = 1
            buf.masks[a + k] = False
        buf.observations[a + k, 0] = s.t


LEAVE = npf.Game("leave", np.dtype([("t", np.int32)]), _leave_reset, _leave_step,
                 spaces.Box(0, 1e9, (1,), np.float32), spaces.Discrete(2), agents=2)


@pytest.mark.parametrize("autoreset", ["same_step", "next_step", "disabled"])
def test_a_game_ends_when_each_agent_is_done_or_out_of_play(autoreset):
    env = npf.Env(LEAVE, num_envs=2, seed=0, report_interval=0, autoreset=autoreset)
    env.reset(seed=0)
    assert env.num_agents == 4 and env.masks.all()
    env.step([1, 0, 0, 0])  # game 0: agent 0 leaves; the game goes on
    np.testing.assert_array_equal(env.terminals, [True, False, False, False])
    np.testing.assert_array_equal(env.masks, [False, True, True, True])
    env.step([0, 0, 0, 0])
    assert env.state["t"].tolist() == [2, 2] and not env.terminals.any()
    env.step([0, 1, 0, 0])  # game 0: the last agent in play leaves
    np.testing.assert_array_equal(env.terminals, [False, True, False, False])
    assert env.log() == {"episode_return": 1, "episode_length": 2, "n": 2}  # 1 and 3 steps
    if autoreset == "same_step":
        assert env.state["t"].tolist() == [0, 3] and env.masks.all()
    else:
        assert env.state["t"].tolist() == [3, 3] and env.masks.tolist() == [False, False, True, True]
    env.step([0, 0, 0, 0])
    if autoreset == "next_step":  # this step restarts game 0 instead of stepping it
        assert env.state["t"].tolist() == [0, 4] and env.masks.all() and not env.terminals.any()
    if autoreset == "disabled":
        env.reset(mask=np.array([True, False]))
        assert env.state["t"].tolist() == [0, 4] and env.masks.all()


def test_python_dash_m_runs_the_command_line():
    out = subprocess.run([sys.executable, "-m", "numbapuffer", "list"], capture_output=True, text=True, check=True)
    assert out.stdout.split() == npf.list_envs()


def test_a_preset_sets_params_that_keywords_still_override():
    @njit
    def _reset(s, p, buf, a):
        s.x = p.size

    @njit
    def _step(s, p, buf, a):
        s.x = p.size

    game = npf.Game("presets", np.dtype([("x", np.int32)]), _reset, _step,
                    observation_space=spaces.Box(0, 1, (1,), np.float32), action_space=spaces.Discrete(2),
                    params=dict(size=3, speed=1), presets={"big": dict(size=9, speed=2)})
    assert npf.make(game, 1, preset="big").param_values() == {"size": 9, "speed": 2}
    assert npf.make(game, 1, preset="big", size=4).param_values() == {"size": 4, "speed": 2}
    with pytest.raises(ValueError, match="unknown preset 'small'.*'big'"):
        npf.make(game, 1, preset="small")
    with pytest.raises(ValueError, match="preset 'bad' sets unknown parameter 'sise'"):
        npf.Game("presets", np.dtype([("x", np.int32)]), _reset, _step,
                 observation_space=spaces.Box(0, 1, (1,), np.float32), action_space=spaces.Discrete(2),
                 params=dict(size=3), presets={"bad": dict(sise=9)})
