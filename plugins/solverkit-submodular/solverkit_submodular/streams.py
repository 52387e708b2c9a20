"""The update streams S1-S5 of the method spec (section 5) and its instances (A)-(C).

Every stream is oblivious: computed from the data and a seed before any
algorithm runs. A stream is a list of ``("insert" | "delete", id)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .counting import CountingOracle
from .oracles import FacilityLocation, GraphCoverage, SetCoverage, dense_similarity
from .static import lazy_greedy

__all__ = ["sliding_window", "delete_largest_first", "random_mix", "delete_greedy_picks",
           "bursts", "STREAMS", "random_set_cover", "ba_graph_coverage", "digits_facility"]

Ops = list[tuple[str, int]]


def sliding_window(n: int, rng: np.random.Generator, window: int | None = None) -> Ops:
    """S1: insert in random order; once W = n/4 are live, each insert also deletes the
    element inserted W steps earlier; then drain. 2n updates."""
    w = max(1, n // 4 if window is None else window)
    order = rng.permutation(n).tolist()
    ops: Ops = []
    for t, e in enumerate(order):
        ops.append(("insert", e))
        if t >= w:
            ops.append(("delete", order[t - w]))
    ops += [("delete", e) for e in order[max(0, n - w):]]
    return ops


def delete_largest_first(n: int, rng: np.random.Generator, singles: np.ndarray) -> Ops:
    """S2: insert everything (random order), then delete in decreasing f({e})."""
    ops: Ops = [("insert", e) for e in rng.permutation(n).tolist()]
    by_value = sorted(range(n), key=lambda e: (-singles[e], e))
    return ops + [("delete", e) for e in by_value]


def random_mix(n: int, rng: np.random.Generator, steps: int | None = None,
               p_insert: float = 0.55) -> Ops:
    """S3: 2n updates, each an insert of a random non-live id with probability 0.55,
    else the delete of a random live id."""
    steps = 2 * n if steps is None else steps
    live: list[int] = []
    pos: dict[int, int] = {}
    free = rng.permutation(n).tolist()
    ops: Ops = []
    for _ in range(steps):
        if free and (not live or rng.random() < p_insert):
            e = free.pop()
            pos[e] = len(live)
            live.append(e)
            ops.append(("insert", e))
        else:
            j = int(rng.integers(len(live)))
            e = live[j]
            last = live.pop()
            if last != e:
                live[j] = last
                pos[last] = j
            del pos[e]
            free.insert(int(rng.integers(len(free) + 1)), e)
            ops.append(("delete", e))
    return ops


def delete_greedy_picks(n: int, rng: np.random.Generator, oracle: Any, k: int) -> Ops:
    """S4: insert everything, then repeatedly delete the k picks of (lazy) greedy on
    what is left (the stream that is hard for greedy kept up to date)."""
    ops: Ops = [("insert", e) for e in rng.permutation(n).tolist()]
    f = CountingOracle(oracle)
    singles = dict(zip(range(n), f.gains(f.empty(), np.arange(n)).tolist(), strict=False))
    live = set(range(n))
    while live:
        picks = lazy_greedy(f, sorted(live), k, singletons=singles).ids
        if not picks:  # only zero-value elements are left
            picks = sorted(live)[:k]
        ops += [("delete", e) for e in picks]
        live -= set(picks)
    return ops


def bursts(n: int, rng: np.random.Generator, steps: int | None = None,
           frac: float = 0.1) -> Ops:
    """S5: insert 10% of n (non-live ids, random), then delete 10% of the live set; repeat."""
    steps = 2 * n if steps is None else steps
    live: set[int] = set()
    ops: Ops = []
    size = max(1, int(frac * n))
    while len(ops) < steps:
        free = np.array(sorted(set(range(n)) - live))
        if free.size:
            for e in rng.choice(free, size=min(size, free.size), replace=False).tolist():
                ops.append(("insert", e))
                live.add(e)
        dead = rng.choice(np.array(sorted(live)), size=max(1, int(frac * len(live))),
                          replace=False).tolist()
        for e in dead:
            ops.append(("delete", e))
            live.discard(e)
    return ops[:steps]


STREAMS = {"S1": "sliding window W=n/4", "S2": "delete largest singleton first",
           "S3": "random mix, 55% inserts", "S4": "delete greedy's picks",
           "S5": "bursts of 10% inserts / 10% deletes"}


def make_stream(name: str, n: int, seed: int, oracle: Any, k: int) -> Ops:
    """Stream ``name`` (S1-S5) over ids 0..n-1 for ``oracle``."""
    rng = np.random.default_rng(seed)
    if name == "S1":
        return sliding_window(n, rng)
    if name == "S2":
        f = CountingOracle(oracle)
        return delete_largest_first(n, rng, f.gains(f.empty(), np.arange(n)))
    if name == "S3":
        return random_mix(n, rng)
    if name == "S4":
        return delete_greedy_picks(n, rng, oracle, k)
    if name == "S5":
        return bursts(n, rng)
    raise ValueError(f"unknown stream {name!r}; expected one of {sorted(STREAMS)}")


# -- instances (A)-(C) ---------------------------------------------------------------------------
def random_set_cover(n: int, seed: int, universe: int = 10_000, alpha: float = 1.5,
                     low: int = 5, high: int = 300) -> SetCoverage:
    """(A) n random sets over ``universe`` items; sizes low * (1 + Pareto(alpha)), cut at high."""
    rng = np.random.default_rng(seed)
    sizes = np.minimum(high, np.floor(low * (1.0 + rng.pareto(alpha, n)))).astype(int)
    return SetCoverage([rng.choice(universe, size=s, replace=False) for s in sizes],
                       universe=universe)


def ba_graph_coverage(n: int, seed: int, m: int = 5) -> GraphCoverage:
    """(B) Barabasi-Albert graph (networkx, m = 5); a vertex covers its closed neighbourhood."""
    import networkx as nx

    return GraphCoverage(nx.barabasi_albert_graph(n, m, seed=seed))


def digits_facility(kind: str = "rbf") -> FacilityLocation:
    """(C) facility location on scikit-learn's bundled digits (1797 x 64), dense similarity;
    f is measured against all 1797 points while candidates come and go."""
    from sklearn.datasets import load_digits

    X = load_digits().data
    return FacilityLocation(dense_similarity(X, kind=kind))
