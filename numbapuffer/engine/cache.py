"""The on-disk cache of compiled code: where it lives, what it trusts, how it heals.

Numba's cache files (`__pycache__/*.nbi`, `*.nbc`) are pickles: loading one runs whatever it
says. So the cache lives only in a directory that nobody else can write: owned by this user,
not a symlink, not writable by group or others, in a parent that others cannot rename it
out of. A directory that fails (a planted `<tmp>/numbapuffer-<uid>`, a careless
NUMBAPUFFER_CACHE_DIR) is refused with one warning line naming it and the directory used
instead, and nothing in it is read. A damaged entry (an emptied, truncated or garbage
file) is removed with a warning naming it, and the code is compiled again. A cache that cannot
be written (a full disk, a quota) is warned about once per folder, and kernels are compiled
in memory meanwhile: making an env never fails for want of room for its cache.
"""
import atexit
import os
import shutil
import stat
import tempfile
import warnings

from numba import njit

__all__ = ["cache_dir", "unsafe", "private_dir", "heal", "unwritable", "njit_cached", "discard"]

_chosen = {}  # the directory asked for -> the one in use (decided once per process)


def cache_dir():
    """Where generated kernel modules and Numba's compiled code live: NUMBAPUFFER_CACHE_DIR,
    else ~/.cache/numbapuffer; if that is refused, <tmp>/numbapuffer-<uid>; if that too,
    a fresh private directory for this process; None if nothing can be written anywhere."""
    wanted = os.environ.get("NUMBAPUFFER_CACHE_DIR") or os.path.join(os.path.expanduser("~"), ".cache",
                                                                     "numbapuffer")
    if wanted not in _chosen or (_chosen[wanted] and not os.path.isdir(_chosen[wanted])):  # (again if removed)
        _chosen[wanted] = _choose(wanted)
    return _chosen[wanted]


def _choose(wanted):
    refused = []
    for path in (wanted, os.path.join(tempfile.gettempdir(), f"numbapuffer-{os.getuid()}")):
        why = private_dir(path)
        if why is None:
            break
        refused.append(f"{path} ({why})")
    else:
        try:
            path = tempfile.mkdtemp(prefix="numbapuffer-")  # mode 0700, a new name: nothing planted
            atexit.register(_remove, path, os.getpid())
        except OSError as e:
            path = None
            refused.append(f"a new temporary dir ({e.strerror or e})")
    if refused:
        warnings.warn(f"numbapuffer: kernel cache dir refused: {'; '.join(refused)}; using "
                      f"{path or 'none: kernels are compiled in memory, uncached'}", stacklevel=4)
    return path


def _remove(path, pid):
    """Remove this process's own temporary cache dir at exit; not from a child forked from
    it (os.fork), whose exit would pull the parent's cache from under it."""
    if os.getpid() == pid:
        shutil.rmtree(path, True)


def private_dir(path):
    """Create `path` (mode 0700) if missing, with a private __pycache__ in it; None when it
    is safe to keep code in, else why not."""
    try:
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        try:
            os.mkdir(path, 0o700)
        except FileExistsError:
            pass
        why = unsafe(path) or unsafe(os.path.dirname(os.path.abspath(path)), parent=True)
        if why is None:
            try:
                os.mkdir(os.path.join(path, "__pycache__"), 0o700)
            except FileExistsError:
                why = unsafe(os.path.join(path, "__pycache__"))
        if why is None and not os.access(path, os.W_OK | os.X_OK):
            why = "not writable"
        return why
    except OSError as e:
        return e.strerror or str(e)


def unsafe(path, parent=False):
    """Why directory `path` may hold files another user wrote, or None. A parent may be
    root's or writable by others if sticky (as /tmp): then only we can rename our entry."""
    st = os.stat(path) if parent else os.lstat(path)  # our entry itself, never a link's target
    if stat.S_ISLNK(st.st_mode):
        return f"{path} is a symlink"
    if not stat.S_ISDIR(st.st_mode):
        return f"{path} is not a directory"
    if st.st_uid != os.getuid() and not (parent and st.st_uid == 0):
        return f"{path} is owned by uid {st.st_uid}, not {os.getuid()}"
    if st.st_mode & 0o022 and not (parent and st.st_mode & stat.S_ISVTX):
        return f"{path} is writable by others (mode {stat.S_IMODE(st.st_mode):o})"
    return None


def heal(dispatcher):
    """Make `dispatcher` (an @njit(cache=True) function) treat a damaged cache entry as a
    miss: the entry's files are removed with a warning naming them, and Numba compiles
    again and saves a fresh entry. (Numba itself raises EOFError, UnpicklingError... on
    every later call.) A failed save (ENOSPC: Numba raised it from the call, after compiling)
    keeps the compiled code in memory, with the warning of `unwritable`. Uses Numba's cache
    internals; without them, does nothing."""
    cache = getattr(dispatcher, "_cache", None)
    files = getattr(cache, "_cache_file", None)
    index = getattr(files, "_index_path", None)
    if index is None:
        return dispatcher
    load = cache.load_overload

    def load_or_discard(sig, target_context):
        try:
            return load(sig, target_context)
        except Exception as e:
            discard(index[:-len(".nbi")])
            warnings.warn(f"numbapuffer: damaged Numba cache entry {index} ({type(e).__name__}: "
                          f"{str(e)[:80]}); removed, compiling again", stacklevel=2)
            return None

    cache.load_overload = load_or_discard
    save = cache.save_overload

    def save_or_warn(sig, data):
        try:
            save(sig, data)
        except OSError as e:  # (Numba removes its own temporary file)
            folder = os.path.dirname(index)  # the cache's __pycache__: named by the cache dir itself
            unwritable(os.path.dirname(folder) if os.path.basename(folder) == "__pycache__" else folder, e)

    cache.save_overload = save_or_warn
    return dispatcher


_unwritable = set()  # the folders warned about


def unwritable(folder, error):
    """Say once per folder that the kernel cache cannot be written in `folder` (`error`: a full
    disk's ENOSPC, a quota's EDQUOT, ...); the kernels are compiled in memory meanwhile."""
    if folder not in _unwritable:
        _unwritable.add(folder)
        warnings.warn(f"numbapuffer: cannot write the kernel cache in {folder} ({error.strerror or error}): "
                      "compiling in memory, uncached, until there is room (free some space there, or set "
                      "NUMBAPUFFER_CACHE_DIR to another folder)", stacklevel=3)


def discard(base):
    """Remove the cache files of one function: `base`.nbi and `base`.<n>.nbc."""
    folder, name = os.path.split(base)
    for entry in os.listdir(folder):
        if entry == name + ".nbi" or (entry.startswith(name + ".") and entry.endswith(".nbc")):
            try:
                os.unlink(os.path.join(folder, entry))
            except FileNotFoundError:
                pass


def njit_cached(fn):
    """@njit(cache=True), healing (see heal); compiled in memory, uncached, where Numba finds
    no writable place for its cache (a read-only install without a writable home)."""
    try:
        return heal(njit(cache=True)(fn))
    except RuntimeError as e:  # Numba: "cannot cache function ...: no locator available"
        if "no locator" not in str(e):
            raise
        return njit(fn)
