"""How a Game travels between processes: by reference whenever it can, by value otherwise.

A pickled Game is a recipe, never compiled code (the receiving process loads its kernels from
the on-disk cache, or compiles them):

    by reference   a module-level game (`numbapuffer.envs.pong.game`): its module and name
    by factory     a game made by a `@factory` function (`snake.make_game(num_snakes=2)`):
                   the function and its arguments
    by value       a game defined in a notebook cell or `python -c` (module `__main__`, or
                   inside a function): its declaration and functions, through cloudpickle
                   (Numba's dispatchers pickle their Python source code)

Game.__reduce__ (engine/game.py) follows these recipes. Unpickling by reference gives back the very same Game object in a process that has it.
"""
import functools
import sys

__all__ = ["factory", "module_attribute", "importable"]


def factory(make):
    """Decorate a module-level function that returns a Game, so that its games pickle as the
    call that made them (the function by reference, and its arguments)."""
    @functools.wraps(make)
    def made(*args, **kwargs):
        game = make(*args, **kwargs)
        game.made_by = (made, args, kwargs)
        return game
    return made


def module_attribute(game, main=False):
    """(module name, attribute) under which `game` can be imported, or None. With `main`, a
    script's `__main__` counts (a spawned child process re-runs the script); a notebook's or
    `python -c`'s `__main__` never does (there is no file to run)."""
    module = sys.modules.get(getattr(game.step, "py_func", game.step).__module__)
    if module is None or not importable(module, main):
        return None
    for attr, value in vars(module).items():
        if value is game:
            return module.__name__, attr
    return None


def importable(module, main):
    if module is None:
        return False
    if module.__name__ in ("__main__", "__mp_main__"):
        return main and bool(getattr(module, "__file__", None))
    return True
