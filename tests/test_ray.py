"""The Ray backend on a simulated two-node cluster (Ray's own ray.cluster_utils.Cluster, on
this machine): placement on both nodes, results bit-identical to the native env, async
batches, an actor killed or hung mid-run (a clear error, no hang), nothing left running.
Ray starts once for the whole file (start-up takes seconds)."""
import gc
import os
import pickle
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import numbapuffer as npf

ray = pytest.importorskip("ray", reason="ray is not installed, so the Ray backend's tests did not run "
                                        "(pip install \"numbapuffer[ray]\")")
from ray.cluster_utils import Cluster  # noqa: E402

import count  # noqa: E402
from test_vector import alive, random_actions, rollout, step_halves  # noqa: E402

TESTS = os.path.dirname(os.path.abspath(__file__))


@pytest.fixture(scope="module")
def cluster():
    """Two nodes of 2 CPUs each; actors find the test games (tests/) on PYTHONPATH."""
    saved = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (os.path.dirname(TESTS), TESTS, saved) if p)
    store = 80 * 2**20
    c = Cluster(initialize_head=True, head_node_args=dict(num_cpus=2, include_dashboard=False,
                                                          object_store_memory=store))
    c.add_node(num_cpus=2, object_store_memory=store)
    ray.init(address=c.address, log_to_driver=False)
    yield c
    ray.shutdown()
    c.shutdown()
    if saved is None:
        del os.environ["PYTHONPATH"]
    else:
        os.environ["PYTHONPATH"] = saved


def gone(pids, within=10.0):
    """Whether every process in `pids` has ended within `within` seconds."""
    start = time.monotonic()
    while time.monotonic() - start < within:
        if not any(alive(p) for p in pids):
            return True
        time.sleep(0.05)
    return False


def test_actors_on_both_nodes_give_the_native_results(cluster):
    vec = npf.vector.make("snake", 8, "ray", num_workers=2, seed=0)
    nodes = {w["node"] for w in vec.workers}
    assert nodes == {n["NodeID"] for n in ray.nodes() if n["Alive"]} and len(nodes) == 2
    native = npf.make("snake", 8, seed=0)
    actions = random_actions(vec, 60)
    for a, b in zip(rollout(vec, actions), rollout(native, actions)):
        np.testing.assert_array_equal(a, b)
    assert vec.log() == native.log() != {}
    seeds = list(range(100, 108))  # a seed per game: each actor gets its games' seeds
    np.testing.assert_array_equal(vec.reset(seed=seeds)[0], native.reset(seed=seeds)[0])
    with pytest.raises(TypeError, match="ray vector env owns processes and cannot be pickled"):
        pickle.dumps(vec)
    pids = [w["pid"] for w in vec.workers]
    assert all(alive(p) for p in pids)
    del vec
    gc.collect()
    assert gone(pids)  # garbage collection kills the actors


def test_async_batches_then_a_hung_actor_times_out_and_close_kills_all(cluster):
    """8 games, 2 actors of 4, batches of 4: recv returns one half while the other steps
    (as tests/test_vector.py's test_async_batches_step_every_game)."""
    vec = npf.vector.make(count.game, 8, "ray", num_workers=2, batch_size=4, seed=0, max_steps=10**9)
    with pytest.raises(RuntimeError, match="recv needs an async_reset or send first"):
        vec.recv()
    step_halves(vec, 5, seconds=20)
    with pytest.raises(RuntimeError, match="send the actions of the batch the last recv returned first"):
        vec.recv()
        vec.recv()
    vec.send(np.zeros(4, np.int32))
    vec.log()  # after the batches in flight
    pids = [w["pid"] for w in vec.workers]
    vec.timeout = 1
    os.kill(pids[1], signal.SIGSTOP)
    start = time.monotonic()
    with pytest.raises(RuntimeError, match=r"ray workers? \[?1\b.*did not answer within 1 s"):
        while time.monotonic() - start < 10:  # the other half keeps coming back meanwhile
            vec.send(np.zeros(4, np.int32)) if vec._current else vec.recv()
    assert gone(pids)  # the failure closed the backend: every actor killed, the stopped one too
    vec.close()
    with pytest.raises(RuntimeError, match="did not answer"):  # it stays broken, saying why
        vec.async_reset(seed=0)  # (reset and step refuse async batches: they would not say which games)


def test_a_killed_actor_is_named_with_its_node_and_cause(cluster):
    vec = npf.vector.make("pong", 8, "ray", num_workers=2, seed=0, timeout=20)
    vec.reset(seed=0)
    vec.step(np.zeros(8, np.int32))
    w = vec.workers[1]
    os.kill(w["pid"], signal.SIGKILL)
    start = time.monotonic()
    where = rf"ray worker 1 \(node {w['address']} id {w['node'][:12]}, pid {w['pid']}\), games 4..7, died: "
    with pytest.raises(RuntimeError, match=where + ".*(exit|died|dead)"):
        while time.monotonic() - start < 20:
            vec.step(np.zeros(8, np.int32))
    assert time.monotonic() - start < 20  # found by Ray, not by the timeout
    with pytest.raises(RuntimeError, match="ray worker 1 .* died"):
        vec.step(np.zeros(8, np.int32))
    assert gone([x["pid"] for x in vec.workers])


def test_an_exception_in_env_code_is_reported(cluster):
    with npf.vector.make(count.game, 4, "ray", num_workers=2, seed=0, fail_at=3) as vec:
        vec.reset(seed=0)
        vec.step(np.zeros(4, np.int32))
        vec.step(np.zeros(4, np.int32))
        with pytest.raises(RuntimeError, match=r"(?s)ray worker 0 .* raised an exception in env code"
                                               r".*count: failing on purpose"):
            vec.step(np.zeros(4, np.int32))


@pytest.mark.parametrize("kw, match", [(dict(num_workers=4, batch_size=3), r"batch_size \(3\) must divide"),
                                       (dict(num_workers=3), r"multiple of num_workers \(3\)"),
                                       (dict(threads_per_worker=0), "threads_per_worker must be"),
                                       (dict(paddle_speed=-1), "paddle_speed"), (dict(speed=1), "unexpected keyword argument"),
                                       (dict(seed=1.5), "seed must be an int or 8 ints")])
def test_bad_options_are_named_before_any_actor_starts(cluster, kw, match):
    with pytest.raises((ValueError, TypeError), match=match):
        npf.vector.make("pong", 8, "ray", **kw)


def test_a_lost_node_is_named(cluster):
    """A third node, removed with an actor on it (as when a machine goes down)."""
    node = cluster.add_node(num_cpus=1, object_store_memory=80 * 2**20)
    cluster.wait_for_nodes()
    try:
        vec = npf.vector.make("pong", 6, "ray", num_workers=3, seed=0, timeout=30)
        vec.reset(seed=0)
        doomed = [w for w, x in enumerate(vec.workers) if x["node"] == node.node_id]
        assert len({x["node"] for x in vec.workers}) == 3 and len(doomed) == 1
    finally:
        cluster.remove_node(node)
    start = time.monotonic()
    with pytest.raises(RuntimeError, match=rf"ray worker {doomed[0]} \(node .* id {node.node_id[:12]}.* died: "):
        while time.monotonic() - start < 30:
            vec.step(np.zeros(6, np.int32))
    assert gone([x["pid"] for x in vec.workers])


SCRIPT = """
import numpy as np, numbapuffer as npf
vec = npf.vector.make("pong", 4, "ray", num_workers=2, seed=0)
vec.reset(seed=0)
vec.step(np.zeros(4, np.int32))
print(len({w["node"] for w in vec.workers}), *[w["pid"] for w in vec.workers])
"""


def test_a_script_finds_the_cluster_at_ray_address(cluster):
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "RAY_ADDRESS": cluster.address})
    assert out.returncode == 0, out.stderr
    nodes, *pids = out.stdout.split()
    assert nodes == "2"  # both nodes of the running cluster, not a local Ray of its own
    assert gone([int(p) for p in pids])  # the script ended without close(): Ray killed its actors


def test_train_with_ray_rollout_actors(cluster, tmp_path):
    """A short PPO run whose rollouts come from two actors on the two nodes; the checkpoint
    loads and plays as a local one does."""
    pytest.importorskip("torch", reason="torch is not installed (the trainer's extra)")
    from numbapuffer.train import loop as train
    from numbapuffer.train.ray import RayRollouts
    cfg = train.config("cartpole", total_steps=16 * 64 * 3, num_steps=64, seed=0)
    rollouts = RayRollouts(cfg, num_workers=2)
    policy, history = train.train(cfg, out=str(tmp_path / "cp.pt"), progress=False, rollouts=rollouts)
    assert len(history) == 3 and all(np.isfinite(h["loss"]) for h in history)
    assert history[-1]["n"] > 0 and history[-1]["samples"] == 16 * 64  # every game's steps, from both actors
    timer = dict(env=0.0, act=0.0, learn=0.0)
    with pytest.raises(RuntimeError, match="(?s)rollout actor 0 failed: .*killed by `ray.kill`"):
        rollouts.collect(policy, timer)  # train() killed the actors: a dead actor is an error, not a hang
    loaded, cfg2, _ = train.load(str(tmp_path / "cp.pt"))
    assert cfg2.env == "cartpole"
    assert train.evaluate(loaded, npf.make("cartpole", 4), seed=1)["n"] == 4


def test_train_backend_ray_command_errors(cluster, capsys):
    pytest.importorskip("torch", reason="torch is not installed (the trainer's extra)")
    from numbapuffer.tools import cli
    for argv, match in ((["train", "CartPole-v1", "--backend", "ray", "--quiet"], "not a numbapuffer env id"),
                        (["train", "cartpole", "--backend", "ray", "--num-workers", "3", "--quiet"],
                         "multiple of num_workers (3)")):
        with pytest.raises(SystemExit) as e:  # the CLI's errors: one line on stderr, exit status 2
            cli.main(argv)
        err = capsys.readouterr().err
        assert e.value.code == 2 and match in err and len(err.splitlines()) == 1, err
