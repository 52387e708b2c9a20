"""Exact answers for small instances: f of a set from scratch, and OPT by enumeration."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from typing import Any

from solverkit.problems.submodular import as_set_function

__all__ = ["value_of", "brute_force_opt"]


def value_of(f: Any, ids: Iterable[int]) -> float:
    """f(ids), evaluated from the empty state (uncounted)."""
    f = as_set_function(f)
    state = f.empty()
    for e in ids:
        state = f.add(state, int(e))
    return float(f.value(state))


def brute_force_opt(f: Any, ids: Iterable[int], k: int) -> tuple[float, tuple[int, ...]]:
    """max f(S) over S subset of ``ids`` with |S| <= k, by enumeration.

    Only for small ground sets: it evaluates sum_{r<=k} C(n, r) sets.
    """
    ids = [int(e) for e in ids]
    best, arg = value_of(f, []), ()
    for r in range(1, min(k, len(ids)) + 1):
        for combo in itertools.combinations(ids, r):
            v = value_of(f, combo)
            if v > best:
                best, arg = v, combo
    return best, arg
