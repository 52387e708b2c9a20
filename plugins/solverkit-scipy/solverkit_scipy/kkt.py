"""An independent first-order optimality test for min f(x) s.t. c(x) = 0.

Success is decided here, never from scipy's own flag (scipy reports success
at infeasible points in some cases, e.g. scipy#18890, #7618).
"""

from __future__ import annotations

from typing import Any

import numpy as np


def dense(matrix: Any, n: int) -> np.ndarray:
    """A Jacobian as a dense array (sparse and LinearOperator inputs included)."""
    if hasattr(matrix, "toarray"):
        return np.asarray(matrix.toarray(), dtype=float)
    if hasattr(matrix, "matvec") and not isinstance(matrix, np.ndarray):
        return np.asarray(matrix.rmatmat(np.eye(matrix.shape[0])).T, dtype=float)
    return np.asarray(matrix, dtype=float).reshape(-1, n)


def least_squares_multipliers(grad: np.ndarray, jac: np.ndarray) -> np.ndarray:
    """lam minimising ||grad + J' lam|| (the multipliers closest to stationarity)."""
    lam, *_ = np.linalg.lstsq(jac.T, -grad, rcond=None)
    return lam


def kkt_report(problem: Any, x: np.ndarray, lam: np.ndarray | None = None) -> dict[str, Any]:
    """Recompute f, c, the Lagrangian gradient and the KKT residual at ``x``.

    Returns a dict with ``fun``, ``lam`` (least-squares multipliers when none
    are given), ``constraint_violation`` (||c||_2), ``stationarity``
    (||grad f + J' lam||_2) and ``kkt_residual`` (the 2-norm of both).
    """
    x = np.asarray(x, dtype=float)
    grad = np.asarray(problem.grad(x), dtype=float).reshape(-1)
    cons = np.asarray(problem.cons(x), dtype=float).reshape(-1)
    jac = dense(problem.jac(x), x.size)
    if lam is None or not np.all(np.isfinite(lam)):
        lam = least_squares_multipliers(grad, jac)
    stat = grad + jac.T @ lam
    return {
        "fun": float(problem.fun(x)),
        "lam": lam,
        "constraint_violation": float(np.linalg.norm(cons)),
        "stationarity": float(np.linalg.norm(stat)),
        "kkt_residual": float(np.hypot(np.linalg.norm(stat), np.linalg.norm(cons))),
    }
