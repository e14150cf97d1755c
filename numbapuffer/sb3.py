"""Stable-Baselines3's face of a native env (numbapuffer.adapters.sb3, the same module under this name)."""
import sys

from numbapuffer.adapters import sb3

sys.modules[__name__] = sb3
