"""The step and reset kernels of one game: the prange loop, autoreset and episode logs.

numbapuffer.engine.kernels writes a copy of this file for each game (module npf_<game>_<hash>,
in the kernel cache), with the block between the GAME markers replaced by imports of that
game's `reset` and `step` and its agent count. Numba then inlines the game's functions
into these kernels and caches the compiled result beside the copy. As it stands, this file
is a valid module for a stand-in game that does nothing. In debug mode (CHECKED) the game's
functions are bounds-checked copies, and each game is stepped on views of its own agents'
rows alone, so an index past them (a neighbour's row, or past the buffer) raises IndexError.

Arguments of the kernels: `state` (one record per game), `params` (one record), the six
buffers, `episodes` (per agent, the running episode's log fields as records, which game
code writes) and `running`, the same memory as a 2-D float64 view (agents x log fields,
episode_return and episode_length first; F of them), `logs` (per agent, the sums over finished
episodes, 2-D: agents x (log fields + the count n)), `chunks`, `progress` (int64, one
entry per chunk: the games each went through) and `autoreset`.

Every kernel returns the number of games it went through: num_envs, unless game code
raised. Numba passes such an exception on from the serial kernels (and, as a SystemError,
from the parallel kernels' main thread) but drops it in other threads, whose chunk just
stops: the engine compares the count to know. (A parallel kernel sums its chunks'
`progress` after the loop: a reduction inside prange would allocate, which _nrt=False
forbids.) Division by zero raises (Numba's "python"
error model, the default of every @njit function): the kernels and the game's own @njit
helpers then fail alike, in the serial and the parallel kernels, rather than one giving
inf where another raises.
"""
from collections import namedtuple

from numba import njit, prange

# GAME: replaced in every generated copy by the game's imports, agents per game, log fields and caching
A = 1
F = 2  # log fields: episode_return, episode_length and the game's own (constants let LLVM unroll)
PER_GAME = False  # Game(log_per="game"): one episode per game, logged in its first agent's rows
CACHE = False
CHECKED = False  # debug mode: bounds checks, and each game sees only its own agents' rows


def _reset(s, p, buf, a):
    pass


_step = _reset
# END GAME

Buffers = namedtuple("Buffers", ("observations", "actions", "rewards", "terminals", "truncations", "masks",
                                 "episode"))
SAME_STEP, NEXT_STEP, DISABLED = 0, 1, 2
# Inlined at Numba IR level: a call that LLVM does not inline passes every buffer as ~8
# scalars, which costs half the speed of Pong. (py_func: under NUMBA_DISABLE_JIT they are
# plain functions.)
game_step = njit(inline="always")(getattr(_step, "py_func", _step))
game_reset = njit(inline="always")(getattr(_reset, "py_func", _reset))


@njit(inline="always")
def step_game(i, state, params, buf, running, logs, autoreset):
    a0 = i * A
    if autoreset != SAME_STEP:  # a game that ended last step: NEXT_STEP resets it now,
        if A == 1:              # DISABLED leaves it ended (reward 0) until reset(mask=...)
            ended = buf.terminals[a0] | buf.truncations[a0]  # (a lone agent's mask never ends a game)
        else:
            ended = True
            for a in range(a0, a0 + A):
                ended &= buf.terminals[a] or buf.truncations[a] or not buf.masks[a]
        if ended:
            if autoreset == NEXT_STEP:
                reset_game(i, state, params, buf, running)
            else:
                for a in range(a0, a0 + A):
                    buf.rewards[a] = 0
            return
    for a in range(a0, a0 + A):
        buf.rewards[a] = 0
        buf.terminals[a] = False
        buf.truncations[a] = False
    s = state[i]
    game_step(s, params[0], buf, a0)
    done = True
    if PER_GAME:
        for a in range(a0, a0 + A):
            running[a0, 0] += buf.rewards[a]  # episode_return: the team's
            if not (buf.terminals[a] or buf.truncations[a]) and buf.masks[a]:
                done = False
        running[a0, 1] += 1
        if done:
            for f in range(F):
                logs[a0, f] += running[a0, f]
                running[a0, f] = 0
            logs[a0, F] += 1
    else:
        for a in range(a0, a0 + A):
            running[a, 0] += buf.rewards[a]  # episode_return
            running[a, 1] += 1               # episode_length
            if buf.terminals[a] or buf.truncations[a]:
                for f in range(F):
                    logs[a, f] += running[a, f]
                    running[a, f] = 0
                logs[a, F] += 1              # n
            elif buf.masks[a]:  # an agent out of play (masks False) does not hold its game open
                done = False
    if done and autoreset == SAME_STEP:
        for a in range(a0, a0 + A):
            buf.masks[a] = True
        game_reset(s, params[0], buf, a0)


@njit(inline="always")
def reset_game(i, state, params, buf, running):
    a0 = i * A
    for a in range(a0, a0 + A):
        buf.rewards[a] = 0
        buf.terminals[a] = False
        buf.truncations[a] = False
        buf.masks[a] = True
        for f in range(F):
            running[a, f] = 0
    game_reset(state[i], params[0], buf, a0)


@njit(_nrt=False, boundscheck=CHECKED)
def step_all(state, params, buf, running, logs, autoreset):
    for i in range(state.shape[0]):
        if CHECKED:
            step_game(0, state[i:i + 1], params, rows(buf, i * A, i * A + A), running[i * A:i * A + A],
                      logs[i * A:i * A + A], autoreset)
        else:
            step_game(i, state, params, buf, running, logs, autoreset)
    return state.shape[0]


@njit(_nrt=False, boundscheck=CHECKED)
def reset_all(state, params, buf, running, which):
    for i in range(state.shape[0]):
        if which[i]:
            if CHECKED:
                reset_game(0, state[i:i + 1], params, rows(buf, i * A, i * A + A), running[i * A:i * A + A])
            else:
                reset_game(i, state, params, buf, running)
    return state.shape[0]


@njit(inline="always")
def rows(buf, lo, hi):
    return Buffers(buf.observations[lo:hi], buf.actions[lo:hi], buf.rewards[lo:hi], buf.terminals[lo:hi],
                   buf.truncations[lo:hi], buf.masks[lo:hi], buf.episode[lo:hi])


@njit(_nrt=False)
def chunk(c, chunks, state, observations, actions, rewards, terminals, truncations, masks, episodes):
    lo = c * state.shape[0] // chunks
    hi = (c + 1) * state.shape[0] // chunks
    # sliced here, not through rows(): building the full Buffers first and slicing it cost the
    # parallel kernel a quarter of Pong's speed on 2 threads (217M -> 167M steps/s)
    return lo, hi, Buffers(observations[lo * A:hi * A], actions[lo * A:hi * A], rewards[lo * A:hi * A],
                           terminals[lo * A:hi * A], truncations[lo * A:hi * A], masks[lo * A:hi * A],
                           episodes[lo * A:hi * A])


@njit(_nrt=False)
def total(progress, chunks):
    done = 0
    for c in range(chunks):
        done += progress[c]
    return done


# The parallel kernels split the games into `chunks` slices (one per thread) and run the
# serial loop on each: game code never sits inside a prange body, where Numba's parfor
# passes have lost writes, and every loop counts from 0, which compiles to a faster loop
# than one from a variable start. (The serial kernels ignore `chunks`.)
# _nrt=False: no reference counting of the buffers, whose atomic increments cost more than
# the game; it also forbids allocating inside a step, as intended.
@njit(parallel=True, cache=CACHE, _nrt=False)
def step_parallel(state, params, observations, actions, rewards, terminals, truncations, masks, episodes, running,
                  logs, chunks, progress, autoreset):
    for c in prange(chunks):
        progress[c] = 0
        lo, hi, buf = chunk(c, chunks, state, observations, actions, rewards, terminals, truncations, masks, episodes)
        progress[c] = step_all(state[lo:hi], params, buf, running[lo * A:hi * A], logs[lo * A:hi * A], autoreset)
    return total(progress, chunks)


@njit(cache=CACHE, _nrt=False, boundscheck=CHECKED)
def step_serial(state, params, observations, actions, rewards, terminals, truncations, masks, episodes, running,
                logs, chunks, progress, autoreset):
    return step_all(state, params, Buffers(observations, actions, rewards, terminals, truncations, masks, episodes),
                    running, logs, autoreset)


@njit(parallel=True, cache=CACHE, _nrt=False)
def reset_parallel(state, params, observations, actions, rewards, terminals, truncations, masks, episodes, running,
                   which, chunks, progress):
    for c in prange(chunks):
        progress[c] = 0
        lo, hi, buf = chunk(c, chunks, state, observations, actions, rewards, terminals, truncations, masks, episodes)
        progress[c] = reset_all(state[lo:hi], params, buf, running[lo * A:hi * A], which[lo:hi])
    return total(progress, chunks)


@njit(cache=CACHE, _nrt=False, boundscheck=CHECKED)
def reset_serial(state, params, observations, actions, rewards, terminals, truncations, masks, episodes, running,
                 which, chunks, progress):
    return reset_all(state, params, Buffers(observations, actions, rewards, terminals, truncations, masks, episodes),
                     running, which)
