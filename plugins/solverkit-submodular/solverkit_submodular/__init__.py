"""solverkit-submodular: monotone submodular maximisation under |S| <= k, static and fully dynamic.

Solvers (by name, through ``solverkit.solve`` / ``solverkit.open``): ``greedy``,
``lazy-greedy``, ``stochastic-greedy``, ``sieve-streaming`` (static) and
``dynamic-submodular``, ``greedy-recompute``, ``sieve-rerun`` (dynamic).
Oracles: :class:`SetCoverage`, :class:`WeightedCoverage`, :class:`GraphCoverage`,
:class:`FacilityLocation` (dense or sparse k-NN similarity) and any callable f(S).
"""

from .counting import CountingOracle, OracleError
from .oracles import (
    FacilityLocation,
    GraphCoverage,
    SetCoverage,
    WeightedCoverage,
    dense_similarity,
    knn_similarity,
)

__version__ = "0.1.0"

__all__ = [
    "CountingOracle",
    "OracleError",
    "SetCoverage",
    "WeightedCoverage",
    "GraphCoverage",
    "FacilityLocation",
    "dense_similarity",
    "knn_similarity",
]
