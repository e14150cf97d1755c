"""Run envs with device="cuda" in numba-cuda's simulator (no GPU) and save what they did.

Run by tests/test_cuda.py in a fresh process, as

    NUMBA_ENABLE_CUDASIM=1 NUMBA_DISABLE_JIT=1 python tests/cuda_sim.py ACTIONS.npz OUT.npz

ACTIONS.npz holds, per env id, the actions of every step (steps x agents) and `games`,
`seed`. On odd steps the actions go in as a device array of int64 (cast on the "GPU"), on
even steps as the numpy int32 array. OUT.npz gets, per env and buffer, every step's
buffer, the final state's fields, the log, the observations and streams after resetting
the even games with one seed each, and whether out-of-range device actions were refused
before any game moved.
"""
import json
import sys

import numpy as np
from numba import cuda

import numbapuffer as npf
from numbapuffer.engine.records import value_bytes

BUFFERS = ("observations", "rewards", "terminals", "truncations", "masks")


def main(actions_path, out_path):
    given = np.load(actions_path)
    games, seed = int(given["games"]), int(given["seed"])
    out = {}
    for name in json.loads(str(given["envs"])):
        acts = given[name]
        env = npf.make(name, games, seed=seed, device="cuda")
        env.reset(seed=seed)
        box = acts.dtype.kind == "f"
        seen = {b: [] for b in BUFFERS}
        for t, a in enumerate(acts):
            env.step(cuda.to_device(a.astype(np.float64 if box else np.int64)) if t % 2 else a)
            for b in BUFFERS:
                seen[b].append(getattr(env, b).copy_to_host())
        for b in BUFFERS:
            out[f"{name}/{b}"] = np.stack(seen[b])
        state = env.state.copy_to_host()
        for f in state.dtype.names:
            out[f"{name}/state.{f}"] = np.asarray(state[f])
        out[f"{name}/log"] = np.array(json.dumps(env.log()))
        env.reset(seed=[11 + i for i in range(games)], mask=np.arange(games) % 2 == 0)  # games 0, 2...
        out[f"{name}/reset.observations"] = env.observations.copy_to_host()
        out[f"{name}/reset.rng"] = env.state.copy_to_host()["rng"]
        state = env.state.copy_to_host()
        bad = acts[0].astype(np.float64 if box else np.int64)
        space = env.single_action_space  # NaN, or one past the highest legal value of the last entry
        if box:
            bad.flat[-1] = np.nan
        else:
            bad.flat[-1] = (space.start + space.n) if hasattr(space, "n") else np.asarray(space.nvec).flat[-1]
        try:
            env.step(cuda.to_device(bad))
            refused = "accepted"
        except ValueError as e:
            same = value_bytes(env.state.copy_to_host()) == value_bytes(state)
            refused = str(e) if same else "refused, but the state changed"
        out[f"{name}/refused"] = np.array(refused)
    np.savez(out_path, **out)


if __name__ == "__main__":
    main(*sys.argv[1:3])
