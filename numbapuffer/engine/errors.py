"""An author's mistake in game code, said in a few lines that name the file and the line.

Numba reports a game that does not compile in 70 to 150 lines, many of them about the
engine's generated kernel module, and a misspelt record field with no line at all (a bare
KeyError). `compile_error` turns that report into a `GameCompileError` of a few lines: the
game, the author's function, file:line and that line, and the cause in words. Numba's whole
report stays on the error as `numba_error`, and NUMBAPUFFER_DEBUG=1 chains it (printed whole).
"""
import difflib
import inspect
import linecache
import os
import re
import traceback

from numbapuffer.engine.buffers import BUFFERS
from numbapuffer.engine.kernels import callees

__all__ = ["GameCompileError", "compile_error", "game_raised", "game_functions", "debug_requested"]

ANSI = re.compile(r"\x1b\[[0-9;]*m")
# Numba names places two ways: `at /path/file.py (26)` and `File "file.py", line 26:`
PLACE = re.compile(r'at (\S+) \((\d+)\)|File "([^"]+)", line (\d+)')
ALLOCATORS = ("empty", "zeros", "ones", "full", "array", "arange", "linspace", "copy", "empty_like", "zeros_like",
              "ones_like", "full_like", "concatenate", "stack", "hstack", "vstack", "repeat", "tile", "unique",
              "sort", "argsort", "where", "nonzero", "cumsum", "diff", "outer", "dot", "trapezoid")
NO_ALLOC = ("game code must not allocate: the kernels run without Numba's memory manager. Keep per-game "
            "arrays in the state record (a field such as (\"cells\", np.int8, (9,))) and use scalars otherwise")


class GameCompileError(TypeError):
    """A game's code does not compile. Attributes: game, function, filename, lineno (None
    where Numba named no place), numba_error (Numba's whole report)."""

    def __init__(self, message, game=None, function=None, filename=None, lineno=None, numba_error=None):
        super().__init__(message)
        self.game, self.function, self.filename, self.lineno = game, function, filename, lineno
        self.numba_error = numba_error


def debug_requested():
    """NUMBAPUFFER_DEBUG set to anything but "", "0": checked envs and whole reports."""
    return os.environ.get("NUMBAPUFFER_DEBUG", "") not in ("", "0")


def game_functions(game):
    """Plain functions of the game's reset and step and of every @njit function they call,
    callers before callees."""
    out, seen, todo = [], set(), [game.step, game.reset]
    while todo:
        py = getattr(todo.pop(0), "py_func", None)
        if py is None or py.__code__ in seen:
            continue
        seen.add(py.__code__)
        out.append(py)
        todo.extend(fn for _, fn in callees(py))
    return out


def game_raised(name, what, error):
    """The RuntimeError for game `name`'s `what` ("step" or "reset") raising inside a kernel.
    `error` is what Numba passed on: the game's exception from a serial kernel, a SystemError
    caused by it from a parallel kernel's main thread, or None when another thread of the
    parallel kernel raised (Numba drops those; the kernel's count of games shows it)."""
    cause = error.__cause__ if isinstance(error, SystemError) and error.__cause__ is not None else error
    what_raised = (f"{type(cause).__name__}: {cause}" if cause is not None else
                   "an exception in a thread of the parallel kernel (Numba drops its message there; "
                   "env.use_serial(True) shows it)")
    err = RuntimeError(f"{name}: the game's {what} raised {what_raised}. The games' state is now undefined: call "
                       f"reset(). (Game code must not raise: params it cannot handle belong in the Game's check.)")
    err.__cause__ = cause  # the game's own exception and traceback, not Numba's SystemError
    return err


def compile_error(game, exc):
    """The GameCompileError for `exc`, raised while compiling `game`'s kernels."""
    report = ANSI.sub("", "".join(traceback.format_exception_only(exc)))
    try:
        return _explained(game, exc, report)
    except Exception:  # explaining must never hide the report: Numba's words, shortened
        return GameCompileError(f"{game.name}: the game does not compile:\n{_numba_words(report)}\n"
                                "(Numba's whole report: this error's .numba_error, or set NUMBAPUFFER_DEBUG=1)",
                                game.name, numba_error=exc)


def _explained(game, exc, report):
    functions = game_functions(game)
    cause, key, variable = _cause(game, exc, report, functions)
    places = _places(report, functions) or _search(functions, key)
    if variable and places:  # where the variable is given its types, in the function Numba named
        places = _search([places[0][0]], rf"^\s*{variable}\s*=[^=]", every=True) or places
    also = variable is not None
    if places:
        fn, path, line = places[0]
        head = f"{game.name}: the game does not compile: in {fn.__name__}() at {path}:{line}"
        lines = [head, "    " + linecache.getline(path, line).strip()]
        for fn2, path2, line2 in places[1:2] if also else ():
            lines += [f"  and in {fn2.__name__}() at {path2}:{line2}", "    " + linecache.getline(path2, line2).strip()]
    else:
        fn = path = line = None
        lines = [f"{game.name}: the game does not compile (Numba named no line of the game)"]
    lines += [cause, "(Numba's whole report: this error's .numba_error, or set NUMBAPUFFER_DEBUG=1)"]
    return GameCompileError("\n".join(lines), game.name, fn and fn.__name__, path, line, exc)


def _cause(game, exc, report, functions):
    """(the cause in words, the pattern to look for in the source when Numba named no line,
    the variable given two types, if that is the cause)."""
    module = (re.search(r"Unknown attribute '(\w+)' of type Module\(<module '([\w.]+)'", report)
              or re.search(r"module '([\w.]+)' has no attribute '(\w+)'", report))
    if module:
        name, mod = module.groups() if module.re.pattern.startswith("Unknown") else module.groups()[::-1]
        mod = re.sub(r"^numpy\b", "np", mod)
        return f"{mod}.{name}: {mod} has no attribute {name!r} that Numba can use in game code", rf"\.{name}\b", None
    field = re.search(r"Unknown attribute '(\w+)' of type (Record|Buffers|NamedTuple)", report)
    if isinstance(exc, KeyError) and exc.args and isinstance(exc.args[0], str) or field:
        name = exc.args[0] if isinstance(exc, KeyError) else field.group(1)
        # the episode log record and the state record are both Records to Numba: the source says which
        episode = _search(functions, rf"\bepisode\[[^\]]*\]\.{name}\b")
        return _unknown_field(game, name, "episode" if episode else field and field.group(2)), rf"\.{name}\b", None
    attribute = re.search(r"Unknown attribute '(\w+)' of type (\S+)", report)
    if attribute:
        name, kind = attribute.groups()
        return f"a {kind} has no attribute {name!r} in Numba's game code", rf"\.{name}\b", None
    m = re.search(r"Use of unsupported NumPy function '([\w.]+)'", report)
    if m:
        name = m.group(1).replace("numpy.", "np.")
        return f"{name} is not supported by Numba in game code (see Numba's list of supported numpy functions)", \
            rf"\b{name.split('.')[-1]}\b", None
    m = re.search(r"Function\(<built-in function (\w+)>\)", report)
    if "NRT required but not enabled" in report or (m and m.group(1) in ALLOCATORS):
        what = f"np.{m.group(1)}(...) allocates an array" if m else "a list, dict, set or array is built here"
        return f"{what}: {NO_ALLOC}", rf"\b{m.group(1)}\b" if m else r"\[", None
    m = re.search(r"Untyped global name '(\w+)'|NameError: name '(\w+)' is not defined", report)
    if m:
        name = m.group(1) or m.group(2)
        value = next((py.__globals__[name] for py in functions if name in py.__globals__), None)
        if value is None and m.group(2):
            return f"name {name!r} is not defined", rf"\b{name}\b", None
        what = "an @njit function" if callable(value) else "a value Numba can use (a number, tuple or array)"
        return (f"{name} is not {what}: game code can only call @njit functions and read constants; "
                f"decorate it with @njit"), rf"\b{name}\b", None
    m = re.search(r"Cannot unify (.+?) and (.+?) for '([^']+)'", report)
    if m:
        var = _variable(m.group(3))
        who = f"variable {var!r}" if var else "a variable"
        return f"{who} holds a {m.group(1)} on one path and a {m.group(2)} on another: give it one type", None, var
    m = re.search(r"Cannot bind .* to signature '(\(.*?\))' due to \"TypeError: (.*?)\"", report)
    if m:
        callee = re.search(r"resolving callee type: type\(CPUDispatcher\(<function (\w+)", report)
        return f"the call to {callee.group(1) if callee else 'a function'}{m.group(1)} does not match: {m.group(2)}", \
            None, None
    m = re.search(r"No implementation of function Function\(<built-in function (\w+)>\) found for signature:\s*"
                  r">>> (.+)", report)
    if m:
        return f"Numba has no {m.group(1)} for these types: {m.group(2).strip()}", None, None
    return _numba_words(report), None, None


def _unknown_field(game, name, numba_type):
    groups = {"the state record": [f for f in game.state.names if f != "rng"], "the params record": list(game.defaults) + list(game.sizes),
              "buf": list(BUFFERS) + ["episode"], "buf.episode[a] (log fields)": list(game.log_fields)}
    if numba_type in ("Buffers", "NamedTuple"):
        groups = {"buf": groups["buf"]}
    elif numba_type == "episode":
        groups = {"the episode log record buf.episode[a]": list(game.log_fields)}
    close = {g: difflib.get_close_matches(name, names, 1, 0.6) for g, names in groups.items()}
    near = [(g, m[0]) for g, m in close.items() if m]
    if near:
        group, match = max(near, key=lambda gm: difflib.SequenceMatcher(None, name, gm[1]).ratio())
        return f"{group} has no field {name!r}. Did you mean {match!r}?\n  {group}: {', '.join(groups[group])}"
    shown = "\n".join(f"  {g}: {', '.join(n) or '(none)'}" for g, n in groups.items())
    return f"no field or attribute {name!r} here; the names game code can use:\n{shown}"


def _variable(numba_name):
    """The author's name of a variable as Numba names it once inlined into the kernels
    (`step_game_v3_step_v5__vmove.2`); None for Numba's own temporaries."""
    name = re.sub(r"^(?:[A-Za-z_]\w*?_v\d+_)+", "", numba_name).split(".")[0]
    return name if name.isidentifier() and not name.startswith("_") else None


def _places(report, functions):
    """(function, file, line) of each place of the game that Numba's report names, innermost
    first, each once. Places in Numba, the engine's generated module and the template are not the game's."""
    spans = []
    for py in functions:
        try:
            source, first = inspect.getsourcelines(py)
        except (OSError, TypeError):
            continue
        spans.append((py, os.path.abspath(py.__code__.co_filename), first, first + len(source)))
    out = []
    for m in PLACE.finditer(report):
        path, line = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
        path, line = os.path.abspath(path), int(line)
        for py, file, lo, hi in spans:
            if file == path and lo <= line < hi and (py, file, line) not in out:
                out.append((py, file, line))
    return out


def _search(functions, pattern, every=False):
    """Where Numba named no place (a misspelt field is a bare KeyError): the first line of the
    game's functions matching `pattern` (every=True: all of them)."""
    found = []
    if pattern is None:
        return found
    for py in functions:
        try:
            source, first = inspect.getsourcelines(py)
        except (OSError, TypeError):
            continue
        for k, text in enumerate(source):
            code = text.split("#")[0]
            if re.search(pattern, code) and not code.lstrip().startswith(("def ", "@")):
                found.append((py, os.path.abspath(py.__code__.co_filename), first + k))
                if not every:
                    return found
    return found


def _numba_words(report):
    """Numba's own message, without its framing: the first lines that say what went wrong."""
    keep = []
    for text in report.splitlines():
        t = text.strip()
        if re.match(r"[\w.]*Error: ", t):
            t = t.split(": ", 1)[1]
        if not t or t.startswith(("Failed in ", "During:", "File ", "raised from", "^")) or t.endswith(":"):
            continue
        keep.append(t[:200])
        if len(keep) == 3:
            break
    return "\n".join(keep) or report.strip().splitlines()[-1][:200]
