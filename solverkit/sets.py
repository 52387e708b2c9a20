"""Closed convex sets with Euclidean projections.

Closed forms for the common sets; :class:`CvxpySet` handles any set written as
cvxpy constraints, compiling its projection problem once (with a cvxpy
Parameter for the point) so later projections skip canonicalisation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["ConvexSet", "Reals", "Box", "NonNegative", "Ball", "Simplex", "Affine", "CvxpySet"]


class ConvexSet:
    """A closed convex subset of R^dim.

    ``dim`` is None when the set applies to vectors of any length (e.g. a box
    with scalar bounds).
    """

    dim: int | None = None

    def project(self, x: np.ndarray) -> np.ndarray:
        """Euclidean projection of ``x`` onto the set (a new array)."""
        raise TypeError(f"{type(self).__name__} does not implement project()")

    def contains(self, x: np.ndarray, tol: float = 1e-9) -> bool:
        """Whether ``x`` lies in the set up to ``tol`` (in projection distance)."""
        x = np.asarray(x, dtype=float)
        return bool(np.linalg.norm(self.project(x) - x) <= tol * max(1.0, np.linalg.norm(x)))

    def check_dim(self, name: str, size: int) -> None:
        if self.dim is not None and self.dim != size:
            raise ValueError(f"{name} has {size} entries but its set {self!r} has dimension "
                             f"{self.dim}")


class Reals(ConvexSet):
    """All of R^dim (projection is the identity)."""

    def __init__(self, dim: int | None = None) -> None:
        self.dim = dim

    def project(self, x: np.ndarray) -> np.ndarray:
        return np.array(x, dtype=float)

    def contains(self, x: np.ndarray, tol: float = 1e-9) -> bool:
        return bool(np.all(np.isfinite(x)))

    def __repr__(self) -> str:
        return f"Reals(dim={self.dim})"


class Box(ConvexSet):
    """{x : lower <= x <= upper} (entries may be -inf / +inf)."""

    def __init__(self, lower: Any, upper: Any, dim: int | None = None) -> None:
        lo = np.asarray(lower, dtype=float)
        hi = np.asarray(upper, dtype=float)
        if np.any(np.isnan(lo)) or np.any(np.isnan(hi)):
            raise ValueError("Box bounds must not be NaN")
        if np.any(lo > hi):
            raise ValueError(f"Box needs lower <= upper everywhere, got lower={lo}, upper={hi}")
        shape = np.broadcast_shapes(lo.shape, hi.shape)
        if len(shape) > 1:
            raise ValueError(f"Box bounds must be scalars or vectors, got shape {shape}")
        self.dim = dim if dim is not None else (shape[0] if shape else None)
        if shape and self.dim != shape[0]:
            raise ValueError(f"Box bounds have {shape[0]} entries but dim={dim}")
        self.lower, self.upper = lo, hi

    def project(self, x: np.ndarray) -> np.ndarray:
        return np.clip(np.asarray(x, dtype=float), self.lower, self.upper)

    def contains(self, x: np.ndarray, tol: float = 1e-9) -> bool:
        x = np.asarray(x, dtype=float)
        return bool(np.all(x >= self.lower - tol) and np.all(x <= self.upper + tol))

    def __repr__(self) -> str:
        return f"Box(lower={self.lower}, upper={self.upper}, dim={self.dim})"


class NonNegative(Box):
    """The nonnegative orthant {x : x >= 0}."""

    def __init__(self, dim: int | None = None) -> None:
        super().__init__(0.0, np.inf, dim=dim)

    def __repr__(self) -> str:
        return f"NonNegative(dim={self.dim})"


class Ball(ConvexSet):
    """{x : ||x - center||_2 <= radius}."""

    def __init__(self, radius: float, center: Any = 0.0, dim: int | None = None) -> None:
        if not np.isfinite(radius) or radius < 0:
            raise ValueError(f"Ball radius must be finite and >= 0, got {radius}")
        self.radius = float(radius)
        self.center = np.asarray(center, dtype=float)
        if self.center.ndim > 1:
            raise ValueError("Ball center must be a scalar or a vector")
        self.dim = dim if dim is not None else (self.center.size if self.center.ndim else None)

    def project(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        diff = x - self.center
        norm = np.linalg.norm(diff)
        if norm <= self.radius:
            return x.copy()
        return self.center + diff * (self.radius / norm)

    def __repr__(self) -> str:
        return f"Ball(radius={self.radius}, dim={self.dim})"


class Simplex(ConvexSet):
    """{x : x >= 0, sum(x) = total}."""

    def __init__(self, dim: int | None = None, total: float = 1.0) -> None:
        if not np.isfinite(total) or total <= 0:
            raise ValueError(f"Simplex total must be positive and finite, got {total}")
        self.dim, self.total = dim, float(total)

    def project(self, x: np.ndarray) -> np.ndarray:
        # Sort-based projection (Held, Wolfe & Crowder 1974; Duchi et al. 2008).
        x = np.asarray(x, dtype=float)
        u = np.sort(x)[::-1]
        css = np.cumsum(u) - self.total
        ind = np.arange(1, x.size + 1)
        rho = np.nonzero(u - css / ind > 0)[0][-1]
        theta = css[rho] / (rho + 1.0)
        return np.maximum(x - theta, 0.0)

    def contains(self, x: np.ndarray, tol: float = 1e-9) -> bool:
        x = np.asarray(x, dtype=float)
        return bool(np.all(x >= -tol) and abs(x.sum() - self.total) <= tol * max(1, self.total))

    def __repr__(self) -> str:
        return f"Simplex(dim={self.dim}, total={self.total})"


class Affine(ConvexSet):
    """{x : A x = b} with A of full row rank."""

    def __init__(self, A: Any, b: Any) -> None:
        self.A = np.atleast_2d(np.asarray(A, dtype=float))
        self.b = np.asarray(b, dtype=float).reshape(-1)
        if self.A.shape[0] != self.b.size:
            raise ValueError(f"Affine: A has {self.A.shape[0]} rows but b has {self.b.size}")
        if np.linalg.matrix_rank(self.A) < self.A.shape[0]:
            raise ValueError("Affine: A must have full row rank (drop redundant equations)")
        self.dim = self.A.shape[1]
        self._q, _ = np.linalg.qr(self.A.T)  # orthonormal basis of range(A')
        self._x0 = np.linalg.lstsq(self.A, self.b, rcond=None)[0]

    def project(self, x: np.ndarray) -> np.ndarray:
        d = np.asarray(x, dtype=float) - self._x0
        return self._x0 + d - self._q @ (self._q.T @ d)

    def __repr__(self) -> str:
        return f"Affine(m={self.A.shape[0]}, dim={self.dim})"


class CvxpySet(ConvexSet):
    """Any convex set described by cvxpy constraints on one vector variable.

    Parameters
    ----------
    dim : int
        Dimension of the vectors.
    constraints : callable
        ``constraints(v) -> list of cvxpy constraints`` for a cvxpy Variable
        ``v`` of shape (dim,).
    solver : str, optional
        A cvxpy solver name (default: cvxpy's choice, usually CLARABEL).

    Notes
    -----
    The projection problem ``min ||v - p||^2`` is built once with ``p`` a
    cvxpy Parameter; cvxpy caches its canonicalisation after the first
    solve, so each later projection only updates ``p``. cvxpy is imported
    when the set is created, not when solverkit is.
    """

    def __init__(
        self, dim: int, constraints: Callable[[Any], list[Any]], solver: str | None = None
    ) -> None:
        import cvxpy as cp

        self.dim = int(dim)
        self._v = cp.Variable(self.dim)
        self._p = cp.Parameter(self.dim)
        cons = list(constraints(self._v))
        self._problem = cp.Problem(cp.Minimize(cp.sum_squares(self._v - self._p)), cons)
        if not self._problem.is_dcp(dpp=True):
            raise ValueError("CvxpySet constraints must be convex (DCP) and parameter-free")
        self._solver = solver
        self.solves = 0

    def project(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        self.check_dim("x", x.size)
        self._p.value = x
        self._problem.solve(solver=self._solver, warm_start=True)
        self.solves += 1
        if self._v.value is None or self._problem.status not in ("optimal", "optimal_inaccurate"):
            raise FloatingPointError(f"projection onto CvxpySet failed: {self._problem.status}")
        return np.array(self._v.value, dtype=float)

    def __repr__(self) -> str:
        return f"CvxpySet(dim={self.dim}, constraints={len(self._problem.constraints)})"
