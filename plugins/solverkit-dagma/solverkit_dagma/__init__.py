"""solverkit-dagma: learn DAGs from data with DAGMA (log-det acyclicity) and NOTEARS.

Solvers (``solverkit.solve(problem, method=...)`` on a
:class:`solverkit.StructureLearning` problem): ``dagma``, ``dagma-mlp`` and ``notears``.

The simulation and evaluation helpers follow the conventions of the field
(NOTEARS / DAGMA utilities) and live in :mod:`solverkit_dagma.utils`;
:class:`solverkit_dagma.compat.DagmaLinear` is a drop-in for the reference
``dagma.linear.DagmaLinear``. Heavy modules are imported lazily so that
``import solverkit_dagma`` stays cheap.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "simulate_dag": "utils",
    "simulate_parameter": "utils",
    "simulate_linear_sem": "utils",
    "simulate_nonlinear_sem": "utils",
    "count_accuracy": "utils",
    "is_dag": "utils",
    "DagmaLinear": "compat",
}

__all__ = [*_LAZY, "__version__"]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module = importlib.import_module(f".{_LAZY[name]}", __name__)
        return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
