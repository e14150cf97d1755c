"""A game's CUDA kernels: the CPU kernels' per-game code, one GPU thread per game.

The CPU kernel module of a game (kernels.py, from template.py) already holds the
engine's per-game logic as @njit functions: `step_game` (step, episode logs, autoreset)
and `reset_game`. numba-cuda compiles an @njit function that a CUDA kernel calls as a
device function, so the CUDA kernels here are thin: each thread takes one game and calls
the same `step_game`/`reset_game`, which call the game's own functions. Same code, same
random streams (the xorshift state in each record), same results as on the CPU.

NVVM fuses a*b+c into one fused multiply-add by default, which rounds once where the CPU
rounds twice: a float game would drift from its CPU twin. The kernels are compiled with
`-fma=0`, so float32 and float64 arithmetic round as on the CPU (+, -, *, / and sqrt are
correctly rounded on both); functions such as exp, sin or tanh come from CUDA's libdevice
and may differ from the CPU's in the last bit. Measured on an H200 (benchmarks/gpu.py,
4096 games, 300 random steps): connect4, connect4_selfplay, pong, snake and squared
bit-identical to the CPU kernels; cartpole (float64 sin/cos) 1 ulp apart from step 0,
breakout (float32 sin/cos) 2e-7 apart in ball_vx from step 18.

Needs numba-cuda (`pip install "numbapuffer[cuda]"`). Without a GPU, `ptx(game, cc)`
compiles the kernels to PTX, and NUMBA_ENABLE_CUDASIM=1 runs them on the CPU.
"""
import contextlib
import importlib.util
import inspect
import os
import re
import sys
import types

import numba
import numpy as np

from numbapuffer.engine import logs
from numbapuffer.engine.buffers import BUFFERS, allocate, buffer_specs
from numbapuffer.engine.kernels import kernels
from numbapuffer.engine.records import records

# numba-cuda 0.30 registers a CUDA version of np.row_stack when it first compiles, and
# numpy 2.5 removed that alias: every compile then fails (seen on an H200 machine with
# numpy 2.5.2). Give it back as what it always was.
if not hasattr(np, "row_stack"):
    np.row_stack = np.vstack

try:  # a module global: the simulator swaps the `cuda` its kernels see for its own
    from numba import cuda
except ImportError:  # pragma: no cover - numba without a CUDA target
    cuda = None

__all__ = ["cuda_kernels", "ptx", "CudaCompileError", "THREADS"]

THREADS = 256  # threads per block: one game each
_loaded = {}  # id(game) -> (game, its kernels)


class CudaCompileError(TypeError):
    """Game code that numba-cuda cannot compile; the message names the function and line."""


def need_cuda():
    """numba's CUDA target (from numba-cuda: numba's own older copy lacks what is used
    here), or an ImportError that says what to install."""
    if cuda is None or importlib.util.find_spec("numba_cuda") is None:
        raise ImportError('device="cuda" needs numba-cuda: pip install "numbapuffer[cuda]"')
    return cuda


def cuda_kernels(game):
    """The CUDA kernels of `game`: step, reset, cast_actions and sum_logs (compiled lazily,
    for the argument types of their first launch)."""
    got = _loaded.get(id(game))
    if got is not None and got[0] is game:
        return got[1]
    need_cuda()
    k = _make(kernels(game))
    _loaded[id(game)] = (game, k)
    return k


def _make(cpu):
    step_game, reset_game, Buffers = cpu.step_game, cpu.reset_game, cpu.Buffers

    @cuda.jit
    def step(state, params, observations, actions, rewards, terminals, truncations, masks, episodes, running, logs,
             autoreset):
        i = cuda.grid(1)
        if i < state.shape[0]:
            step_game(i, state, params, Buffers(observations, actions, rewards, terminals, truncations, masks,
                                                episodes), running, logs, autoreset)

    @cuda.jit
    def reset(state, params, observations, actions, rewards, terminals, truncations, masks, episodes, running,
              which, streams, seeded):
        i = cuda.grid(1)
        if i < state.shape[0] and which[i]:
            if seeded:
                state[i].rng = streams[i]
            reset_game(i, state, params, Buffers(observations, actions, rewards, terminals, truncations, masks,
                                                 episodes), running)

    @cuda.jit
    def cast_actions(src, dst, lo, hi, bad):
        # dst[j] = src[j] (any numeric dtype); the lowest index outside [lo, hi] (or NaN)
        # goes to bad[0], checked before the step kernel runs.
        j = cuda.grid(1)
        if j < dst.shape[0]:
            x = src[j]
            m = j % lo.shape[0]
            if not (x >= lo[m] and x <= hi[m]):
                cuda.atomic.min(bad, 0, j)
            dst[j] = x

    @cuda.jit
    def sum_logs(logs, partial):
        # Thread t sums rows t, t + T, t + 2T... into partial[t]: a fixed order, so the
        # totals are the same on every run; the host adds the T partial sums.
        t = cuda.grid(1)
        stride = partial.shape[0]
        if t < stride:
            for f in range(logs.shape[1]):
                total = 0.0
                for r in range(t, logs.shape[0], stride):
                    total += logs[r, f]
                    logs[r, f] = 0.0
                partial[t, f] = total

    return types.SimpleNamespace(step=step, reset=reset, cast_actions=cast_actions, sum_logs=sum_logs)


def configured(kernel, n, args):
    """`kernel` compiled for the types of `args` (fma off) and configured for `n` threads
    (one per game or element), ready to launch as `configured(...)(*args)`."""
    compile_for(kernel, args)
    return kernel[max(1, -(-n // THREADS)), THREADS]


def compile_for(kernel, args):
    """Compile `kernel` for the types of `args` with -fma=0 (once per signature); a Numba
    error in game code becomes a CudaCompileError naming the game function and line."""
    if not hasattr(kernel, "compile"):  # the simulator (NUMBA_ENABLE_CUDASIM=1) runs Python
        return None
    return compile_sig(kernel, tuple(kernel.typeof_pyval(a) for a in args))


def compile_sig(kernel, sig):
    """`kernel` compiled for argument types `sig`, as compile_for."""
    if sig in kernel.overloads:
        return kernel.overloads[sig]
    with _fma_off(), _explained():
        return kernel.compile(sig)


@contextlib.contextmanager
def _fma_off():
    """NVVM compiles with -fma=0 meanwhile (numba-cuda offers no option for it; its
    fastmath=True still turns fma on)."""
    import numba.cuda.cudadrv.nvvm as nvvm
    real = nvvm.compile_ir

    def compile_ir(llvmir, **options):
        options.setdefault("fma", False)
        return real(llvmir, **options)

    nvvm.compile_ir = compile_ir
    try:
        yield
    finally:
        nvvm.compile_ir = real


@contextlib.contextmanager
def _explained():
    try:
        yield
    except numba.core.errors.NumbaError as e:
        raise CudaCompileError(_explain(e)) from e


# ---------------------------------------------------------------------------------------
# Errors in game code, PTX without a GPU
# ---------------------------------------------------------------------------------------
def _explain(error):
    """Where in game code numba-cuda stopped, as 'function() (file:line)', and Numba's
    reason. The statement being typed is in the traceback (the innermost IR location in
    game code); where Numba's message names only its own files, that is the only place."""
    here = (os.path.join("numbapuffer", "gpu", "kernels.py"), os.path.join("numbapuffer", "engine", "template.py"))
    where = None
    tb = error.__traceback__
    while tb is not None:
        for value in tb.tb_frame.f_locals.values():
            loc = value if type(value).__name__ == "Loc" else getattr(value, "loc", None)
            path = getattr(loc, "filename", None)
            if (type(loc).__name__ == "Loc" and isinstance(path, str) and getattr(loc, "line", None)
                    and not path.endswith(here) and "npf_" not in os.path.basename(path) and not _in_numba(path)):
                where = (path, loc.line)
        tb = tb.tb_next
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(error))
    if where is None:  # the message names it instead (innermost first)
        where = next(((f, int(n)) for f, n in re.findall(r'File "([^"]+)", line (\d+)', text)
                      if not f.endswith(here) and not _in_numba(f)), None)
    lines = [line.strip() for line in text.splitlines()]
    why = next((line for line in lines if line and not line.startswith(("Failed in", "During:", "File "))),
               type(error).__name__)[:300]
    if where is None:
        return f"CUDA cannot compile the game code: {why}"
    path, line = where
    return f"CUDA cannot compile the game code: in {_function_at(path, line)} ({path}:{line}): {why}"


def _in_numba(path):
    """Whether `path` (as a Numba message names it: relative to the working directory) is
    a file of Numba or numba-cuda itself."""
    real = os.path.realpath(path)
    roots = [os.path.dirname(os.path.realpath(m.__file__)) for m in (numba, sys.modules.get("numba_cuda")) if m]
    return any(real.startswith(root + os.sep) for root in roots)


def _function_at(path, line):
    """The name of the function defined in `path` that holds `line` (as Numba reports it)."""
    real = os.path.realpath(path)
    for mod in list(sys.modules.values()):
        if os.path.realpath(getattr(mod, "__file__", None) or "?") != real:
            continue
        for name, obj in vars(mod).items():
            py = getattr(obj, "py_func", obj)
            if inspect.isfunction(py) and os.path.realpath(py.__code__.co_filename) == real:
                try:
                    src, start = inspect.getsourcelines(py)
                except (OSError, TypeError):
                    continue
                if start <= line < start + len(src):
                    return f"{name}()"
    return "game code"


def host_arrays(game, num_envs, params):
    """What the kernels work on, as zeroed host arrays: `state`, `params`, the buffers
    (BUFFERS), `episodes` (per agent, the running episode's log records) and `logs`."""
    n = num_envs * game.agents
    specs = buffer_specs(game.observation_space, game.action_space, n)
    # The simulator (NUMBA_ENABLE_CUDASIM=1, with NUMBA_DISABLE_JIT=1) runs game code as
    # Python, which reads records' fields as attributes (numbapuffer.engine.records).
    fields = records if numba.config.DISABLE_JIT else (lambda a: a)
    return dict(state=fields(allocate(num_envs, game.state)), params=fields(params),
                **{b: allocate(*specs[b]) for b in BUFFERS},
                episodes=fields(allocate(n, logs.log_dtype(game.log_fields, count=False))),
                logs=np.zeros((n, len(game.log_fields) + 1)))


def kernel_args(arrays, running):
    """The arrays the step and reset kernels take first, in order; `running` is the
    episodes' memory as a 2-D float64 array (agents x log fields)."""
    return (arrays["state"], arrays["params"], *(arrays[b] for b in BUFFERS), arrays["episodes"], running)


def ptx(game, cc=(9, 0)):
    """PTX of `game`'s step and reset kernels for compute capability `cc`, compiled without
    a GPU (as CI does): {"step": ..., "reset": ...}."""
    need_cuda()
    k = _make(kernels(game))
    a = host_arrays(game, 1, game.make_params())
    args = tuple(numba.typeof(x) for x in kernel_args(a, a["episodes"].view(np.float64).reshape(game.agents, -1)))
    st = args + (numba.typeof(a["logs"]), numba.int64)
    rs = args + (numba.boolean[::1], numba.uint64[::1], numba.boolean)
    with _given_device(cc), _fma_off(), _explained():
        return {name: cuda.compile_ptx(kernel.py_func, sig, cc=cc)[0]
                for name, kernel, sig in (("step", k.step, st), ("reset", k.reset, rs))}


@contextlib.contextmanager
def _given_device(cc):
    """numba-cuda asks the current device for its compute capability while compiling the
    device functions a kernel calls; without a GPU, answer `cc` (during a PTX compile)."""
    import numba.cuda.dispatcher as dispatcher
    real = dispatcher.get_current_device
    dispatcher.get_current_device = lambda: types.SimpleNamespace(compute_capability=tuple(cc))
    try:
        yield
    finally:
        dispatcher.get_current_device = real


def host_bounds(lo, hi, shape):
    """The (lo, hi) float64 arrays the action cast checks against, one per action entry."""
    m = int(np.prod(shape)) or 1
    if lo is None:
        return np.full(m, -np.inf), np.full(m, np.inf)
    return np.broadcast_to(np.asarray(lo, np.float64), (m,)).copy(), np.broadcast_to(np.asarray(hi, np.float64),
                                                                                   (m,)).copy()
