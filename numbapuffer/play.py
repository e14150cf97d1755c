"""Moved to numbapuffer.tools.play; this name stays the same module for code that imports it from here."""
import sys

from numbapuffer.tools import play

sys.modules[__name__] = play
