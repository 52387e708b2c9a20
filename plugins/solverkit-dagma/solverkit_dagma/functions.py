"""The pieces of the DAGMA objective: scores Q(W) and the log-det acyclicity h_s(W).

Each function returns a value and its gradient together, because every caller
(the inner solvers) needs both and they share the expensive work.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.linalg import lapack
from scipy.special import expit

__all__ = ["Score", "LogDet", "h_expm"]


class Score:
    """The data-fit term Q(W) of a linear SEM and its gradient.

    ``l2``: Q = 1/(2n) ||Xc - Xc W||_F^2 = 1/2 tr((I - W)' S (I - W)) with the
    centred copy Xc of X and S = Xc'Xc / n, so a call costs O(d^3) whatever n.
    ``logistic``: Q = 1/n sum(log(1 + exp(XW)) - X o XW) on the raw 0/1 data.
    The caller's X is never modified.
    """

    def __init__(self, X: np.ndarray, loss: str) -> None:
        if loss not in ("l2", "logistic"):
            raise ValueError(f"loss must be 'l2' or 'logistic', got {loss!r}")
        self.loss = loss
        self.n, self.d = X.shape
        if loss == "l2":
            Xc = X - X.mean(axis=0)  # a new array: the caller's X stays as it was
            self.S = Xc.T @ Xc / self.n
            self.trS = float(np.trace(self.S))
        else:
            self.X = np.array(X, dtype=float)  # private copy, read only

    def hessp(self, W: np.ndarray, V: np.ndarray) -> np.ndarray:
        """Hessian of Q at W applied to the direction V (same shape as W)."""
        if self.loss == "l2":
            return self.S @ V
        P = expit(self.X @ W)
        return self.X.T @ ((P * (1.0 - P)) * (self.X @ V)) / self.n

    def hess_diag(self, W: np.ndarray) -> np.ndarray:
        """Diagonal of the Hessian of Q at W (entry (i, j) for variable W_ij)."""
        if self.loss == "l2":
            return np.repeat(np.diag(self.S)[:, None], self.d, axis=1)
        P = expit(self.X @ W)
        return (self.X * self.X).T @ (P * (1.0 - P)) / self.n

    def __call__(self, W: np.ndarray) -> tuple[float, np.ndarray]:
        """Return ``(Q(W), grad Q(W))``."""
        if self.loss == "l2":
            SW = self.S @ W
            # tr((I-W)'S(I-W)) = tr S - 2 <S, W> + <W, SW>   (S symmetric)
            val = 0.5 * (self.trS - 2.0 * np.vdot(self.S, W) + np.vdot(W, SW))
            return float(val), SW - self.S
        M = self.X @ W
        val = (np.logaddexp(0.0, M) - self.X * M).sum() / self.n
        grad = self.X.T @ (expit(M) - self.X) / self.n
        return float(val), grad


class LogDet:
    """h_s(W) = -log det(sI - W o W) + d log s on D_s = {rho(W o W) < s}.

    One LU factorisation of M = sI - W o W per call gives the domain test,
    log det M and M^{-1} (for grad h_s = 2 W o M^{-T}; M^{-1} from the
    factors by triangular solves on I):

    * det M must be positive (sign from the pivots and the row swaps);
    * M is a Z-matrix, and a nonsingular Z-matrix is an M-matrix exactly when
      its inverse is entrywise nonnegative, so that is checked on M^{-1}
      (entries that are zero in exact arithmetic may round to about -1e-16
      relative to the largest, hence the relative tolerance).

    Outside D_s the call returns ``None``: callers treat it as +inf.
    """

    def __init__(self, d: int) -> None:
        self.d = d
        self.eye = np.eye(d)
        self.arange = np.arange(d, dtype=np.int32)

    def __call__(self, W: np.ndarray, s: float, grad: bool = True
                 ) -> tuple[float, np.ndarray | None] | None:
        out = self.full(W, s)
        if out is None:
            return None
        h, inv = out
        return h, (2.0 * W * inv.T if grad else None)

    def full(self, W: np.ndarray, s: float) -> tuple[float, np.ndarray] | None:
        """``(h_s(W), (sI - W o W)^{-1})``, or ``None`` outside D_s."""
        d = self.d
        M = s * self.eye - W * W
        lu, piv, info = lapack.dgetrf(M, overwrite_a=True)
        if info != 0:  # exactly singular
            return None
        diag = np.diagonal(lu)
        negatives = int(np.count_nonzero(diag < 0)) + int(np.count_nonzero(piv != self.arange))
        if negatives % 2:  # det M < 0
            return None
        logdet = float(np.log(np.abs(diag)).sum())
        # M^{-1} by solving M X = I with the factors: LAPACK's triangular solves (BLAS-3
        # trsm) are 2-4x faster than getri's in-place inversion at d = 100-500
        inv, info = lapack.dgetrs(lu, piv, self.eye)
        if info != 0 or not np.isfinite(logdet):
            return None
        if inv.min() < -1e-10 * max(float(inv.max()), 0.0):
            return None
        return -logdet + d * math.log(s), inv

    def inside(self, W: np.ndarray, s: float) -> bool:
        """Whether W lies in D_s."""
        return self(W, s, grad=False) is not None


def spectral_radius_sq(W: np.ndarray) -> float:
    """rho(W o W), the quantity the domain D_s bounds."""
    return float(np.max(np.abs(np.linalg.eigvals(W * W))))


def h_expm(W: np.ndarray) -> tuple[float, np.ndarray]:
    """NOTEARS acyclicity h(W) = tr(exp(W o W)) - d and its gradient exp(W o W)' o 2W."""
    from scipy.linalg import expm

    E = expm(W * W)
    return float(np.trace(E) - W.shape[0]), E.T * W * 2.0
