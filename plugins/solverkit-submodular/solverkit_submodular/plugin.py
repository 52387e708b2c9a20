"""solverkit hook implementations of the submodular plugin (imports stay lazy)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import solverkit


@solverkit.hookimpl
def solverkit_register_solvers(register: Callable[[type], None]) -> None:
    from .solvers import SOLVERS

    for cls in SOLVERS:
        register(cls)


@solverkit.hookimpl
def solverkit_register_benchmarks(register: Callable[[Any], None]) -> None:
    from .bench import BENCHMARKS

    for bench in BENCHMARKS:
        register(bench)
