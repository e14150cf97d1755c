"""The PPO trainer (torch): the loop and its config (loop.py), rollouts, policies, checkpoints,
and its Ray and CUDA parts. `from numbapuffer import train as T; T.train(T.config("pong"))`."""
from numbapuffer.train.loop import (  # noqa: F401
    DEFAULTS,
    Config,
    Policy,
    config,
    env_key,
    evaluate,
    load,
    make_env,
    make_policy,
    save,
    speed,
    train,
)
