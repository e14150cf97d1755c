"""Moved to numbapuffer.engine.checks; this name stays the same module for code that imports it from here."""
import sys

from numbapuffer.engine import checks

sys.modules[__name__] = checks
