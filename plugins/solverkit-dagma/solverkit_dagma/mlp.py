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

__all__ = ["MLPModel", "Workspace", "mlp_path"]


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

    def _forward(self, X: np.ndarray, work: Workspace | None = None
                 ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Output (n x d) and the sigmoid activations of every hidden layer.

        Activations are stored node-major, d x m x n, so every per-node layer is
        one batched matmul (V[j]' S[j]) on contiguous blocks. With a ``work``
        space they are written into its buffers (overwritten by the next call).
        """
        n = X.shape[0]
        d, m, _ = self.U.shape
        if work is None:
            work = Workspace(self, n)
        H = work.acts[0]
        np.matmul(self.U.reshape(d * m, d), work.XT(X), out=H.reshape(d * m, n))
        H += self.a[:, :, None]
        for t, (V, b) in enumerate(self.layers):
            expit(H, out=H)  # H now holds the activations S of layer t
            nxt = work.acts[t + 1] if t + 1 < len(self.layers) else None
            H = np.matmul(V.transpose(0, 2, 1), H, out=nxt)
            H += b[:, :, None]
        return H[:, 0, :].T, work.acts


class Workspace:
    """Reusable d x m x n buffers for one data set and one network shape.

    At d = 20, n = 1000, m = 10 each is 1.6 MB: allocating them afresh on every
    evaluation cost more in page faults than the arithmetic itself (measured:
    2-3 ms of a 7 ms evaluation), so the inner loop writes into these instead.
    """

    def __init__(self, model: MLPModel, n: int) -> None:
        d = model.U.shape[0]
        widths = [model.U.shape[1], *(V.shape[2] for V, _ in model.layers[:-1])]
        self.acts = [np.empty((d, w, n)) for w in widths]
        self.back = [np.empty((d, w, n)) for w in widths]
        self.tmp = [np.empty((d, w, n)) for w in widths]
        self._X: np.ndarray | None = None
        self._XT: np.ndarray | None = None

    def XT(self, X: np.ndarray) -> np.ndarray:
        """X' as a contiguous array, cached for the last X seen."""
        if self._X is not X:
            self._X, self._XT = X, np.ascontiguousarray(X.T)
        return self._XT


def objective(model: MLPModel, X: np.ndarray, lambda2: float, mu: float,
              s: float, logdet: LogDet, work: Workspace | None = None
              ) -> tuple[float, MLPModel, float, float] | None:
    """(F, grad F as an MLPModel, score, h) for the smooth part F = score + l2 + h_s / mu.

    Returns None outside D_s. ``work`` (optional) holds reusable buffers.
    """
    n, d = X.shape
    A = model.adjacency()
    out_h = logdet.full(np.sqrt(A), s)
    if out_h is None:
        return None
    h, Minv = out_h
    if work is None:
        work = Workspace(model, n)
    out, acts = model._forward(X, work)
    R = out - X
    mse = float(np.sum(R * R)) / n
    score = 0.5 * d * math.log(mse)
    G = ((d / (n * mse)) * R.T)[:, None, :]  # d score / d (last pre-activation), d x 1 x n
    grads: list[tuple[np.ndarray, np.ndarray]] = []
    for t in reversed(range(len(model.layers))):
        V, S = model.layers[t][0], acts[t]
        grads.append((np.matmul(S, G.transpose(0, 2, 1)), G.sum(axis=2)))
        # back through V and the sigmoid: G <- (V G) o S o (1 - S), in place
        Gb, tmp = work.back[t], work.tmp[t]
        if G.shape[1] == 1:
            np.multiply(V, G, out=Gb)  # an outer product per node: no matmul needed
        else:
            np.matmul(V, G, out=Gb)
        np.multiply(Gb, S, out=Gb)
        np.multiply(Gb, S, out=tmp)
        np.subtract(Gb, tmp, out=Gb)
        G = Gb
    grads.reverse()
    gU = (G.reshape(-1, n) @ X).reshape(model.U.shape)
    ga = G.sum(axis=2)
    # h_s: dh/dA = M^{-T}; A_ij = sum_k U[j,k,i]^2  =>  dh/dU[j,k,i] = 2 U[j,k,i] M^{-T}[i,j]
    gU = gU + (2.0 / mu) * model.U * Minv[:, None, :]
    l2 = 0.5 * lambda2 * sum(float(np.sum(p * p)) for p in model.params())
    F = score + l2 + h / mu  # the L1 term is linear on the split U = Up - Un: added by the caller
    grad = MLPModel(gU + lambda2 * model.U, ga + lambda2 * model.a,
                    [(gV + lambda2 * V, gb + lambda2 * b)
                     for (gV, gb), (V, b) in zip(grads, model.layers)])
    return F, grad, score, h


def score_diag(model: MLPModel, X: np.ndarray, lambda2: float) -> MLPModel:
    """Gauss-Newton diagonal of score + lambda2/2 ||theta||^2: d/(n mse) sum_n (d f_nj / d theta)^2
    + lambda2 (the log's own curvature, negative semidefinite, is left out)."""
    n, d = X.shape
    out, acts = model._forward(X)
    R = out - X
    c = d / float(np.sum(R * R))  # d / (n mse)
    P = np.ones((d, 1, n))  # d f / d (pre-activation of the current layer), per sample
    diags: list[tuple[np.ndarray, np.ndarray]] = []
    for (V, _), S in zip(reversed(model.layers), reversed(acts)):
        P2 = P * P
        diags.append((c * np.matmul(S * S, P2.transpose(0, 2, 1)) + lambda2,
                      c * P2.sum(axis=2) + lambda2))
        P = np.matmul(V, P) * (S - S * S)
    diags.reverse()
    P2 = (P * P).reshape(-1, n)
    hU = (c * (P2 @ (X * X))).reshape(model.U.shape) + lambda2
    return MLPModel(hU, c * P2.sum(axis=1).reshape(model.a.shape) + lambda2, diags)


def barrier_diag(model: MLPModel, mu: float, s: float, logdet: LogDet) -> np.ndarray | None:
    """Exact d^2 (h_s / mu) / d U[j,k,i]^2 = (2 M^-1_ji + 4 U[j,k,i]^2 (M^-1_ji)^2) / mu
    (A_ij = sum_k U[j,k,i]^2, dh/dA = M^-T); None outside D_s."""
    out_h = logdet.full(np.sqrt(model.adjacency()), s)
    if out_h is None:
        return None
    Mji = out_h[1][:, None, :]
    return (2.0 * Mji + 4.0 * (model.U * Mji) ** 2) / mu


def barrier_scaling(model: MLPModel, X: np.ndarray, lambda2: float, mu: float, s: float,
                    logdet: LogDet) -> np.ndarray | None:
    """Scale factors for the packed variables that take out the barrier's stiffness.

    Near a DAG, h_s / mu is stiff along single first-layer weights: a weight of
    the reverse of a strong edge i -> j has curvature 2 M^-1_ij / mu ~ 2 A_ij /
    (s^2 mu), about 1e4 times the score's at mu = 1e-4, so L-BFGS crawls. Each
    U[j,k,i] is scaled by sqrt(r_j / (r_j + b)), with b its barrier curvature
    (``barrier_diag``) and r_j the mean Gauss-Newton score curvature of node j's
    first-layer weights: 1 where the barrier is flat (so the first stage, which
    starts at U = 0, runs as unscaled), sqrt(r_j / b) where it dominates. The
    other parameters are not scaled. A diagonal change of variables: the stage
    problem and its minimisers are unchanged. None outside D_s.
    """
    hb = barrier_diag(model, mu, s, logdet)
    if hb is None:
        return None
    r = score_diag(model, X, lambda2).U.mean(axis=(1, 2), keepdims=True)
    scU = np.sqrt(r / (r + np.maximum(hb, 0.0)))
    # the self-loop weights U[j, :, j] are fixed at 0: left unscaled, as their gradient
    # entries still enter L-BFGS's y'y (so at U = 0 every factor is 1 and the first
    # stage starts exactly as without scaling)
    d = scU.shape[0]
    scU[np.arange(d), :, np.arange(d)] = 1.0
    scU = scU.ravel()
    rest = sum(p.size for p in model.params()[1:])
    return np.concatenate([scU, scU, np.ones(rest)])


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
           time_up: Callable[[], bool], restarts: int = 1) -> tuple[MLPModel, dict[str, Any]]:
    """One stage by L-BFGS-B on (Up, Un, rest), diagonally preconditioned.

    As in the linear solver, the variables are scaled against the barrier's
    stiffness (``barrier_scaling`` at the stage's start), and the scaling is
    refreshed once by a restart when the first run took 20 steps or more.
    """
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
    work = Workspace(model, X.shape[0])

    class _Stop(Exception):
        pass

    def fun(u: np.ndarray, sc: np.ndarray) -> tuple[float, np.ndarray]:
        state["nfev"] += 1
        if state["nfev"] % 50 == 0 and time_up():
            raise _Stop
        z = u * sc
        mod = _unpack(z, model)
        out = objective(mod, X, lambda2, mu, s, logdet, work)
        if out is None:
            state["outside"] += 1
            return state["best"] + 1e3 * (1.0 + abs(state["best"])), np.zeros_like(z)
        F, g, _, _ = out
        F += float(l1 @ z)
        if F < state["best"]:
            state["best"], state["z"] = F, z.copy()
        return F, (_pack_grad(g) + l1) * sc

    z = _pack(model)
    z0 = z
    nit, message, stopped, restarted = 0, "", False, 0
    while True:
        sc = barrier_scaling(_unpack(z, model), X, lambda2, mu, s, logdet)
        if sc is None:  # not reached: every stage starts inside D_s
            sc = np.ones_like(z)
        try:
            res = minimize(fun, z / sc, args=(sc,), jac=True, method="L-BFGS-B",
                           bounds=Bounds(lb, ub),
                           # the step cap is the cap: scipy's default maxfun (15000
                           # evaluations) silently cut stages at a third of warm_iter
                           options={"maxiter": maxiter - nit, "maxfun": 41 * (maxiter - nit),
                                    "ftol": ftol, "gtol": gtol, "maxls": 40})
        except _Stop:
            message, stopped = "time limit", True
            break
        nit += int(res.nit)
        message = str(res.message)
        if state["z"] is not None:
            z = state["z"]
        if restarted >= restarts or nit >= maxiter or res.nit < 20:
            break
        restarted += 1
    z = state["z"] if state["z"] is not None else z0
    info = {"steps": nit, "nfev": state["nfev"], "outside_evals": state["outside"],
            "restarts": restarted, "inner_message": message, "obj": mu * state["best"],
            "stopped": stopped}
    return _unpack(z, model), info


def mlp_path(X: np.ndarray, hidden: Sequence[int], lambda1: float, lambda2: float, T: int,
             mu_init: float, mu_factor: float, s: tuple[float, ...], warm_iter: int,
             last_iter: int, ftol: float, gtol: float, shrink: float, rng: np.random.Generator,
             report: Callable[[int, MLPModel, dict[str, Any]], bool],
             time_up: Callable[[], bool], starts: int = 1,
             warm_ftol: float | None = None) -> dict[str, Any]:
    """Run the central path from ``starts`` initialisations; keep the lowest final objective.

    The objective is non-convex: paths from different (random) later-layer
    initialisations end at local minima whose final objective values differ
    (by about 1% at d = 10). Each start draws its initialisation from ``rng`` in
    turn, so ``starts=1`` is the plain single path and every start count is
    reproducible from the seed. The winner is chosen by the final-stage
    objective  score + lambda1 ||U||_1 + lambda2/2 ||theta||^2 + h_s / mu_T,
    never by anything else. ``warm_ftol`` (default ``ftol``) is the L-BFGS-B
    ``ftol`` of the warm stages t < T - 1, ``ftol`` that of the last stage.
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
                           last_iter, ftol, gtol, shrink, rng, report_k, time_up,
                           ftol if warm_ftol is None else warm_ftol)
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
                 time_up: Callable[[], bool], warm_ftol: float) -> dict[str, Any]:
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
        tol = ftol if t == T - 1 else warm_ftol
        model, info = _stage(X, model, lambda1, lambda2, mu, s[t], logdet, steps, tol, gtol,
                             time_up)
        rec.update(info)
        nfev += info["nfev"]
        stages.append(rec)
        if info["stopped"] or report(t + 1, model, rec):
            stopped = True
            break
        mu *= mu_factor
    return {"model": model, "stages": stages, "stopped": stopped, "nfev": nfev}
