"""NOTEARS (linear) as the baseline: augmented Lagrangian on h(W) = tr(exp(W o W)) - d.

Each subproblem minimises Q(W) + rho/2 h^2 + alpha h + lambda1 sum(Wp + Wn) over
W = Wp - Wn, Wp, Wn >= 0 (diagonal and excluded edges are not variables) with
L-BFGS-B. Multiplier loop: rho = 1, alpha = 0; re-solve with rho <- 10 rho while
h_new > progress_rate * h_prev; then alpha <- alpha + rho h; stop when
h <= h_tol or rho >= rho_max.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy.optimize import Bounds, minimize

from .functions import Score, h_expm

__all__ = ["notears_path"]


class _Stop(Exception):
    pass


def notears_path(problem: Any, options: Any, progress: Any) -> dict[str, Any]:
    """Run the multiplier loop; returns W (unthresholded), h, rho, counters."""
    X, d = problem.X, problem.d
    score = Score(X, problem.loss)
    free = ~np.eye(d, dtype=bool)
    for i, j in problem.exclude_edges:
        free[i, j] = False
    idx = np.flatnonzero(free.ravel())
    k = idx.size
    pen = np.full(k, float(options.lambda1))
    pos = {int(v): p for p, v in enumerate(idx)}
    for i, j in problem.include_edges:
        pen[pos[i * d + j]] = 0.0
    bounds = Bounds(np.zeros(2 * k), np.full(2 * k, np.inf))  # arrays: no per-call list parsing
    Wbuf = np.zeros(d * d)
    counters = {"nfev": 0}

    def to_W(z: np.ndarray) -> np.ndarray:
        Wbuf[idx] = z[:k] - z[k:]
        return Wbuf.reshape(d, d).copy()

    def make_fun(rho: float, alpha: float):
        def fun(z: np.ndarray) -> tuple[float, np.ndarray]:
            counters["nfev"] += 1
            if counters["nfev"] % 50 == 0 and progress.time_up():
                raise _Stop
            W = to_W(z)
            q, gq = score(W)
            h, gh = h_expm(W)
            f = q + 0.5 * rho * h * h + alpha * h + float(pen @ (z[:k] + z[k:]))
            g = (gq + (rho * h + alpha) * gh).ravel()[idx]
            return f, np.concatenate([g + pen, pen - g])
        return fun

    z = np.zeros(2 * k)
    rho, alpha, h = 1.0, 0.0, math.inf
    steps: list[int] = []
    nit = 0
    failed = None
    try:
        for nit in range(1, progress.max_iter + 1):
            z_new, h_new = z, h
            while rho < options.rho_max:
                sol = minimize(make_fun(rho, alpha), z, jac=True, method="L-BFGS-B",
                               bounds=bounds)
                steps.append(int(sol.nit))
                z_new = sol.x
                h_new = h_expm(to_W(z_new))[0]
                if h_new > options.progress_rate * h:
                    rho *= 10.0
                else:
                    break
            z, h = z_new, h_new
            if not math.isfinite(h):
                failed = "h(W) is not finite (exp overflow)"
                break
            alpha += rho * h
            if progress.report(nit, x=to_W(z), fun=score(to_W(z))[0], h=h, rho=rho):
                break
            if h <= options.h_tol or rho >= options.rho_max:
                break
    except _Stop:
        pass
    return {"W": to_W(z), "h": h, "rho": rho, "nit": nit, "nfev": counters["nfev"],
            "steps": steps, "failed": failed}
