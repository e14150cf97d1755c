"""check_env finds no problem in the first-party envs and names each planted mistake."""
import re

import pytest

import numbapuffer as npf

import broken_envs as broken


def test_ok_game_and_an_env_instance_pass():
    assert npf.check_env(broken.ok) == []
    env = npf.make("pong", num_envs=4, frameskip=2)
    assert repr(npf.check_env(env, num_envs=16)) == "no problems found"


# Each planted game compiles its own serial, parallel and checked kernels (~9 s cold): three
# run in the fast tier (a wrong dtype, a non-finite reward named by debug mode, a read of the
# observations), the others in the slow one (`-m slow`, which .ci/run runs)
SLOW = pytest.mark.slow


@pytest.mark.parametrize("game, words", [
    (broken.fraction_into_int, [r"reset writes \d+\.5 \(a fraction\) into observation \(0,\)", "int8 buffer silently stores"]),
    pytest.param(broken.wraps_uint8, [r"writes \d00 \(outside uint8's range\) into observation \(0,\)", r"silently stores \d+"],
                 marks=SLOW),
    pytest.param(broken.outside_space, [r"observation \(\d,\) of agent \d+ is \d\.0 at step \d+, outside the observation space \[0\.0, 1\.0\]"],
                 marks=SLOW),
    pytest.param(broken.unwritten_observation, [r"reset leaves observation \(1,\) of agent 0 unwritten \(it keeps stale memory\)"],
                 marks=SLOW),
    pytest.param(broken.numpy_random, [r"the (second serial-kernel|parallel-kernel) run.* differs from the first serial-kernel run at step \d+", "np.random"],
                 marks=SLOW),
    pytest.param(broken.reset_forgets_field, [r"differs from a brand-new game in state field\(s\) t: reset must set every field"],
                 marks=SLOW),
    (broken.nan_reward, [r"game 0, step 2: reward of agent 0 is nan: .*must be finite",
                         r"in step_nan\(\) at .*broken_envs.py:\d+\n +buf.rewards\[a\] = np.nan"]),
    (broken.reads_observations, ["must not read observations"]),
    pytest.param(broken.never_ends, ["no episode finished in 20000 random steps"], marks=SLOW),
])
def test_planted_mistakes_are_named(game, words):
    problems = npf.check_env(game, num_envs=16)
    text = "\n".join(problems)
    assert problems and all(p.startswith(f"{game.name}: ") for p in problems)
    for w in words:
        assert re.search(w, text), f"{w!r} not in:\n{text}"


def test_bad_argument():
    with pytest.raises(TypeError, match="check_env takes an env id, a Game or an Env, got int"):
        npf.check_env(3)
    with pytest.raises(ValueError, match="unknown env"):
        npf.check_env("nope")
