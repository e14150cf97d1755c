"""Hostile and careless input (issue 13): files other users could have planted, damaged
caches, read-only installs, hostile checkpoints, interrupted workers, threads, memory."""
import os
import pathlib
import pickle
import shutil
import subprocess
import sys
import textwrap

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]

# A child process that makes and steps a small pong env (8 games: serial kernels only, the
# quickest to compile), then prints a sum of its observations.
PONG = textwrap.dedent('''
    import numpy as np, numbapuffer as npf
    env = npf.make("pong", num_envs=8, seed=0)
    env.reset(seed=0)
    for _ in range(3):
        env.step(np.ones(8, np.int32))
    print(float(env.observations.sum()))
''')


def child(script, cwd=ROOT, **environ):
    """Run `script` in a fresh Python with `environ` added (a None value removes a name).
    Numba's own NUMBA_CACHE_DIR is removed unless given: the tests look at (and plant) the
    files Numba keeps beside the generated modules."""
    environ.setdefault("NUMBA_CACHE_DIR", None)
    env = dict(os.environ)
    for k, v in environ.items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = str(v)
    return subprocess.run([sys.executable, "-c", script], cwd=cwd, capture_output=True, text=True, env=env,
                          timeout=120)


def ok(out):
    assert out.returncode == 0, f"exit code {out.returncode}: {out.stderr[-3000:]}"
    return out.stdout.split()


@pytest.fixture(scope="module")
def good_cache(tmp_path_factory):
    """A kernel cache of pong, written by a child process, and what that child printed."""
    path = tmp_path_factory.mktemp("good") / "cache"
    printed = ok(child(PONG, NUMBAPUFFER_CACHE_DIR=path))
    assert list(path.glob("__pycache__/*.nbi")) and list(path.glob("__pycache__/*.nbc"))
    return path, printed


class _Payload:
    """Pickles to a call of os.mkdir(path): a cache index that creates `path` when loaded."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return os.mkdir, (self.path,)


def plant(good, where, marker):
    """A copy of a good cache at `where` whose Numba index files run code when unpickled."""
    shutil.copytree(good, where)
    for index in where.glob("__pycache__/*.nbi"):
        index.write_bytes(pickle.dumps(_Payload(marker)))


# --- item 1: the kernel cache trusts only the user's own private directory ---------------

@pytest.mark.parametrize("unsafe", ["writable_by_others", "symlink"])
def test_unsafe_cache_dir_is_refused_and_nothing_from_it_runs(tmp_path, good_cache, unsafe):
    good, printed = good_cache
    given, marker = tmp_path / "given", tmp_path / "payload-ran"
    if unsafe == "symlink":  # e.g. a link planted where the cache dir would be, to a dir of theirs
        plant(good, tmp_path / "theirs", marker)
        os.symlink(tmp_path / "theirs", given)
    else:
        plant(good, given, marker)
        os.chmod(given, 0o777)
    tmp = tmp_path / "tmp"
    shutil.copytree(good, tmp / f"numbapuffer-{os.getuid()}")  # the fallback: a good cache of ours
    out = child(PONG, NUMBAPUFFER_CACHE_DIR=given, TMPDIR=tmp)
    assert ok(out) == printed
    assert not marker.exists()
    warning = [line for line in out.stderr.splitlines() if "refused" in line]
    assert len(warning) == 1 and str(given) in warning[0] and str(tmp / f"numbapuffer-{os.getuid()}") in warning[0]


def test_tmp_cache_dir_of_another_user_is_refused(tmp_path, good_cache):
    """No writable home: the fallback <tmp>/numbapuffer-<uid> was made by another user (this
    child pretends to be uid 4242, so the dirs made by the test's user are someone else's)."""
    good, printed = good_cache
    tmp, marker = tmp_path / "tmp", tmp_path / "payload-ran"
    plant(good, tmp / "numbapuffer-4242", marker)
    (tmp_path / "home").write_text("")  # a file: no ~/.cache can be made under it
    out = child("import os\nos.getuid = lambda: 4242\n" + PONG, HOME=tmp_path / "home", TMPDIR=tmp,
                NUMBAPUFFER_CACHE_DIR=None)
    assert ok(out) == printed
    assert not marker.exists()
    assert "owned by uid" in out.stderr and str(tmp / "numbapuffer-4242") in out.stderr


def test_private_dir_rules(tmp_path, monkeypatch):
    from numbapuffer.engine import cache
    mine = tmp_path / "mine"
    assert cache.private_dir(str(mine)) is None
    assert oct(mine.stat().st_mode & 0o777) == oct(0o700)
    assert (mine / "__pycache__").is_dir()
    os.chmod(mine, 0o775)
    assert "writable by others" in cache.private_dir(str(mine))
    os.chmod(mine, 0o700)
    os.chmod(mine / "__pycache__", 0o777)
    assert "__pycache__ is writable by others" in cache.private_dir(str(mine))
    os.chmod(mine / "__pycache__", 0o700)
    os.symlink(mine, tmp_path / "link")
    assert "symlink" in cache.private_dir(str(tmp_path / "link"))
    monkeypatch.setattr(os, "getuid", lambda: os.stat(mine).st_uid + 1)
    assert "owned by uid" in cache.private_dir(str(mine))


def test_cpong_builds_in_a_private_dir(tmp_path, monkeypatch):
    """The C Pong of the benchmarks is loaded from the checked cache dir, never from a
    predictable shared-temp path that another user could have planted a library at."""
    if shutil.which("cc") is None and shutil.which("gcc") is None:
        pytest.skip("no C compiler")
    from benchmarks import cpong
    planted = tmp_path / "tmp" / f"numbapuffer-cpong-{os.getuid()}"
    planted.mkdir(parents=True)
    os.chmod(planted, 0o777)
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    monkeypatch.setenv("NUMBAPUFFER_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr("tempfile.tempdir", None)
    path = cpong.library_path()
    assert pathlib.Path(path).parent == tmp_path / "cache"
    assert cpong.build()._name == path and os.path.exists(path)


# --- item 9: a damaged cache heals -------------------------------------------------------

def test_damaged_generated_module_heals(tmp_path, good_cache):
    good, printed = good_cache
    cache = tmp_path / "cache"
    shutil.copytree(good, cache)
    module = next(cache.glob("npf_pong_*.py"))
    module.write_bytes(b"")
    out = child(PONG, NUMBAPUFFER_CACHE_DIR=cache)
    assert ok(out) == printed
    assert "damaged" in out.stderr and str(module) in out.stderr, out.stderr
    again = child(PONG, NUMBAPUFFER_CACHE_DIR=cache)  # healed: loads cleanly, no warning
    assert ok(again) == printed and "damaged" not in again.stderr, again.stderr


def test_damaged_numba_index_and_data_heal(tmp_path, good_cache):
    """One kernel's index truncated, the other's compiled code garbage: each is named,
    removed and compiled again, and the next process loads both cleanly."""
    good, printed = good_cache
    cache = tmp_path / "cache"
    shutil.copytree(good, cache)
    step_index = next(cache.glob("__pycache__/npf_pong_*.step_serial-*.nbi"))
    step_index.write_bytes(step_index.read_bytes()[:len(step_index.read_bytes()) // 2])
    reset_data = next(cache.glob("__pycache__/npf_pong_*.reset_serial-*.nbc"))
    reset_data.write_bytes(b"\x80\x04H garbage \xff" * 10)
    out = child(PONG, NUMBAPUFFER_CACHE_DIR=cache)
    assert ok(out) == printed
    warnings = [line for line in out.stderr.splitlines() if "damaged" in line]
    assert any(str(step_index) in w for w in warnings), out.stderr
    assert any(str(reset_data).rsplit(".", 2)[0] in w for w in warnings), out.stderr
    again = child(PONG, NUMBAPUFFER_CACHE_DIR=cache)
    assert ok(again) == printed and "damaged" not in again.stderr, again.stderr


# --- item 10: a read-only install without a writable home --------------------------------

def test_runs_from_read_only_install_without_writable_home(tmp_path, good_cache):
    shutil.copytree(good_cache[0], tmp_path / f"numbapuffer-{os.getuid()}")  # kernels: the <tmp> fallback
    install = tmp_path / "install"
    shutil.copytree(ROOT / "numbapuffer", install / "numbapuffer", ignore=shutil.ignore_patterns("__pycache__"))
    dirs = [install] + [p for p in install.rglob("*") if p.is_dir()]
    for d in dirs:
        (d / "__pycache__").write_text("")  # not a directory: nothing can be cached here, even by root
    (tmp_path / "home").write_text("")  # nor under the home
    try:
        for d in dirs:
            os.chmod(d, 0o555)
        out = child("import numbapuffer\nprint(numbapuffer.__file__)\n" + PONG, cwd=tmp_path, PYTHONPATH=install,
                    HOME=tmp_path / "home", TMPDIR=tmp_path, XDG_CACHE_HOME=None, NUMBA_CACHE_DIR=None,
                    NUMBAPUFFER_CACHE_DIR=None, PYTHONDONTWRITEBYTECODE=1)
    finally:
        for d in dirs:
            os.chmod(d, 0o755)
    printed = ok(out)
    assert printed[0].startswith(str(install)) and float(printed[1]) != 0


# --- item 2: a checkpoint is checked before anything is imported or built ---------------

PROBE = "npf_hostile_probe"  # a module that records being imported


@pytest.fixture
def trainer(tmp_path, monkeypatch):
    torch = pytest.importorskip("torch")
    from numbapuffer.train import loop as train
    (tmp_path / f"{PROBE}.py").write_text(f"open({str(tmp_path / 'imported')!r}, 'w').close()\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    return torch, train


def checkpoint_of(trainer, path, **config):
    torch, T = trainer
    cfg = T.config("cartpole")
    env = T.make_env(cfg, num_envs=1)
    policy = T.Policy(env.single_observation_space, env.single_action_space, cfg.hidden, cfg.layers)
    torch.save(dict(policy=policy.state_dict(), config={**__import__("dataclasses").asdict(cfg), **config},
                    history=[]), path)
    return path


def test_hostile_checkpoint_env_imports_nothing(tmp_path, trainer, capsys):
    from numbapuffer.tools import cli
    path = checkpoint_of(trainer, tmp_path / "hostile.pt", env=f"{PROBE}:X-v0")
    with pytest.raises(ValueError, match="neither a numbapuffer env nor a registered gymnasium id"):
        trainer[1].load(str(path))
    for argv in (["eval", "cartpole", "--policy", str(path)], ["play", "pong", "--policy", str(path)]):
        with pytest.raises(SystemExit) as e:
            cli.main(argv)
        err = capsys.readouterr().err  # the CLI's errors: one line on stderr, exit status 2
        assert e.value.code == 2 and "trained on" in err and len(err.splitlines()) == 1
    assert PROBE not in sys.modules and not (tmp_path / "imported").exists()


def test_checkpoint_env_with_module_prefix_loads_when_the_user_names_it(tmp_path, trainer):
    """The user's own `mymodule:Name-v0` on the command line is theirs to import."""
    (tmp_path / "npf_own_env.py").write_text(
        "import gymnasium\ngymnasium.register('OwnCartPole-v0', entry_point='gymnasium.envs.classic_control:CartPoleEnv')\n")
    env_id = "npf_own_env:OwnCartPole-v0"
    path = checkpoint_of(trainer, tmp_path / "own.pt", env=env_id)
    policy, cfg, _ = trainer[1].load(str(path), env=env_id)
    assert cfg.env == env_id


@pytest.mark.parametrize("damage", ["empty", "truncated", "garbage", "unknown_key", "bad_type", "bad_param",
                                    "not_a_dict", "bad_weights"])
def test_broken_checkpoint_is_one_clear_line(tmp_path, trainer, damage, capsys):
    from numbapuffer.tools import cli
    torch, T = trainer
    path = tmp_path / "broken.pt"
    if damage in ("unknown_key", "bad_type", "bad_param"):
        checkpoint_of(trainer, path, **{"unknown_key": dict(bogus=1), "bad_type": dict(hidden="64"),
                                        "bad_param": dict(env_params={"x": [1]})}[damage])
    elif damage == "not_a_dict":
        torch.save([1, 2, 3], path)
    elif damage == "bad_weights":
        checkpoint_of(trainer, path, hidden=7)  # weights of a 64-wide policy
    else:
        checkpoint_of(trainer, path)
        data = path.read_bytes()
        path.write_bytes({"empty": b"", "truncated": data[:len(data) // 2], "garbage": b"H\x00garbage" * 9}[damage])
    with pytest.raises(ValueError) as e:
        T.load(str(path))
    assert str(path) in str(e.value) and "\n" not in str(e.value)
    with pytest.raises(SystemExit) as e:
        cli.main(["eval", "cartpole", "--policy", str(path)])
    err = capsys.readouterr().err
    assert e.value.code == 2 and err.startswith("numbapuffer eval: error: ") and len(err.splitlines()) == 1


# --- item 15: an env too big for the memory left raises before allocating ----------------

def test_env_too_big_for_memory_raises_memory_error_naming_bytes():
    import time

    import numbapuffer as npf
    start = time.perf_counter()
    with pytest.raises(MemoryError, match=r"pong: needs about [\d,]+ bytes .* available"):
        npf.make("pong", num_envs=10**10)
    with pytest.raises(MemoryError, match=r"needs about [\d,]+ bytes"):
        npf.vector.make("pong", num_envs=10**10, backend="multiprocessing", num_workers=2)
    assert time.perf_counter() - start < 5


def test_memory_limit_is_what_is_left_not_what_allocation_would_survive(monkeypatch):
    """Under a container's limit, allocations succeed (the kernel overcommits) and the pages
    touched at allocation get the process killed: the estimate must come first."""
    import numbapuffer as npf
    from numbapuffer.engine import buffers
    monkeypatch.setattr(buffers, "available_memory", lambda: 2**20)
    with pytest.raises(MemoryError, match=r"snake: needs about [\d,]+ bytes .* more than the 1,048,576 bytes"):
        npf.make("snake", num_envs=1000)
    monkeypatch.undo()
    assert 0 < buffers.available_memory() < 2**62
    npf.make("snake", num_envs=1000)


# --- items 11-13: the multiprocessing backend --------------------------------------------

def native_steps(num_envs, actions, steps):
    import numbapuffer as npf
    env = npf.make("pong", num_envs=num_envs, seed=0)
    env.reset(seed=0)
    for _ in range(steps):
        env.step(actions)
    return env.observations.copy()


@pytest.mark.parametrize("where", ["after_writing_a_step", "before_writing_a_step", "after_reading_an_answer"])
def test_interrupted_send_or_recv_closes_the_backend_with_a_clear_error(monkeypatch, where):
    import types

    import numpy as np

    import numbapuffer as npf
    from numbapuffer.backends import multiprocessing as M
    vec = npf.vector.make("pong", num_envs=2, backend="multiprocessing", num_workers=1, seed=0)
    vec.timeout = 5.0
    try:
        vec.reset(seed=0)
        actions = np.ones(2, np.int32)

        def write(fd, data):
            if where == "before_writing_a_step" and data == M._STEP:
                raise KeyboardInterrupt
            n = os.write(fd, data)
            if data == M._STEP:
                raise KeyboardInterrupt
            return n

        def read(fd, n):
            os.read(fd, n)  # the answer is read, then the interrupt comes
            raise KeyboardInterrupt

        patched = dict(vars(os), **({"read": read} if where == "after_reading_an_answer" else {"write": write}))
        monkeypatch.setattr(M, "os", types.SimpleNamespace(**patched))
        with pytest.raises(KeyboardInterrupt):
            vec.step(actions)
        monkeypatch.undo()
        for call in (lambda: vec.step(actions), vec.log, lambda: vec.reset(seed=0)):
            with pytest.raises(RuntimeError, match="interrupted by KeyboardInterrupt .*out of step.*make a new one"):
                call()
    finally:
        vec.close()


def test_shared_memory_is_unlinked_once_workers_attach_and_workers_step_on_checked_copies():
    """No kill can leak the /dev/shm segment; and a worker's kernel never reads the shared
    actions, which a caller may write at any time, but the copy its env checked."""
    import numpy as np

    import numbapuffer as npf
    vec = npf.vector.make("pong", num_envs=4, backend="multiprocessing", num_workers=2, seed=0)
    try:
        assert not os.path.exists(f"/dev/shm/{vec._shm.name}")
        vec.reset(seed=0)
        actions = np.ones(4, np.int32)
        for _ in range(3):
            obs = vec.step(actions)[0]
        assert np.array_equal(obs, native_steps(4, actions, 3))
    finally:
        vec.close()


def test_worker_kernel_reads_its_checked_copy_not_shared_memory(monkeypatch):
    """A write into the shared actions after the worker's env checked them (here: injected
    right after the check) changes nothing the kernel reads."""
    from multiprocessing import shared_memory

    import numpy as np

    from numbapuffer.backends import multiprocessing as M
    from numbapuffer import envs
    from numbapuffer.engine.buffers import buffer_specs
    from numbapuffer.core import Env
    game = envs.get("pong")
    layout, size = M._layout(buffer_specs(game.observation_space, game.action_space, 4))
    shm = shared_memory.SharedMemory(create=True, size=size)
    try:
        env, shared = M._worker_env(game, 0, 4, 0, {}, shm.name, layout, size)
        env.reset(seed=0)
        check = Env._write_actions

        def check_then_scribble(self, actions):
            check(self, actions)
            shared[:] = 2  # a caller's concurrent write, after the check

        monkeypatch.setattr(Env, "_write_actions", check_then_scribble)
        for _ in range(3):
            shared[:] = 1
            M._step(env, shared)
        assert np.array_equal(env.observations, native_steps(4, np.ones(4, np.int32), 3))
    finally:
        shm.close()
        shm.unlink()


# --- item 14: Numba's workqueue layer and two threads ------------------------------------

def test_two_threads_stepping_parallel_kernels_under_workqueue_do_not_abort():
    script = textwrap.dedent('''
        import threading, numba, numpy as np, numbapuffer as npf
        envs = [npf.make("pong", num_envs=512, seed=0) for _ in range(3)]
        envs[0].use_serial(False)
        envs[1].use_serial(False)  # the third chooses its kernel by speed (threads.Pacer)
        for e in envs:
            e.reset(seed=0)
        assert numba.threading_layer() == "workqueue"
        def run(e):
            for _ in range(1500):
                e.step(np.ones(512, np.int32))
        threads = [threading.Thread(target=run, args=(e,)) for e in envs]
        [t.start() for t in threads]
        [t.join() for t in threads]
        assert all(np.array_equal(e.observations, envs[0].observations) for e in envs)
        print("ok")
    ''')
    assert ok(child(script, NUMBA_THREADING_LAYER="workqueue")) == ["ok"]


@pytest.mark.parametrize("version", [2, 1])
def test_available_memory_is_the_room_under_the_tightest_cgroup_limit(tmp_path, monkeypatch, version):
    from numbapuffer.engine import buffers
    proc, cgroup = tmp_path / "proc", tmp_path / "cgroup"
    (proc / "self").mkdir(parents=True)
    (proc / "meminfo").write_text("MemTotal:       65536000 kB\nMemAvailable:   32768000 kB\n")
    leaf = "/machine.slice/job-1/task"
    (proc / "self" / "cgroup").write_text(f"0::{leaf}\n" if version == 2 else f"5:cpu:/\n4:memory:{leaf}\n")
    base = cgroup if version == 2 else cgroup / "memory"
    limit, used = ("memory.max", "memory.current") if version == 2 else ("memory.limit_in_bytes",
                                                                          "memory.usage_in_bytes")
    for path, top, now in (("", "max", 5 * 2**30), ("machine.slice", "max", 5 * 2**30),
                           ("machine.slice/job-1", 2**30, 300 * 2**20),  # the 1 GiB limit is a parent's
                           ("machine.slice/job-1/task", "max", 100 * 2**20)):
        (base / path).mkdir(parents=True, exist_ok=True)
        (base / path / limit).write_text(f"{top}\n")
        (base / path / used).write_text(f"{now}\n")
    monkeypatch.setattr(buffers, "PROC", str(proc))
    monkeypatch.setattr(buffers, "CGROUP", str(cgroup))
    assert buffers.available_memory() == 2**30 - 300 * 2**20
    (base / "machine.slice/job-1" / limit).write_text("max\n")
    assert buffers.available_memory() == 32768000 * 1024  # no limit: MemAvailable


def test_runs_with_nowhere_to_write_a_kernel_cache(tmp_path):
    """No writable home and no writable temporary directory (simulated: this test may run
    as root, whom permissions do not stop): kernels compile in memory, with one warning."""
    (tmp_path / "file").write_text("")
    nowhere = textwrap.dedent(f'''
        import tempfile
        def read_only(*args, **kwargs):
            raise OSError(30, "Read-only file system")
        tempfile.mkdtemp = read_only
        tempfile.gettempdir = lambda: {str(tmp_path / "file" / "tmp")!r}
    ''')
    out = child(nowhere + PONG, HOME=tmp_path / "file", NUMBAPUFFER_CACHE_DIR=None)
    assert float(ok(out)[0]) != 0
    assert "compiled in memory" in out.stderr and "Read-only file system" in out.stderr
