"""solverkit-submodular: monotone submodular maximisation under |S| <= k, static and fully dynamic.

Solvers (by name, through ``solverkit.solve`` / ``solverkit.open``): ``greedy``,
``lazy-greedy``, ``stochastic-greedy``, ``sieve-streaming`` (static) and
``dynamic-submodular``, ``greedy-recompute``, ``sieve-rerun`` (dynamic).
Oracles: :class:`SetCoverage`, :class:`WeightedCoverage`, :class:`GraphCoverage`,
:class:`FacilityLocation` (dense or sparse k-NN similarity) and any callable f(S).
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# Loaded on first use so that listing plugins (which imports this package) stays cheap:
# the oracles need scipy.sparse.
_LAZY = {
    "CountingOracle": "counting",
    "OracleError": "counting",
    "SetCoverage": "oracles",
    "WeightedCoverage": "oracles",
    "GraphCoverage": "oracles",
    "FacilityLocation": "oracles",
    "dense_similarity": "oracles",
    "knn_similarity": "oracles",
}

__all__ = list(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
