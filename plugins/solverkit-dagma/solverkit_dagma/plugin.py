"""solverkit hook implementations (imports stay lazy to keep plugin loading cheap)."""

from __future__ import annotations

from typing import Any

import solverkit


@solverkit.hookimpl
def solverkit_register_solvers(register: Any) -> None:
    from .solvers import DagmaMLPSolver, DagmaSolver, NotearsSolver

    register(DagmaSolver)
    register(DagmaMLPSolver)
    register(NotearsSolver)


@solverkit.hookimpl
def solverkit_register_benchmarks(register: Any) -> None:
    from .bench import BENCHMARKS
    from .bench_large import BENCHMARKS as LARGE_BENCHMARKS
    from .bench_mlp import BENCHMARKS as MLP_BENCHMARKS

    for bench in (*BENCHMARKS, *LARGE_BENCHMARKS, *MLP_BENCHMARKS):
        register(bench)
