"""Static algorithms for max f(S), |S| <= k: greedy, lazy greedy, stochastic greedy, sieve.

Each function takes a :class:`~solverkit_submodular.counting.CountingOracle`
(so every call is counted by the same rule), the candidate ids and k, and
returns a :class:`Picks`. ``report(nit, picks) -> bool`` is called once per
round (per pick, or per element for the one-pass sieve); True stops early and
the picks so far are returned.

Ties are broken by the smallest id everywhere, so ``lazy_greedy`` returns
exactly ``greedy``'s picks (same order) whenever f is submodular.
"""

from __future__ import annotations

import dataclasses
import heapq
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .counting import CountingOracle

__all__ = ["Picks", "greedy", "lazy_greedy", "stochastic_greedy", "sieve_streaming",
           "guess_range"]

Report = Callable[[int, "Picks"], bool]


@dataclasses.dataclass
class Picks:
    """The chosen ids in pick order, their gains and the final state."""

    ids: list[int] = dataclasses.field(default_factory=list)
    gains: list[float] = dataclasses.field(default_factory=list)
    state: Any = None
    rounds: int = 0
    stopped: bool = False
    total: float = 0.0
    notes: dict[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def gain(self) -> float:
        """f(S) - f({}), summed from the counted gains (no extra call)."""
        return self.total

    def take(self, oracle: CountingOracle, e: int, g: float) -> None:
        self.ids.append(int(e))
        self.gains.append(float(g))
        self.total += float(g)
        self.state = oracle.add(self.state, int(e))


def _never(nit: int, picks: Picks) -> bool:
    return False


def greedy(oracle: CountingOracle, ids: Any, k: int, report: Report = _never) -> Picks:
    """Nemhauser-Wolsey-Fisher greedy: k rounds, each evaluates every remaining gain.

    Stops early when the best gain is <= 0 (nothing left to add). About k n calls.
    """
    remaining = np.sort(np.asarray(ids, dtype=np.int64))
    picks = Picks(state=oracle.empty())
    for r in range(1, k + 1):
        if remaining.size == 0:
            break
        g = oracle.gains(picks.state, remaining)
        j = int(np.argmax(g))  # first maximum = smallest id among ties
        if g[j] <= 0:
            break
        picks.take(oracle, int(remaining[j]), float(g[j]))
        remaining = np.delete(remaining, j)
        picks.rounds = r
        if report(r, picks):
            picks.stopped = True
            break
    return picks


def lazy_greedy(oracle: CountingOracle, ids: Any, k: int, report: Report = _never,
                singletons: dict[int, float] | None = None) -> Picks:
    """Minoux's lazy greedy: stale gains are upper bounds kept in a max-heap.

    The top is re-evaluated; once the top's gain is fresh for this round it is
    the exact argmax (ties by smallest id, like :func:`greedy`). ``singletons``
    (a cache of f({e}) - f({})) skips the first round's queries.
    """
    ids = np.sort(np.asarray(ids, dtype=np.int64))
    if singletons is None:
        first = oracle.gains(oracle.empty(), ids).tolist()
    else:
        first = [singletons[e] for e in ids.tolist()]
    heap = [(-g, e, 1) for g, e in zip(first, ids.tolist(), strict=False)]
    heapq.heapify(heap)
    picks = Picks(state=oracle.empty())
    violations = 0
    for r in range(1, k + 1):
        while heap:
            neg, e, fresh = heap[0]
            if fresh == r:
                break
            g = oracle.gain(picks.state, e)
            if g > -neg + 1e-9 * max(1.0, -neg):  # a gain grew: f is not submodular
                violations += 1
            heapq.heapreplace(heap, (-g, e, r))
        if not heap or -heap[0][0] <= 0:
            break
        neg, e, _ = heapq.heappop(heap)
        picks.take(oracle, e, -neg)
        picks.rounds = r
        if report(r, picks):
            picks.stopped = True
            break
    picks.notes["submodularity_violations"] = violations
    return picks


def stochastic_greedy(oracle: CountingOracle, ids: Any, k: int, rng: np.random.Generator,
                      delta: float = 0.01, report: Report = _never) -> Picks:
    """Mirzasoleiman et al. (2015): each round takes the best of (n/k) ln(1/delta) random ids."""
    remaining = np.sort(np.asarray(ids, dtype=np.int64))
    n = remaining.size
    sample = max(1, math.ceil(n / k * math.log(1.0 / delta)))
    picks = Picks(state=oracle.empty())
    for r in range(1, k + 1):
        if remaining.size == 0:
            break
        s = min(sample, remaining.size)
        pos = np.sort(rng.choice(remaining.size, size=s, replace=False))
        g = oracle.gains(picks.state, remaining[pos])
        j = int(np.argmax(g))
        if g[j] > 0:  # a zero best means this sample is useless; the next may not be
            picks.take(oracle, int(remaining[pos[j]]), float(g[j]))
            remaining = np.delete(remaining, pos[j])
        picks.rounds = r
        if report(r, picks):
            picks.stopped = True
            break
    return picks


def guess_range(m: float, hi_factor: float, eps: float) -> range:
    """Grid exponents i with m <= (1+eps)^i <= hi_factor * m (empty when m <= 0)."""
    if m <= 0:
        return range(0)
    base = math.log1p(eps)
    lo = math.ceil(math.log(m) / base - 1e-9)
    hi = math.floor(math.log(hi_factor * m) / base + 1e-9)
    return range(lo, hi + 1)


def sieve_streaming(oracle: CountingOracle, order: Any, k: int, eps: float = 0.2,
                    report: Report = _never,
                    singletons: dict[int, float] | None = None) -> tuple[Picks, dict[int, Picks]]:
    """Badanidiyuru et al. (2014) sieve-streaming, one pass over ``order``.

    One set S_v per guess v = (1+eps)^i in [m, 2 k m], m the running maximum
    singleton; e joins S_v if |S_v| < k and Delta(e | S_v) >= (v/2 - f(S_v)) / (k - |S_v|).
    A guess appearing mid-stream starts empty (elements before it were below
    its threshold). An element whose singleton is already below the threshold
    is skipped without a query (its gain is at most its singleton).

    Returns the best guess's picks and all guesses (for re-use by sieve-rerun).
    """
    empty = oracle.empty()
    guesses: dict[int, Picks] = {}
    m = 0.0
    order = [int(e) for e in np.asarray(order, dtype=np.int64).reshape(-1)]
    for t, e in enumerate(order, 1):
        s = singletons[e] if singletons is not None else oracle.gain(empty, e)
        if s > m:
            m = s
            grid = guess_range(m, 2.0 * k, eps)
            for i in list(guesses):
                if i < grid.start:
                    del guesses[i]
            for i in grid:
                if i not in guesses:
                    guesses[i] = Picks(state=empty)
        sieve_offer(oracle, guesses, e, s, k, eps)
        if report(t, _best(guesses)):
            break
    best = _best(guesses)
    best.rounds = len(order)
    return best, guesses


def sieve_offer(oracle: CountingOracle, guesses: dict[int, Picks], e: int, s: float, k: int,
                eps: float) -> None:
    """Offer element e (singleton gain s) to every guess of a sieve."""
    base = math.log1p(eps)
    for i, p in guesses.items():
        size = len(p.ids)
        if size >= k:
            continue
        thr = (math.exp(i * base) / 2.0 - p.gain) / (k - size)
        if s < thr:
            continue
        g = s if size == 0 else oracle.gain(p.state, e)
        if g >= thr and g > 0:
            p.take(oracle, e, g)


def _best(guesses: dict[int, Picks]) -> Picks:
    if not guesses:
        return Picks()
    return max(guesses.values(), key=lambda p: (p.gain, -len(p.ids)))
