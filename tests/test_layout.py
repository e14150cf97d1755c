"""The package's shape: no import circles (every `import numbapuffer...` anywhere in a file,
also inside functions, is an edge), and every file small enough to read in one sitting."""
import ast
import os

ROOT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "numbapuffer")
MAX_LINES = 500


def modules():
    """module name -> path of every .py file in the package."""
    out = {}
    for dirpath, _, files in os.walk(ROOT):
        for f in files:
            if f.endswith(".py"):
                rel = os.path.relpath(os.path.join(dirpath, f), os.path.dirname(ROOT))[:-3].split(os.sep)
                if rel[-1] == "__init__":
                    rel = rel[:-1]
                out[".".join(rel)] = os.path.join(dirpath, f)
    return out


def imports(path, known):
    """The package's modules that the file at `path` imports (`from a import b` is a.b where
    that is a module, else a)."""
    out = set()
    for node in ast.walk(ast.parse(open(path).read(), path)):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name in known)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module in known:
            subs = {f"{node.module}.{a.name}" for a in node.names} & set(known)
            out.update(subs)
            if len(subs) < len(node.names):
                out.add(node.module)
    return out


def cycle(graph):
    """One import circle of `graph` as a list of modules, or None."""
    state, stack = {}, []

    def visit(m):
        state[m] = "open"
        stack.append(m)
        for n in sorted(graph[m]):
            if state.get(n) == "open":
                return stack[stack.index(n):] + [n]
            if n not in state:
                found = visit(n)
                if found:
                    return found
        state[m] = "done"
        stack.pop()
        return None

    for m in sorted(graph):
        if m not in state:
            found = visit(m)
            if found:
                return found
    return None


def test_the_cycle_finder_finds_a_circle():
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_no_import_circles():
    known = modules()
    graph = {m: imports(p, known) - {m} for m, p in known.items()}
    # a module that imports its own package's __init__ (`from numbapuffer import envs`) is fine
    # only while that __init__ does not import the module back: the walk below sees both
    found = cycle(graph)
    assert found is None, "import circle: " + " -> ".join(found)


def test_no_file_over_the_size_limit():
    too_long = {m: n for m, p in modules().items() if (n := sum(1 for _ in open(p))) > MAX_LINES}
    assert not too_long, f"files over {MAX_LINES} lines: {too_long}"
