"""Budgeted rank selection for a tensor train (the paper's path-tree extension).

A tensor train of ``X`` (``I_1 x ... x I_N``) with ranks ``r_1..r_{N-1}``
(``r_0 = r_N = 1``) stores ``size(r) = sum_n r_{n-1} I_n r_n`` numbers. Edge
``k`` splits the modes into ``1..k | k+1..N``; its spectrum is that of the
sequential unfolding ``X<k>`` (``I_1...I_k x I_{k+1}...I_N``). TT-SVD
(Oseledets 2011) satisfies ``||X - X_TT||^2 <= sum_k Tail_k(r_k)``, and every
TT model of those ranks has error ``>= max_k Tail_k(r_k)`` (Eckart-Young on
each unfolding). The surrogate ``max sum_k Head_k(r_k)`` s.t. ``size <= c`` is
solved exactly by a dynamic program along the path: the state after edge
``k`` is ``(r_k, cost so far, head sum)``; states with the same ``r_k`` are
pruned to their (cost -> best head) staircase and against a greedy incumbent.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import numpy as np

from .search import SearchTimeout

__all__ = ["tt_spectra", "tt_size", "tt_exact", "tt_exhaustive", "tt_greedy", "tt_svd",
           "tt_reconstruct", "TTSpectra", "valid_tt"]


class TTSpectra:
    """Squared singular values of the sequential unfoldings ``X<1>..X<N-1>``."""

    def __init__(self, shape: tuple[int, ...], sigma2: list[np.ndarray], total: float) -> None:
        self.shape = shape
        self.sigma2 = sigma2
        self.total = total
        self.heads = []
        for v in sigma2:
            h = np.minimum(np.concatenate(([0.0], np.cumsum(v))), total)
            h[-1] = total
            self.heads.append(h)
        self.max_rank = [len(v) for v in sigma2]

    def head_sum(self, ranks: tuple[int, ...]) -> float:
        return float(sum(h[r] for h, r in zip(self.heads, ranks, strict=True)))

    def sum_tail(self, ranks: tuple[int, ...]) -> float:
        return float(sum(max(self.total - h[r], 0.0)
                         for h, r in zip(self.heads, ranks, strict=True)))

    def max_tail(self, ranks: tuple[int, ...]) -> float:
        return float(max(max(self.total - h[r], 0.0)
                         for h, r in zip(self.heads, ranks, strict=True)))


def tt_spectra(tensor: np.ndarray) -> TTSpectra:
    """Spectra of every sequential unfolding (Gram of the smaller side + eigvalsh)."""
    x = np.ascontiguousarray(tensor, dtype=np.float64)
    total = float(np.vdot(x, x))
    sigma2 = []
    for k in range(1, x.ndim):
        rows = int(np.prod(x.shape[:k]))
        m = x.reshape(rows, -1)  # a view: sequential unfoldings need no transpose
        g = m @ m.T if rows <= m.shape[1] else m.T @ m
        v = np.clip(np.linalg.eigvalsh(g)[::-1], 0.0, None)
        sigma2.append(np.minimum.accumulate(v[: min(m.shape)]))
    return TTSpectra(tuple(x.shape), sigma2, total)


def tt_size(shape: tuple[int, ...], ranks: tuple[int, ...]) -> int:
    """``sum_n r_{n-1} I_n r_n`` with ``r_0 = r_N = 1``."""
    r = (1, *[int(q) for q in ranks], 1)
    return sum(r[n] * int(shape[n]) * r[n + 1] for n in range(len(shape)))


def tt_greedy(spec: TTSpectra, budget: int) -> tuple[int, ...]:
    """Raise the edge rank with the best next singular value per added parameter."""
    shape = spec.shape
    ranks = [1] * (len(shape) - 1)
    size = tt_size(shape, tuple(ranks))
    while True:
        best, pick, pick_size = -1.0, -1, 0
        for k in range(len(ranks)):
            if ranks[k] >= spec.max_rank[k] or not _valid_up(spec.shape, ranks, k):
                continue
            cand = ranks.copy()
            cand[k] += 1
            new = tt_size(shape, tuple(cand))
            if new > budget:
                continue
            gain = float(spec.sigma2[k][ranks[k]]) / (new - size)
            if gain > best:
                best, pick, pick_size = gain, k, new
        if pick < 0:
            return tuple(ranks)
        ranks[pick] += 1
        size = pick_size


def _valid_up(shape: tuple[int, ...], ranks: list[int], k: int) -> bool:
    """Whether ``r_k + 1`` keeps ``r_k <= r_{k-1} I_k`` (what TT-SVD can realise)."""
    left = 1 if k == 0 else ranks[k - 1]
    return ranks[k] + 1 <= left * shape[k]


def valid_tt(shape: tuple[int, ...], ranks: tuple[int, ...]) -> bool:
    """``r_k <= r_{k-1} I_k`` for every edge (``r_0 = 1``): TT-SVD realises these ranks."""
    r = (1, *ranks)
    return all(r[k + 1] <= r[k] * shape[k] for k in range(len(ranks)))


def tt_exhaustive(spec: TTSpectra, budget: int) -> tuple[tuple[int, ...], float]:
    """Every rank tuple (small tensors only): the oracle for :func:`tt_exact`."""
    best: tuple[float, int, tuple[int, ...]] | None = None
    for ranks in itertools.product(*[range(1, m + 1) for m in spec.max_rank]):
        size = tt_size(spec.shape, ranks)
        if size > budget or not valid_tt(spec.shape, ranks):
            continue
        value = spec.head_sum(ranks)
        if best is None or (value, size) > best[:2]:
            best = (value, size, ranks)
    assert best is not None
    return best[2], best[0]


def tt_exact(spec: TTSpectra, budget: int,
             time_check: Callable[[], bool] | None = None) -> tuple[tuple[int, ...], float]:
    """Exact surrogate optimum by a DP along the train (see the module docstring)."""
    shape = spec.shape
    n_edges = len(shape) - 1
    incumbent = spec.head_sum(tt_greedy(spec, budget))
    # Minimum cost of cores k+1..N-1 (0-based) with every later rank 1, given r_k = 1.
    tail_min = [sum(shape[j] for j in range(k + 1, len(shape))) for k in range(len(shape))]
    r = np.arange(1, min(spec.max_rank[0], shape[0]) + 1, dtype=np.int64)
    cost = shape[0] * r
    head = spec.heads[0][r].astype(float)
    rank = r.copy()
    choice = r[:, None].astype(np.int32)
    for k in range(1, n_edges):
        if time_check is not None and time_check():
            raise SearchTimeout
        r = np.arange(1, spec.max_rank[k] + 1, dtype=np.int64)
        c2 = cost[:, None] + rank[:, None] * shape[k] * r[None, :]
        ok = (c2 + r[None, :] * shape[k + 1] + tail_min[k + 1] <= budget) \
            & (r[None, :] <= rank[:, None] * shape[k])
        rows, cols = np.nonzero(ok)
        cost, rank = c2[rows, cols], r[cols]
        head = head[rows] + spec.heads[k][rank]
        choice = np.concatenate([choice[rows], rank[:, None].astype(np.int32)], axis=1)
        keep = _bound(spec, k, rank, cost, head, budget) >= incumbent * (1 - 1e-12)
        cost, rank, head, choice = cost[keep], rank[keep], head[keep], choice[keep]
        keep = _staircase(rank, cost, head)
        cost, rank, head, choice = cost[keep], rank[keep], head[keep], choice[keep]
    total_cost = cost + rank * shape[-1]
    ok = total_cost <= budget
    head, choice, total_cost = head[ok], choice[ok], total_cost[ok]
    top = head.max()
    tied = np.flatnonzero(head == top)
    pick = tied[np.argmax(total_cost[tied])]
    return tuple(int(v) for v in choice[pick]), float(top)


def _bound(spec: TTSpectra, k: int, rank: np.ndarray, cost: np.ndarray, head: np.ndarray,
           budget: int) -> np.ndarray:
    """Upper bound on the best completion after edge ``k`` (0-based)."""
    shape, n_edges = spec.shape, len(spec.shape) - 1
    ub = head.copy()
    slack = budget - cost
    for j in range(k + 1, n_edges):
        # Edge j's rank r_j pays at least r_j * (I_j-side core + I_{j+1}-side core); the core
        # right after the current edge also multiplies by the current rank.
        left = rank * shape[j] if j == k + 1 else shape[j]
        cap = np.minimum(np.maximum(slack // (left + shape[j + 1]), 0), spec.max_rank[j])
        ub += spec.heads[j][cap]
    return ub


def _staircase(group: np.ndarray, cost: np.ndarray, head: np.ndarray) -> np.ndarray:
    """Per ``group`` value, keep states whose head beats every cheaper-or-equal state."""
    if len(group) <= 1:
        return np.ones(len(group), dtype=bool)
    order = np.lexsort((-head, cost, group))
    g = group[order]
    _, h_rank = np.unique(head[order], return_inverse=True)
    gid = np.concatenate(([0], np.cumsum(g[1:] != g[:-1])))
    key = gid.astype(np.int64) * (len(g) + 1) + h_rank.astype(np.int64)
    prev = np.concatenate(([-1], np.maximum.accumulate(key)[:-1]))
    keep = np.zeros(len(group), dtype=bool)
    keep[order] = key > prev
    return keep


def tt_svd(tensor: np.ndarray, ranks: tuple[int, ...]) -> tuple[list[np.ndarray], float]:
    """TT-SVD with fixed ranks: the cores and the squared relative error."""
    x = np.asarray(tensor, dtype=np.float64)
    shape = x.shape
    if len(ranks) != len(shape) - 1:
        raise ValueError(f"a tensor train of a {len(shape)}-way tensor has {len(shape) - 1} "
                         f"ranks, got {len(ranks)}")
    cores = []
    r_prev = 1
    rest = x.reshape(1, -1)
    for k, r in enumerate(ranks):
        m = rest.reshape(r_prev * shape[k], -1)
        if not 1 <= r <= min(m.shape):
            raise ValueError(f"TT rank {r} at edge {k + 1} must be between 1 and {min(m.shape)}")
        u = _left_basis(m, r)
        cores.append(u.reshape(r_prev, shape[k], r))
        rest = u.T @ m  # = S_r V_r' of the truncated SVD
        r_prev = r
    cores.append(rest.reshape(r_prev, shape[-1], 1))
    total = float(np.vdot(x, x))
    if not total:
        return cores, 0.0
    # Orthonormal left cores: the error is ||X||^2 - ||last core||^2; for tiny errors that
    # cancels, so the residual is formed explicitly instead.
    rre = max(total - float(np.vdot(rest, rest)), 0.0) / total
    if rre < 1e-8:
        resid = x - tt_reconstruct(cores)
        rre = float(np.vdot(resid, resid)) / total
    return cores, rre


def _left_basis(m: np.ndarray, r: int) -> np.ndarray:
    """Orthonormal basis of the leading ``r``-dimensional left singular subspace of ``m``.

    A wide matrix uses the eigenvectors of its small Gram matrix (much cheaper
    than an SVD of the whole unfolding); a tall one uses a thin SVD.
    """
    if m.shape[0] < m.shape[1]:
        _, vecs = np.linalg.eigh(m @ m.T)
        return np.ascontiguousarray(vecs[:, ::-1][:, :r])
    return np.linalg.svd(m, full_matrices=False)[0][:, :r]


def tt_reconstruct(cores: list[np.ndarray]) -> np.ndarray:
    """Contract a train of cores into the full tensor."""
    out = cores[0]
    for c in cores[1:]:
        out = np.tensordot(out, c, axes=(-1, 0))
    return out.reshape([c.shape[1] for c in cores])
