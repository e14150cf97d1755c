"""PufferLib's face of a native env (numbapuffer.adapters.pufferlib, the same module under this name)."""
import sys

from numbapuffer.adapters import pufferlib

sys.modules[__name__] = pufferlib
