"""Equality-constrained nonlinear programs: minimise f(x) subject to c(x) = 0."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np

from ._check import call, callable_arg, finite_array, probe_matrix, probe_scalar, probe_vector
from .base import Problem

__all__ = ["EqualityConstrained"]


class EqualityConstrained(Problem):
    """minimise ``fun(x)`` subject to ``cons(x) = 0``.

    Parameters
    ----------
    fun : callable
        ``fun(x) -> float``.
    grad : callable
        ``grad(x) -> (n,) array``.
    cons : callable
        ``cons(x) -> (m,) array``.
    jac : callable
        ``jac(x) ->`` the m x n Jacobian: a dense array, a scipy.sparse
        matrix, or a ``scipy.sparse.linalg.LinearOperator`` (products only).
    x0 : array_like, shape (n,)
        Starting point.
    hess : callable, optional
        ``hess(x, lam) ->`` n x n Hessian of the Lagrangian
        ``f(x) + lam @ c(x)`` (dense, sparse or LinearOperator).
    hessp : callable, optional
        ``hessp(x, lam, v) -> (n,)``: the Hessian of the Lagrangian times v.
    lam0 : array_like, shape (m,), optional
        Initial multipliers (solvers default to least-squares multipliers).
    name : str
        A label for tables.

    Notes
    -----
    Every callable is evaluated once at ``x0`` when the problem is built to
    check output shapes and finiteness. The values are kept in ``at_x0`` so
    solvers need not recompute them.
    """

    default_methods: ClassVar[tuple[str, ...]] = ("adasketch", "trust-constr", "slsqp")

    def __init__(
        self,
        fun: Callable[[np.ndarray], float],
        grad: Callable[[np.ndarray], np.ndarray],
        cons: Callable[[np.ndarray], np.ndarray],
        jac: Callable[[np.ndarray], Any],
        x0: Any,
        *,
        hess: Callable[[np.ndarray, np.ndarray], Any] | None = None,
        hessp: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray] | None = None,
        lam0: Any = None,
        name: str = "",
    ) -> None:
        self.fun = callable_arg("fun", fun, "fun(x) -> float")
        self.grad = callable_arg("grad", grad, "grad(x) -> array of shape (n,)")
        self.cons = callable_arg("cons", cons, "cons(x) -> array of shape (m,)")
        self.jac = callable_arg("jac", jac, "jac(x) -> m x n matrix")
        self.hess = None if hess is None else callable_arg("hess", hess, "hess(x, lam) -> n x n")
        self.hessp = (
            None if hessp is None else callable_arg("hessp", hessp, "hessp(x, lam, v) -> (n,)")
        )
        self.x0 = finite_array("x0", x0, ndim=1).copy()
        self.x0.flags.writeable = False
        self.name = name
        n = self.x0.size
        x = self.x0.copy()
        f0 = probe_scalar("fun(x0)", call("fun(x0)", fun, x))
        g0 = probe_vector("grad", f"grad(x0) (n = len(x0) = {n})", call("grad(x0)", grad, x), n)
        c_raw = np.asarray(call("cons(x0)", cons, x), dtype=np.float64)
        if c_raw.ndim > 1 and c_raw.size == max(c_raw.shape):
            c_raw = c_raw.reshape(-1)
        if c_raw.ndim != 1 or c_raw.size < 1:
            raise ValueError(f"cons(x0) must return a 1-D array of m >= 1 values, got shape "
                             f"{c_raw.shape}")
        m = c_raw.size
        c0 = probe_vector("cons", "cons(x0)", c_raw, m)
        J0 = probe_matrix(f"jac(x0) (m = {m} constraints, n = {n} variables)",
                          call("jac(x0)", jac, x), (m, n))
        self.n, self.m = n, m
        if lam0 is not None:
            self.lam0: np.ndarray | None = finite_array("lam0", lam0, ndim=1)
            if self.lam0.size != m:
                raise ValueError(f"lam0 must have m = {m} entries, got {self.lam0.size}")
        else:
            self.lam0 = None
        lam = np.zeros(m)
        if self.hessp is not None:
            hv = call("hessp(x0, lam, v)", self.hessp, x, lam, np.ones(n))
            probe_vector("hessp", f"hessp(x0, lam, v) (n = {n})", hv, n)
        if self.hess is not None:
            H0 = call("hess(x0, lam)", self.hess, x, lam)
            probe_matrix(f"hess(x0, lam) (n = {n})", H0, (n, n))
        self.at_x0 = {"fun": f0, "grad": g0, "cons": c0, "jac": J0}

    def describe(self) -> dict[str, Any]:
        out = {"n": self.n, "m": self.m}
        if self.name:
            out = {"name": self.name, **out}
        return out

    @property
    def has_hessian(self) -> bool:
        return self.hess is not None or self.hessp is not None

    @classmethod
    def example(cls, seed: int = 0) -> EqualityConstrained:
        """HS6 (Hock-Schittkowski 6): solution (1, 1), f* = 0, from (-1.2, 1)."""
        del seed  # deterministic instance

        def fun(x: np.ndarray) -> float:
            return float((1.0 - x[0]) ** 2)

        def grad(x: np.ndarray) -> np.ndarray:
            return np.array([-2.0 * (1.0 - x[0]), 0.0])

        def cons(x: np.ndarray) -> np.ndarray:
            return np.array([10.0 * (x[1] - x[0] ** 2)])

        def jac(x: np.ndarray) -> np.ndarray:
            return np.array([[-20.0 * x[0], 10.0]])

        def hess(x: np.ndarray, lam: np.ndarray) -> np.ndarray:
            return np.array([[2.0 - 20.0 * lam[0], 0.0], [0.0, 0.0]])

        return cls(fun, grad, cons, jac, [-1.2, 1.0], hess=hess, name="HS6")
