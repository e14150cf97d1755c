"""Moved to numbapuffer.engine.render; this name stays the same module for code that imports it from here."""
import sys

from numbapuffer.engine import render

sys.modules[__name__] = render
