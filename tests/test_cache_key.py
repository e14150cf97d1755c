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


# --- item 10: a full disk under the kernel cache ----------------------------------------

FULL = textwrap.dedent("""
    import errno, builtins, os, sys
    import numpy as np, numbapuffer as npf
    cache, simulate = sys.argv[1], sys.argv[2] == "simulate"
    if simulate:  # every write into the cache dir fails as on a full disk (Numba: open; numbapuffer: os.open)
        def full(path, *args, **kwargs):
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        real_open, real_os_open = builtins.open, os.open
        def writing(path, mode):
            return str(os.path.abspath(path)).startswith(cache) and mode
        builtins.open = lambda path, mode="r", *a, **k: (full(path) if writing(path, "w" in mode or "a" in mode
                                                                                  or "+" in mode) else
                                                         real_open(path, mode, *a, **k))
        os.open = lambda path, flags, *a, **k: (full(path) if writing(path, flags & (os.O_WRONLY | os.O_RDWR))
                                                else real_os_open(path, flags, *a, **k))
    sys.path.insert(0, "tests")
    import walk, count
    for game in (walk.game, count.game):
        env = npf.make(game, num_envs=4, seed=0)
        env.reset(seed=0)
        for t in range(5):
            env.step(np.full(4, t % 3, np.int32))
        print(float(env.observations.sum()))
""")


def reference_sums():
    sys.path.insert(0, str(ROOT / "tests"))
    try:
        import count
        import walk
    finally:
        sys.path.remove(str(ROOT / "tests"))
    import numpy as np
    import numbapuffer as npf
    out = []
    for game in (walk.game, count.game):
        env = npf.make(game, num_envs=4, seed=0)
        env.reset(seed=0)
        for t in range(5):
            env.step(np.full(4, t % 3, np.int32))
        out.append(float(env.observations.sum()))
    return out


def run_full(cache, how):
    env = dict(os.environ, NUMBAPUFFER_CACHE_DIR=str(cache))
    env.pop("NUMBA_CACHE_DIR", None)
    out = subprocess.run([sys.executable, "-c", FULL, str(cache), how], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    return [float(x) for x in out.stdout.split()], out.stderr


def tmpfs(path, size):
    """Mount a tmpfs of `size` bytes at `path` (as root, where mount works), else skip."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a small tmpfs needs root")
    path.mkdir()
    out = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(path)],
                         capture_output=True, text=True)
    if out.returncode:
        pytest.skip(f"mount failed: {out.stderr.strip()}")


def fill(folder, leave):
    """Fill the file system of `folder` but for about `leave` bytes."""
    fd = os.open(folder / "filler", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while os.write(fd, b"\0" * 4096):
            pass
    except OSError:  # ENOSPC: full
        pass
    finally:
        os.close(fd)
    os.truncate(folder / "filler", max(0, os.path.getsize(folder / "filler") - leave))


@pytest.mark.slow
@pytest.mark.parametrize("how", ["full", "room_for_the_module_only", "simulate"])
def test_a_full_cache_disk_compiles_in_memory_and_warns_once_naming_the_folder(tmp_path, how):
    """Two games made with the cache's disk full: both run as they do with a cache, and one
    warning names the folder. full: not even the generated module fits; room for the module
    only: Numba's save of the compiled code fails (in the call, after compiling); simulate:
    every write there fails (for machines where a tmpfs cannot be mounted)."""
    expected = reference_sums()
    disk = tmp_path / "disk"
    if how == "simulate":
        disk.mkdir()
    else:
        tmpfs(disk, 4 * 2**20)
    try:
        cache = disk / "cache"
        cache.mkdir(mode=0o700)
        (cache / "__pycache__").mkdir(mode=0o700)
        if how != "simulate":
            fill(disk, 0 if how == "full" else 16384)
        sums, stderr = run_full(cache, how)
        assert sums == expected
        warned = [line for line in stderr.splitlines() if "numbapuffer: cannot write the kernel cache" in line]
        assert len(warned) == 1 and f"in {cache} (No space left on device): compiling in memory" in warned[0]
        assert "does not compile" not in stderr
        assert not [p for p in cache.rglob("*") if p.name.endswith(".tmp") or ".tmp." in p.name]
    finally:
        if how != "simulate":
            subprocess.run(["umount", str(disk)], check=True)


def test_a_cache_that_cannot_be_written_is_warned_about_once_per_folder(tmp_path):
    from numbapuffer.engine import cache
    import errno
    import warnings
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for folder in ("a", "a", "b"):
            cache.unwritable(str(tmp_path / folder), OSError(errno.ENOSPC, "No space left on device"))
    assert [str(w.message).split(" (")[0] for w in caught] == [
        f"numbapuffer: cannot write the kernel cache in {tmp_path / f}" for f in ("a", "b")]


# --- the same walk finds what debug mode checks -----------------------------------------

POKE_HELPERS = textwrap.dedent("""
    from numba import njit

    @njit
    def poke(row, k):
        row[k] = 1.0
""")

POKE_GAME = textwrap.dedent("""
    import numpy as np
    from numba import njit
    from gymnasium import spaces
    import numbapuffer as npf
    import npf_poke_helpers as helpers

    @njit
    def reset(s, p, buf, a):
        buf.observations[a, 0] = 0.0

    @njit
    def step(s, p, buf, a):
        helpers.poke(buf.observations[a], 3)  # past the row of 1

    game = npf.Game("poke", np.dtype([("x", np.float64)]), reset, step,
                    spaces.Box(-9, 9, (1,), np.float32), spaces.Discrete(2))
""")


@pytest.mark.slow
def test_debug_mode_checks_a_helper_reached_as_a_module_attribute(tmp_path):
    """Debug mode's bounds-checked twins reach helpers.poke too (a copy of the module holds
    its twin), so its write past the row is caught and named, not made."""
    import numpy as np
    import numbapuffer as npf
    (tmp_path / "npf_poke_helpers.py").write_text(POKE_HELPERS)
    (tmp_path / "npf_poke_game.py").write_text(POKE_GAME)
    sys.path.insert(0, str(tmp_path))
    try:
        game = importlib.import_module("npf_poke_game").game
        helpers = sys.modules["npf_poke_helpers"]
        env = npf.make(game, num_envs=2, seed=0, debug=True)
        env.reset(seed=0)
        with pytest.raises(npf.GameStepError, match="in poke\\(\\) at .*npf_poke_helpers.py"):
            env.step(np.zeros(2, np.int32))
        assert helpers.poke.targetoptions.get("boundscheck") is None  # the game's own function untouched
    finally:
        sys.path.remove(str(tmp_path))
        for name in ("npf_poke_game", "npf_poke_helpers"):
            sys.modules.pop(name, None)
