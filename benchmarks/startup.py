"""Cold and warm start of Pong: a fresh process's import, make and first step, with an empty
kernel cache (cold: Numba compiles) and then with the cache filled (warm).

    python benchmarks/startup.py [--env pong] [--repeat 3]
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np

CHILD = """
import time
t0 = time.perf_counter()
import numpy as np
import numbapuffer as npf
t1 = time.perf_counter()
env = npf.make({env!r}, num_envs=4096, seed=0)
env.reset(seed=0)
env.step(np.zeros(env.actions.shape, env.actions.dtype))
t2 = time.perf_counter()
print(t1 - t0, t2 - t1)
"""


def run(env, cache):
    out = subprocess.run([sys.executable, "-c", CHILD.format(env=env)], check=True, capture_output=True, text=True,
                         env=dict(os.environ, NUMBAPUFFER_CACHE_DIR=cache)).stdout.split()
    return float(out[0]), float(out[1])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env", default="pong")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    cold, warm = [], []
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as cache:
            cold.append(run(args.env, cache))
            warm.append(run(args.env, cache))
    for name, xs in (("cold", cold), ("warm", warm)):
        imp, first = np.median([x[0] for x in xs]), np.median([x[1] for x in xs])
        print(f"{name}: import numbapuffer {imp:.2f} s, make + reset + first step {first:.2f} s "
              f"(median of {args.repeat})")


if __name__ == "__main__":
    main()
