"""Exact answers for small instances: f of a set from scratch, and OPT by enumeration."""

from __future__ import annotations

import copy
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

    Only for small ground sets: it visits sum_{r<=k} C(n, r) sets, each one
    ``add`` away from its parent in a depth-first walk.
    """
    f = as_set_function(f)
    ids = [int(e) for e in ids]
    empty = f.empty()
    best = [float(f.value(empty)), ()]

    def walk(start: int, state: Any, chosen: tuple[int, ...]) -> None:
        if len(chosen) == k:
            return
        for j in range(start, len(ids)):
            nxt = f.add(copy.deepcopy(state), ids[j])
            picked = chosen + (ids[j],)
            v = float(f.value(nxt))
            if v > best[0]:
                best[0], best[1] = v, picked
            walk(j + 1, nxt, picked)

    walk(0, empty, ())
    return best[0], best[1]
