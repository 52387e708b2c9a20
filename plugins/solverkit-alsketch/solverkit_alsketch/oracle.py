"""Counted access to an ``EqualityConstrained`` problem: values, Jacobian and Hessian products.

Every call the solvers make to the user's functions goes through :class:`Oracle`,
so evaluation counts are exact. The Jacobian may be dense, scipy.sparse or a
``LinearOperator``; the Lagrangian Hessian may be a matrix (``hess``), a product
(``hessp``) or, when neither is given, a finite-difference product of the
Lagrangian gradient (see :meth:`Oracle.hvp`).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator


class Jacobian:
    """An m x n Jacobian with products, rows and (when explicit) a CSR matrix."""

    def __init__(self, value: Any, m: int, n: int) -> None:
        self.m, self.n = m, n
        if sp.issparse(value):
            self.matrix: sp.csr_matrix | None = sp.csr_matrix(value, dtype=np.float64)
            self.op: Any = self.matrix
        elif isinstance(value, LinearOperator):
            self.matrix, self.op = None, value
        else:
            arr = np.asarray(value, dtype=np.float64).reshape(m, n)
            # A dense Jacobian is m x n (never (n+m)^2); CSR keeps one code path.
            self.matrix = sp.csr_matrix(arr)
            self.op = self.matrix
        if self.matrix is not None and not np.all(np.isfinite(self.matrix.data)):
            raise FloatingPointError("the Jacobian has non-finite entries")

    def mv(self, v: np.ndarray) -> np.ndarray:
        return np.asarray(self.op @ v, dtype=np.float64).reshape(self.m)

    def rmv(self, w: np.ndarray) -> np.ndarray:
        if self.matrix is not None:
            return np.asarray(self.matrix.T @ w).reshape(self.n)
        return np.asarray(self.op.rmatvec(w), dtype=np.float64).reshape(self.n)


class Hessian:
    """The Lagrangian Hessian at one (x, lam): a CSR matrix or a product callable."""

    def __init__(self, n: int, matrix: sp.csr_matrix | None = None, product: Any = None) -> None:
        self.n, self.matrix, self._product = n, matrix, product

    def mv(self, v: np.ndarray) -> np.ndarray:
        if self.matrix is not None:
            return np.asarray(self.matrix @ v).reshape(self.n)
        return self._product(v)


@dataclasses.dataclass
class Point:
    """Everything the outer loop needs at one x (f, grad f, c, Jacobian)."""

    x: np.ndarray
    f: float
    g: np.ndarray
    c: np.ndarray
    J: Jacobian

    def grad_lag(self, lam: np.ndarray) -> np.ndarray:
        """grad_x L = grad f + G' lam."""
        return self.g + self.J.rmv(lam)


class Oracle:
    """Counted evaluations of the user's problem.

    Parameters
    ----------
    problem : EqualityConstrained
    hessian : {"auto", "exact", "fd"}
        Where Hessian-vector products come from: ``auto`` uses ``hess`` or
        ``hessp`` when given and finite differences otherwise; ``fd`` forces
        finite differences.
    fd_step : float
        Relative step of the finite-difference Hessian-vector product.
    """

    def __init__(self, problem: Any, hessian: str = "auto", fd_step: float = 1e-7) -> None:
        self.p = problem
        self.n, self.m = problem.n, problem.m
        self.fd_step = fd_step
        if hessian == "fd" or (hessian == "auto" and not problem.has_hessian):
            self.hessian_mode = "fd"
        elif problem.hess is not None:
            self.hessian_mode = "hess"
        elif problem.hessp is not None:
            self.hessian_mode = "hessp"
        else:
            raise ValueError("hessian='exact' needs a problem with hess or hessp; "
                             "use hessian='auto' or 'fd' for gradient-only problems")
        self.counts = {"nfev": 0, "ngev": 0, "ncev": 0, "njev": 0, "nhev": 0, "nhvp": 0}

    # -- values ------------------------------------------------------------
    def point(self, x: np.ndarray, cached: dict[str, Any] | None = None) -> Point:
        """Evaluate f, grad f, c and the Jacobian at ``x`` (``cached`` skips the calls)."""
        if cached is not None:
            f, g, c, J = cached["fun"], cached["grad"], cached["cons"], cached["jac"]
        else:
            xc = x.copy()  # the user's functions never see our working arrays
            f = self.p.fun(xc)
            g = self.p.grad(xc.copy())
            c = self.p.cons(xc.copy())
            J = self.p.jac(xc.copy())
            self.counts["nfev"] += 1
            self.counts["ngev"] += 1
            self.counts["ncev"] += 1
            self.counts["njev"] += 1
        f = float(np.asarray(f, dtype=np.float64).reshape(()))
        g = np.asarray(g, dtype=np.float64).reshape(self.n)
        c = np.asarray(c, dtype=np.float64).reshape(self.m)
        if not (np.isfinite(f) and np.all(np.isfinite(g)) and np.all(np.isfinite(c))):
            raise FloatingPointError("f, grad f or c is not finite at the trial point")
        return Point(x=x.copy(), f=f, g=g, c=c, J=Jacobian(J, self.m, self.n))

    def cons(self, x: np.ndarray) -> np.ndarray:
        """c(x) alone (one counted constraint evaluation; no f, gradient or Jacobian)."""
        c = np.asarray(self.p.cons(x.copy()), dtype=np.float64).reshape(self.m)
        self.counts["ncev"] += 1
        if not np.all(np.isfinite(c)):
            raise FloatingPointError("c is not finite at the trial point")
        return c

    # -- Hessian -------------------------------------------------------------
    def hessian(self, pt: Point, lam: np.ndarray) -> Hessian:
        """The Lagrangian Hessian at (pt.x, lam) as a :class:`Hessian`."""
        n = self.n
        if self.hessian_mode == "hess":
            H = self.p.hess(pt.x.copy(), lam.copy())
            self.counts["nhev"] += 1
            if isinstance(H, LinearOperator):
                def prod(v: np.ndarray, H=H) -> np.ndarray:
                    self.counts["nhvp"] += 1
                    return np.asarray(H @ v, dtype=np.float64).reshape(n)
                return Hessian(n, product=prod)
            H = sp.csr_matrix(H, dtype=np.float64) if sp.issparse(H) else \
                sp.csr_matrix(np.asarray(H, dtype=np.float64).reshape(n, n))
            if not np.all(np.isfinite(H.data)):
                raise FloatingPointError("the Hessian has non-finite entries")
            return Hessian(n, matrix=H)
        if self.hessian_mode == "hessp":
            x0, l0 = pt.x.copy(), lam.copy()

            def prod(v: np.ndarray) -> np.ndarray:
                self.counts["nhvp"] += 1
                return np.asarray(self.p.hessp(x0, l0, v.copy()), dtype=np.float64).reshape(n)
            return Hessian(n, product=prod)
        base = pt.grad_lag(lam)

        def fd(v: np.ndarray) -> np.ndarray:
            # Forward difference of grad_x L(., lam) along v: one grad and one
            # Jacobian evaluation per product, error O(step * ||v||).
            nv = np.linalg.norm(v)
            if nv == 0.0:
                return np.zeros(n)
            h = self.fd_step * (1.0 + np.linalg.norm(pt.x)) / nv
            xh = pt.x + h * v
            g = np.asarray(self.p.grad(xh.copy()), dtype=np.float64).reshape(n)
            Jh = Jacobian(self.p.jac(xh.copy()), self.m, n)
            self.counts["ngev"] += 1
            self.counts["njev"] += 1
            self.counts["nhvp"] += 1
            return (g + Jh.rmv(lam) - base) / h
        return Hessian(n, product=fd)
