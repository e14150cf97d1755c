"""The kernel machinery beneath core.py: the game declaration, kernel generation from the template,
the on-disk cache, input checks, buffers, logs, records, threads, debug mode, errors, pickling, and
the drawing a game's view uses."""
