"""Every fenced python block of README.md runs as written, each on its own in a fresh
process (headless: SDL_VIDEODRIVER=dummy). A block preceded by `<!-- no-test -->` is left
out: only for a block that needs what a test machine lacks (a Ray cluster, a GPU). A block
preceded by `<!-- needs: MODULE -->` runs where MODULE imports and is skipped elsewhere; its
test id names MODULE (.ci/run runs the PufferLib ones in PufferLib's venv: -k pufferlib)."""
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BLOCK = re.compile(r"(<!-- no-test -->\s*)?(?:<!-- needs: (\w+) -->\s*)?```python\n(.*?)```", re.S)


def blocks():
    """(line, code, module it needs or None) of every block that runs."""
    text = open(os.path.join(ROOT, "README.md")).read()
    return [(text[:m.start()].count("\n") + 1, m.group(3), m.group(2)) for m in BLOCK.finditer(text)
            if not m.group(1)]


def test_the_readme_has_python_blocks_and_skips_few():
    text = open(os.path.join(ROOT, "README.md")).read()
    assert len(blocks()) >= 6 and text.count("<!-- no-test -->") <= 2


@pytest.mark.parametrize("line, code, needs", blocks(),
                         ids=[f"README.md:{line}" + (f"-{needs}" if needs else "") for line, _, needs in blocks()])
def test_readme_block_runs_as_written(line, code, needs, tmp_path):
    if needs:
        pytest.importorskip(needs)
    path = tmp_path / f"readme_{line}.py"
    path.write_text(code)
    env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "PYTHONPATH": ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")}
    done = subprocess.run([sys.executable, str(path)], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, f"README.md line {line}:\n{done.stderr[-3000:]}"
