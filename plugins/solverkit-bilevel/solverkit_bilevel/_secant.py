"""Secant tools shared by the solvers: L-BFGS directions and Lipschitz estimates.

Both use only gradient differences (no Hessians): the two-loop recursion turns
(step, gradient change) pairs into an inverse-Hessian product, and the probe
estimates the largest lower-level curvature on one mini-batch by power
iteration on gradient differences.
"""

from __future__ import annotations

import numpy as np

from solverkit.problems import Bilevel

from ._oracle import Oracle

__all__ = ["two_loop", "SecantProbe"]


def two_loop(d: np.ndarray, pairs: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """L-BFGS two-loop recursion: an approximation of H^-1 d from (s, y) pairs."""
    q = d.copy()
    alphas = []
    for s, y in reversed(pairs):
        a = float(s @ q) / float(s @ y)
        alphas.append(a)
        q -= a * y
    s, y = pairs[-1]
    q *= float(s @ y) / float(y @ y)
    for (s, y), a in zip(pairs, reversed(alphas)):
        b = float(y @ q) / float(s @ y)
        q += (a - b) * s
    return q


class SecantProbe:
    """Lipschitz estimates from stochastic gradients at nearby points (same sample)."""

    def __init__(self, oracle: Oracle, problem: Bilevel, rng: np.random.Generator) -> None:
        self.oracle, self.p, self.rng = oracle, problem, rng

    def _dirs(self, dim: int, k: int = 3) -> list[np.ndarray]:
        out = []
        for _ in range(k):
            u = self.rng.standard_normal(dim)
            out.append(u / np.linalg.norm(u))
        return out

    def L_y(self, x: np.ndarray, v: np.ndarray, sigma: float, batch: int,
            iters: int = 20) -> float:
        """Largest curvature of sigma f + g in y on one mini-batch, by power iteration.

        Uses differences of gradients at v and v + h u (same sample), so it
        needs no Hessian; random secants alone underestimate the top
        eigenvalue of an ill-conditioned lower level.
        """
        idx = self.oracle.batch(batch)

        def grad(w: np.ndarray) -> np.ndarray:
            gy = self.oracle.grad_g(x, w, idx)[1]
            return gy + sigma * self.oracle.grad_f(x, w, idx)[1] if sigma else gy

        base, h = grad(v), 1e-4 * (1.0 + np.linalg.norm(v))
        u, est = self._dirs(v.size, 1)[0], 0.0
        for _ in range(iters):
            w = (grad(v + h * u) - base) / h
            est = float(np.linalg.norm(w))
            if est == 0.0:
                break
            u = w / est
        return max(est, 1e-8)
