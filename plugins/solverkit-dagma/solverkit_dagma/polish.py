"""Greedy local search over DAGs that lowers the penalised least-squares score (l2 loss only).

The central path ends in one basin of a nonconvex problem, and the threshold
cuts its output to a DAG whose weights were shrunk by the L1 term and bent by
the barrier. This step takes that DAG and improves the problem's own objective
restricted to DAGs, Q(W) + lambda1 ||W||_1 with h(W) = 0, by single-edge moves:

* reverse an edge (if the graph stays acyclic),
* delete an edge,
* add an edge among the pairs the path nearly chose (|W_raw| >= w_threshold / 3).

Each graph is scored with the least-squares weights on its support (one small
solve per node, through S = X'X / n), so the score is decomposable: a move
changes one or two nodes' terms. The move with the largest decrease is taken
until none decreases the score by more than a relative 1e-9. Nothing here
looks at the ground truth; required edges are never removed or reversed and
excluded edges are never added.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["polish_dag"]


class _NodeScore:
    """q_j(P) + lambda1 ||w_j||_1 with w_j the least-squares weights of node j on parents P."""

    def __init__(self, S: np.ndarray, lambda1: float) -> None:
        self.S = S
        self.lambda1 = lambda1
        self.cache: dict[tuple[int, frozenset[int]], tuple[float, np.ndarray]] = {}

    def __call__(self, j: int, parents: frozenset[int]) -> tuple[float, np.ndarray]:
        key = (j, parents)
        hit = self.cache.get(key)
        if hit is not None:
            return hit
        S = self.S
        if not parents:
            out = (0.5 * float(S[j, j]), np.zeros(0))
        else:
            P = np.fromiter(sorted(parents), dtype=int)
            try:
                w = np.linalg.solve(S[np.ix_(P, P)], S[P, j])
            except np.linalg.LinAlgError:
                w = np.linalg.lstsq(S[np.ix_(P, P)], S[P, j], rcond=None)[0]
            q = 0.5 * float(S[j, j] - S[P, j] @ w)
            out = (q + self.lambda1 * float(np.abs(w).sum()), w)
        self.cache[key] = out
        return out


def _reaches(children: list[set[int]], src: int, dst: int, skip: tuple[int, int]) -> bool:
    """Whether dst is reachable from src, ignoring the edge ``skip``."""
    stack, seen = [src], {src}
    while stack:
        v = stack.pop()
        for c in children[v]:
            if (v, c) == skip or c in seen:
                continue
            if c == dst:
                return True
            seen.add(c)
            stack.append(c)
    return False


def polish_dag(S: np.ndarray, A: np.ndarray, W_raw: np.ndarray, lambda1: float,
               w_threshold: float, include: set[tuple[int, int]],
               exclude: set[tuple[int, int]], max_moves: int = 10000
               ) -> tuple[np.ndarray, dict[str, Any]]:
    """Improve the DAG ``A`` (0/1) by greedy single-edge moves; return (W, facts).

    W holds the least-squares weights on the final support (edges whose weight
    falls below ``w_threshold`` are then dropped, except required ones, and
    their nodes refitted). ``facts``: the score before and after, and the moves.
    """
    d = A.shape[0]
    node = _NodeScore(S, lambda1)
    parents = [frozenset(np.flatnonzero(A[:, j]).tolist()) for j in range(d)]
    children = [set(np.flatnonzero(A[i]).tolist()) for i in range(d)]
    terms = [node(j, parents[j])[0] for j in range(d)]
    start = float(sum(terms))
    cand_add = [(int(i), int(j)) for i, j in np.argwhere(np.abs(W_raw) >= w_threshold / 3.0)
                if i != j and (int(i), int(j)) not in exclude]
    moves: list[tuple[str, int, int]] = []
    for _ in range(max_moves):
        total = sum(terms)
        best: tuple[float, str, int, int, Any] | None = None
        for j in range(d):
            for i in parents[j]:
                if (i, j) in include:
                    continue
                # delete i -> j
                new_j = node(j, parents[j] - {i})[0]
                gain = terms[j] - new_j
                if best is None or gain > best[0]:
                    best = (gain, "delete", i, j, (new_j,))
                # reverse i -> j into j -> i (the acyclicity search, the costly part, runs
                # only for a move that would be the best so far)
                if (j, i) in exclude:
                    continue
                new_i = node(i, parents[i] | {j})[0]
                gain = terms[j] + terms[i] - new_j - new_i
                if gain > best[0] and not _reaches(children, i, j, skip=(i, j)):
                    best = (gain, "reverse", i, j, (new_j, new_i))
        for i, j in cand_add:
            if i in parents[j] or j in parents[i]:
                continue
            new_j = node(j, parents[j] | {i})[0]
            gain = terms[j] - new_j
            if (best is None or gain > best[0]) and not _reaches(children, j, i, skip=(-1, -1)):
                best = (gain, "add", i, j, (new_j,))
        if best is None or best[0] <= 1e-9 * max(abs(total), 1.0):
            break
        _, kind, i, j, vals = best
        if kind in ("delete", "reverse"):
            parents[j] = parents[j] - {i}
            children[i].discard(j)
            terms[j] = vals[0]
        if kind == "reverse":
            parents[i] = parents[i] | {j}
            children[j].add(i)
            terms[i] = vals[1]
        if kind == "add":
            parents[j] = parents[j] | {i}
            children[i].add(j)
            terms[j] = vals[0]
        moves.append((kind, i, j))
    W = np.zeros((d, d))
    for j in range(d):
        w = node(j, parents[j])[1]
        P = sorted(parents[j])
        keep = [p for p, v in zip(P, w) if abs(v) >= w_threshold or (p, j) in include]
        if len(keep) != len(P):
            parents[j] = frozenset(keep)
            w = node(j, parents[j])[1]
            P = keep
        W[P, j] = w
    end = float(sum(node(j, parents[j])[0] for j in range(d)))
    return W, {"polish_score_before": start, "polish_score_after": end, "polish_moves": moves}
