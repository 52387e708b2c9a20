"""The core's own hook implementations (registered first, hidden from listings)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

from .hookspecs import hookimpl

_last_print: dict[str, float] = {}


@hookimpl(trylast=True)
def solverkit_solve(solver: Any, problem: Any, options: Any, progress: Any) -> Any:
    """Innermost implementation: run the solver itself."""
    return solver.solve(problem, options, progress)


@hookimpl
def solverkit_progress(event: Any) -> None:
    """The ``verbose=True`` display: one stderr line at most every 0.5 s per solver."""
    if not event.verbose:
        return
    now = time.perf_counter()
    if not event.final and event.nit > 1 and now - _last_print.get(event.solver, -1e9) < 0.5:
        return
    _last_print[event.solver] = now
    parts = [f"[{event.solver}] it {event.nit:>6d}", f"{event.elapsed:8.2f}s"]
    if event.fun is not None:
        parts.append(f"fun {float(event.fun): .6e}")
    for key, value in list(event.info.items())[:4]:
        if isinstance(value, (int, float)) or hasattr(value, "__float__"):
            try:
                parts.append(f"{key} {float(value):.3g}")
            except (TypeError, ValueError):
                continue
    print("  ".join(parts), file=sys.stderr, flush=True)


@hookimpl
def solverkit_register_benchmarks(register: Callable[[Any], None]) -> None:
    from .corebench import CORE_BENCHMARK

    register(CORE_BENCHMARK)
