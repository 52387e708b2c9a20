"""``bome``: Bilevel Optimization Made Easy (baseline).

Liu, Ye, Wright, Stone & Liu, "BOME! Bilevel Optimization Made Easy: A Simple
First-Order Approach", NeurIPS 2022, as the method spec (section 4) records it.
With z_T from T gradient steps on g(x, .) started at y, the value-function gap
q(x, y) = g(x, y) - g(x, z_T) >= 0 is the constraint of min f s.t. q <= 0, and
(x, y) moves jointly along

    d = grad f + lambda grad q,  lambda = max((phi - <grad f, grad q>) / ||grad q||^2, 0),

with phi = eta ||grad q||^2: the smallest multiplier for which d decreases q at
rate phi (<d, grad q> >= phi). grad q = (grad_x g(x, y) - grad_x g(x, z_T),
grad_y g(x, y)), treating z_T as fixed (Danskin). Projections onto X and Y keep
the iterates feasible. Fixed steps, so it is a baseline, not a tuned method.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

import solverkit
from solverkit.problems import Bilevel

from ._oracle import Diverged, Oracle, check_count, check_positive, failed
from ._secant import SecantProbe

__all__ = ["BOMESolver", "BOMEOptions", "bome_direction"]


@dataclasses.dataclass(frozen=True)
class BOMEOptions:
    """Options of ``bome``.

    Attributes
    ----------
    eta : float
        Rate phi = eta ||grad q||^2 at which each step must decrease q (0.5).
    inner_steps : int
        Gradient steps T on g(x, .) that give z_T, started at y (10).
    step : float
        Fixed step on (x, y) (default 0.1).
    inner_step : float or None
        Step of the T inner steps (None: 0.5 / L, L from a power iteration on
        gradient differences of g in y at the start).
    gm_step : float
        Step t of the stopping test ||(w - Proj(w - t d)) / t|| <= tol, w = (x, y).
    batch : int
        Mini-batch size when the problem has stochastic oracles (64; one fresh
        batch per gradient, as in benchopt's stochastic BOME); full gradients
        otherwise. With mini-batches the run never claims convergence.
    max_samples : int or None
        Stop after this many stochastic samples (None: no budget).
    """

    eta: float = 0.5
    inner_steps: int = 10
    step: float = 0.1
    inner_step: float | None = None
    gm_step: float = 1.0
    batch: int = 64
    max_samples: int | None = None

    def __post_init__(self) -> None:
        check_count("batch", self.batch)
        check_count("max_samples", self.max_samples, allow_none=True)
        for name in ("eta", "step", "gm_step"):
            check_positive(name, getattr(self, name))
        check_positive("inner_step", self.inner_step, allow_none=True)
        check_count("inner_steps", self.inner_steps)


def bome_direction(fx: np.ndarray, fy: np.ndarray, qx: np.ndarray, qy: np.ndarray,
                   eta: float) -> tuple[np.ndarray, np.ndarray, float]:
    """BOME's joint direction (dx, dy) and multiplier lambda from grad f and grad q.

    lambda = max((eta ||grad q||^2 - <grad f, grad q>) / ||grad q||^2, 0), so that
    <d, grad q> >= eta ||grad q||^2 (with equality when lambda > 0). When grad q
    vanishes the constraint is inactive and d = grad f.
    """
    qq = float(qx @ qx + qy @ qy)
    if qq == 0.0:
        return fx, fy, 0.0
    lam = max((eta * qq - float(fx @ qx + fy @ qy)) / qq, 0.0)
    return fx + lam * qx, fy + lam * qy, lam


class BOMESolver(solverkit.Solver):
    """BOME: first-order value-function method with a dynamic multiplier (baseline)."""

    name = "bome"
    when_to_use = (
        "Baseline: BOME (NeurIPS 2022), a first-order value-function method that moves x "
        "and y jointly with a dynamic multiplier; compare the penalty methods against it.")
    kinds = (Bilevel,)
    Options = BOMEOptions
    summary = "BOME, first-order value-function method with dynamic multiplier (baseline)"
    reference = ("B. Liu, M. Ye, S. Wright, P. Stone, Q. Liu, BOME! Bilevel Optimization Made "
                 "Easy: A Simple First-Order Approach, NeurIPS 2022")
    default_max_iter = 5000
    default_tol = 1e-5
    baseline = True

    def solve(self, problem: Bilevel, options: BOMEOptions, progress: Any) -> Any:
        oracle = Oracle(problem, progress.rng)
        X, Y = problem.X, problem.Y
        x, y = problem.x0.copy(), problem.y0.copy()
        z = y.copy()
        nit, fun, lam, gm = 0, math.nan, 0.0, math.inf
        stoch = problem.stochastic

        def batch() -> np.ndarray | None:
            return oracle.batch(options.batch) if stoch else None

        try:
            alpha = options.inner_step or 0.5 / SecantProbe(oracle, problem, progress.rng).L_y(
                x, y, 0.0, options.batch if stoch else 1)
            while True:
                z = y.copy()
                for _ in range(options.inner_steps):
                    z = Y.project(z - alpha * oracle.grad_g(x, z, batch())[1])
                oracle.check_iterate("z", z)
                fx, fy = oracle.grad_f(x, y, batch())
                idx = batch()  # one batch for both x-gradients of q, so their noise cancels
                gx, gy = oracle.grad_g(x, y, idx)
                qx = gx - oracle.grad_g(x, z, idx)[0]
                dx, dy, lam = bome_direction(fx, fy, qx, gy, options.eta)
                t = options.gm_step
                gm = math.hypot(float(np.linalg.norm(x - X.project(x - t * dx))),
                                float(np.linalg.norm(y - Y.project(y - t * dy)))) / t
                fun = oracle.f(x, y)
                nit += 1
                stop = progress.report(nit, x=x, fun=fun, gm=gm, multiplier=lam,
                                       ll_gap=problem.g(x, y) - problem.g(x, z),
                                       grad_calls=oracle.grad_calls, samples=oracle.samples)
                budget = options.max_samples is not None and oracle.samples >= options.max_samples
                if (gm <= progress.tol and not stoch) or stop or budget:
                    break
                x = X.project(x - options.step * dx)
                y = Y.project(y - options.step * dy)
                oracle.check_iterate("x", x)
                oracle.check_iterate("y", y)
        except Diverged as exc:
            return failed(progress, oracle, x, str(exc), nit, {"y": y, "z": z})
        status = {}
        if progress.stop_status is None and not (gm <= progress.tol and not stoch):
            status = {"status": solverkit.Status.MAX_ITER,
                      "message": f"sample budget {options.max_samples} reached"}
        return progress.result(x=x, fun=fun, nit=nit, nfev=oracle.oracle_calls,
                               extra={"y": y, "z": z, "multiplier": lam, "gm": gm,
                                      **oracle.counts()}, **status)
