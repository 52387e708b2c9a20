"""Newton's method on the KKT conditions of min f(x) s.t. c(x) = 0 (dense, small problems)."""

from __future__ import annotations

import dataclasses

import numpy as np

import solverkit
from solverkit import EqualityConstrained, Status


@dataclasses.dataclass(frozen=True)
class Options:
    """Options of '$name'.

    Parameters
    ----------
    regularization : float
        Added to the Hessian's diagonal (>= 0) to keep the KKT matrix nonsingular.
    """

    regularization: float = 0.0

    def __post_init__(self) -> None:
        if not (np.isfinite(self.regularization) and self.regularization >= 0):
            raise ValueError(f"regularization must be >= 0, got {self.regularization!r}")


class KKTNewton(solverkit.Solver):
    """Full Newton steps on grad L = 0, c = 0 using the Hessian of the Lagrangian."""

    name = "$name"
    kinds = (EqualityConstrained,)
    Options = Options
    summary = "Newton's method on the KKT system (dense; needs the Lagrangian Hessian)"
    reference = "Nocedal & Wright, Numerical Optimization, 2nd ed., section 18.1"
    default_max_iter = 100
    default_tol = 1e-8
    uses_hessian = True

    def solve(self, problem, options, progress):
        if problem.hess is None:
            raise ValueError("'$name' needs the problem's hess(x, lam) (Hessian of the Lagrangian)")
        n, m = problem.n, problem.m
        x = problem.x0.copy()
        jac = np.asarray(problem.jac(x), dtype=float)
        grad = np.asarray(problem.grad(x), dtype=float)
        lam = np.linalg.lstsq(jac.T, -grad, rcond=None)[0] if problem.lam0 is None \
            else problem.lam0.copy()
        for k in range(1, progress.max_iter + 1):
            grad = np.asarray(problem.grad(x), dtype=float)
            cons = np.asarray(problem.cons(x), dtype=float)
            jac = np.asarray(problem.jac(x), dtype=float)
            residual = np.concatenate([grad + jac.T @ lam, cons])
            kkt = float(np.linalg.norm(residual))
            if kkt <= progress.tol:
                return progress.result(x=x, fun=problem.fun(x), nit=k - 1, nfev=k,
                                       extra={"lam": lam, "kkt_residual": kkt})
            H = np.asarray(problem.hess(x, lam), dtype=float) + options.regularization * np.eye(n)
            K = np.block([[H, jac.T], [jac, np.zeros((m, m))]])
            try:
                step = np.linalg.solve(K, -residual)
            except np.linalg.LinAlgError:
                return progress.result(x=x, fun=problem.fun(x), nit=k, nfev=k,
                                       status=Status.NUMERICAL,
                                       message="singular KKT matrix; try regularization > 0")
            x, lam = x + step[:n], lam + step[n:]
            if not np.all(np.isfinite(x)):
                return progress.result(x=x - step[:n], nit=k, nfev=k, status=Status.NUMERICAL,
                                       message="Newton step produced non-finite values")
            if progress.report(k, x=x, fun=problem.fun(x), kkt=kkt):
                break
        return progress.result(x=x, fun=problem.fun(x), nit=k, nfev=k, extra={"lam": lam})
