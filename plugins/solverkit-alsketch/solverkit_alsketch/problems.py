"""Hand-written test problems with known solutions, the rebuilt NE problems, and C4 (PDE control).

Every constructor returns a :class:`solverkit.EqualityConstrained` with exact
derivatives (checked against finite differences in the tests). ``KNOWN`` maps
the small problems to their solutions for unit tests.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator

from solverkit import EqualityConstrained


def hs6() -> EqualityConstrained:
    """HS6: min (1 - x1)^2 s.t. 10 (x2 - x1^2) = 0; x* = (1, 1)."""
    return EqualityConstrained.example()


def hs7() -> EqualityConstrained:
    """HS7: min log(1 + x1^2) - x2 s.t. (1 + x1^2)^2 + x2^2 - 4 = 0; x* = (0, sqrt 3)."""
    def fun(x):
        return float(np.log1p(x[0] ** 2) - x[1])

    def grad(x):
        return np.array([2 * x[0] / (1 + x[0] ** 2), -1.0])

    def cons(x):
        return np.array([(1 + x[0] ** 2) ** 2 + x[1] ** 2 - 4.0])

    def jac(x):
        return np.array([[4 * x[0] * (1 + x[0] ** 2), 2 * x[1]]])

    def hess(x, lam):
        a = x[0] ** 2
        f11 = 2 * (1 - a) / (1 + a) ** 2
        c11 = 4 + 12 * a
        return np.array([[f11 + lam[0] * c11, 0.0], [0.0, 2 * lam[0]]])
    return EqualityConstrained(fun, grad, cons, jac, [2.0, 2.0], hess=hess, name="HS7")


def hs28(kind: str = "dense") -> EqualityConstrained:
    """HS28: min (x1+x2)^2 + (x2+x3)^2 s.t. x1 + 2 x2 + 3 x3 = 1; x* = (0.5, -0.5, 0.5).

    ``kind`` picks how derivatives are given: ``dense``, ``sparse``, ``operator``
    (LinearOperator Jacobian and Hessian), ``hessp`` or ``gradient`` (no Hessian).
    """
    Q = np.array([[2.0, 2.0, 0.0], [2.0, 4.0, 2.0], [0.0, 2.0, 2.0]])
    A = np.array([[1.0, 2.0, 3.0]])

    def fun(x):
        return float((x[0] + x[1]) ** 2 + (x[1] + x[2]) ** 2)

    def grad(x):
        return Q @ x

    def cons(x):
        return A @ x - 1.0

    wrap = {"dense": lambda M: M.copy(), "sparse": sp.csr_matrix,
            "operator": lambda M: LinearOperator(M.shape, matvec=lambda v: M @ v,
                                                 rmatvec=lambda v: M.T @ v, dtype=float)}
    w = wrap.get(kind, wrap["dense"])
    kw: dict = {}
    if kind in ("dense", "sparse", "operator"):
        kw["hess"] = lambda x, lam: w(Q)
    elif kind == "hessp":
        kw["hessp"] = lambda x, lam, v: Q @ v
    elif kind != "gradient":
        raise ValueError(f"kind must be dense, sparse, operator, hessp or gradient, got {kind!r}")
    return EqualityConstrained(fun, grad, cons, lambda x: w(A), [-4.0, 1.0, 1.0],
                               name=f"HS28-{kind}", **kw)


def hs40() -> EqualityConstrained:
    """HS40 (BT-style, 3 nonlinear equalities): x* = (2^-1/3, 2^-1/2, 2^-11/12, 2^-1/4)."""
    def fun(x):
        return float(-x[0] * x[1] * x[2] * x[3])

    def grad(x):
        p = x[0] * x[1] * x[2] * x[3]
        return -np.array([p / x[0], p / x[1], p / x[2], p / x[3]]) if np.all(x != 0) else \
            -np.array([x[1] * x[2] * x[3], x[0] * x[2] * x[3], x[0] * x[1] * x[3],
                       x[0] * x[1] * x[2]])

    def cons(x):
        return np.array([x[0] ** 3 + x[1] ** 2 - 1.0, x[0] ** 2 * x[3] - x[2],
                         x[3] ** 2 - x[1]])

    def jac(x):
        return np.array([[3 * x[0] ** 2, 2 * x[1], 0, 0], [2 * x[0] * x[3], 0, -1, x[0] ** 2],
                         [0, -1, 0, 2 * x[3]]], dtype=float)

    def hess(x, lam):
        a, b, c, d = x
        H = -np.array([[0, c * d, b * d, b * c], [c * d, 0, a * d, a * c],
                       [b * d, a * d, 0, a * b], [b * c, a * c, a * b, 0]], dtype=float)
        H[0, 0] += 6 * a * lam[0] + 2 * d * lam[1]
        H[1, 1] += 2 * lam[0]
        H[0, 3] += 2 * a * lam[1]
        H[3, 0] += 2 * a * lam[1]
        H[3, 3] += 2 * lam[2]
        return H
    return EqualityConstrained(fun, grad, cons, jac, [0.8] * 4, hess=hess, name="HS40")


def random_qp(n: int = 12, m: int = 4, seed: int = 0) -> tuple[EqualityConstrained, np.ndarray]:
    """A strictly convex QP min 1/2 x'Qx + q'x s.t. Ax = b and its solution (closed form)."""
    rng = np.random.default_rng(seed)
    M = rng.standard_normal((n, n))
    Q = M @ M.T / n + np.eye(n)
    q, A, b = rng.standard_normal(n), rng.standard_normal((m, n)), rng.standard_normal(m)
    Kd = np.block([[Q, A.T], [A, np.zeros((m, m))]])
    sol = np.linalg.solve(Kd, np.concatenate([-q, b]))[:n]
    prob = EqualityConstrained(lambda x: float(0.5 * x @ Q @ x + q @ x), lambda x: Q @ x + q,
                               lambda x: A @ x - b, lambda x: A, np.zeros(n),
                               hess=lambda x, lam: Q, name=f"QP{n}x{m}")
    return prob, sol


KNOWN = {
    "HS6": (hs6, np.array([1.0, 1.0])),
    "HS7": (hs7, np.array([0.0, np.sqrt(3.0)])),
    "HS28": (hs28, np.array([0.5, -0.5, 0.5])),
    "HS40": (hs40, np.array([2 ** (-1 / 3), 2 ** (-1 / 2), 2 ** (-11 / 12), 2 ** (-1 / 4)])),
}


# -- the four NE problems of the paper's set that S2MPJ lacks (f = 0, c = residuals) ------
def sinvalne() -> EqualityConstrained:
    """SINVALNE: c = (s (x2 - sin x1), x1 / 2), s = 1/sqrt(1e-3): the residuals of SINEVAL."""
    s = 1.0 / np.sqrt(1e-3)  # S2MPJ's SINEVAL divides its first group by C = 1e-3
    cons = lambda x: np.array([s * (x[1] - np.sin(x[0])), 0.5 * x[0]])  # noqa: E731
    jac = lambda x: np.array([[-s * np.cos(x[0]), s], [0.5, 0.0]])  # noqa: E731
    hess = lambda x, lam: np.array([[s * lam[0] * np.sin(x[0]), 0.0], [0.0, 0.0]])  # noqa
    return _ne(cons, jac, hess, [4.712389, -1.0], "SINVALNE")


def denschncne() -> EqualityConstrained:
    """DENSCHNCNE: c = (x1^2 + x2^2 - 2, exp(x1 - 1) + x2^3 - 2)."""
    cons = lambda x: np.array([x[0] ** 2 + x[1] ** 2 - 2, np.exp(x[0] - 1) + x[1] ** 3 - 2])  # noqa
    jac = lambda x: np.array([[2 * x[0], 2 * x[1]], [np.exp(x[0] - 1), 3 * x[1] ** 2]])  # noqa
    hess = lambda x, lam: np.diag([2 * lam[0] + lam[1] * np.exp(x[0] - 1),  # noqa: E731
                                   2 * lam[0] + 6 * lam[1] * x[1]])
    return _ne(cons, jac, hess, [2.0, 3.0], "DENSCHNCNE")


def trigon1ne(n: int = 10) -> EqualityConstrained:
    """TRIGON1NE: c_i = sum_{j!=i} cos x_j + (i+1) cos x_i + i sin x_i - (n + i)."""
    i = np.arange(1, n + 1, dtype=float)

    def cons(x):
        cx = np.cos(x)
        return cx.sum() - cx + (i + 1) * cx + i * np.sin(x) - (n + i)

    def jac(x):
        J = np.tile(-np.sin(x), (n, 1))
        J[np.diag_indices(n)] = -(i + 1) * np.sin(x) + i * np.cos(x)
        return J

    def hess(x, lam):
        d = -np.cos(x) * (lam.sum() - lam) + lam * (-(i + 1) * np.cos(x) - i * np.sin(x))
        return np.diag(d)
    return _ne(cons, jac, hess, np.full(n, 0.1), "TRIGON1NE")


def morebvne(n: int = 10) -> EqualityConstrained:
    """MOREBVNE: the discrete boundary value residuals of S2MPJ's MOREBV."""
    h = 1.0 / (n + 1)
    t = h * np.arange(1, n + 1)

    def cons(x):
        xp = np.concatenate([[0.0], x, [0.0]])
        return 2 * x - xp[:-2] - xp[2:] + 0.5 * h**2 * (x + t + 1) ** 3

    def jac(x):
        main = 2 + 1.5 * h**2 * (x + t + 1) ** 2
        return sp.diags([-np.ones(n - 1), main, -np.ones(n - 1)], [-1, 0, 1], format="csr")

    def hess(x, lam):
        return sp.diags(3 * h**2 * lam * (x + t + 1), 0, format="csr")
    return _ne(cons, jac, hess, t * (t - 1), "MOREBVNE")


def _ne(cons, jac, hess, x0, name) -> EqualityConstrained:
    x0 = np.asarray(x0, dtype=float)
    # CUTEst's default start multipliers are zero (the SIF files give no y0 for these).
    return EqualityConstrained(lambda x: 0.0, lambda x: np.zeros(x.size), cons, jac, x0,
                               hess=hess, lam0=np.zeros(len(cons(x0))), name=name)


REBUILT_NE = {"SINVALNE": sinvalne, "TRIGON1NE": trigon1ne, "MOREBVNE": morebvne,
              "DENSCHNCNE": denschncne}


# -- C4: PDE-constrained control -------------------------------------------------------
def pde_control(N: int) -> EqualityConstrained:
    """C4: state w and control z on an N x N grid; Laplace(w) + z = 0 (5-point, zero boundary).

    n = 2 N^2, m = N^2, h = 2 / (N + 1); objective 1/2 ||w - w_t||^2 + 0.05 ||z||^2 with
    w_t(i, j) = sin(4 + 0.1 (i - (N+1)/2)/sqrt 15) + cos(3 + 0.1 (j - (N+1)/2)/sqrt 15).
    Sparse Jacobian [Lap, I] and constant diagonal Hessian; start: all ones.
    """
    if not (isinstance(N, int) and N >= 2):
        raise ValueError(f"N must be an integer >= 2, got {N!r}")
    h = 2.0 / (N + 1)
    T = sp.diags([np.ones(N - 1), -2 * np.ones(N), np.ones(N - 1)], [-1, 0, 1])
    I_N = sp.identity(N)
    lap = ((sp.kron(I_N, T) + sp.kron(T, I_N)) / h**2).tocsr()
    M = N * N
    J = sp.hstack([lap, sp.identity(M)]).tocsr()
    idx = np.arange(1, N + 1) - (N + 1) / 2
    wt = (np.sin(4 + 0.1 * idx / np.sqrt(15))[:, None]
          + np.cos(3 + 0.1 * idx / np.sqrt(15))[None, :]).ravel()
    hdiag = np.concatenate([np.ones(M), 0.1 * np.ones(M)])
    H = sp.diags(hdiag, 0, format="csr")

    def fun(x):
        w, z = x[:M], x[M:]
        return float(0.5 * (w - wt) @ (w - wt) + 0.05 * z @ z)

    def grad(x):
        return np.concatenate([x[:M] - wt, 0.1 * x[M:]])
    return EqualityConstrained(fun, grad, lambda x: J @ x, lambda x: J, np.ones(2 * M),
                               hess=lambda x, lam: H, name=f"PDE-N{N}")
