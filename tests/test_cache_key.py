"""The kernel cache key covers everything Numba compiles into a kernel (issue 22, item 1),
and a full cache disk compiles in memory (item 10).

A game file and a helper module are written to a folder; the game reads six kinds of
reference, each adding its own digit to the observation: a function reached as a module's
attribute (helpers.bump), a constant read as one (helpers.K), a global that function reads
in its own module (helpers.STEP), a closure cell (make_scaled's c), a default argument
(plus's d) and a global constant of the game file (G). Editing any one of them must change
the kernel's name (its cache key), and a second process sharing the cache dir must run the
edited code, not the cached one."""
import importlib
import os
import pathlib
import shutil
import subprocess
import sys
import textwrap

import pytest

from numbapuffer.engine import kernels as K

ROOT = pathlib.Path(__file__).resolve().parents[1]

HELPERS = textwrap.dedent("""
    from numba import njit
    K = 1.0
    STEP = 1.0

    @njit
    def bump(x):
        return x + STEP
""")

GAME = textwrap.dedent("""
    import numpy as np
    from numba import njit
    from gymnasium import spaces
    import numbapuffer as npf
    import {helpers} as helpers

    G = 100.0
    OFFSET = 10000.0

    def make_scaled(c):
        @njit
        def scaled(x):
            return x * c
        return scaled

    scaled = make_scaled(1000.0)

    @njit
    def plus(x, d=OFFSET):
        return x + d

    @njit
    def reset(s, p, buf, a):
        s.x = 0.0
        buf.observations[a, 0] = 0.0

    @njit
    def step(s, p, buf, a):
        buf.observations[a, 0] = helpers.bump(0.0) + helpers.K * 10.0 + G + scaled(1.0) + plus(0.0)

    game = npf.Game("edited", np.dtype([("x", np.float64)]), reset, step,
                    spaces.Box(-1e9, 1e9, (1,), np.float32), spaces.Discrete(2))
""")

# kind -> (file, text before, text after, the observation after); before: 11111
EDITS = {
    "module_function": ("helpers", "return x + STEP", "return x + STEP + 1.0", 11112.0),
    "module_constant": ("helpers", "K = 1.0", "K = 2.0", 11121.0),
    "callee_global": ("helpers", "STEP = 1.0", "STEP = 3.0", 11113.0),
    "closure_cell": ("game", "make_scaled(1000.0)", "make_scaled(3000.0)", 13111.0),
    "default_argument": ("game", "OFFSET = 10000.0", "OFFSET = 30000.0", 31111.0),
    "global_constant": ("game", "G = 100.0", "G = 300.0", 11311.0),
}


def write_game(folder, tag):
    """The game file npf_edit_game_<tag>.py and its helpers npf_edit_helpers_<tag>.py."""
    names = {"game": f"npf_edit_game_{tag}", "helpers": f"npf_edit_helpers_{tag}"}
    (folder / f"{names['helpers']}.py").write_text(HELPERS)
    (folder / f"{names['game']}.py").write_text(GAME.format(helpers=names["helpers"]))
    return names


def edit(folder, names, kind):
    which, before, after, _ = EDITS[kind]
    path = folder / f"{names[which]}.py"
    text = path.read_text()
    assert text.count(before) == 1
    path.write_text(text.replace(before, after))


def import_fresh(folder, names):
    sys.path.insert(0, str(folder))
    try:
        for name in names.values():
            sys.modules.pop(name, None)
        importlib.invalidate_caches()
        return importlib.import_module(names["game"])
    finally:
        sys.path.remove(str(folder))


@pytest.mark.parametrize("kind", sorted(EDITS))
def test_each_kind_of_reference_is_in_the_cache_key(tmp_path, kind):
    """In one process, without compiling: the key of the game as written, and of the game
    after the edit, imported afresh."""
    names = write_game(tmp_path, kind)
    try:
        key = K.fingerprint(import_fresh(tmp_path, names).game, "")
        assert K.fingerprint(import_fresh(tmp_path, names).game, "") == key  # the same code, the same key
        edit(tmp_path, names, kind)
        assert K.fingerprint(import_fresh(tmp_path, names).game, "") != key
    finally:
        for name in names.values():
            sys.modules.pop(name, None)


RUN = textwrap.dedent("""
    import sys
    import numpy as np, numbapuffer as npf
    sys.path.insert(0, sys.argv[1])
    game = __import__(sys.argv[2]).game
    env = npf.make(game, num_envs=2, seed=0)
    env.reset(seed=0)
    env.step(np.zeros(2, np.int32))
    print(float(env.observations[0, 0]))
""")


def run(folder, names, cache):
    env = dict(os.environ, NUMBAPUFFER_CACHE_DIR=str(cache))
    env.pop("NUMBA_CACHE_DIR", None)
    out = subprocess.run([sys.executable, "-c", RUN, str(folder), names["game"]], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    return float(out.stdout.split()[-1])


@pytest.fixture(scope="module")
def cached_game(tmp_path_factory):
    """The game, run once by a process that filled a kernel cache."""
    folder = tmp_path_factory.mktemp("edited")
    (folder / "src").mkdir()
    names = write_game(folder / "src", "procs")
    assert run(folder / "src", names, folder / "cache") == 11111.0
    return folder, names


@pytest.mark.slow
@pytest.mark.parametrize("kind", sorted(EDITS))
def test_an_edit_between_two_processes_runs_the_edited_code(tmp_path, cached_game, kind):
    """A process that shares the cache dir with the one that compiled the game before the
    edit runs the edited code (the folders are copied with their times, so that the cache
    as it was is found again: the unedited game hits it)."""
    folder, names = cached_game
    shutil.copytree(folder, tmp_path / "copy", copy_function=shutil.copy2)
    src, cache = tmp_path / "copy" / "src", tmp_path / "copy" / "cache"
    edit(src, names, kind)
    assert run(src, names, cache) == EDITS[kind][3]
