"""``bilevel-penalty-sl``: single-loop penalty method with STORM-type momentum.

Method spec section 2.3 (Kwon, Kwon, Wright & Nowak, ICLR 2024). Each
iteration draws one mini-batch xi_t of O(1) size and takes one projected step
on y (for h_sigma = sigma f + g), one on z (for g) and one on x (along the
penalty hypergradient d). Each of the three directions is a recursive
momentum estimator

    v_t = G(w_t; xi_t) + (1 - a_t) (v_{t-1} - G(w_{t-1}; xi_t)),

with the SAME sample xi_t evaluated at the new and the old point (a
different sample at the old point loses the variance reduction).

The paper's schedules are not in the spec; the defaults below were chosen by
tuning on the box-constrained quadratic (B2) and the benchopt-style quadratic
(B3), see the README: constant steps alpha = step_y / L_y, beta = step_z / L_z
(L estimated by power iteration on gradient differences over one mini-batch
at the start) and gamma = step_x * sigma * alpha for x (two time scales: the
error of y enters the x-direction multiplied by 1/sigma), and momentum
a_t = max(a_min, (t + 1)^(-2/3)).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

import solverkit
from solverkit.problems import Bilevel

from ._oracle import Diverged, Oracle, check_count, check_positive, failed, gradient_mapping
from ._secant import SecantProbe

__all__ = ["PenaltySLSolver", "PenaltySLOptions"]


@dataclasses.dataclass(frozen=True)
class PenaltySLOptions:
    """Options of ``bilevel-penalty-sl``.

    Attributes
    ----------
    sigma : float or None
        Penalty parameter; None: sigma_factor * eps.
    eps, sigma_factor : float
        Target accuracy and constant for sigma = sigma_factor * eps (1e-2, 1.0).
    batch : int
        Samples per iteration (64), the same for the new and the old point.
    step_y, step_z, step_x : float
        Step factors: alpha = step_y / L_y, beta = step_z / L_z (L by power
        iteration on one mini-batch), gamma = step_x * sigma * alpha (0.5 each).
    momentum_power, momentum_min : float
        a_t = max(momentum_min, (t + 1)^-momentum_power) (2/3 and 0.05).
    max_samples : int or None
        Sample budget (None: none).
    gm_step : float
        Step t of the gradient mapping reported (1.0).
    """

    sigma: float | None = None
    eps: float = 1e-2
    sigma_factor: float = 1.0
    batch: int = 64
    step_y: float = 0.5
    step_z: float = 0.5
    step_x: float = 0.5
    momentum_power: float = 2.0 / 3.0
    momentum_min: float = 0.05
    max_samples: int | None = None
    gm_step: float = 1.0

    def __post_init__(self) -> None:
        check_positive("sigma (the penalty parameter)", self.sigma, allow_none=True)
        for name in ("eps", "sigma_factor", "step_y", "step_z", "step_x", "momentum_power",
                     "gm_step"):
            check_positive(name, getattr(self, name))
        if not 0.0 < self.momentum_min <= 1.0:
            raise ValueError(f"momentum_min must lie in (0, 1], got {self.momentum_min}")
        check_count("batch", self.batch)
        check_count("max_samples", self.max_samples, allow_none=True)


class PenaltySLSolver(solverkit.Solver):
    """Single-loop stochastic penalty method with momentum (ICLR 2024, section 2.3 of the spec)."""

    name = "bilevel-penalty-sl"
    when_to_use = (
        "Stochastic bilevel problems (mini-batch oracles): one sample per step for y, z and x "
        "with momentum estimators, which needs fewer samples than the double loop for the same "
        "accuracy.")
    kinds = (Bilevel,)
    Options = PenaltySLOptions
    summary = "single-loop stochastic penalty method with STORM momentum (O(1) samples/iter)"
    reference = ("J. Kwon, D. Kwon, S. Wright, R. Nowak, On Penalty Methods "
                 "for Nonconvex Bilevel Optimization and First-Order "
                 "Stochastic Approximation, ICLR 2024")
    default_max_iter = 2000
    default_tol = 1e-4
    stochastic = True

    def solve(self, problem: Bilevel, options: PenaltySLOptions, progress: Any) -> Any:
        oracle = Oracle(problem, progress.rng)
        X, Y = problem.X, problem.Y
        sigma = options.sigma if options.sigma is not None else options.sigma_factor * options.eps
        x, y, z = problem.x0.copy(), problem.y0.copy(), problem.y0.copy()
        nit, gm, fun = 0, math.inf, math.nan
        try:
            probe = SecantProbe(oracle, problem, progress.rng)
            alpha = options.step_y / probe.L_y(x, y, sigma, options.batch)
            beta = options.step_z / probe.L_y(x, z, 0.0, options.batch)
            # Two time scales: x must move slower than y and z can track, and the error
            # of y enters d multiplied by 1/sigma, hence gamma = step_x * sigma * alpha.
            gamma = options.step_x * sigma * alpha

            def directions(x: np.ndarray, y: np.ndarray, z: np.ndarray,
                           idx: np.ndarray | None) -> tuple[np.ndarray, ...]:
                fx, fy = oracle.grad_f(x, y, idx)
                gx_y, gy_y = oracle.grad_g(x, y, idx)
                gx_z, gy_z = oracle.grad_g(x, z, idx)
                return sigma * fy + gy_y, gy_z, fx + (gx_y - gx_z) / sigma

            v_y, v_z, v_x = directions(x, y, z, oracle.batch(options.batch))
            while True:
                gm = gradient_mapping(X, x, v_x, options.gm_step)
                fun = float(problem.f(x, y))
                if not math.isfinite(fun):
                    raise Diverged("f became non-finite")
                nit += 1
                stop = progress.report(nit, x=x, fun=fun, gm=gm, samples=oracle.samples,
                                       ll_gap=float(problem.g(x, y) - problem.g(x, z)),
                                       yz_dist=float(np.linalg.norm(y - z)))
                budget = options.max_samples is not None and oracle.samples >= options.max_samples
                if stop or budget:
                    break
                x_new = X.project(x - gamma * v_x)
                y_new = Y.project(y - alpha * v_y)
                z_new = Y.project(z - beta * v_z)
                for label, w in (("x", x_new), ("y", y_new), ("z", z_new)):
                    oracle.check_iterate(label, w)
                a = max(options.momentum_min, (nit + 1) ** -options.momentum_power)
                idx = oracle.batch(options.batch)  # one sample, used at both points
                new = directions(x_new, y_new, z_new, idx)
                old = directions(x, y, z, idx)
                v_y = new[0] + (1 - a) * (v_y - old[0])
                v_z = new[1] + (1 - a) * (v_z - old[1])
                v_x = new[2] + (1 - a) * (v_x - old[2])
                x, y, z = x_new, y_new, z_new
        except Diverged as exc:
            return failed(progress, oracle, x, str(exc), nit, {"y": y, "z": z})
        status = {}
        if progress.stop_status is None:
            status = {"status": solverkit.Status.MAX_ITER,
                      "message": f"sample budget {options.max_samples} reached"}
        # No valid stationarity test on stochastic estimates: it runs to its budget.
        return progress.result(x=x, fun=fun, nit=nit, nfev=oracle.oracle_calls,
                               extra={"y": y, "z": z, "sigma": sigma, "gm_estimate": gm,
                                      "steps": {"alpha": alpha, "beta": beta, "gamma": gamma},
                                      **oracle.counts()}, **status)
