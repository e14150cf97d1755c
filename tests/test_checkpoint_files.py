"""Checkpoint files (issue 22, items 2 and 3): a failed save leaves the last checkpoint
loadable; load refuses what is not a regular file without blocking, and checks the sizes a
config asks for against the weights before building anything."""
import errno
import io
import os
import pathlib
import subprocess
import sys
import textwrap
import threading

import pytest

torch = pytest.importorskip("torch")
from numbapuffer.train import loop as T  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]


def policy_of(cfg, seed):
    from gymnasium import spaces
    import numpy as np
    torch.manual_seed(seed)
    return T.Policy(spaces.Box(-1, 1, (4,), np.float32), spaces.Discrete(2), cfg.hidden, cfg.layers)


def same_weights(a, b):
    return all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))


def test_a_save_that_fails_mid_write_leaves_the_old_checkpoint_loadable(tmp_path, monkeypatch):
    """The disk fills half way through the new checkpoint (torch.save writes half, then
    ENOSPC, as a full disk does, whether it is given a path or a file)."""
    cfg = T.config("cartpole")
    path = tmp_path / "run.pt"
    old = policy_of(cfg, 0)
    T.save(str(path), old, cfg, [{"step": 1}])
    save = torch.save

    def half_then_full(obj, f, *args, **kwargs):
        data = io.BytesIO()
        save(obj, data)
        out = open(f, "wb") if isinstance(f, (str, os.PathLike)) else f
        out.write(data.getvalue()[:len(data.getvalue()) // 2])
        out.flush()
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(torch, "save", half_then_full)
    with pytest.raises(OSError, match=r"not saved \(No space left on device\); the previous checkpoint"):
        T.save(str(path), policy_of(cfg, 1), cfg, [{"step": 1}, {"step": 2}])
    monkeypatch.setattr(torch, "save", save)
    loaded, _, history = T.load(str(path))
    assert same_weights(loaded, old) and history == [{"step": 1}]
    assert os.listdir(tmp_path) == ["run.pt"]  # no temporary file left behind


def test_a_save_replaces_the_checkpoint_and_keeps_its_mode(tmp_path):
    cfg = T.config("cartpole")
    path = tmp_path / "run.pt"
    T.save(str(path), policy_of(cfg, 0), cfg)
    os.chmod(path, 0o640)
    new = policy_of(cfg, 1)
    T.save(str(path), new, cfg, [{"step": 2}])
    loaded, _, history = T.load(str(path))
    assert same_weights(loaded, new) and history == [{"step": 2}]
    assert os.stat(path).st_mode & 0o777 == 0o640 and os.listdir(tmp_path) == ["run.pt"]


LIMITED = textwrap.dedent("""
    import resource, signal, sys
    from numbapuffer.train import loop as T
    from tests.test_checkpoint_files import policy_of
    path, cfg = sys.argv[1], T.config("cartpole")
    T.save(path, policy_of(cfg, 0), cfg)
    size = __import__("os").path.getsize(path)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit: EFBIG, not death
    resource.setrlimit(resource.RLIMIT_FSIZE, (size // 2, size // 2))
    try:
        T.save(path, policy_of(cfg, 1), cfg, [{"step": 2}])
    except OSError as e:
        print("raised", e.errno)
""")


@pytest.mark.slow
def test_a_save_past_the_file_size_limit_raises_and_leaves_the_old_checkpoint(tmp_path):
    path = tmp_path / "run.pt"
    out = subprocess.run([sys.executable, "-c", LIMITED, str(path)], cwd=ROOT, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["raised", str(errno.EFBIG)], out.stderr[-2000:]
    loaded, _, history = T.load(str(path))
    assert same_weights(loaded, policy_of(T.config("cartpole"), 0)) and history == []
    assert os.listdir(tmp_path) == ["run.pt"]


def test_load_refuses_a_fifo_without_blocking(tmp_path):
    fifo = tmp_path / "run.pt"
    os.mkfifo(fifo)
    result = []

    def load():
        try:
            T.load(str(fifo))
        except Exception as e:
            result.append(e)

    reader = threading.Thread(target=load, daemon=True)
    reader.start()
    reader.join(60)  # a guard, not a timing: a load that opens the FIFO waits for a writer forever
    if reader.is_alive():
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))  # be that writer: the reader gets EOF
        reader.join(60)
        pytest.fail("train.load blocked on a FIFO")
    assert isinstance(result[0], ValueError) and "is a FIFO, not a checkpoint file" in str(result[0])


def test_load_refuses_a_directory(tmp_path):
    with pytest.raises(ValueError, match="is a directory, not a checkpoint file"):
        T.load(str(tmp_path))


def checkpoint_asking(path, **config):
    """A cartpole checkpoint whose config asks for other sizes than its weights have."""
    cfg = T.config("cartpole")
    policy = policy_of(cfg, 0)
    torch.save(dict(policy=policy.state_dict(), config={**__import__("dataclasses").asdict(cfg), **config},
                    history=[]), path)
    return str(path)


@pytest.mark.parametrize("config, words", [
    (dict(hidden=10**6), "config hidden=1000000 is out of bounds (1 to 65536)"),
    (dict(layers=10**4), "config layers=10000 is out of bounds (0 to 64)"),
    (dict(hidden=-3), "config hidden=-3 is out of bounds (1 to 65536)"),
    (dict(hidden=32), "config hidden=32, layers=2 do not match the weights' trunk (64x4, 64x64)"),
    (dict(layers=3), "config hidden=64, layers=3 do not match the weights' trunk (64x4, 64x64)"),
    (dict(action_mask=5), "config action_mask=5 does not match the weights' 2 action logits"),
])
def test_load_checks_the_sizes_the_config_asks_for_before_building_anything(tmp_path, monkeypatch, config, words):
    path = checkpoint_asking(tmp_path / "big.pt", **config)
    built = []
    monkeypatch.setattr(T, "make_env", lambda *a, **k: built.append("env"))
    monkeypatch.setattr(T, "Policy", lambda *a, **k: built.append("policy"))
    with pytest.raises(ValueError) as e:
        T.load(path)
    assert str(e.value) == f"{path}: {words}" and built == []
