"""``itd``: iterative differentiation through unrolled lower-level steps (baseline).

The lower-level solution is approximated by T gradient steps
y_{t+1} = y_t - alpha grad_y g(x, y_t) from a warm start y_0 (the previous y_T,
treated as a constant), and the hypergradient is the exact derivative of
F(x) = f(x, y_T(x)) by reverse-mode differentiation through the T steps:

    v <- grad_y f(x, y_T),  h <- grad_x f(x, y_T)
    for t = T-1, ..., 0:  h <- h - alpha grad_xy g(x, y_t) v;  v <- v - alpha grad_yy g(x, y_t) v

with Hessian-vector products from ``hvp_g``. It needs the T iterates in memory
(unrolled differentiation) and an unconstrained lower level (a projection is not
differentiable); the outer step is fixed, as in benchopt's ITD solver.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

import solverkit
from solverkit.problems import Bilevel
from solverkit.sets import Reals

from ._oracle import Diverged, Oracle, check_count, check_positive, failed, gradient_mapping
from ._secant import SecantProbe

__all__ = ["ITDSolver", "ITDOptions", "itd_hypergradient"]


@dataclasses.dataclass(frozen=True)
class ITDOptions:
    """Options of ``itd``.

    Attributes
    ----------
    step : float
        Fixed outer step on x (default 0.1).
    inner_steps : int
        Unrolled lower-level gradient steps T per outer iteration (10).
    inner_step : float or None
        Step alpha of the unrolled steps (None: 0.5 / L, L from a power iteration
        on gradient differences of g in y at the start).
    gm_step : float
        Step t of the gradient-mapping stopping test (1.0).
    """

    step: float = 0.1
    inner_steps: int = 10
    inner_step: float | None = None
    gm_step: float = 1.0

    def __post_init__(self) -> None:
        for name in ("step", "gm_step"):
            check_positive(name, getattr(self, name))
        check_positive("inner_step", self.inner_step, allow_none=True)
        check_count("inner_steps", self.inner_steps)


def itd_hypergradient(oracle: Oracle, x: np.ndarray, y0: np.ndarray, alpha: float,
                      steps: int) -> tuple[np.ndarray, np.ndarray]:
    """Derivative of x -> f(x, y_T(x)) through ``steps`` unrolled gradient steps from y0.

    Returns (hypergradient, y_T). y0 is held constant (no derivative through it).
    """
    ys = [y0]
    for _ in range(steps):
        ys.append(ys[-1] - alpha * oracle.grad_g(x, ys[-1])[1])
    oracle.check_iterate("y", ys[-1])
    h, v = oracle.grad_f(x, ys[-1])
    h = h.copy()
    for t in range(steps - 1, -1, -1):
        hxy, hyy = oracle.hvp_g(x, ys[t], v)
        h -= alpha * hxy
        v = v - alpha * hyy
    return h, ys[-1]


class ITDSolver(solverkit.Solver):
    """Iterative differentiation through unrolled inner gradient steps (baseline)."""

    name = "itd"
    when_to_use = (
        "Baseline: differentiates through T unrolled lower-level gradient steps. Needs "
        "Hessian-vector products (`hvp_g`) and an unconstrained lower level; use it to "
        "compare against the penalty methods.")
    kinds = (Bilevel,)
    Options = ITDOptions
    summary = "iterative differentiation through unrolled inner steps (baseline)"
    reference = ("L. Franceschi, M. Donini, P. Frasconi, M. Pontil, Forward and Reverse "
                 "Gradient-Based Hyperparameter Optimization, ICML 2017; benchopt ITD")
    default_max_iter = 2000
    default_tol = 1e-5
    uses_hessian = True
    baseline = True

    def solve(self, problem: Bilevel, options: ITDOptions, progress: Any) -> Any:
        if problem.hvp_g is None:
            raise ValueError("itd needs hvp_g(x, y, v) -> (grad_xy g v, grad_yy g v) on the "
                             "problem")
        if not isinstance(problem.Y, Reals):
            raise ValueError(f"itd differentiates through unconstrained gradient steps and "
                             f"needs Y = R^n, got {problem.Y!r}; use bilevel-penalty for a "
                             "constrained lower level")
        oracle = Oracle(problem, progress.rng)
        x, y = problem.x0.copy(), problem.y0.copy()
        nit, gm, fun = 0, math.inf, math.nan
        try:
            alpha = options.inner_step or 0.5 / SecantProbe(oracle, problem, progress.rng).L_y(
                x, y, 0.0, problem.n_samples or 1)  # full gradients
            while True:
                hyper, y = itd_hypergradient(oracle, x, y, alpha, options.inner_steps)
                gm = gradient_mapping(problem.X, x, hyper, options.gm_step)
                fun = oracle.f(x, y)
                nit += 1
                stop = progress.report(nit, x=x, fun=fun, gm=gm, grad_calls=oracle.grad_calls,
                                       hvp_calls=oracle.hvp_calls)
                if gm <= progress.tol or stop:
                    break
                x = problem.X.project(x - options.step * hyper)
                oracle.check_iterate("x", x)
        except Diverged as exc:
            return failed(progress, oracle, x, str(exc), nit, {"y": y})
        return progress.result(x=x, fun=fun, nit=nit, nfev=oracle.oracle_calls,
                               extra={"y": y, "gm": gm, "inner_step": alpha, **oracle.counts()})
