"""DAGMA for nonlinear SEMs: one MLP per node, log-det constraint on the first layer.

Model (the paper's / reference ``DagmaMLP`` with dims [d, m1, ..., mL, 1]): for
node j, the first layer is ``z_jk = sum_i U[j, k, i] x_i + a_jk`` (k < m1), then
per-node ("locally connected") layers ``z' = sigmoid(z) V_l[j] + b_l[j]`` down
to one output. The first layer U (d x m1 x d) and its bias start at zero, the
other layers uniformly in +-1/sqrt(fan-in). The adjacency is
A_ij = sum_k U[j, k, i]^2, the acyclicity is h_s(A) = -log det(sI - A) + d log s,
and the reported W is sqrt(A).

Stage t minimises  mu_t (score + lambda1 ||U||_1 + lambda2/2 ||theta||^2) + h_s
(score = d/2 log(1/n ||X - f(X)||_F^2); the L2 term plays the role of the
reference's Adam weight decay mu lambda2) with analytic gradients in numpy
(hand-written backpropagation), by L-BFGS-B on U = Up - Un (bounds >= 0) and
the other parameters free. The objective is divided by mu; a point outside D_s
counts as a wall value.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from scipy.optimize import Bounds, minimize
from scipy.special import expit

from .functions import LogDet, spectral_radius_sq

__all__ = ["MLPModel", "mlp_path"]


@dataclasses.dataclass
class MLPModel:
    """Parameters of the per-node MLPs.

    ``U`` (d x m1 x d) and ``a`` (d x m1) form the first layer; ``layers`` holds
    one ``(V, b)`` pair per later layer, V of shape d x m_in x m_out and b of
    shape d x m_out, the last with m_out = 1.
    """

    U: np.ndarray
    a: np.ndarray
    layers: list[tuple[np.ndarray, np.ndarray]]

    @classmethod
    def init(cls, d: int, hidden: Sequence[int], rng: np.random.Generator) -> MLPModel:
        """Zero first layer, later layers uniform in +-1/sqrt(fan-in) (the reference's init)."""
        dims = [*hidden, 1]
        layers = []
        for m_in, m_out in zip(dims[:-1], dims[1:]):
            bound = 1.0 / math.sqrt(m_in)
            layers.append((rng.uniform(-bound, bound, size=(d, m_in, m_out)),
                           rng.uniform(-bound, bound, size=(d, m_out))))
        return cls(np.zeros((d, dims[0], d)), np.zeros((d, dims[0])), layers)

    def params(self) -> list[np.ndarray]:
        """All parameter arrays, first layer first (the order of packing)."""
        return [self.U, self.a, *(p for layer in self.layers for p in layer)]

    def adjacency(self) -> np.ndarray:
        """A_ij = sum_k U[j, k, i]^2 (i -> j)."""
        return np.einsum("jki,jki->ij", self.U, self.U)

    def predict(self, X: np.ndarray) -> np.ndarray:
        """The fitted f(X), shape n x d (X centred as in the fit)."""
        return self._forward(X)[0]

    def _forward(self, X: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
        """Output (n x d) and the sigmoid activations of every hidden layer."""
        n = X.shape[0]
        d, m, _ = self.U.shape
        H = (X @ self.U.reshape(d * m, d).T + self.a.reshape(-1)).reshape(n, d, m)
        acts = []
        for V, b in self.layers:
            S = expit(H)
            acts.append(S)
            H = np.einsum("njk,jkl->njl", S, V) + b
        return H[:, :, 0], acts


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
    out, acts = model._forward(X)
    R = out - X
    mse = float(np.sum(R * R)) / n
    score = 0.5 * d * math.log(mse)
    G = ((d / (n * mse)) * R)[:, :, None]  # d score / d (last pre-activation), n x d x 1
    grads: list[tuple[np.ndarray, np.ndarray]] = []
    for (V, _), S in zip(reversed(model.layers), reversed(acts)):
        grads.append((np.einsum("njk,njl->jkl", S, G), G.sum(axis=0)))
        G = np.einsum("njl,jkl->njk", G, V) * S * (1.0 - S)  # back through V and the sigmoid
    grads.reverse()
    gU = (G.reshape(n, -1).T @ X).reshape(model.U.shape)
    ga = G.sum(axis=0)
    # h_s: dh/dA = M^{-T}; A_ij = sum_k U[j,k,i]^2  =>  dh/dU[j,k,i] = 2 U[j,k,i] M^{-T}[i,j]
    gU = gU + (2.0 / mu) * model.U * Minv[:, None, :]
    l2 = 0.5 * lambda2 * sum(float(np.sum(p * p)) for p in model.params())
    F = score + l2 + h / mu  # the L1 term is linear on the split U = Up - Un: added by the caller
    grad = MLPModel(gU + lambda2 * model.U, ga + lambda2 * model.a,
                    [(gV + lambda2 * V, gb + lambda2 * b)
                     for (gV, gb), (V, b) in zip(grads, model.layers)])
    return F, grad, score, h


def final_objective(model: MLPModel, X: np.ndarray, lambda1: float, lambda2: float, mu: float,
                    s: float) -> float:
    """score + lambda1 ||U||_1 + lambda2/2 ||theta||^2 + h_s / mu at ``model`` (inf outside D_s)."""
    out = objective(model, X, lambda2, mu, s, LogDet(X.shape[1]))
    return math.inf if out is None else out[0] + lambda1 * float(np.abs(model.U).sum())


def _pack(model: MLPModel) -> np.ndarray:
    U = model.U.ravel()
    return np.concatenate([np.maximum(U, 0.0), np.maximum(-U, 0.0),
                           *(p.ravel() for p in model.params()[1:])])


def _pack_grad(grad: MLPModel) -> np.ndarray:
    gU = grad.U.ravel()
    return np.concatenate([gU, -gU, *(p.ravel() for p in grad.params()[1:])])


def _unpack(z: np.ndarray, like: MLPModel) -> MLPModel:
    k = like.U.size
    U = (z[:k] - z[k:2 * k]).reshape(like.U.shape)
    o = 2 * k
    rest = []
    for p in like.params()[1:]:
        rest.append(z[o:o + p.size].reshape(p.shape))
        o += p.size
    return MLPModel(U, rest[0], [(rest[i], rest[i + 1]) for i in range(1, len(rest), 2)])


def _stage(X: np.ndarray, model: MLPModel, lambda1: float, lambda2: float, mu: float, s: float,
           logdet: LogDet, maxiter: int, ftol: float, gtol: float,
           time_up: Callable[[], bool]) -> tuple[MLPModel, dict[str, Any]]:
    d, m, _ = model.U.shape
    k = d * m * d
    rest = sum(p.size for p in model.params()[1:])
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
        mod = _unpack(z, model)
        out = objective(mod, X, lambda2, mu, s, logdet)
        if out is None:
            state["outside"] += 1
            return state["best"] + 1e3 * (1.0 + abs(state["best"])), np.zeros_like(z)
        F, g, _, _ = out
        F += float(l1 @ z)
        if F < state["best"]:
            state["best"], state["z"] = F, z.copy()
        return F, _pack_grad(g) + l1

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
    return _unpack(z, model), info


def mlp_path(X: np.ndarray, hidden: Sequence[int], lambda1: float, lambda2: float, T: int,
             mu_init: float, mu_factor: float, s: tuple[float, ...], warm_iter: int,
             last_iter: int, ftol: float, gtol: float, shrink: float, rng: np.random.Generator,
             report: Callable[[int, MLPModel, dict[str, Any]], bool],
             time_up: Callable[[], bool], starts: int = 1) -> dict[str, Any]:
    """Run the central path from ``starts`` initialisations; keep the lowest final objective.

    The objective is non-convex: paths from different (random) later-layer
    initialisations end at local minima whose final objective values differ
    (by about 1% at d = 10). Each start draws its initialisation from ``rng`` in
    turn, so ``starts=1`` is the plain single path and every start count is
    reproducible from the seed. The winner is chosen by the final-stage
    objective  score + lambda1 ||U||_1 + lambda2/2 ||theta||^2 + h_s / mu_T,
    never by anything else.
    """
    best: dict[str, Any] | None = None
    runs: list[dict[str, Any]] = []
    done = 0
    for k in range(starts):
        def report_k(stage: int, model: MLPModel, rec: dict[str, Any], k: int = k,
                     done: int = done) -> bool:
            rec["start"] = k
            return report(done + stage, model, rec)

        out = _single_path(X, hidden, lambda1, lambda2, T, mu_init, mu_factor, s, warm_iter,
                           last_iter, ftol, gtol, shrink, rng, report_k, time_up)
        done += len(out["stages"])
        out["objective"] = final_objective(out["model"], X, lambda1, lambda2,
                                           out["stages"][-1]["mu"], out["stages"][-1]["s"])
        runs.append(out)
        complete = len(out["stages"]) == T and not out["stopped"]
        if complete and (best is None or out["objective"] < best["objective"]):
            best = out
        if out["stopped"]:
            break
    if best is None:  # no path ran to the end: keep the last (partial) one
        best = runs[-1]
    return {**best, "starts_objective": [r["objective"] for r in runs],
            "stopped": runs[-1]["stopped"], "nfev": sum(r["nfev"] for r in runs)}


def _single_path(X: np.ndarray, hidden: Sequence[int], lambda1: float, lambda2: float, T: int,
                 mu_init: float, mu_factor: float, s: tuple[float, ...], warm_iter: int,
                 last_iter: int, ftol: float, gtol: float, shrink: float,
                 rng: np.random.Generator,
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
