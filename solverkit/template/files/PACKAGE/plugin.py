"""Hook implementations. Keep this module cheap to import: import solvers inside hooks."""

import solverkit


@solverkit.hookimpl
def solverkit_register_solvers(register):
    from .solver import KKTNewton

    register(KKTNewton)
