"""pluggy hook implementations: the plugin's solvers and benchmark suites."""

from __future__ import annotations

from typing import Any

import solverkit


@solverkit.hookimpl
def solverkit_register_solvers(register: Any) -> None:
    # Imported here so that loading the plugin stays cheap.
    from .aid import AIDSolver
    from .bome import BOMESolver
    from .f2sa import F2SASolver
    from .itd import ITDSolver
    from .penalty import PenaltySolver
    from .single_loop import PenaltySLSolver

    for cls in (PenaltySolver, PenaltySLSolver, AIDSolver, F2SASolver, BOMESolver, ITDSolver):
        register(cls)


@solverkit.hookimpl
def solverkit_register_benchmarks(register: Any) -> None:
    from .bench import BENCHMARKS

    for bench in BENCHMARKS:
        register(bench)
