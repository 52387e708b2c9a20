"""Hook implementations: register the scipy adapters (imported lazily)."""

from __future__ import annotations

from collections.abc import Callable

import solverkit


@solverkit.hookimpl
def solverkit_register_solvers(register: Callable[[type], None]) -> None:
    from .adapters import SLSQPSolver, TrustConstrSolver

    register(SLSQPSolver)
    register(TrustConstrSolver)


@solverkit.hookimpl
def solverkit_register_benchmarks(register: Callable[[object], None]) -> None:
    from .bench import BENCHMARK

    register(BENCHMARK)
