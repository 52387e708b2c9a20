"""Plugin entry point: registers the solvers and benchmark suites (lazily imported)."""

import solverkit


@solverkit.hookimpl
def solverkit_register_solvers(register):
    from .solvers import AdaSketchSolver, NewtonKKTSolver

    register(AdaSketchSolver)
    register(NewtonKKTSolver)


@solverkit.hookimpl
def solverkit_register_benchmarks(register):
    from .bench import BENCHMARKS

    for bench in BENCHMARKS:
        register(bench)
