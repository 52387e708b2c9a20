"""``f2sa``: fully first-order stochastic approximation (baseline).

Kwon, Kwon, Wright & Nowak, "A Fully First-Order Method for Stochastic Bilevel
Optimization", ICML 2023, with the defaults of benchopt's benchmark_bilevel
``F2SA`` solver as the method spec records them: step 0.1, lambda_0 = 1,
delta = 0.01 (penalty growth lambda_{k+1} = lambda_k + delta / (k+1)^(1/7)),
batch 64, 10 inner steps, step sizes decaying as c / (k+1)^e with e = 5/7 for
y, 4/7 for z and 4/7 for x.

In the notation of this plugin sigma_k = 1 / lambda_k: y takes SGD steps on
sigma_k f + g (the scaled penalised lower level), z on g, and x along
grad_x f(x, y) + lambda_k (grad_x g(x, y) - grad_x g(x, z)); every gradient is
a fresh mini-batch. It runs on stochastic oracles when the problem has them,
else on full gradients.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

import solverkit
from solverkit.problems import Bilevel

from ._oracle import Diverged, Oracle, check_count, check_positive, failed, gradient_mapping

__all__ = ["F2SASolver", "F2SAOptions"]


@dataclasses.dataclass(frozen=True)
class F2SAOptions:
    """Options of ``f2sa`` (benchopt defaults).

    Attributes
    ----------
    step_y, step_z, step_x : float
        Initial step sizes c of the y, z and x updates (default 0.1 each).
    lambda0 : float
        Initial penalty weight (1.0).
    delta : float
        Penalty growth (0.01; the spec reports 1.0 tuned for data cleaning).
    batch : int
        Mini-batch size (64).
    inner_steps : int
        y and z steps per outer iteration (10).
    max_samples : int or None
        Stop after this many stochastic samples (None: no budget).
    gm_step : float
        Step t of the reported gradient mapping (1.0).
    """

    step_y: float = 0.1
    step_z: float = 0.1
    step_x: float = 0.1
    lambda0: float = 1.0
    delta: float = 0.01
    batch: int = 64
    inner_steps: int = 10
    max_samples: int | None = None
    gm_step: float = 1.0

    def __post_init__(self) -> None:
        for name in ("step_y", "step_z", "step_x", "lambda0", "gm_step"):
            check_positive(name, getattr(self, name))
        check_positive("delta", self.delta, strict=False)
        for name in ("batch", "inner_steps"):
            check_count(name, getattr(self, name))
        check_count("max_samples", self.max_samples, allow_none=True)


class F2SASolver(solverkit.Solver):
    """F2SA with benchopt's default schedules (baseline)."""

    name = "f2sa"
    when_to_use = (
        "Baseline: the fully first-order stochastic method (F2SA, benchopt defaults) for "
        "stochastic oracles; compare `bilevel-penalty-sl` against it at equal sample budgets.")
    kinds = (Bilevel,)
    Options = F2SAOptions
    summary = "fully first-order stochastic approximation, benchopt defaults (baseline)"
    reference = ("J. Kwon, D. Kwon, S. Wright, R. Nowak, A Fully First-Order Method for "
                 "Stochastic Bilevel Optimization, ICML 2023")
    default_max_iter = 1000
    default_tol = 1e-5
    stochastic = True
    baseline = True

    def solve(self, problem: Bilevel, options: F2SAOptions, progress: Any) -> Any:
        oracle = Oracle(problem, progress.rng)
        X, Y = problem.X, problem.Y
        x, y, z = problem.x0.copy(), problem.y0.copy(), problem.y0.copy()
        lam, nit, gm, fun = options.lambda0, 0, math.inf, math.nan
        stoch = problem.stochastic

        def batch() -> np.ndarray | None:
            return oracle.batch(options.batch) if stoch else None

        try:
            while True:
                k1 = nit + 1
                a = options.step_y / k1 ** (5 / 7)
                b = options.step_z / k1 ** (4 / 7)
                c = options.step_x / k1 ** (4 / 7)
                sigma = 1.0 / lam
                for _ in range(options.inner_steps):
                    idx = batch()
                    gy = oracle.grad_g(x, y, idx)[1] + sigma * oracle.grad_f(x, y, idx)[1]
                    y = Y.project(y - a * gy)
                    z = Y.project(z - b * oracle.grad_g(x, z, batch())[1])
                oracle.check_iterate("y", y)
                oracle.check_iterate("z", z)
                idx = batch()
                d = (oracle.grad_f(x, y, idx)[0]
                     + lam * (oracle.grad_g(x, y, idx)[0] - oracle.grad_g(x, z, idx)[0]))
                gm = gradient_mapping(X, x, d, options.gm_step)
                fun = float(problem.f(x, y))
                if not math.isfinite(fun):
                    raise Diverged("f became non-finite")
                nit += 1
                stop = progress.report(nit, x=x, fun=fun, gm=gm, penalty=lam,
                                       samples=oracle.samples)
                budget = options.max_samples is not None and oracle.samples >= options.max_samples
                if stop or budget:
                    break
                x = X.project(x - c * d)
                oracle.check_iterate("x", x)
                lam += options.delta / k1 ** (1 / 7)
        except Diverged as exc:
            return failed(progress, oracle, x, str(exc), nit, {"y": y, "z": z})
        status = {}
        if progress.stop_status is None:
            status = {"status": solverkit.Status.MAX_ITER,
                      "message": f"sample budget {options.max_samples} reached"}
        # F2SA has no convergence test of its own: it runs to its budget.
        return progress.result(x=x, fun=fun, nit=nit, nfev=oracle.oracle_calls,
                               extra={"y": y, "z": z, "penalty": lam, "gm": gm,
                                      **oracle.counts()}, **status)
