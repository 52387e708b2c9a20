"""Ipopt (through cyipopt) as a benchmark-only baseline for C1; never needed by the solver or CI.

cyipopt has no Linux wheel: it builds against Debian's ``coinor-libipopt-dev`` (with
``pkg-config``, ``build-essential``, ``liblapack-dev``, ``libblas-dev``). When it is not
importable the benchmarks print a note row instead.

The problem's exact Lagrangian Hessian is given to Ipopt (dense lower triangle; C1 has
n <= 100). Ipopt's Lagrangian is sigma f + lam'c, ours f + lam'c, so for sigma > 0 its
Hessian is sigma * hess(x, lam / sigma), and for sigma = 0 hess(x, lam) - hess(x, 0).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import scipy.sparse as sp


def available() -> bool:
    """True when ``cyipopt`` imports."""
    try:
        import cyipopt  # noqa: F401
    except ImportError:
        return False
    return True


def _dense(a: Any) -> np.ndarray:
    return a.toarray() if sp.issparse(a) else np.asarray(a, dtype=float)


class _Callbacks:
    """The cyipopt problem object: dense Jacobian, dense lower-triangular exact Hessian."""

    def __init__(self, problem: Any, deadline: float) -> None:
        self.p, self.deadline, self.nit = problem, deadline, 0
        self.rows, self.cols = np.tril_indices(problem.n)

    def objective(self, x):
        return float(self.p.fun(x.copy()))

    def gradient(self, x):
        return np.asarray(self.p.grad(x.copy()), dtype=float)

    def constraints(self, x):
        return np.asarray(self.p.cons(x.copy()), dtype=float)

    def jacobian(self, x):
        return _dense(self.p.jac(x.copy())).ravel()

    def hessianstructure(self):
        return self.rows, self.cols

    def hessian(self, x, lam, sigma):
        if sigma > 0.0:
            H = sigma * _dense(self.p.hess(x.copy(), np.asarray(lam) / sigma))
        else:
            H = _dense(self.p.hess(x.copy(), np.asarray(lam))) - _dense(
                self.p.hess(x.copy(), np.zeros(self.p.m)))
        return H[self.rows, self.cols]

    def intermediate(self, alg_mod, iter_count, *args):
        self.nit = int(iter_count)
        return time.perf_counter() < self.deadline  # False stops Ipopt (time limit)


def solve(problem: Any, time_limit: float, max_iter: int = 1000) -> tuple[np.ndarray, Any, int,
                                                                           bool, str]:
    """Run Ipopt from ``problem.x0``; returns (x, multipliers, iterations, success, message).

    Requires ``problem.hess`` (exact Hessian); Ipopt's own tolerance is set below the
    benchmark's KKT test, which judges the returned point independently.
    """
    import cyipopt

    if problem.hess is None:
        raise ValueError("the Ipopt baseline needs an explicit Lagrangian Hessian (hess)")
    cb = _Callbacks(problem, time.perf_counter() + time_limit)
    nlp = cyipopt.Problem(n=problem.n, m=problem.m, problem_obj=cb,
                          lb=None, ub=None, cl=np.zeros(problem.m), cu=np.zeros(problem.m))
    for key, val in {"print_level": 0, "sb": "yes", "tol": 1e-6, "constr_viol_tol": 1e-7,
                     "max_iter": max_iter, "hessian_approximation": "exact"}.items():
        nlp.add_option(key, val)
    x, info = nlp.solve(np.asarray(problem.x0, dtype=float).copy())
    ok = info["status"] in (0, 1)
    return np.asarray(x, dtype=float), np.asarray(info["mult_g"], dtype=float), cb.nit, ok, \
        str(info["status_msg"])
