"""Reading a checkpoint of `numbapuffer train` without trusting it.

A checkpoint is a torch file read with weights_only=True: tensors, numbers, strings, lists
and dicts, never code. Its config is then checked before anything is imported or built:
its keys are Config's fields, each value of its field's type, its env params numbers or
bools, and its env a numbapuffer env or a gymnasium id registered in this process. An env
id with a module prefix ("somemodule:Name-v0", which makes gymnasium import `somemodule`)
is accepted only when it is the env the caller asked for (the command line's ENV).

Writing one (write) never destroys the last one: the new checkpoint goes to a temporary
file in the same folder, is flushed and fsynced, and only then replaces the old file
(os.replace, atomic); a save that fails (a full disk, a file-size limit, an exception)
raises and leaves the old file as it was.
"""
import dataclasses
import os
import stat
import tempfile

import gymnasium
import torch

import numbapuffer as npf

__all__ = ["read", "write", "check_config"]

KEYS = ("policy", "config", "history")
TYPES = {"int": (int,), "float": (int, float), "bool": (bool,), "str": (str,), "dict": (dict,)}


def write(path, data):
    """torch.save `data` to `path` atomically: the old file, if any, stays whole until the
    new one is complete on disk. A symlink at `path` is followed (its target is replaced)."""
    target = os.path.realpath(path)
    folder, name = os.path.split(target)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(data, f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, _mode(target))
        os.replace(tmp, target)
    except BaseException as e:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        cause = e  # torch reports a failed write (ENOSPC, EFBIG) as a RuntimeError of its own
        while cause is not None and not isinstance(cause, OSError):
            cause = cause.__cause__ or cause.__context__
        if cause is None or not isinstance(e, Exception):
            raise
        raise OSError(cause.errno, f"checkpoint {path} not saved ({cause.strerror or cause}); the previous "
                      "checkpoint there, if any, is as it was") from e
    try:  # the rename itself on disk
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError:  # a folder that cannot be opened or synced (some network file systems)
        pass


def _mode(path):
    """The mode of the file at `path`, else what a new file gets (0666 less the umask)."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        pass
    try:  # the umask, read without os.umask's set-and-restore (which other threads would see)
        with open("/proc/self/status") as f:
            umask = next(int(line.split()[1], 8) for line in f if line.startswith("Umask:"))
    except (OSError, StopIteration, ValueError):
        umask = 0o022
    return 0o666 & ~umask


def read(path, config_cls, env=None):
    """(config dict, policy weights, history) of the checkpoint at `path`, checked; a
    ValueError of one line for anything that is not a checkpoint of `env` (None: any env
    that check_config accepts), or not a regular file. A missing file raises FileNotFoundError."""
    f = _open_regular(path)
    try:
        with f:
            ck = torch.load(f, weights_only=True)
    except Exception as e:  # empty, truncated, garbage, or not a torch file at all
        why = (str(e).strip().splitlines() or [""])[0][:200]
        raise ValueError(f"{path} is not a readable checkpoint ({type(e).__name__}: {why})") from None
    if not isinstance(ck, dict) or sorted(ck) != sorted(KEYS) or not isinstance(ck["config"], dict) \
            or not isinstance(ck["policy"], dict) or not isinstance(ck["history"], list):
        raise ValueError(f"{path} is not a checkpoint of numbapuffer train (expected a dict of "
                         f"{', '.join(KEYS)})")
    check_config(ck["config"], config_cls, env, f"{path}: ")
    check_sizes(ck["config"], ck["policy"], config_cls, f"{path}: ")
    return ck["config"], ck["policy"], ck["history"]


KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"),
         (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"))


def _open_regular(path):
    """`path` opened for reading, if it is a regular file (a symlink to one is followed);
    else a ValueError naming what it is. Opened without blocking: opening a FIFO for reading
    waits for a writer, forever."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise
    except OSError as e:
        raise ValueError(f"{path} is not a readable checkpoint ({e.strerror or e})") from None
    mode = os.fstat(fd).st_mode  # of what was opened, not of what the name points to now
    if not stat.S_ISREG(mode):
        os.close(fd)
        what = next((words for test, words in KINDS if test(mode)), "not a regular file")
        raise ValueError(f"{path} is {what}, not a checkpoint file (a checkpoint is a regular file)")
    os.set_blocking(fd, True)
    return os.fdopen(fd, "rb")


# Bounds of the sizes a config asks the policy to have: far above any MLP trained here, far
# below what would exhaust the memory before a check could say so.
SIZES = {"hidden": (1, 65536), "layers": (0, 64), "action_mask": (0, 65536)}


def check_sizes(config, weights, config_cls, prefix=""):
    """Raise a ValueError if the sizes that `config` asks the policy to have (hidden, layers,
    action_mask) are out of bounds or do not match the shapes of `weights`: checked before
    anything is built, so a config asking for a huge policy allocates nothing."""
    defaults = config_cls()
    size = {k: config.get(k, getattr(defaults, k)) for k in SIZES}
    for key, (lo, hi) in SIZES.items():
        if not lo <= size[key] <= hi:
            raise ValueError(f"{prefix}config {key}={size[key]} is out of bounds ({lo} to {hi})")
    shapes = {k: tuple(v.shape) for k, v in weights.items() if isinstance(v, torch.Tensor)}
    if len(shapes) != len(weights):
        raise ValueError(f"{prefix}the policy's weights must all be tensors")
    if "trunk.0.0.weight" not in shapes:  # an MLP trunk (a CNN has a fixed size): Linear, Tanh, ...
        trunk = sorted((int(k.split(".")[1]), v) for k, v in shapes.items()
                       if k.startswith("trunk.") and k.endswith(".weight") and k.count(".") == 2
                       and k.split(".")[1].isdigit())
        found = [v for _, v in trunk]
        if len(found) != size["layers"] or any(len(v) != 2 or v[0] != size["hidden"] or
                                               (i and v[1] != size["hidden"]) for i, v in enumerate(found)):
            raise ValueError(f"{prefix}config hidden={size['hidden']}, layers={size['layers']} do not match the "
                             f"weights' trunk ({', '.join('x'.join(map(str, v)) for v in found) or 'no layers'})")
    actor = shapes.get("actor.weight")
    if size["action_mask"] and (actor is None or actor[0] != size["action_mask"]):
        raise ValueError(f"{prefix}config action_mask={size['action_mask']} does not match the weights' "
                         f"{actor[0] if actor else 'missing'} action logits")


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
