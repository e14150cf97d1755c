"""TorchRL over numbapuffer's gymnasium faces: GymEnv on a registered id (TorchRL passes
frameskip= and drops it when the error reads as Python's own), and GymWrapper over a vector
env with SAME_STEP autoreset, checked by TorchRL's check_env_specs and stepped by a collector."""
import gymnasium
import pytest
from gymnasium.vector import AutoresetMode

pytest.importorskip("torchrl")
from torchrl.collectors import Collector  # noqa: E402
from torchrl.envs import GymEnv, GymWrapper  # noqa: E402
from torchrl.envs.utils import check_env_specs  # noqa: E402

import numbapuffer  # noqa: E402,F401  (registers numbapuffer/<Name>-v0)

pytestmark = pytest.mark.slow  # TorchRL's import and first env take seconds: the second tier


def test_gym_env_on_a_numbapuffer_id():
    env = GymEnv("numbapuffer/CartPole-v0")
    check_env_specs(env)
    batch = next(iter(Collector(env, policy=None, frames_per_batch=64, total_frames=64)))
    assert batch.batch_size == (64,) and batch["next", "observation"].shape == (64, 4)


def test_a_vector_env_with_same_step_autoreset_in_a_collector():
    venv = gymnasium.make_vec("numbapuffer/CartPole-v0", num_envs=8, autoreset_mode=AutoresetMode.SAME_STEP)
    env = GymWrapper(venv)
    assert env.batch_size == (8,)
    check_env_specs(env)
    collector = Collector(env, policy=None, frames_per_batch=256, total_frames=512)
    done = 0
    for batch in collector:
        assert batch.batch_size == (8, 32)
        done += int(batch["next", "done"].sum())
    collector.shutdown()
    assert done > 8  # random CartPole games end within a few dozen steps, and restart
