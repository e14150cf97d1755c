"""Reading a checkpoint of `numbapuffer train` without trusting it.

A checkpoint is a torch file read with weights_only=True: tensors, numbers, strings, lists
and dicts, never code. Its config is then checked before anything is imported or built:
its keys are Config's fields, each value of its field's type, its env params numbers or
bools, and its env a numbapuffer env or a gymnasium id registered in this process. An env
id with a module prefix ("somemodule:Name-v0", which makes gymnasium import `somemodule`)
is accepted only when it is the env the caller asked for (the command line's ENV).
"""
import dataclasses

import gymnasium
import torch

import numbapuffer as npf

__all__ = ["read", "check_config"]

KEYS = ("policy", "config", "history")
TYPES = {"int": (int,), "float": (int, float), "bool": (bool,), "str": (str,), "dict": (dict,)}


def read(path, config_cls, env=None):
    """(config dict, policy weights, history) of the checkpoint at `path`, checked; a
    ValueError of one line for anything that is not a checkpoint of `env` (None: any env
    that check_config accepts). A missing file raises FileNotFoundError."""
    try:
        ck = torch.load(path, weights_only=True)
    except FileNotFoundError:
        raise
    except Exception as e:  # empty, truncated, garbage, or not a torch file at all
        why = (str(e).strip().splitlines() or [""])[0][:200]
        raise ValueError(f"{path} is not a readable checkpoint ({type(e).__name__}: {why})") from None
    if not isinstance(ck, dict) or sorted(ck) != sorted(KEYS) or not isinstance(ck["config"], dict) \
            or not isinstance(ck["policy"], dict) or not isinstance(ck["history"], list):
        raise ValueError(f"{path} is not a checkpoint of numbapuffer train (expected a dict of "
                         f"{', '.join(KEYS)})")
    check_config(ck["config"], config_cls, env, f"{path}: ")
    return ck["config"], ck["policy"], ck["history"]


def check_config(config, config_cls, env=None, prefix=""):
    """Raise a ValueError naming the first thing wrong with a config dict from a file."""
    fields = {f.name: f.type if isinstance(f.type, str) else f.type.__name__ for f in dataclasses.fields(config_cls)}
    unknown = sorted(set(config) - set(fields), key=str)
    if unknown:
        raise ValueError(f"{prefix}unknown config keys {', '.join(map(repr, unknown))} "
                         f"(known: {', '.join(fields)})")
    for key, value in config.items():
        kind = TYPES[fields[key]]
        if not isinstance(value, kind) or (isinstance(value, bool) and bool not in kind):
            raise ValueError(f"{prefix}config {key}={value!r:.80} must be a {fields[key]}")
    for key, value in config.get("env_params", {}).items():
        if not isinstance(key, str) or not key.isidentifier() or not isinstance(value, (int, float, bool)):
            raise ValueError(f"{prefix}env param {key!r:.40}={value!r:.40} must be a name and a number or bool")
    found = config.get("env", config_cls().env)
    if env is not None and found != env:
        raise ValueError(f"{prefix}trained on {found!r:.80}, not {env!r}")
    if found != env and found not in npf.list_envs() and (":" in found or found not in gymnasium.registry):
        raise ValueError(f"{prefix}env {found!r:.80} is neither a numbapuffer env nor a registered gymnasium id "
                         "(an id naming a module to import is used only when the caller names it)")
