"""Learning the structure of a linear or nonlinear SEM as a DAG from data."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar, Literal

import numpy as np

from ._check import finite_array
from .base import Problem

__all__ = ["StructureLearning", "find_cycle"]

Edge = tuple[int, int]


class StructureLearning(Problem):
    """Find a weighted DAG W (d x d; W[i, j] != 0 means i -> j) that fits data X.

    Parameters
    ----------
    X : array_like, shape (n, d)
        Samples in rows, variables in columns; finite, ``n >= 2``, no
        constant column. Never modified (solvers centre a copy).
    loss : {'l2', 'logistic'}
        Score: least squares for continuous data, logistic for 0/1 data.
    include_edges, exclude_edges : iterable of (i, j), optional
        Edges that must be present / absent. Nodes must lie in ``0..d-1``,
        the two sets must not overlap, and the included edges must not form
        a cycle.
    name : str
        A label for tables.
    """

    default_methods: ClassVar[tuple[str, ...]] = ("dagma", "notears")

    def __init__(
        self,
        X: Any,
        loss: Literal["l2", "logistic"] = "l2",
        *,
        include_edges: Iterable[Edge] | None = None,
        exclude_edges: Iterable[Edge] | None = None,
        name: str = "",
    ) -> None:
        data = finite_array("X", X, ndim=2)
        n, d = data.shape
        if n < 2:
            raise ValueError(f"X needs at least 2 samples (rows), got {n}")
        if d < 2:
            raise ValueError(f"X needs at least 2 variables (columns), got {d}")
        if loss not in ("l2", "logistic"):
            raise ValueError(f"loss must be 'l2' or 'logistic', got {loss!r}")
        constant = np.flatnonzero(np.ptp(data, axis=0) == 0)
        if constant.size:
            raise ValueError(
                f"X has constant column(s) {constant[:10].tolist()}: a constant variable carries "
                "no information about edges; drop it"
            )
        if loss == "logistic" and not np.all((data == 0) | (data == 1)):
            raise ValueError("loss='logistic' needs 0/1 data in X")
        self.X = data
        self.loss = loss
        self.n, self.d = n, d
        self.include_edges = _edges("include_edges", include_edges, d)
        self.exclude_edges = _edges("exclude_edges", exclude_edges, d)
        overlap = set(self.include_edges) & set(self.exclude_edges)
        if overlap:
            raise ValueError(f"edges {sorted(overlap)} are both included and excluded")
        cycle = find_cycle(d, self.include_edges)
        if cycle:
            raise ValueError(f"include_edges form a cycle {' -> '.join(map(str, cycle))}; the "
                             "result must be a DAG")
        self.name = name

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {"n": self.n, "d": self.d, "loss": self.loss}
        return {"name": self.name, **out} if self.name else out

    @classmethod
    def example(cls, seed: int = 0) -> StructureLearning:
        """Linear Gaussian SEM on a random 6-node DAG with 6 edges, n = 300.

        The true weighted adjacency is kept in ``problem.W_true``.
        """
        rng = np.random.default_rng(seed)
        d, n = 6, 300
        order = rng.permutation(d)
        W = np.zeros((d, d))
        pairs = [(a, b) for a in range(d) for b in range(a + 1, d)]
        for idx in rng.choice(len(pairs), size=6, replace=False):
            a, b = pairs[idx]
            W[order[a], order[b]] = rng.choice([-1, 1]) * rng.uniform(0.5, 2.0)
        X = np.zeros((n, d))
        for j in order:  # topological order
            X[:, j] = X @ W[:, j] + rng.standard_normal(n)
        prob = cls(X, name="sem-er1-d6")
        prob.W_true = W
        return prob


def _edges(name: str, edges: Iterable[Edge] | None, d: int) -> tuple[Edge, ...]:
    if edges is None:
        return ()
    out: list[Edge] = []
    for pos, edge in enumerate(edges):
        try:
            i, j = edge
        except (TypeError, ValueError):
            raise ValueError(f"{name}[{pos}] must be a pair (i, j), got {edge!r}") from None
        if not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in (i, j)):
            raise ValueError(f"{name}[{pos}] must hold integer node indices, got {edge!r}")
        if not (0 <= i < d and 0 <= j < d):
            raise ValueError(f"{name}[{pos}] = {(int(i), int(j))} names a node outside 0..{d - 1}")
        if i == j:
            raise ValueError(f"{name}[{pos}] = {(int(i), int(j))} is a self-loop")
        out.append((int(i), int(j)))
    return tuple(dict.fromkeys(out))


def find_cycle(d: int, edges: tuple[Edge, ...]) -> list[int]:
    """A directed cycle among ``edges`` (as a node list), or [] if acyclic."""
    children: dict[int, list[int]] = {}
    for i, j in edges:
        children.setdefault(i, []).append(j)
    color = [0] * d
    parent = [-1] * d
    for root in range(d):
        if color[root]:
            continue
        stack = [(root, iter(children.get(root, ())))]
        color[root] = 1
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                color[node] = 2
                stack.pop()
            elif color[nxt] == 1:
                cycle = [nxt]
                cur = node
                while cur != nxt:
                    cycle.append(cur)
                    cur = parent[cur]
                return [nxt] + cycle[:0:-1] + [nxt]
            elif color[nxt] == 0:
                color[nxt] = 1
                parent[nxt] = node
                stack.append((nxt, iter(children.get(nxt, ()))))
    return []
