"""Builds benchmarks/pong.c with the system C compiler and drives it through ctypes."""
import ctypes
import hashlib
import os
import shutil
import subprocess

import numpy as np

from numbapuffer.engine.cache import cache_dir
from numbapuffer.core import seed_streams

HERE = os.path.dirname(os.path.abspath(__file__))


SOURCE = os.path.join(HERE, "pong.c")
FLAGS = ["-O3", "-march=native", "-fopenmp", "-shared", "-fPIC"]


def library_path():
    """Where the library of this pong.c lives: in numbapuffer's checked cache dir (a library
    loaded from a shared-temp path that another user could plant would run their code)."""
    with open(SOURCE, "rb") as f:
        key = hashlib.sha256(f.read() + " ".join(FLAGS).encode()).hexdigest()[:16]
    return os.path.join(cache_dir(), f"libpong-{key}.so")


def build():
    """Compile pong.c (once per source version) and return the loaded library."""
    cc = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        raise RuntimeError("no C compiler found (set CC)")
    lib = library_path()
    if not os.path.exists(lib):
        tmp = f"{lib}.{os.getpid()}.tmp"
        subprocess.run([cc, *FLAGS, SOURCE, "-o", tmp, "-lm"], check=True)
        os.replace(tmp, lib)
    dll = ctypes.CDLL(lib)
    p, i = ctypes.c_void_p, ctypes.c_int
    dll.pong_make.restype = p
    dll.pong_make.argtypes = [i, p, p, p, p, p]
    dll.pong_free.argtypes = [p]
    dll.pong_step.argtypes = [p, i]
    dll.pong_run.argtypes = [p, i, i, i, p, i]
    dll.pong_log.argtypes = [p, i, p]
    return dll


class CPong:
    """num_envs C Pong games with numpy buffers, seeded like numbapuffer's Pong."""

    def __init__(self, num_envs, seed=0):
        self.lib = build()
        self.n = num_envs
        self.observations = np.zeros((num_envs, 8), np.float32)
        self.actions = np.zeros(num_envs, np.int32)
        self.rewards = np.zeros(num_envs, np.float32)
        self.terminals = np.zeros(num_envs, np.uint8)
        self._rngs = seed_streams(seed, np.arange(num_envs))
        self.envs = self.lib.pong_make(num_envs, *(a.ctypes.data for a in (
            self.observations, self.actions, self.rewards, self.terminals, self._rngs)))

    def step(self, actions):
        self.actions[:] = actions
        self.lib.pong_step(self.envs, self.n)
        return self.observations, self.rewards, self.terminals

    def run(self, steps, threads, action_sets):
        action_sets = np.ascontiguousarray(action_sets, np.int32)
        self.lib.pong_run(self.envs, self.n, steps, threads, action_sets.ctypes.data, len(action_sets))

    def log(self):
        out = np.zeros(4)
        self.lib.pong_log(self.envs, self.n, out.ctypes.data)
        if out[3] == 0:
            return {}
        return {"episode_return": out[0] / out[3], "episode_length": out[1] / out[3],
                "score": out[2] / out[3], "n": int(out[3])}

    def close(self):
        if self.envs:
            self.lib.pong_free(self.envs)
            self.envs = None

    __del__ = close
