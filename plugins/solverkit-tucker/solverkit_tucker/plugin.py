"""Entry point of solverkit-tucker: registers the solvers and the benchmark suite."""

import solverkit


@solverkit.hookimpl
def solverkit_register_solvers(register):
    from .solvers import TuckerExhaustive, TuckerGreedy, TuckerGreedySV, TuckerPacking, TuckerShape

    for cls in (TuckerShape, TuckerPacking, TuckerGreedy, TuckerGreedySV, TuckerExhaustive):
        register(cls)


@solverkit.hookimpl
def solverkit_register_benchmarks(register):
    from .bench import BENCHMARKS

    for bench in BENCHMARKS:
        register(bench)
