"""Quick comparison of the two scipy adapters on problems with known solutions."""

from __future__ import annotations

from typing import Any

import numpy as np

import solverkit
from solverkit.bench import Benchmark, median_time


def hs28() -> tuple[solverkit.EqualityConstrained, np.ndarray]:
    """Hock-Schittkowski 28: solution (0.5, -0.5, 0.5), f* = 0."""
    A = np.array([[1.0, 2.0, 3.0]])

    def fun(x: np.ndarray) -> float:
        return float((x[0] + x[1]) ** 2 + (x[1] + x[2]) ** 2)

    def grad(x: np.ndarray) -> np.ndarray:
        a, b = 2 * (x[0] + x[1]), 2 * (x[1] + x[2])
        return np.array([a, a + b, b])

    hess_f = np.array([[2.0, 2, 0], [2, 4, 2], [0, 2, 2]])
    prob = solverkit.EqualityConstrained(
        fun, grad, lambda x: A @ x - 1.0, lambda x: A, [-4.0, 1.0, 1.0],
        hess=lambda x, lam: hess_f, name="HS28")
    return prob, np.array([0.5, -0.5, 0.5])


def equality_qp(n: int, m: int, seed: int) -> tuple[solverkit.EqualityConstrained, np.ndarray]:
    """Random strictly convex QP with linear equalities, solved in closed form by its KKT system."""
    rng = np.random.default_rng(seed)
    M = rng.standard_normal((n, n))
    Q = M @ M.T / n + np.eye(n)
    q = rng.standard_normal(n)
    A = rng.standard_normal((m, n))
    b = rng.standard_normal(m)
    K = np.block([[Q, A.T], [A, np.zeros((m, m))]])
    x_star = np.linalg.solve(K, np.concatenate([-q, b]))[:n]
    prob = solverkit.EqualityConstrained(
        lambda x: float(0.5 * x @ Q @ x + q @ x), lambda x: Q @ x + q,
        lambda x: A @ x - b, lambda x: A, np.zeros(n), hess=lambda x, lam: Q,
        name=f"eqQP n={n} m={m}")
    return prob, x_star


def run(quick: bool) -> list[dict[str, Any]]:
    cases = [(solverkit.EqualityConstrained.example(), np.array([1.0, 1.0])), hs28(),
             equality_qp(40, 10, 0)]
    if not quick:
        cases += [equality_qp(200, 50, 1)]
    rows = []
    solverkit.solve(cases[0][0], method="slsqp")  # warm-up: import scipy.optimize untimed
    for problem, x_star in cases:
        for method in ("slsqp", "trust-constr"):
            elapsed, res = median_time(lambda p=problem, m=method: solverkit.solve(p, method=m),
                                       repeat=3 if quick else 7)
            rows.append({
                "case": problem.name, "solver": method, "success": res.success, "nit": res.nit,
                "nfev": res.nfev, "time": elapsed,
                "err": float(np.linalg.norm(res.x - x_star)),
                "kkt": res.extra.get("kkt_residual"),
            })
    return rows


BENCHMARK = Benchmark(
    name="scipy",
    run=run,
    reference="trust-constr",
    metrics=("success", "nit", "nfev", "err", "kkt", "time"),
    ratios=("time", "nit"),
    description="scipy adapters on problems with known solutions",
)
