"""A child forked from a process with workers (issue 22, item 5): its exit, or its close(),
must not stop the parent's workers, free the parent's shared memory or remove its cache."""
import os
import pathlib
import subprocess
import sys
import textwrap

import pytest

from numbapuffer.backends.base import owned_finalizer
from numbapuffer.engine import cache

ROOT = pathlib.Path(__file__).resolve().parents[1]


class Owner:
    pass


def test_a_finalizer_acts_only_in_the_process_that_made_it(tmp_path):
    """What every backend's close, garbage collection and exit run (multiprocessing: stop the
    workers and unlink the shared memory; Ray: kill the actors), called in a forked child."""
    ran = tmp_path / "ran"
    owner = Owner()
    fin = owned_finalizer(owner, lambda pid: (ran / str(pid)).touch(), os.getpid())
    ran.mkdir()
    pid = os.fork()
    if pid == 0:  # the child: close as close() and exit do, then leave without the parent's exit hooks
        try:
            fin()
        finally:
            os._exit(0)
    assert os.waitpid(pid, 0)[1] == 0
    assert list(ran.iterdir()) == []
    fin()
    assert [p.name for p in ran.iterdir()] == [str(os.getpid())]


def test_a_forked_child_does_not_remove_the_parents_temporary_cache(tmp_path):
    folder = tmp_path / "cache"
    folder.mkdir()
    cache._remove(str(folder), os.getpid() + 1)  # the exit hook as a forked child runs it
    assert folder.is_dir()
    cache._remove(str(folder), os.getpid())
    assert not folder.exists()


FORK = textwrap.dedent("""
    import os, sys
    import numpy as np, numbapuffer as npf
    if __name__ == "__main__":
        vec = npf.vector.make("pong", num_envs=4, backend=sys.argv[1], num_workers=2, seed=0)
        ref = npf.make("pong", num_envs=4, seed=0)
        vec.reset(seed=0), ref.reset(seed=0)
        pid = os.fork()
        if pid == 0:  # the child: try the parent's workers, close, exit as a script does
            try:
                vec.step(np.ones(4, np.int32))
                print("child stepped", flush=True)
            except RuntimeError as e:
                print("child refused:", e, flush=True)
            vec.close()
            del vec
            sys.exit(0)
        assert os.waitpid(pid, 0)[1] == 0
        for t in range(5):
            a = np.full(4, t % 3, np.int32)
            assert np.array_equal(vec.step(a)[0], ref.step(a)[0])
        print("parent stepped")
        vec.close()
""")


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["multiprocessing", "serial"])
def test_a_forked_child_exiting_leaves_the_parents_backend_working(tmp_path, backend):
    script = tmp_path / "fork.py"
    script.write_text(FORK)
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    out = subprocess.run([sys.executable, str(script), backend], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr[-3000:]
    lines = out.stdout.splitlines()
    assert lines[-1] == "parent stepped" and "Traceback" not in out.stderr
    if backend == "multiprocessing":  # the workers answer their owner only
        assert lines[0].startswith("child refused: pong: this vector env's workers belong to process ")
    else:  # the serial backend's games are the child's own copy
        assert lines[0] == "child stepped"
