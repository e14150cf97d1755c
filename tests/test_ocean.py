"""Parity with PufferLib 3.0.0's C for every env in benchmarks/ocean.py's PAIRS: the same
uniform random policy in both, thousands of episodes, measured from the buffers. Runs where
PufferLib's C is importable (.ci/run builds it into a venv of its own and runs this there)."""
import pytest

from benchmarks.ocean import PAIRS, parity

pytest.importorskip("pufferlib.ocean", reason="PufferLib's C envs: ../shared/tools/build_pufferlib.sh VENV all")
pytestmark = pytest.mark.slow


@pytest.mark.parametrize("name", sorted(k for k, pair in PAIRS.items() if not pair.parity))
def test_random_play_matches_the_c(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # `import pufferlib` makes a `resources` symlink in the current folder
    ours, c = parity(name)
    if PAIRS[name].ends:
        assert ours["ends"] >= 1000 and c["ends"] >= 1000, (ours, c)
        assert ours["steps_per_end"] == pytest.approx(c["steps_per_end"], rel=0.02), (ours, c)
    else:  # a game that never ends, in both
        assert ours["ends"] == 0 and c["ends"] == 0, (ours, c)
    assert ours["reward_per_step"] == pytest.approx(c["reward_per_step"], rel=0.03, abs=1e-4), (ours, c)


def test_a_pair_without_buffer_parity_names_the_test_that_compares_it():
    for name, pair in PAIRS.items():
        if pair.parity:
            assert f"tests/test_{name}.py" in pair.parity, (name, pair.parity)
