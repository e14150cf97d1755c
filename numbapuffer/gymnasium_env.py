"""Moved to numbapuffer.adapters.gymnasium; this name stays the same module for code that imports it from here."""
import sys

from numbapuffer.adapters import gymnasium

sys.modules[__name__] = gymnasium
