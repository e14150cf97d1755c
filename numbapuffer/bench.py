"""Moved to numbapuffer.tools.bench; this name stays the same module for code that imports it from here."""
import sys

from numbapuffer.tools import bench

sys.modules[__name__] = bench
