"""Moved to numbapuffer.adapters.pettingzoo; this name stays the same module for code that imports it from here."""
import sys

from numbapuffer.adapters import pettingzoo

sys.modules[__name__] = pettingzoo
