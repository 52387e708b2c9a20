"""Simulation and evaluation helpers with the conventions of NOTEARS / DAGMA.

All randomness comes from an explicit ``rng`` (a :class:`numpy.random.Generator`,
or anything :func:`numpy.random.default_rng` accepts), never a global seed.
The graph generators are written here (no igraph): ER draws exactly ``s0``
undirected edges uniformly and orients them by a random order; SF is the
directed Barabasi-Albert model (each new node sends ``m`` edges to distinct
earlier nodes chosen with probability proportional to in-degree + 1).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np

from solverkit.problems.structure import find_cycle as core_find_cycle

__all__ = [
    "simulate_dag",
    "simulate_parameter",
    "simulate_linear_sem",
    "simulate_nonlinear_sem",
    "count_accuracy",
    "is_dag",
    "find_cycle",
    "topological_order",
    "break_cycles",
]

GraphType = Literal["ER", "SF", "BP", "Fully"]
NoiseType = Literal["gauss", "exp", "gumbel", "uniform", "logistic", "poisson"]


def _rng(rng: Any) -> np.random.Generator:
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


def _permute(B: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Relabel the nodes by a random permutation (P' B P)."""
    perm = rng.permutation(B.shape[0])
    return B[np.ix_(perm, perm)]


def simulate_dag(d: int, s0: int, graph_type: GraphType, rng: Any = None) -> np.ndarray:
    """Random DAG as a 0/1 adjacency matrix (``B[i, j] = 1`` means ``i -> j``).

    Parameters
    ----------
    d : int
        Number of nodes (>= 1).
    s0 : int
        Expected number of edges: exactly ``s0`` for ER and BP (capped at the
        maximum possible), ``m = round(s0 / d)`` edges per new node for SF.
    graph_type : {'ER', 'SF', 'BP', 'Fully'}
        Erdos-Renyi, scale-free (directed Barabasi-Albert), bipartite with 20%
        top nodes, or a complete DAG.
    rng : Generator or seed, optional
        Source of randomness.

    Returns
    -------
    numpy.ndarray, shape (d, d)
        Float 0/1 adjacency matrix of a DAG with randomly permuted node labels.
    """
    if isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d < 1:
        raise ValueError(f"d must be a positive integer, got {d!r}")
    if isinstance(s0, bool) or not isinstance(s0, (int, np.integer)) or s0 < 0:
        raise ValueError(f"s0 must be a non-negative integer, got {s0!r}")
    rng = _rng(rng)
    B = np.zeros((d, d))
    if graph_type == "ER":
        pairs = d * (d - 1) // 2
        m = min(int(s0), pairs)
        lower = np.tril_indices(d, k=-1)
        chosen = rng.choice(pairs, size=m, replace=False)
        # undirected edges, relabelled, then oriented along the label order (lower triangle)
        U = np.zeros((d, d))
        U[lower[0][chosen], lower[1][chosen]] = 1.0
        U = U + U.T
        B = np.tril(_permute(U, rng), k=-1)
    elif graph_type == "SF":
        m = int(round(s0 / d))
        indeg = np.zeros(d)
        for v in range(1, d):
            k = min(m, v)
            if k == 0:
                continue
            weights = indeg[:v] + 1.0
            targets = rng.choice(v, size=k, replace=False, p=weights / weights.sum())
            B[v, targets] = 1.0
            indeg[targets] += 1.0
    elif graph_type == "BP":
        top = int(0.2 * d)
        bottom = d - top
        m = min(int(s0), top * bottom)
        chosen = rng.choice(top * bottom, size=m, replace=False)
        B[chosen // bottom, top + chosen % bottom] = 1.0
    elif graph_type == "Fully":
        B = np.tril(np.ones((d, d)), k=-1)
    else:
        raise ValueError(f"graph_type must be 'ER', 'SF', 'BP' or 'Fully', got {graph_type!r}")
    return _permute(B, rng)


def simulate_parameter(
    B: np.ndarray,
    w_ranges: Sequence[tuple[float, float]] = ((-2.0, -0.5), (0.5, 2.0)),
    rng: Any = None,
) -> np.ndarray:
    """Edge weights: each edge of ``B`` gets a uniform draw from a randomly chosen range."""
    B = np.asarray(B, dtype=float)
    if B.ndim != 2 or B.shape[0] != B.shape[1]:
        raise ValueError(f"B must be a square matrix, got shape {B.shape}")
    if not w_ranges:
        raise ValueError("w_ranges must hold at least one (low, high) range")
    rng = _rng(rng)
    W = np.zeros(B.shape)
    S = rng.integers(len(w_ranges), size=B.shape)
    for i, (low, high) in enumerate(w_ranges):
        U = rng.uniform(low=low, high=high, size=B.shape)
        W += B * (S == i) * U
    return W


def simulate_linear_sem(
    W: np.ndarray,
    n: float,
    sem_type: NoiseType = "gauss",
    noise_scale: float | Sequence[float] | None = None,
    rng: Any = None,
) -> np.ndarray:
    """Samples of the linear SEM ``X_j = X @ W[:, j] + z_j`` in topological order.

    Parameters
    ----------
    W : array, shape (d, d)
        Weighted adjacency matrix of a DAG.
    n : int or inf
        Number of samples. ``numpy.inf`` returns the population version
        ``sqrt(d) * diag(scale) @ inv(I - W)`` (Gaussian noise only), whose
        ``X'X / d`` is the true covariance.
    sem_type : {'gauss', 'exp', 'gumbel', 'uniform', 'logistic', 'poisson'}
        Noise law (scale 1 by default); ``logistic`` gives 0/1 data
        ``Bernoulli(sigmoid(X W_j))`` and ``poisson`` counts ``Poisson(exp(X W_j))``.
    noise_scale : float or sequence of d floats, optional
        Noise scale per variable (default 1).
    rng : Generator or seed, optional

    Returns
    -------
    numpy.ndarray, shape (n, d)
    """
    W = np.asarray(W, dtype=float)
    if W.ndim != 2 or W.shape[0] != W.shape[1]:
        raise ValueError(f"W must be a square matrix, got shape {W.shape}")
    d = W.shape[0]
    scale = np.ones(d) if noise_scale is None else np.broadcast_to(
        np.asarray(noise_scale, dtype=float), (d,)).copy()
    if not is_dag(W):
        raise ValueError("W must be the weighted adjacency matrix of a DAG")
    if sem_type not in ("gauss", "exp", "gumbel", "uniform", "logistic", "poisson"):
        raise ValueError("sem_type must be one of gauss, exp, gumbel, uniform, logistic, poisson; "
                         f"got {sem_type!r}")
    if math.isinf(n):
        if sem_type != "gauss":
            raise ValueError("the population version (n = inf) exists for sem_type='gauss' only")
        return np.sqrt(d) * np.diag(scale) @ np.linalg.inv(np.eye(d) - W)
    if n != int(n) or n < 1:
        raise ValueError(f"n must be a positive integer or inf, got {n!r}")
    n = int(n)
    rng = _rng(rng)
    X = np.zeros((n, d))
    for j in topological_order(W):
        mean = X @ W[:, j]
        if sem_type == "gauss":
            X[:, j] = mean + rng.normal(scale=scale[j], size=n)
        elif sem_type == "exp":
            X[:, j] = mean + rng.exponential(scale=scale[j], size=n)
        elif sem_type == "gumbel":
            X[:, j] = mean + rng.gumbel(scale=scale[j], size=n)
        elif sem_type == "uniform":
            X[:, j] = mean + rng.uniform(low=-scale[j], high=scale[j], size=n)
        elif sem_type == "logistic":
            X[:, j] = rng.binomial(1, 1.0 / (1.0 + np.exp(-mean))).astype(float)
        else:  # poisson
            X[:, j] = rng.poisson(np.exp(mean)).astype(float)
    return X


def simulate_nonlinear_sem(
    B: np.ndarray,
    n: int,
    sem_type: Literal["mlp", "mim"] = "mlp",
    noise_scale: float | Sequence[float] | None = None,
    rng: Any = None,
) -> np.ndarray:
    """Samples of a nonlinear SEM ``X_j = f_j(X_pa(j)) + z_j`` (Gaussian noise).

    ``mlp``: f_j(x) = sigmoid(x W1) w2 with 100 hidden units, weights
    uniform in +-[0.5, 2]. ``mim``: f_j(x) = tanh(x w1) + cos(x w2) + sin(x w3),
    weights likewise (the NOTEARS / DAGMA conventions).
    """
    B = np.asarray(B)
    if B.ndim != 2 or B.shape[0] != B.shape[1]:
        raise ValueError(f"B must be a square matrix, got shape {B.shape}")
    if sem_type not in ("mlp", "mim"):
        raise ValueError(f"sem_type must be 'mlp' or 'mim', got {sem_type!r}")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    d = B.shape[0]
    scale = np.ones(d) if noise_scale is None else np.broadcast_to(
        np.asarray(noise_scale, dtype=float), (d,)).copy()
    rng = _rng(rng)

    def signed(size: Any) -> np.ndarray:
        w = rng.uniform(0.5, 2.0, size=size)
        w[rng.random(size) < 0.5] *= -1
        return w

    X = np.zeros((n, d))
    for j in topological_order(B):
        pa = np.flatnonzero(B[:, j])
        z = rng.normal(scale=scale[j], size=n)
        if pa.size == 0:
            X[:, j] = z
            continue
        Xp = X[:, pa]
        if sem_type == "mlp":
            W1, w2 = signed((pa.size, 100)), signed(100)
            X[:, j] = (1.0 / (1.0 + np.exp(-(Xp @ W1)))) @ w2 + z
        else:
            w1, w2, w3 = signed(pa.size), signed(pa.size), signed(pa.size)
            X[:, j] = np.tanh(Xp @ w1) + np.cos(Xp @ w2) + np.sin(Xp @ w3) + z
    return X


def topological_order(W: np.ndarray) -> list[int]:
    """A topological order of the graph of ``W`` (Kahn); raises if it has a cycle."""
    A = np.asarray(W) != 0
    d = A.shape[0]
    indeg = A.sum(axis=0).astype(int)
    ready = sorted(np.flatnonzero(indeg == 0).tolist(), reverse=True)
    order: list[int] = []
    while ready:
        v = ready.pop()
        order.append(v)
        for c in np.flatnonzero(A[v]):
            indeg[c] -= 1
            if indeg[c] == 0:
                ready.append(int(c))
    if len(order) != d:
        raise ValueError("the graph has a directed cycle; no topological order exists")
    return order


def is_dag(W: np.ndarray) -> bool:
    """Whether the graph of ``W`` (``W[i, j] != 0`` means ``i -> j``) is acyclic."""
    return not find_cycle(W)


def find_cycle(W: np.ndarray) -> list[int]:
    """One directed cycle of the graph of ``W`` as ``[v0, v1, ..., v0]``, or ``[]``.

    Self-loops count as cycles of length one. The search is the core's (the
    same one that validates ``include_edges``).
    """
    rows, cols = np.nonzero(np.asarray(W))
    return core_find_cycle(np.shape(W)[0], tuple(zip(rows.tolist(), cols.tolist())))


def break_cycles(
    W: np.ndarray, protected: Sequence[tuple[int, int]] = ()
) -> tuple[np.ndarray, list[tuple[int, int, float]]]:
    """Make the graph of ``W`` acyclic: while a cycle remains, delete its smallest-|w| edge.

    Edges in ``protected`` (e.g. required edges, which are themselves acyclic)
    are never deleted. Returns a new matrix and the deleted ``(i, j, w)``.
    """
    W = np.array(W, dtype=float, copy=True)
    keep = set(map(tuple, protected))
    removed: list[tuple[int, int, float]] = []
    while True:
        cycle = find_cycle(W)
        if not cycle:
            return W, removed
        edges = [(a, b) for a, b in zip(cycle[:-1], cycle[1:]) if (a, b) not in keep]
        if not edges:
            raise ValueError(f"protected edges form a cycle {cycle}")
        i, j = min(edges, key=lambda e: (abs(W[e]), e))
        removed.append((int(i), int(j), float(W[i, j])))
        W[i, j] = 0.0


def count_accuracy(B_true: np.ndarray, B_est: np.ndarray) -> dict[str, float]:
    """Edge accuracy of an estimated graph, with the NOTEARS / DAGMA keys and formulas.

    Parameters
    ----------
    B_true : array, shape (d, d)
        Ground-truth graph; nonzero entries are edges.
    B_est : array, shape (d, d)
        Estimated graph: a 0/1 DAG, or a CPDAG where ``-1`` marks an
        undirected edge (stored once, at ``[i, j]`` or ``[j, i]``).

    Returns
    -------
    dict
        ``fdr`` (reversed + false positive) / predicted, ``tpr`` true positive /
        true edges, ``fpr`` (reversed + false positive) / (d(d-1)/2 - true
        edges), ``shd`` extra + missing skeleton edges + reversed, ``nnz``
        number of predicted edges.
    """
    B_true = np.asarray(B_true)
    B_est = np.asarray(B_est)
    if B_true.shape != B_est.shape or B_true.ndim != 2 or B_true.shape[0] != B_true.shape[1]:
        raise ValueError(f"B_true and B_est must be square of the same shape, got {B_true.shape} "
                         f"and {B_est.shape}")
    B_true = (B_true != 0).astype(float)
    if (B_est == -1).any():
        if not ((B_est == 0) | (B_est == 1) | (B_est == -1)).all():
            raise ValueError("B_est should take values in {0, 1, -1}")
        if ((B_est == -1) & (B_est.T == -1)).any():
            raise ValueError("an undirected edge should be stored once (-1 at [i, j] only)")
    else:
        if not ((B_est == 0) | (B_est == 1)).all():
            raise ValueError("B_est should take values in {0, 1}")
        if not is_dag(B_est):
            raise ValueError("B_est should be a DAG")
    d = B_true.shape[0]
    pred_und = np.flatnonzero(B_est == -1)
    pred = np.flatnonzero(B_est == 1)
    cond = np.flatnonzero(B_true)
    cond_reversed = np.flatnonzero(B_true.T)
    cond_skeleton = np.concatenate([cond, cond_reversed])
    true_pos = np.intersect1d(pred, cond, assume_unique=True)
    true_pos_und = np.intersect1d(pred_und, cond_skeleton, assume_unique=True)
    true_pos = np.concatenate([true_pos, true_pos_und])
    false_pos = np.setdiff1d(pred, cond_skeleton, assume_unique=True)
    false_pos_und = np.setdiff1d(pred_und, cond_skeleton, assume_unique=True)
    false_pos = np.concatenate([false_pos, false_pos_und])
    extra = np.setdiff1d(pred, cond, assume_unique=True)
    reverse = np.intersect1d(extra, cond_reversed, assume_unique=True)
    pred_size = len(pred) + len(pred_und)
    cond_neg_size = 0.5 * d * (d - 1) - len(cond)
    fdr = float(len(reverse) + len(false_pos)) / max(pred_size, 1)
    tpr = float(len(true_pos)) / max(len(cond), 1)
    fpr = float(len(reverse) + len(false_pos)) / max(cond_neg_size, 1)
    pred_lower = np.flatnonzero(np.tril(B_est + B_est.T))
    cond_lower = np.flatnonzero(np.tril(B_true + B_true.T))
    extra_lower = np.setdiff1d(pred_lower, cond_lower, assume_unique=True)
    missing_lower = np.setdiff1d(cond_lower, pred_lower, assume_unique=True)
    shd = len(extra_lower) + len(missing_lower) + len(reverse)
    return {"fdr": fdr, "tpr": tpr, "fpr": fpr, "shd": shd, "nnz": pred_size}
