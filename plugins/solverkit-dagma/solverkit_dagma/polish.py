"""Greedy local search over DAGs that lowers the penalised least-squares score (l2 loss only).

The central path ends in one basin of a nonconvex problem, and the threshold
cuts its output to a DAG whose weights were shrunk by the L1 term and bent by
the barrier. This step takes that DAG and improves the problem's own objective
restricted to DAGs, Q(W) + lambda1 ||W||_1 with h(W) = 0, by local moves:

* reverse an edge (if the graph stays acyclic),
* delete an edge,
* add an edge among the pairs the path nearly chose (|W_raw| >= w_threshold / 3),
* re-select a node's whole parent set: the support of its Lasso over the nodes
  that are not its descendants, or the current set with one parent swapped for
  (or added to by) a node of that support (single-edge moves cannot swap
  parents of a hub).

Each graph is scored with the least-squares weights on its support (one small
solve per node, through S = X'X / n), so the score is decomposable: a move
changes one or two nodes' terms. The single-edge move with the largest
decrease is taken until none decreases the score by more than a relative
1e-9; then the re-selection runs, and the two alternate until the graph stops
changing. Nothing here looks at the ground truth; required edges are never
removed or reversed and excluded edges are never added.
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


def _descendants(children: list[set[int]], j: int) -> set[int]:
    """Every node reachable from j (j itself excluded)."""
    out: set[int] = set()
    stack = [j]
    while stack:
        for c in children[stack.pop()]:
            if c not in out:
                out.add(c)
                stack.append(c)
    return out


def _lasso_columns(S: np.ndarray, W0: np.ndarray, allowed: np.ndarray, pen: np.ndarray,
                   floor: float, sweeps: int = 100, tol: float = 1e-5
                   ) -> tuple[np.ndarray, bool]:
    """Column-wise Lasso: argmin over W (zero off ``allowed``) of Q(W) + sum(pen o |W|).

    Q(W) = 1/2 tr((I - W)' S (I - W)) separates over columns, so this is d
    independent Lasso problems in Gram form; cyclic coordinate descent updates row a
    of W (coordinate a of every column) at once, warm-started at ``W0``. The callers
    use only the support of entries well above ``floor``; a dense Lasso solution has
    many tiny weights that settle far more slowly than those, so the stopping rule
    (largest change in a sweep <= tol * max(1, max |W0|)) looks only at entries
    whose magnitude reaches ``floor``. Returns (W, whether that rule was met).
    """
    W = np.where(allowed, W0, 0.0)
    diag = np.maximum(np.diag(S), 1e-300)
    scale = max(float(np.abs(W0).max()), 1.0)
    # the columns are independent problems: each leaves the sweeps once it has converged,
    # so the few slow ones (hubs with many correlated candidates) do not cost a full sweep
    cols = np.arange(S.shape[0])
    Wc = W.copy()
    mask = allowed / diag[:, None]  # 1 / S_aa where allowed, else 0
    pen_c = pen.copy()
    Sc = S.copy()  # S[:, cols]: the right-hand sides of the active columns
    for _ in range(sweeps):
        before = Wc.copy()
        for a in range(S.shape[0]):
            # the correlation of coordinate a with the residual, W[a] left out, soft-thresholded
            r = Sc[a] - S[a] @ Wc + diag[a] * Wc[a]
            Wc[a] = (np.maximum(r - pen_c[a], 0.0) + np.minimum(r + pen_c[a], 0.0)) * mask[a]
        big = (np.abs(Wc) >= floor) | (np.abs(before) >= floor)
        change = np.where(big, np.abs(Wc - before), 0.0).max(axis=0)
        done = change <= tol * scale
        if done.any():
            W[:, cols] = Wc
            if done.all():
                return W, True
            keep = ~done
            cols = cols[keep]
            Wc, mask, pen_c, Sc = (np.ascontiguousarray(x[:, keep]) for x in (Wc, mask, pen_c, Sc))
    W[:, cols] = Wc
    return W, False


class _Graph:
    """The DAG under search: parent and child sets and each node's score term."""

    def __init__(self, A: np.ndarray, node: _NodeScore) -> None:
        d = A.shape[0]
        self.d = d
        self.node = node
        self.parents = [frozenset(np.flatnonzero(A[:, j]).tolist()) for j in range(d)]
        self.children = [set(np.flatnonzero(A[i]).tolist()) for i in range(d)]
        self.terms = [node(j, self.parents[j])[0] for j in range(d)]

    def set_parents(self, j: int, new: frozenset[int], term: float) -> None:
        for i in self.parents[j] - new:
            self.children[i].discard(j)
        for i in new - self.parents[j]:
            self.children[i].add(j)
        self.parents[j] = new
        self.terms[j] = term


def _greedy(g: _Graph, cand_add: list[tuple[int, int]], include: set[tuple[int, int]],
            exclude: set[tuple[int, int]], moves: list[tuple[str, int, int]],
            max_moves: int) -> None:
    """Best single-edge move (delete, reverse, add) until none lowers the score."""
    node, parents, children, terms = g.node, g.parents, g.children, g.terms
    while len(moves) < max_moves:
        total = sum(terms)
        best: tuple[float, str, int, int, Any] | None = None
        for j in range(g.d):
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
            return
        _, kind, i, j, vals = best
        if kind in ("delete", "reverse"):
            g.set_parents(j, parents[j] - {i}, vals[0])
        if kind == "reverse":
            g.set_parents(i, parents[i] | {j}, vals[1])
        if kind == "add":
            g.set_parents(j, parents[j] | {i}, vals[0])
        moves.append((kind, i, j))


def _reselect(g: _Graph, S: np.ndarray, lambda1: float, w_threshold: float,
              include: set[tuple[int, int]], exclude: set[tuple[int, int]],
              moves: list[tuple[str, int, int]], warm: np.ndarray, sweeps: int
              ) -> tuple[bool, bool]:
    """Replace a node's whole parent set by its Lasso support among its non-descendants.

    Single-edge moves cannot swap several parents at once: on a hub with dozens of
    parents the path may have picked a few wrong ones whose removal (or whose
    replacement, one at a time) raises the score. The Lasso of node j on every node
    that is not its descendant is convex, so its support is the best sparse parent
    set the L1 term offers for that order; it is taken when its least-squares score
    is lower. ``warm`` (the previous round's Lasso solution, or the current
    least-squares weights) is the start and receives the new solution, after at most
    ``sweeps`` coordinate-descent sweeps. Returns (whether any node changed, whether
    the Lasso converged).
    """
    d = g.d
    allowed = np.zeros((d, d), dtype=bool)
    for j in range(d):
        allowed[:, j] = True
        allowed[list(_descendants(g.children, j)), j] = False
        allowed[j, j] = False
    for i, j in exclude:
        allowed[i, j] = False
    pen = np.full((d, d), lambda1)
    for i, j in include:
        pen[i, j] = 0.0
    L, converged = _lasso_columns(S, warm, allowed, pen, floor=w_threshold / 30.0,
                                  sweeps=sweeps)
    warm[:] = L  # the next round starts from here: its allowed sets differ only a little
    cuts = (w_threshold / 3.0, w_threshold / 2.0, w_threshold)
    proposals = []
    for j in range(d):
        required = {i for i, k in include if k == j}
        # the Lasso support often carries many tiny weights that the final threshold would
        # drop anyway; its restrictions to |w| >= cut are scored too, and the best is proposed
        best = (g.terms[j], g.parents[j])
        for cut in cuts:
            new = frozenset(np.flatnonzero(np.abs(L[:, j]) > cut).tolist()) | required
            # the final output drops least-squares weights below w_threshold, so a proposal is
            # pruned the same way first (a set that only wins through such weights is no gain)
            for _ in range(3):
                w = g.node(j, new)[1]
                keep = frozenset(p for p, v in zip(sorted(new), w)
                                 if abs(v) >= w_threshold) | required
                if keep == new:
                    break
                new = keep
            if new != best[1]:
                term = g.node(j, new)[0]
                if term < best[0]:
                    best = (term, new)
        # one-for-one swaps with the Lasso's strong candidates: a wrong parent that explains
        # most of a true one's signal blocks both the single add and the single delete
        cur = g.parents[j]
        cands = [int(c) for c in np.flatnonzero(np.abs(L[:, j]) > cuts[0]) if int(c) not in cur]
        for c in cands:
            for p in [None, *sorted(cur)]:
                if p is not None and (p, j) in include:
                    continue
                new = (cur - {p} if p is not None else cur) | {c}
                term = g.node(j, new)[0]
                if term < best[0]:
                    best = (term, new)
        if best[0] < g.terms[j] - 1e-9 * max(abs(g.terms[j]), 1.0):
            proposals.append((g.terms[j] - best[0], j, best[1], best[0]))
    changed = False
    # largest gain first; a later proposal is applied only if it keeps the graph acyclic
    # (the supports were computed for the graph before any of them was applied)
    for _, j, new, term in sorted(proposals, key=lambda p: -p[0]):
        added = new - g.parents[j]
        if added & (_descendants(g.children, j) | {j}):
            continue
        g.set_parents(j, new, term)
        moves.append(("reselect", -1, j))
        changed = True
    return changed, converged


def polish_dag(S: np.ndarray, A: np.ndarray, W_raw: np.ndarray, lambda1: float,
               w_threshold: float, include: set[tuple[int, int]],
               exclude: set[tuple[int, int]], max_moves: int = 10000, max_rounds: int = 20,
               lasso_sweeps: int = 200) -> tuple[np.ndarray, dict[str, Any]]:
    """Improve the DAG ``A`` (0/1) by local moves; return (W, facts).

    Rounds of: greedy single-edge moves until none helps, then one Lasso
    re-selection of every node's parent set (:func:`_reselect`, 40 Lasso sweeps
    per round, ``lasso_sweeps`` in all); stop when a round changes nothing and
    the Lasso has converged, or the sweeps are used up. Every accepted move
    lowers the score, so the search ends. W holds the least-squares weights on
    the final support (edges whose weight falls below ``w_threshold`` are then
    dropped, except required ones, and their nodes refitted). ``facts``: the
    score before and after, the moves (``("reselect", -1, j)`` for a re-selected
    node j).
    """
    d = A.shape[0]
    node = _NodeScore(S, lambda1)
    g = _Graph(np.asarray(A), node)
    start = float(sum(g.terms))
    cand_add = [(int(i), int(j)) for i, j in np.argwhere(np.abs(W_raw) >= w_threshold / 3.0)
                if i != j and (int(i), int(j)) not in exclude]
    moves: list[tuple[str, int, int]] = []
    warm = None
    sweeps_left = lasso_sweeps
    for _ in range(max_rounds):
        _greedy(g, cand_add, include, exclude, moves, max_moves)
        if len(moves) >= max_moves or sweeps_left <= 0:
            break
        if warm is None:
            warm = np.zeros((d, d))
            for j in range(d):
                if g.parents[j]:
                    warm[sorted(g.parents[j]), j] = node(j, g.parents[j])[1]
        # a few sweeps per round, continued from the previous round's solution: the supports
        # of strong entries settle early, and the graph changes between rounds anyway
        changed, converged = _reselect(g, S, lambda1, w_threshold, include, exclude, moves,
                                       warm, min(40, sweeps_left))
        sweeps_left -= 40
        if not changed and converged:
            break
    parents = g.parents
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
