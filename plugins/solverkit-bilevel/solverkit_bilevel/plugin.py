"""pluggy hook implementations: the plugin's solvers and benchmark suites."""

from __future__ import annotations

from typing import Any

import solverkit


@solverkit.hookimpl
def solverkit_register_solvers(register: Any) -> None:
    # Imported here so that loading the plugin stays cheap.
    from .penalty import PenaltySolver

    for cls in (PenaltySolver,):
        register(cls)


@solverkit.hookimpl
def solverkit_register_benchmarks(register: Any) -> None:
    return None
