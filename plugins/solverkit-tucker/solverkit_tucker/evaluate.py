"""Per-budget bookkeeping shared by every Tucker shape solver.

:class:`Evaluator` runs (and caches) the HOOI fits of candidate shapes with
one set of settings, so that every solver scores a shape the same way and a
budget sweep never pays twice for one shape. :func:`budget_record` turns a
chosen shape into the per-budget entry of a result.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from .hooi import TuckerFit, hooi
from .search import tucker_size
from .spectra import Spectra

__all__ = ["Evaluator", "budget_record", "sweep_result_fields", "canonical_ranks"]


class Evaluator:
    """HOOI fits of shapes, cached by shape, with honest counters.

    Every shape gets its own random start seeded by ``(seed, *ranks)``, so
    two solvers run with the same seed score the same shape identically.

    Parameters
    ----------
    tensor : ndarray
    n_iter : int
        HOOI sweeps (the paper's evaluation: 20).
    init : {"random", "svd"}
    seed : int
    """

    def __init__(self, tensor: np.ndarray, n_iter: int, init: str, seed: int) -> None:
        # One C-contiguous float copy for all fits: every mode product then works on views.
        self.tensor = np.ascontiguousarray(tensor, dtype=np.float64)
        self.n_iter = n_iter
        self.init = init
        self.seed = seed
        self.cache: dict[tuple[int, ...], TuckerFit] = {}
        self.solves = 0
        self.hits = 0
        self.seconds = 0.0

    def fit(self, ranks: tuple[int, ...]) -> TuckerFit:
        """The HOOI fit of ``ranks`` (each distinct model computed once).

        A shape with ``R_n > prod_{m != n} R_m`` is degenerate: the core's
        mode-n unfolding has rank at most ``prod_{m != n} R_m``, so the best
        model equals that of the reduced shape. It is fitted as the reduced
        shape and padded (zero core slices, orthonormal completion of the
        factor), which gives exactly equal errors to equivalent shapes instead
        of HOOI noise -- the true-loss greedy then moves through such ties.
        """
        ranks = tuple(int(r) for r in ranks)
        hit = self.cache.get(ranks)
        if hit is not None:
            self.hits += 1
            return hit
        reduced = canonical_ranks(ranks)
        base = self.cache.get(reduced)
        if base is None:
            start = time.perf_counter()
            base = hooi(self.tensor, reduced, n_iter=self.n_iter, tol=0.0, init=self.init,
                        rng=np.random.default_rng([self.seed, *reduced]))
            self.seconds += time.perf_counter() - start
            self.solves += 1
            self.cache[reduced] = base
        else:
            self.hits += 1
        out = base if reduced == ranks else _pad(base, ranks)
        self.cache[ranks] = out
        return out


def canonical_ranks(ranks: tuple[int, ...]) -> tuple[int, ...]:
    """Lower every ``R_n`` to at most ``prod_{m != n} R_m`` (an equivalent shape)."""
    r = list(ranks)
    changed = True
    while changed:
        changed = False
        for n in range(len(r)):
            other = int(np.prod([q for m, q in enumerate(r) if m != n], dtype=np.int64))
            if r[n] > other:
                r[n], changed = other, True
    return tuple(r)


def _pad(fit: TuckerFit, ranks: tuple[int, ...]) -> TuckerFit:
    """The same model written with a larger core shape (zero core, completed factors)."""
    core = np.zeros(ranks)
    core[tuple(slice(0, q) for q in fit.core.shape)] = fit.core
    factors = []
    for u, r in zip(fit.factors, ranks, strict=True):
        if u.shape[1] < r:
            q = np.linalg.qr(np.concatenate([u, np.eye(u.shape[0])], axis=1))[0]
            u = np.concatenate([u, q[:, u.shape[1]: r]], axis=1)
        factors.append(u)
    return TuckerFit(tuple(ranks), core, factors, fit.rre, fit.rre_sqrt, fit.n_iter)


def budget_record(spec: Spectra, budget: int, ranks: tuple[int, ...],
                  fit: TuckerFit | None, keep_factors: bool, **more: Any) -> dict[str, Any]:
    """The per-budget entry of a result.

    Keys: ``budget, ranks, size, utilisation, surrogate`` (``sum_n Tail_n / ||X||^2``,
    an upper bound on the best squared RRE), ``surrogate_lower``
    (``max_n Tail_n / ||X||^2``, a lower bound), ``rre`` and ``rre_sqrt`` (the
    HOOI fit's squared and unsquared relative error, None when not
    evaluated), ``core`` and ``factors`` (when kept), plus ``more``.
    """
    size = tucker_size(spec.shape, ranks)
    total = spec.total if spec.total > 0 else 1.0
    rec: dict[str, Any] = {
        "budget": int(budget),
        "ranks": tuple(int(r) for r in ranks),
        "size": size,
        "utilisation": size / budget,
        "surrogate": spec.sum_tail(ranks) / total,
        "surrogate_lower": spec.max_tail(ranks) / total,
        "rre": None if fit is None else fit.rre,
        "rre_sqrt": None if fit is None else fit.rre_sqrt,
    }
    if keep_factors and fit is not None:
        rec["core"] = fit.core
        rec["factors"] = fit.factors
    rec.update(more)
    return rec


def sweep_result_fields(records: list[dict[str, Any]], single: bool) -> dict[str, Any]:
    """``x`` and ``fun`` of a result: one budget gives a shape and a float, a sweep lists.

    ``fun`` is the squared RRE when the shape was evaluated, else the
    surrogate ``sum_n Tail_n / ||X||^2``.
    """
    xs = [r["ranks"] for r in records]
    funs = [r["rre"] if r["rre"] is not None else r["surrogate"] for r in records]
    if single:
        return {"x": xs[0] if xs else None, "fun": funs[0] if funs else float("nan")}
    return {"x": xs, "fun": np.asarray(funs, dtype=float)}
