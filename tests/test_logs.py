"""env.log() and the log in a step's infos take nothing from each other, in every layer:
a report carries the episodes finished since the last report, log() those finished since
its last call, however the two are interleaved."""
import numpy as np
import pytest
from gymnasium.utils.env_checker import data_equivalence

import numbapuffer as npf

import walk

STEPS, INTERVAL, LOG_AT = 64, 8, (5, 12, 13, 30, 47, 64)


def made(layer, report_interval):
    if layer == "native":
        return npf.make(walk.game, 16, seed=0, report_interval=report_interval, max_steps=6)
    if layer == "NumbaVecEnv":
        return npf.NumbaVecEnv(walk.game, 16, seed=0, report_interval=report_interval, max_steps=6)
    return npf.vector.make(walk.game, 16, "serial", num_workers=2, seed=0, report_interval=report_interval,
                           max_steps=6)


def run(layer, report_interval, log_at):
    """Steps the layer with fixed actions; returns (infos of every step, log() at `log_at`)."""
    env = made(layer, report_interval)
    env.reset(seed=3)
    infos, logged = [], []
    for t, a in enumerate(np.random.default_rng(0).integers(0, 3, (STEPS, 16)), 1):
        infos.append(env.step(a)[4])
        if t in log_at:
            logged.append(env.log())
    env.close()
    return infos, logged


@pytest.mark.parametrize("layer", ["native", "NumbaVecEnv", "serial"])
def test_log_and_infos_do_not_take_episodes_from_each_other(layer):
    infos, logged = run(layer, INTERVAL, LOG_AT)
    reports_alone, _ = run(layer, INTERVAL, ())           # nobody calls log()
    _, logs_alone = run(layer, 0, LOG_AT)                  # no reports
    assert sum(bool(i) for i in infos) == STEPS // INTERVAL  # an episode ends in every interval
    for mine, alone in zip(infos, reports_alone):
        assert data_equivalence(mine, alone), (mine, alone)
    for mine, alone in zip(logged, logs_alone):
        assert mine.keys() == alone.keys() and all(np.isclose(mine[k], alone[k]) for k in mine), (mine, alone)
    # together, the logs count every episode the run finished: as many as the reports
    n = [i[0]["n"] for i in infos if i] if layer != "NumbaVecEnv" else [i["log"]["n"].sum() for i in infos if i]
    assert sum(log.get("n", 0) for log in logged) == sum(n) > 0


def test_log_after_a_long_loop_holds_every_episode_since_the_last_call():
    """The issue's case: 20,000 steps with reports in infos, then one log()."""
    env = npf.make(walk.game, 4, seed=0, max_steps=10)
    env.reset(seed=0)
    ended, returns = 0, 0.0
    for a in np.random.default_rng(1).integers(0, 3, (20_000, 4)):
        _, rewards, terminals, truncations, _ = env.step(a)
        ended += int((terminals | truncations).sum())
        returns += float(rewards.sum())
    log = env.log()
    assert log["n"] == ended > 2000 and np.isclose(log["episode_return"] * log["n"], returns)
    assert env.log() == {}
