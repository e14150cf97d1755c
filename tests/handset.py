"""Rule tests from hand-set states: one game, its state fields set by name, one step at a time."""
import numpy as np

import numbapuffer as npf


def one_game(name, **params):
    env = npf.make(name, num_envs=1, seed=0, report_interval=0, **params)
    env.reset(seed=0)
    return env


def put(env, **fields):
    for k, v in fields.items():
        env.state[k][0] = v


def step(env, action=0):
    """(state record, observation, reward, terminal, truncated) after one step of `action`."""
    obs, rew, term, trunc, _ = env.step(np.array([action]))
    return env.state[0], obs[0].copy(), float(rew[0]), bool(term[0]), bool(trunc[0])
