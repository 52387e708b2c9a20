"""Entry point of solverkit-tucker: registers the solvers and the benchmark suite."""

import solverkit


@solverkit.hookimpl
def solverkit_register_solvers(register):
    from .shape import TuckerShape
    from .solvers import (
        TTShape,
        TuckerExhaustive,
        TuckerGreedy,
        TuckerGreedySV,
        TuckerPacking,
    )

    for cls in (TuckerShape, TuckerPacking, TuckerGreedy, TuckerGreedySV, TuckerExhaustive,
                TTShape):
        register(cls)


@solverkit.hookimpl
def solverkit_register_benchmarks(register):
    from .bench import BENCHMARKS

    for bench in BENCHMARKS:
        register(bench)
