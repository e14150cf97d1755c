"""Records with their fields as attributes, as game code sees them (`s.ball_x`, `p.size`).

numpy's own np.record lets its scalar attributes (`size`, `shape`, `max`...) shadow fields
of the same name; here a field always wins. Two uses: the kernels running as plain Python
under NUMBA_DISABLE_JIT read and write the state through `records(array)`, and drawing code
reads a read-only copy of one game, `Fields(record)`.
"""
import numpy as np
from numpy.lib.recfunctions import repack_fields

__all__ = ["Fields", "records", "value_bytes"]


class Fields(np.record):
    """One record whose fields are attributes. `Fields(record)` is a read-only copy (what
    drawing and key handling read); the elements of `records(array)` are writable views."""

    def __new__(cls, record):
        copy = np.array(record)
        copy.flags.writeable = False
        return copy.view(np.dtype((cls, copy.dtype)))[()]

    def __getattribute__(self, name):
        fields = np.void.__getattribute__(self, "dtype").fields
        if name in fields:
            return np.record.__getitem__(self, name)
        try:
            return np.record.__getattribute__(self, name)
        except AttributeError:
            raise AttributeError(f"the record has no field {name!r} (fields: {', '.join(fields)})") from None

    def __setattr__(self, name, value):
        if name not in np.void.__getattribute__(self, "dtype").fields:
            raise AttributeError(f"the record has no field {name!r}")
        try:
            np.record.__setitem__(self, name, value)
        except ValueError as e:  # a read-only copy
            raise AttributeError(f"field {name!r} is read-only here: drawing code must not change the "
                                 f"game's state ({e})") from None


def value_bytes(a):
    """The bytes of array `a`'s values, for comparing arrays bit for bit. An aligned record's
    padding between fields is left out: numpy's copies leave it undefined."""
    a = np.ascontiguousarray(a)
    return (repack_fields(a) if a.dtype.names else a).tobytes()


def records(a):
    """A view of structured array `a` whose elements are writable `Fields`."""
    return a.view(np.dtype((Fields, a.dtype)))
