"""``bilevel-aid``: approximate implicit differentiation (baseline).

The hypergradient of psi(x) = f(x, y*(x)) for a strongly convex lower level is

    grad psi(x) = grad_x f - grad_xy g [grad_yy g]^-1 grad_y f,

evaluated at an approximate y*(x) (warm-started projected gradient on g), with
the linear system solved by conjugate gradient on Hessian-vector products
(``hvp_g``), warm-started from the previous solution. For a box Y the
implicit derivative only involves the free coordinates (those not held at a
bound), so the system is restricted to them; other constrained Y are refused.
The outer step is a fixed projected gradient step (as in benchopt's AID
solvers), so it is a baseline, not a tuned method.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

import solverkit
from solverkit.problems import Bilevel
from solverkit.sets import Box, Reals

from ._inner import INNER_SOLVERS
from ._oracle import Diverged, Oracle, check_count, check_positive, failed, gradient_mapping

__all__ = ["AIDSolver", "AIDOptions", "conjugate_gradient"]


@dataclasses.dataclass(frozen=True)
class AIDOptions:
    """Options of ``bilevel-aid``.

    Attributes
    ----------
    step : float
        Fixed outer step on x (default 0.1).
    cg_iters : int
        Conjugate-gradient iterations per hypergradient (default 20).
    inner_steps : int
        Maximum lower-level projected-gradient steps per outer iteration (100).
    inner_tol : float
        Lower-level residual at which the inner loop stops early (1e-8).
    inner_solver : str
        "pg" (projected gradient, default) or "apg" (accelerated), as in
        ``bilevel-penalty``, so comparisons can use the same lower-level solver.
    gm_step : float
        Step t of the gradient-mapping stopping test (1.0).
    """

    step: float = 0.1
    cg_iters: int = 20
    inner_steps: int = 100
    inner_tol: float = 1e-8
    inner_solver: str = "pg"
    gm_step: float = 1.0

    def __post_init__(self) -> None:
        for name in ("step", "inner_tol", "gm_step"):
            check_positive(name, getattr(self, name))
        if self.inner_solver not in INNER_SOLVERS:
            raise ValueError(f"inner_solver must be one of {sorted(INNER_SOLVERS)}, got "
                             f"{self.inner_solver!r}")
        for name in ("cg_iters", "inner_steps"):
            check_count(name, getattr(self, name))


def conjugate_gradient(matvec: Any, b: np.ndarray, x0: np.ndarray, iters: int) -> np.ndarray:
    """``iters`` CG iterations on matvec(v) = b from x0 (matvec symmetric positive definite)."""
    x = x0.copy()
    r = b - matvec(x)
    p = r.copy()
    rr = float(r @ r)
    for _ in range(iters):
        if rr <= 1e-30:
            break
        Ap = matvec(p)
        pAp = float(p @ Ap)
        if pAp <= 0:
            raise Diverged("the lower-level Hessian is not positive definite (CG found "
                           "p' H p <= 0): implicit differentiation needs a strongly convex LL")
        alpha = rr / pAp
        x += alpha * p
        r -= alpha * Ap
        rr_new = float(r @ r)
        p = r + (rr_new / rr) * p
        rr = rr_new
    return x


class AIDSolver(solverkit.Solver):
    """Implicit differentiation with CG on Hessian-vector products (baseline)."""

    name = "bilevel-aid"
    when_to_use = (
        "Baseline: implicit differentiation with conjugate gradient. Needs Hessian-vector "
        "products of the lower level (`hvp_g`) and a strongly convex, unconstrained (or box) "
        "lower level; use it to compare against the penalty methods.")
    kinds = (Bilevel,)
    Options = AIDOptions
    summary = "implicit differentiation, CG on Hessian-vector products (baseline)"
    reference = ("F. Pedregosa, Hyperparameter optimization with approximate gradient, ICML "
                 "2016; benchopt benchmark_bilevel (AID)")
    default_max_iter = 2000
    default_tol = 1e-5
    uses_hessian = True
    warm_start = False  # warm starts are internal (y, z across outer iterations)
    baseline = True

    def solve(self, problem: Bilevel, options: AIDOptions, progress: Any) -> Any:
        if problem.hvp_g is None:
            raise ValueError("bilevel-aid needs hvp_g(x, y, v) -> (grad_xy g v, grad_yy g v) "
                             "on the problem")
        Y = problem.Y
        if not isinstance(Y, (Reals, Box)):
            raise ValueError(f"bilevel-aid supports an unconstrained or box lower level, got "
                             f"{Y!r}; use bilevel-penalty for general Y")
        oracle = Oracle(problem, progress.rng)
        x, y = problem.x0.copy(), problem.y0.copy()
        v = np.zeros(problem.dy)
        L, nit, gm, fun = 1.0, 0, math.inf, math.nan
        inner = INNER_SOLVERS[options.inner_solver]
        try:
            while True:
                r = inner(oracle, Y, x, y, 0.0, options.inner_tol, options.inner_steps, L, "y",
                          progress.time_up)
                y, L = r.v, r.L
                fx, fy = oracle.grad_f(x, y)
                free = _free(Y, y, oracle.grad_g(x, y)[1])
                fy = fy * free

                def hvp_yy(w: np.ndarray, x=x, y=y, free=free) -> np.ndarray:
                    return oracle.hvp_g(x, y, w * free)[1] * free + (1.0 - free) * w

                v = conjugate_gradient(hvp_yy, fy, v * free, options.cg_iters)
                hyper = fx - oracle.hvp_g(x, y, v)[0]
                gm = gradient_mapping(problem.X, x, hyper, options.gm_step)
                fun = oracle.f(x, y)
                nit += 1
                stop = progress.report(nit, x=x, fun=fun, gm=gm, grad_calls=oracle.grad_calls,
                                       hvp_calls=oracle.hvp_calls)
                if gm <= progress.tol:
                    break
                if stop:
                    break
                x = problem.X.project(x - options.step * hyper)
                oracle.check_iterate("x", x)
        except Diverged as exc:
            return failed(progress, oracle, x, str(exc), nit, {"y": y})
        return progress.result(x=x, fun=fun, nit=nit, nfev=oracle.oracle_calls,
                               extra={"y": y, "gm": gm, **oracle.counts()})


def _free(Y: Any, y: np.ndarray, gy: np.ndarray) -> np.ndarray:
    """1.0 for coordinates not held at a bound of a box Y (all ones for Reals)."""
    if isinstance(Y, Reals):
        return np.ones_like(y)
    at_lo = (y <= Y.lower + 1e-10) & (gy > 0)
    at_hi = (y >= Y.upper - 1e-10) & (gy < 0)
    return (~(at_lo | at_hi)).astype(float)
