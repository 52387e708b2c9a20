"""DAGMA for nonlinear SEMs: one MLP per node, log-det constraint on the first layer.

Model (the paper's / reference ``DagmaMLP`` with dims [d, m, 1]): for node j,
``x_j ~ sum_k v_jk sigmoid(sum_i U[j, k, i] x_i + a_jk) + c_j``. The first layer
U (d x m x d) is initialised to zero, the second layer (v, c) uniformly in
+-1/sqrt(m). The adjacency is A_ij = sum_k U[j, k, i]^2, the acyclicity is
h_s(A) = -log det(sI - A) + d log s, and the reported W is sqrt(A).

Stage t minimises  mu_t (score + lambda1 ||U||_1 + lambda2/2 ||theta||^2) + h_s
(score = d/2 log(1/n ||X - f(X)||_F^2); the L2 term plays the role of the
reference's Adam weight decay mu lambda2) with analytic gradients in numpy,
by L-BFGS-B on U = Up - Un (bounds >= 0) and the other parameters free. The
objective is divided by mu; a point outside D_s counts as a wall value.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Any

import numpy as np
from scipy.optimize import Bounds, minimize
from scipy.special import expit

from .functions import LogDet, spectral_radius_sq

__all__ = ["MLPModel", "mlp_path"]


@dataclasses.dataclass
class MLPModel:
    """Parameters of the per-node MLPs (shapes: U d x m x d, a d x m, v d x m, c d)."""

    U: np.ndarray
    a: np.ndarray
    v: np.ndarray
    c: np.ndarray

    @classmethod
    def init(cls, d: int, m: int, rng: np.random.Generator) -> MLPModel:
        bound = 1.0 / math.sqrt(m)
        return cls(np.zeros((d, m, d)), np.zeros((d, m)),
                   rng.uniform(-bound, bound, size=(d, m)), rng.uniform(-bound, bound, size=d))

    def adjacency(self) -> np.ndarray:
        """A_ij = sum_k U[j, k, i]^2 (i -> j)."""
        return np.einsum("jki,jki->ij", self.U, self.U)

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self._forward(X)[0]

    def _forward(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        n = X.shape[0]
        d, m, _ = self.U.shape
        Z = X @ self.U.reshape(d * m, d).T + self.a.reshape(-1)  # n x (d m)
        S = expit(Z).reshape(n, d, m)
        out = np.einsum("njk,jk->nj", S, self.v) + self.c
        return out, S


def objective(model: MLPModel, X: np.ndarray, lambda2: float, mu: float,
              s: float, logdet: LogDet) -> tuple[float, MLPModel, float, float] | None:
    """(F, grad F as an MLPModel, score, h) for the smooth part F = score + l2 + h_s / mu.

    Returns None outside D_s.
    """
    n, d = X.shape
    A = model.adjacency()
    out_h = logdet.full(np.sqrt(A), s)
    if out_h is None:
        return None
    h, Minv = out_h
    out, S = model._forward(X)
    R = out - X
    mse = float(np.sum(R * R)) / n
    score = 0.5 * d * math.log(mse)
    G = (d / (n * mse)) * R  # d score / d out
    gv = np.einsum("nj,njk->jk", G, S)
    gc = G.sum(axis=0)
    dZ = (G[:, :, None] * model.v[None, :, :]) * S * (1.0 - S)  # n x d x m
    gU = (dZ.reshape(n, -1).T @ X).reshape(model.U.shape)
    ga = dZ.sum(axis=0)
    # h_s: dh/dA = M^{-T}; A_ij = sum_k U[j,k,i]^2  =>  dh/dU[j,k,i] = 2 U[j,k,i] M^{-T}[i,j]
    gU = gU + (2.0 / mu) * model.U * Minv[:, None, :]
    l2 = 0.5 * lambda2 * sum(float(np.sum(p * p)) for p in (model.U, model.a, model.v, model.c))
    F = score + l2 + h / mu  # the L1 term is linear on the split U = Up - Un: added by the caller
    grad = MLPModel(gU + lambda2 * model.U, ga + lambda2 * model.a, gv + lambda2 * model.v,
                    gc + lambda2 * model.c)
    return F, grad, score, h


def _pack(model: MLPModel) -> np.ndarray:
    U = model.U.ravel()
    return np.concatenate([np.maximum(U, 0.0), np.maximum(-U, 0.0), model.a.ravel(),
                           model.v.ravel(), model.c])


def _unpack(z: np.ndarray, d: int, m: int) -> MLPModel:
    k = d * m * d
    U = (z[:k] - z[k:2 * k]).reshape(d, m, d)
    o = 2 * k
    a = z[o:o + d * m].reshape(d, m)
    v = z[o + d * m:o + 2 * d * m].reshape(d, m)
    c = z[o + 2 * d * m:o + 2 * d * m + d]
    return MLPModel(U, a, v, c)


def _stage(X: np.ndarray, model: MLPModel, lambda1: float, lambda2: float, mu: float, s: float,
           logdet: LogDet, maxiter: int, ftol: float, gtol: float,
           time_up: Callable[[], bool]) -> tuple[MLPModel, dict[str, Any]]:
    d, m, _ = model.U.shape
    k = d * m * d
    rest = 2 * d * m + d
    lb = np.concatenate([np.zeros(2 * k), np.full(rest, -np.inf)])
    ub = np.full(2 * k + rest, np.inf)
    # no self-loops: U[j, :, j] is fixed at zero (both halves)
    diag = np.zeros((d, m, d), dtype=bool)
    diag[np.arange(d), :, np.arange(d)] = True
    fixed = np.concatenate([diag.ravel(), diag.ravel(), np.zeros(rest, dtype=bool)])
    ub[fixed] = 0.0
    l1 = np.concatenate([np.full(2 * k, lambda1), np.zeros(rest)])
    state: dict[str, Any] = {"nfev": 0, "best": math.inf, "z": None, "outside": 0}

    class _Stop(Exception):
        pass

    def fun(z: np.ndarray) -> tuple[float, np.ndarray]:
        state["nfev"] += 1
        if state["nfev"] % 50 == 0 and time_up():
            raise _Stop
        mod = _unpack(z, d, m)
        out = objective(mod, X, lambda2, mu, s, logdet)
        if out is None:
            state["outside"] += 1
            return state["best"] + 1e3 * (1.0 + abs(state["best"])), np.zeros_like(z)
        F, g, _, _ = out
        F += float(l1 @ z)
        if F < state["best"]:
            state["best"], state["z"] = F, z.copy()
        gU = g.U.ravel()
        grad = np.concatenate([gU, -gU, g.a.ravel(), g.v.ravel(), g.c]) + l1
        return F, grad

    z0 = _pack(model)
    stopped = False
    try:
        res = minimize(fun, z0, jac=True, method="L-BFGS-B", bounds=Bounds(lb, ub),
                       options={"maxiter": maxiter, "ftol": ftol, "gtol": gtol, "maxls": 40})
        nit, message = int(res.nit), str(res.message)
    except _Stop:
        nit, message, stopped = -1, "time limit", True
    z = state["z"] if state["z"] is not None else z0
    info = {"steps": nit, "nfev": state["nfev"], "outside_evals": state["outside"],
            "inner_message": message, "obj": mu * state["best"], "stopped": stopped}
    return _unpack(z, d, m), info


def mlp_path(X: np.ndarray, hidden: int, lambda1: float, lambda2: float, T: int, mu_init: float,
             mu_factor: float, s: tuple[float, ...], warm_iter: int, last_iter: int, ftol: float,
             gtol: float, shrink: float, rng: np.random.Generator,
             report: Callable[[int, MLPModel, dict[str, Any]], bool],
             time_up: Callable[[], bool]) -> dict[str, Any]:
    """Run the central path; returns the model, per-stage records and flags."""
    n, d = X.shape
    logdet = LogDet(d)
    model = MLPModel.init(d, hidden, rng)
    mu = mu_init
    stages: list[dict[str, Any]] = []
    stopped = False
    nfev = 0
    for t in range(T):
        rec: dict[str, Any] = {"stage": t, "mu": mu, "s": s[t]}
        A = model.adjacency()
        if not logdet.inside(np.sqrt(A), s[t]):
            a = math.sqrt(shrink * s[t] / spectral_radius_sq(np.sqrt(A)))
            model = dataclasses.replace(model, U=a * model.U)
            rec["rescaled_by"] = a
        steps = last_iter if t == T - 1 else warm_iter
        model, info = _stage(X, model, lambda1, lambda2, mu, s[t], logdet, steps, ftol, gtol,
                             time_up)
        rec.update(info)
        nfev += info["nfev"]
        stages.append(rec)
        if info["stopped"] or report(t + 1, model, rec):
            stopped = True
            break
        mu *= mu_factor
    return {"model": model, "stages": stages, "stopped": stopped, "nfev": nfev}
