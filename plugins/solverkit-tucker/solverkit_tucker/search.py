"""Searches over core shapes on the spectral surrogate.

All searches maximise ``sum_n Head_n(R_n)`` (equivalently minimise the
surrogate loss ``sum_n Tail_n(R_n)``) subject to
``size(R) = prod_n R_n + sum_n I_n R_n <= c``:

* :func:`exact_shape` -- the exact optimum: a dynamic program over modes
  that keeps, per distinct core product, the staircase of (linear cost ->
  best head sum), prunes with an upper bound against a greedy incumbent, and
  fills the last mode in closed form;
* :func:`exhaustive_shape` -- plain enumeration of every shape (the oracle);
* :func:`greedy_shape` -- add 1 to the mode with the largest next singular
  value (hosvd-greedy) or the largest gain per parameter (bang-for-buck).

Ties in the surrogate value are broken towards the larger size, then the
lexicographically smaller shape.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import numpy as np

from .spectra import Spectra

__all__ = ["exact_shape", "exhaustive_shape", "greedy_shape", "tucker_size", "neighbours", "fill",
           "SearchTimeout", "powered", "minmax_shape"]


class SearchTimeout(Exception):
    """Raised inside a search when the caller's time check says stop."""


def tucker_size(shape: tuple[int, ...], ranks: tuple[int, ...]) -> int:
    """``prod(ranks) + sum(I_n * R_n)`` in exact integer arithmetic."""
    prod = 1
    for r in ranks:
        prod *= int(r)
    return prod + sum(int(i) * int(r) for i, r in zip(shape, ranks, strict=True))


def _better(value: float, size: int, ranks: tuple[int, ...],
            best: tuple[float, int, tuple[int, ...]] | None) -> bool:
    """Strictly larger value; on a tie, larger size; then lexicographically smaller shape."""
    if best is None:
        return True
    bv, bs, br = best
    if value != bv:
        return value > bv
    if size != bs:
        return size > bs
    return ranks < br


def _caps(spec: Spectra, budget: int) -> list[int]:
    """Largest rank each mode can take within the budget (others at rank 1)."""
    shape = spec.shape
    base = sum(shape)
    caps = []
    for n, i_n in enumerate(shape):
        # r + I_n r + sum_{m != n} I_m <= c  (product with other ranks 1 is r)
        rest = base - i_n
        caps.append(int(max(1, min(i_n, spec.known[n], (budget - rest) // (1 + i_n)))))
    return caps


def greedy_shape(spec: Spectra, budget: int, per_parameter: bool = False) -> tuple[int, ...]:
    """Grow one mode at a time on the spectra (the paper's hosvd-greedy / bang-for-buck).

    Starting from all ranks 1, repeatedly add 1 to the mode whose next
    squared singular value (divided by the size increase when
    ``per_parameter``) is largest among the moves that still fit; stop when
    nothing fits.
    """
    shape = spec.shape
    ranks = [1] * len(shape)
    size = tucker_size(shape, tuple(ranks))
    prod = 1
    while True:
        best, best_n = -1.0, -1
        for n, i_n in enumerate(shape):
            r = ranks[n]
            if r >= min(i_n, spec.known[n]):
                continue
            grow = prod // r + i_n  # size increase: prod_{m != n} R_m + I_n
            if size + grow > budget:
                continue
            gain = float(spec.sigma2[n][r])
            if per_parameter:
                gain /= grow
            if gain > best:
                best, best_n = gain, n
        if best_n < 0:
            return tuple(ranks)
        r = ranks[best_n]
        size += prod // r + shape[best_n]
        prod = prod // r * (r + 1)
        ranks[best_n] = r + 1


def exhaustive_shape(spec: Spectra, budget: int,
                     max_shapes: int = 20_000_000) -> tuple[tuple[int, ...], float]:
    """Exact surrogate optimum by enumerating every shape (the test oracle).

    Returns the best shape and its head sum. Raises ``ValueError`` when more
    than ``max_shapes`` shapes would have to be enumerated.
    """
    caps = _caps(spec, budget)
    count = int(np.prod(caps, dtype=np.float64))
    if count > max_shapes:
        raise ValueError(
            f"exhaustive search would enumerate {count:.3g} shapes (ranks up to {caps}); "
            f"at most max_shapes={max_shapes} are allowed: use tucker-shape for tensors this big"
        )
    grids = np.meshgrid(*[np.arange(1, c + 1, dtype=np.int64) for c in caps], indexing="ij")
    ranks = np.stack([g.ravel() for g in grids], axis=1)
    size = np.prod(ranks, axis=1) + ranks @ np.asarray(spec.shape, dtype=np.int64)
    ok = size <= budget
    ranks, size = ranks[ok], size[ok]
    value = np.zeros(len(ranks))
    for n in range(spec.ndim):
        value += spec.heads[n][ranks[:, n]]
    top = value.max()
    tied = np.flatnonzero(value == top)
    # Tie-break: larger size, then lexicographically smaller ranks (rows are lexicographic).
    sizes = size[tied]
    pick = tied[np.flatnonzero(sizes == sizes.max())[0]]
    return tuple(int(r) for r in ranks[pick]), float(value[pick])


def _upper_bound(spec: Spectra, order: list[int], k: int, prod: np.ndarray, lin: np.ndarray,
                 head: np.ndarray, budget: int, rest_min: int) -> np.ndarray:
    """Upper bound on the best completion of each partial state.

    Each remaining mode ``m`` alone can reach at most ``r_m`` with
    ``prod * r_m + lin + I_m r_m + (other remaining I) <= c`` (other remaining
    ranks at least 1 only make it smaller), and ``Head_m`` is monotone.
    """
    ub = head.copy()
    for m in order[k:]:
        i_m = spec.shape[m]
        slack = budget - lin - (rest_min - i_m)
        r = np.minimum(np.maximum(slack // (prod + i_m), 0), min(i_m, spec.known[m]))
        ub += spec.heads[m][r]
    return ub


def exact_shape(spec: Spectra, budget: int, time_check: Callable[[], bool] | None = None,
                ) -> tuple[tuple[int, ...], float]:
    """Exact optimum of the surrogate ``max sum_n Head_n(R_n)`` s.t. ``size(R) <= c``.

    Modes are processed smallest first; the largest mode is filled last in
    closed form, ``R_N = min(I_N, floor((c - L) / (P + I_N)))`` (``Head_N``
    never decreases, so the largest feasible rank is optimal). For the other
    modes the states ``(P = prod, L = linear cost, H = head sum)`` are
    expanded with every feasible rank and pruned:

    * a state whose best completion cannot reach the greedy incumbent
      (an upper bound per remaining mode) is dropped;
    * among states with the same product ``P``, one is dropped when another
      has ``L' <= L`` and ``H' >= H`` (it can complete every way the first can).

    Both prunings keep an optimal shape, so the value is exact. Ties are
    broken towards the larger size among the surviving states, then the shape
    is grown while feasible (:func:`fill`), so it is maximal.

    Returns
    -------
    ranks : tuple of int
    head_sum : float
    """
    shape = spec.shape
    n_modes = len(shape)
    limit = [min(i, k) for i, k in zip(shape, spec.known, strict=True)]
    order = sorted(range(n_modes), key=lambda m: (shape[m], m))
    last = order[-1]
    # Incumbent: the better greedy shape. Strict "<" pruning keeps ties alive.
    incumbent = max(spec.head_sum(greedy_shape(spec, budget, p)) for p in (False, True))
    prod = np.ones(1, dtype=np.int64)
    lin = np.zeros(1, dtype=np.int64)
    head = np.zeros(1)
    choice = np.zeros((1, 0), dtype=np.int32)
    rest_min = sum(shape)  # sum of I_m over the modes not yet fixed
    for k, m in enumerate(order[:-1]):
        if time_check is not None and time_check():
            raise SearchTimeout
        i_m = shape[m]
        rest_min -= i_m
        r = np.arange(1, limit[m] + 1, dtype=np.int64)
        p2 = prod[:, None] * r[None, :]
        l2 = lin[:, None] + i_m * r[None, :]
        ok = p2 + l2 + rest_min <= budget  # remaining modes at rank 1 must still fit
        rows, cols = np.nonzero(ok)
        prod, lin = p2[rows, cols], l2[rows, cols]
        head = head[rows] + spec.heads[m][cols + 1]
        choice = np.concatenate([choice[rows], (cols + 1)[:, None].astype(np.int32)], axis=1)
        keep = _upper_bound(spec, order, k + 1, prod, lin, head, budget, rest_min) \
            >= incumbent * (1 - 1e-12)
        prod, lin, head, choice = prod[keep], lin[keep], head[keep], choice[keep]
        keep = _staircase(prod, lin, head)
        prod, lin, head, choice = prod[keep], lin[keep], head[keep], choice[keep]
    # Last (largest) mode in closed form.
    i_n = shape[last]
    r_last = np.minimum((budget - lin) // (prod + i_n), limit[last])
    ok = r_last >= 1
    prod, lin, head, choice, r_last = prod[ok], lin[ok], head[ok], choice[ok], r_last[ok]
    value = head + spec.heads[last][r_last]
    size = prod * r_last + lin + i_n * r_last
    top = value.max()
    tied = np.flatnonzero(value == top)
    full = np.zeros((len(tied), n_modes), dtype=np.int64)
    for j, m in enumerate(order[:-1]):
        full[:, m] = choice[tied, j]
    full[:, last] = r_last[tied]
    # Deterministic tie-break: larger size, then lexicographically smaller shape.
    idx = np.lexsort(tuple(full[:, m] for m in reversed(range(n_modes))) + (-size[tied],))
    best = fill(spec, tuple(int(v) for v in full[idx[0]]), budget)
    return best, spec.head_sum(best)


def _staircase(prod: np.ndarray, lin: np.ndarray, head: np.ndarray) -> np.ndarray:
    """Mask of the states not dominated within their product group.

    Sort by (P, L, -H); within a group of equal P keep a state only if its H
    is strictly larger than every H at a smaller or equal L (a state with the
    same P, no smaller L and no larger H completes no better).
    """
    if len(prod) <= 1:
        return np.ones(len(prod), dtype=bool)
    order = np.lexsort((-head, lin, prod))
    p = prod[order]
    # Exact group-wise running maximum: H replaced by its dense integer rank and
    # offset by the group index, so one global maximum.accumulate does every group.
    _, h_rank = np.unique(head[order], return_inverse=True)
    group = np.concatenate(([0], np.cumsum(p[1:] != p[:-1])))
    key = group.astype(np.int64) * (len(p) + 1) + h_rank.astype(np.int64)
    prev = np.concatenate(([-1], np.maximum.accumulate(key)[:-1]))
    keep = np.zeros(len(prod), dtype=bool)
    keep[order] = key > prev
    return keep


def fill(spec: Spectra, ranks: tuple[int, ...], budget: int) -> tuple[int, ...]:
    """Raise ranks while the budget allows (largest next singular value first).

    ``Head_n`` never decreases, so this never lowers the surrogate value; on
    an optimum it only breaks ties towards a maximal shape (no feasible +1).
    """
    shape = spec.shape
    cur = list(ranks)
    while True:
        best, best_n = -1.0, -1
        for n in range(len(shape)):
            if cur[n] >= min(shape[n], spec.known[n]):
                continue
            cand = cur.copy()
            cand[n] += 1
            if tucker_size(shape, tuple(cand)) <= budget and spec.sigma2[n][cur[n]] > best:
                best, best_n = float(spec.sigma2[n][cur[n]]), n
        if best_n < 0:
            return tuple(cur)
        cur[best_n] += 1


def neighbours(spec: Spectra, ranks: tuple[int, ...], budget: int) -> list[tuple[int, ...]]:
    """Feasible shapes one step from ``ranks``: lower one mode by 1, then refill another.

    For each ordered pair of modes ``(a, b)``, decrease ``R_a`` by one and
    raise ``R_b`` as far as the budget allows. These are the natural
    alternatives to the surrogate optimum when the true loss disagrees.
    Sorted by surrogate value, best first.
    """
    shape = spec.shape
    out = set()
    for a, b in itertools.permutations(range(len(shape)), 2):
        if ranks[a] <= 1:
            continue
        cand = list(ranks)
        cand[a] -= 1
        others = tucker_size(shape, tuple(cand)) - shape[b] * cand[b] - \
            int(np.prod(cand, dtype=np.int64))
        prod_others = int(np.prod([c for j, c in enumerate(cand) if j != b], dtype=np.int64))
        cand[b] = int(min(shape[b], spec.known[b], (budget - others) // (prod_others + shape[b])))
        if cand[b] >= 1 and tuple(cand) != tuple(ranks):
            out.add(tuple(cand))
    return sorted(out, key=lambda s: (-spec.head_sum(s), -tucker_size(shape, s), s))


def powered(spec: Spectra, p: float) -> Spectra:
    """The surrogate ``sum_n (Tail_n(R_n) / ||X||^2)^p`` written as heads for the same searches.

    ``p = 1`` is the paper's surrogate (an upper bound on the loss); larger
    ``p`` moves towards the lower bound ``max_n Tail_n`` (``p -> inf``). Heads
    are ``1 - (Tail_n / ||X||^2)^p``, still non-decreasing in the rank, so
    :func:`exact_shape` finds the exact optimum of each.
    """
    total = spec.total if spec.total > 0 else 1.0
    heads = [np.maximum.accumulate(1.0 - (np.maximum(total - h, 0.0) / total) ** p)
             for h in spec.heads]
    sigma2 = [np.diff(h) for h in heads]
    return Spectra(spec.shape, tuple(sigma2), 1.0, tuple(heads), spec.known)


def minmax_shape(spec: Spectra, budget: int) -> tuple[int, ...]:
    """Exact minimiser of the lower bound ``max_n Tail_n(R_n)`` under the budget, made maximal.

    For a threshold ``t`` the cheapest shape with every ``Tail_n <= t`` takes,
    per mode, the smallest rank reaching it; its size decreases as ``t`` grows,
    so a bisection over the candidate thresholds (all tail values) finds the
    smallest feasible ``t``. Remaining budget is then spent by :func:`fill`.
    """
    tails = [np.maximum(spec.total - h[: k + 1], 0.0)
             for h, k in zip(spec.heads, spec.known, strict=True)]
    levels = np.unique(np.concatenate(tails))

    def shape_for(t: float) -> tuple[int, ...]:
        # tails are non-increasing: first index (rank) whose tail is <= t, at least 1
        return tuple(max(1, int(np.argmax(tl <= t)) if np.any(tl <= t) else len(tl) - 1)
                     for tl in tails)

    lo, hi = 0, len(levels) - 1  # levels[-1] = the all-ones tails' max: always feasible
    while lo < hi:
        mid = (lo + hi) // 2
        if tucker_size(spec.shape, shape_for(levels[mid])) <= budget:
            hi = mid
        else:
            lo = mid + 1
    return fill(spec, shape_for(levels[lo]), budget)
