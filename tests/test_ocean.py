"""Parity with PufferLib 3.0.0's C for every env in benchmarks/ocean.py's PAIRS: the same
uniform random policy in both, thousands of episodes, measured from the buffers. Runs where
PufferLib's C is importable (.ci/run builds it into a venv of its own and runs this there)."""
import pytest

from benchmarks.ocean import PAIRS, parity

pytest.importorskip("pufferlib.ocean", reason="PufferLib's C envs: ../shared/tools/build_pufferlib.sh VENV all")
pytestmark = pytest.mark.slow


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_random_play_matches_the_c(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # `import pufferlib` makes a `resources` symlink in the current folder
    ours, c = parity(name)
    assert ours["ends"] >= 1000 and c["ends"] >= 1000, (ours, c)
    assert ours["steps_per_end"] == pytest.approx(c["steps_per_end"], rel=0.02), (ours, c)
    assert ours["reward_per_step"] == pytest.approx(c["reward_per_step"], rel=0.03, abs=1e-4), (ours, c)
