"""Matrix-free linear algebra: the KKT operator, Lanczos norm/eigenvalue estimates, LS multipliers.

Nothing here forms or factorizes a dense (n+m) x (n+m) matrix: norms and
extreme eigenvalues come from a few Lanczos steps (exact once the step count
reaches the dimension), projections use conjugate gradients on G G'.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator, cg, lsqr

from .oracle import Hessian, Jacobian


class KKT:
    """K = [[H + t I, G'], [G, 0]] of size N = n + m, as products, rows and (if explicit) CSR.

    ``row_ops`` counts rows of K read (a full product counts N), the sketch-work unit.
    """

    def __init__(self, H: Hessian, J: Jacobian, shift: float) -> None:
        self.H, self.J, self.t = H, J, float(shift)
        self.n, self.m = J.n, J.m
        self.N = self.n + self.m
        self.row_ops = 0
        #: Diagonal scale of B for preconditioners when H is only a product (set by the
        #: outer loop from its Lanczos estimate of ||B||).
        self.diag_scale = 1.0
        self.precond: object = None  # cache of the inner solver's preconditioner
        self.matrix: sp.csr_matrix | None = None
        if H.matrix is not None and J.matrix is not None:
            B = H.matrix + self.t * sp.identity(self.n, format="csr") if self.t else H.matrix
            self.matrix = sp.bmat([[B, J.matrix.T], [J.matrix, None]], format="csr")
        self._rows: dict[int, np.ndarray] = {}

    def mv(self, z: np.ndarray) -> np.ndarray:
        """K z."""
        self.row_ops += self.N
        if self.matrix is not None:
            return self.matrix @ z
        dx, dl = z[: self.n], z[self.n:]
        top = self.H.mv(dx) + self.t * dx + self.J.rmv(dl)
        return np.concatenate([top, self.J.mv(dx)])

    def mm(self, Z: np.ndarray) -> np.ndarray:
        """K Z for a block of columns."""
        if self.matrix is not None:
            self.row_ops += self.N * Z.shape[1]
            return np.asarray(self.matrix @ Z)
        return np.column_stack([self.mv(Z[:, j]) for j in range(Z.shape[1])])

    def dense_row(self, i: int) -> np.ndarray:
        """Row i of K (= column i, K is symmetric) for operator-only K, cached per K."""
        row = self._rows.get(i)
        if row is None:
            e = np.zeros(self.N)
            e[i] = 1.0
            row = self.mv(e)
            self._rows[i] = row
        return row

    def operator(self) -> LinearOperator:
        return LinearOperator((self.N, self.N), matvec=self.mv, dtype=np.float64)


def lanczos_extremes(
    matvec: Callable[[np.ndarray], np.ndarray], dim: int, steps: int,
    rng: np.random.Generator, project: Callable[[np.ndarray], np.ndarray] | None = None,
) -> tuple[float, float]:
    """Smallest and largest Ritz values of a symmetric operator after ``steps`` Lanczos steps.

    Full reorthogonalisation keeps the Ritz values reliable; with ``steps >= dim``
    they are the exact extreme eigenvalues. ``project`` (optional) keeps the
    Krylov space inside a subspace (used for the reduced Hessian Z'HZ).
    Returns (nan, nan) when the (projected) start vector vanishes.
    """
    k = max(1, min(steps, dim))
    q = rng.standard_normal(dim)
    if project is not None:
        q = project(q)
    nq = np.linalg.norm(q)
    if nq == 0.0 or not np.isfinite(nq):
        return float("nan"), float("nan")
    Q = np.zeros((dim, k))
    Q[:, 0] = q / nq
    alpha, beta = np.zeros(k), np.zeros(k)
    j_used = k
    scale = 0.0
    for j in range(k):
        w = matvec(Q[:, j])
        if project is not None:
            w = project(w)
        alpha[j] = Q[:, j] @ w
        scale = max(scale, abs(alpha[j]), beta[j - 1] if j else 0.0)
        w = w - Q[:, : j + 1] @ (Q[:, : j + 1].T @ w)
        w = w - Q[:, : j + 1] @ (Q[:, : j + 1].T @ w)
        if j + 1 == k:
            break
        if project is not None:
            # Re-project: rounding left after reorthogonalisation would otherwise be
            # amplified by 1/beta into the range of G' (spurious zero Ritz values).
            w = project(w)
        beta[j] = np.linalg.norm(w)
        if beta[j] <= 1e-10 * max(scale, 1e-300):
            j_used = j + 1  # invariant subspace found: Ritz values are exact eigenvalues
            break
        Q[:, j + 1] = w / beta[j]
    T = np.diag(alpha[:j_used]) + np.diag(beta[: j_used - 1], 1) + np.diag(beta[: j_used - 1], -1)
    ev = np.linalg.eigvalsh(T)  # (steps x steps), steps <= ~30
    return float(ev[0]), float(ev[-1])


def ls_multipliers(g: np.ndarray, J: Jacobian) -> np.ndarray:
    """Least-squares multipliers argmin ||g + G' lam|| (matrix-free LSQR)."""
    op = LinearOperator((J.n, J.m), matvec=J.rmv, rmatvec=J.mv, dtype=np.float64)
    lam = lsqr(op, -g, atol=1e-14, btol=1e-14, iter_lim=20 * (J.m + 10))[0]
    return np.asarray(lam, dtype=np.float64)


def nullspace_projector(J: Jacobian) -> Callable[[np.ndarray], np.ndarray]:
    """v -> v - G'(G G')^{-1} G v, with CG on G G' (floored so a rank-deficient G is harmless)."""
    if J.matrix is not None:
        # Explicit G: a sparse LU of the m x m matrix G G' (sparse direct, never dense n+m).
        from scipy.sparse.linalg import splu

        GG = (J.matrix @ J.matrix.T + 1e-12 * sp.identity(J.m)).tocsc()
        try:
            lu = splu(GG)

            def project_lu(v: np.ndarray) -> np.ndarray:
                return v - J.rmv(lu.solve(J.mv(v)))
            return project_lu
        except RuntimeError:
            pass
    GGt = LinearOperator((J.m, J.m), matvec=lambda w: J.mv(J.rmv(w)) + 1e-12 * w,
                         dtype=np.float64)

    def project(v: np.ndarray) -> np.ndarray:
        w, _ = cg(GGt, J.mv(v), rtol=1e-12, atol=0.0, maxiter=5 * J.m + 20)
        return v - J.rmv(w)
    return project


def min_norm_correction(J: Jacobian, r: np.ndarray) -> np.ndarray:
    """The least-norm dx with G dx = -r: dx = -G'(G G')^{-1} r (CG on G G', floored)."""
    GGt = LinearOperator((J.m, J.m), matvec=lambda w: J.mv(J.rmv(w)) + 1e-12 * w,
                         dtype=np.float64)
    w, _ = cg(GGt, r, rtol=1e-12, atol=0.0, maxiter=5 * J.m + 20)
    return -J.rmv(w)
