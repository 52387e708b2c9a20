"""Fast incremental oracles implementing :class:`solverkit.problems.submodular.SetFunction`.

Every oracle here has *persistent* states: ``add`` returns a new state and
never modifies the one it was given, so solvers may keep the state of every
prefix of a solution without copying. Each oracle also offers ``gains(state,
ids)``, the vectorised form of ``gain`` (one call per id under the counting
rule, see :mod:`solverkit_submodular.counting`), and returns exactly what the
scalar ``gain`` returns, element by element.

Classes
-------
SetCoverage
    f(S) = number of items covered by the sets in S (Python-int bit sets for
    one gain, packed ``uint64`` rows and ``bitwise_count`` for many).
WeightedCoverage
    f(S) = total weight of the items covered (sparse incidence matrix).
GraphCoverage
    Vertex v covers its closed neighbourhood; a :class:`SetCoverage`.
FacilityLocation
    f(S) = sum_i max_{j in S} sim[i, j] over a dense or sparse (k-NN)
    non-negative similarity matrix (rows: points served, columns: candidates).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp

__all__ = [
    "SetCoverage",
    "WeightedCoverage",
    "GraphCoverage",
    "FacilityLocation",
    "knn_similarity",
    "dense_similarity",
]


_ZERO = np.zeros(1, dtype=np.int64)


def _as_item_lists(sets: Sequence[Iterable[int]], name: str) -> list[np.ndarray]:
    if isinstance(sets, (str, bytes)) or not hasattr(sets, "__len__") or len(sets) == 0:
        raise ValueError(f"{name} must be a non-empty sequence of item collections")
    out = []
    for j, items in enumerate(sets):
        arr = np.unique(np.asarray(list(items), dtype=np.int64))
        if arr.size and arr[0] < 0:
            raise ValueError(f"{name}[{j}] holds a negative item id {arr[0]}; items are >= 0")
        out.append(arr)
    return out


def _check_ids(ids: Any, n: int) -> np.ndarray:
    arr = np.asarray(ids, dtype=np.int64).reshape(-1)
    if arr.size and (arr.min() < 0 or arr.max() >= n):
        bad = arr[(arr < 0) | (arr >= n)][0]
        raise IndexError(f"element id {bad} is outside the ground set 0..{n - 1}")
    return arr


class SetCoverage:
    """Coverage f(S) = |union of the sets of S|, element j owning ``sets[j]``.

    Parameters
    ----------
    sets : sequence of iterables of int
        ``sets[j]`` is the items (non-negative ints) element ``j`` covers.
    universe : int, optional
        Number of items; default one more than the largest item.

    Notes
    -----
    A state is the covered-items bit set as a Python ``int``, so ``add`` is
    one OR and states are immutable. ``gain`` is ``|set_e| - popcount(mask_e &
    covered)``. ``gains`` on many ids unpacks the covered bits once and counts
    each set's covered items from a CSR item list (O(total set size), no
    per-element Python work); on a few ids it uses the scalar form.
    """

    persistent_states = True
    _SCALAR_BELOW = 40  # below this many ids the per-id popcount is faster

    def __init__(self, sets: Sequence[Iterable[int]], universe: int | None = None) -> None:
        items = _as_item_lists(sets, "sets")
        top = max((int(a[-1]) for a in items if a.size), default=-1) + 1
        self.universe = top if universe is None else int(universe)
        if self.universe < top:
            raise ValueError(f"universe={universe} but an item id {top - 1} occurs")
        self.n = len(items)
        self._bytes = max(1, (self.universe + 7) // 8)
        self.sizes = np.array([a.size for a in items], dtype=np.int64)
        self._sizes = self.sizes.tolist()
        self._indptr = np.concatenate([[0], np.cumsum(self.sizes)]).astype(np.int64)
        self._indices = np.concatenate(items) if items else np.zeros(0, dtype=np.int64)
        self._masks = self._pack(items)

    def _pack(self, items: list[np.ndarray], chunk: int = 1024) -> list[int]:
        """Each set's bit mask as a Python int (packed in chunks to bound memory)."""
        masks: list[int] = []
        for lo in range(0, len(items), chunk):
            block = items[lo:lo + chunk]
            bits = np.zeros((len(block), self._bytes * 8), dtype=bool)
            rows = np.repeat(np.arange(len(block)), [a.size for a in block])
            bits[rows, np.concatenate(block) if block else rows] = True
            packed = np.packbits(bits, axis=1, bitorder="little")
            masks += [int.from_bytes(row.tobytes(), "little") for row in packed]
        return masks

    def empty(self) -> int:
        return 0

    def gain(self, state: int, e: int) -> float:
        return float(self._sizes[e] - (self._masks[e] & state).bit_count())

    def gains(self, state: int, ids: Any) -> np.ndarray:
        ids = _check_ids(ids, self.n)
        if ids.size < self._SCALAR_BELOW:
            masks, sizes = self._masks, self._sizes
            return np.array([float(sizes[e] - (masks[e] & state).bit_count())
                             for e in ids.tolist()], dtype=np.float64)
        covered = np.unpackbits(np.frombuffer(state.to_bytes(self._bytes, "little"),
                                              dtype=np.uint8), bitorder="little").view(bool)
        lens = self.sizes[ids]
        ends = np.cumsum(lens)
        offsets = np.repeat(self._indptr[ids] - (ends - lens), lens) + np.arange(ends[-1])
        hit = covered[self._indices[offsets]]
        owner = np.repeat(np.arange(ids.size), lens)
        return (lens - np.bincount(owner, weights=hit, minlength=ids.size)).astype(np.float64)

    def add(self, state: int, e: int) -> int:
        return state | self._masks[e]

    def value(self, state: int) -> float:
        return float(state.bit_count())

    def __repr__(self) -> str:
        return f"SetCoverage(n={self.n}, universe={self.universe})"


class WeightedCoverage:
    """Weighted coverage f(S) = sum of ``weights[i]`` over the items i covered by S.

    Parameters
    ----------
    sets : sequence of iterables of int
        ``sets[j]`` is the items element ``j`` covers.
    weights : array of float
        Non-negative finite weight of each item.

    Notes
    -----
    A state is a read-only boolean "covered" vector; ``add`` copies it (one
    vector of ``len(weights)`` bytes); ``gains`` gathers the items of all ids
    and sums them per id in one ``np.add.reduceat``.
    """

    persistent_states = True

    def __init__(self, sets: Sequence[Iterable[int]], weights: Any) -> None:
        items = _as_item_lists(sets, "sets")
        w = np.asarray(weights, dtype=np.float64).reshape(-1)
        if not np.all(np.isfinite(w)) or np.any(w < 0):
            raise ValueError("weights must be finite and non-negative (f must be monotone)")
        top = max((int(a[-1]) for a in items if a.size), default=-1) + 1
        if top > w.size:
            raise ValueError(f"an item id {top - 1} has no weight (len(weights) = {w.size})")
        self.weights = w
        self.n = len(items)
        indptr = np.cumsum([0] + [a.size for a in items])
        indices = np.concatenate(items) if items else np.zeros(0, dtype=np.int64)
        self._indptr = np.asarray(indptr, dtype=np.int64)
        self._indices = np.asarray(indices, dtype=np.int64)  # the items of each id, in order
        self._items = items
        self._w_items = [w[a] for a in items]

    def empty(self) -> np.ndarray:
        state = np.zeros(self.weights.size, dtype=bool)
        state.flags.writeable = False
        return state

    def gain(self, state: np.ndarray, e: int) -> float:
        items = self._items[e]
        if items.size == 0:
            return 0.0
        # np.add.reduceat, not .sum(): the reduction gains() runs per segment, so that
        # the scalar and vectorised answers agree bit for bit
        return float(np.add.reduceat(np.where(state[items], 0.0, self._w_items[e]), _ZERO)[0])

    def gains(self, state: np.ndarray, ids: Any) -> np.ndarray:
        ids = _check_ids(ids, self.n)
        if ids.size == 0:
            return np.zeros(0)
        # gather the items of every id into one contiguous array and sum each id's
        # segment with np.add.reduceat: the same contiguous reduction (numpy's pairwise
        # sum) gain() runs on that segment, so the answers agree bit for bit (tested)
        indptr, indices = self._indptr, self._indices
        starts, lens = indptr[ids], indptr[ids + 1] - indptr[ids]
        offsets = np.zeros(ids.size + 1, dtype=np.int64)
        np.cumsum(lens, out=offsets[1:])
        pos = np.repeat(starts - offsets[:-1], lens) + np.arange(offsets[-1])
        items = indices[pos]
        vals = np.where(state[items], 0.0, self.weights[items])
        out = np.zeros(ids.size)
        full = lens > 0  # reduceat returns vals[start] for an empty segment: skip those
        if full.any():
            out[full] = np.add.reduceat(vals, offsets[:-1][full])
        return out

    def add(self, state: np.ndarray, e: int) -> np.ndarray:
        new = state.copy()
        new[self._items[e]] = True
        new.flags.writeable = False
        return new

    def value(self, state: np.ndarray) -> float:
        return float(self.weights[state].sum())

    def __repr__(self) -> str:
        return f"WeightedCoverage(n={self.n}, items={self.weights.size})"


class GraphCoverage(SetCoverage):
    """Graph coverage: vertex ``v`` covers itself and its neighbours.

    Parameters
    ----------
    graph : networkx graph, scipy.sparse adjacency matrix or list of neighbour lists
        With networkx, element ``j`` is ``nodes[j]`` (``list(graph.nodes)``).
    """

    def __init__(self, graph: Any) -> None:
        if hasattr(graph, "adj") and hasattr(graph, "nodes"):  # networkx, without importing it
            self.nodes = list(graph.nodes)
            index = {v: j for j, v in enumerate(self.nodes)}
            neigh = [[index[u] for u in graph.adj[v]] for v in self.nodes]
        elif sp.issparse(graph):
            adj = sp.csr_matrix(graph)
            if adj.shape[0] != adj.shape[1]:
                raise ValueError(f"adjacency matrix must be square, got shape {adj.shape}")
            neigh = [adj.indices[adj.indptr[v]:adj.indptr[v + 1]] for v in range(adj.shape[0])]
            self.nodes = list(range(adj.shape[0]))
        else:
            neigh = [list(ns) for ns in graph]
            self.nodes = list(range(len(neigh)))
        n = len(neigh)
        sets = [np.append(np.asarray(ns, dtype=np.int64), v) for v, ns in enumerate(neigh)]
        super().__init__(sets, universe=n)

    def __repr__(self) -> str:
        return f"GraphCoverage(n={self.n})"


class FacilityLocation:
    """Facility location f(S) = sum_i max(0, max_{j in S} sim[i, j]).

    Parameters
    ----------
    similarity : (m, n) array or scipy.sparse matrix
        Non-negative, finite. Row i is a point to serve, column j a candidate
        (element id j). A sparse matrix (e.g. from :func:`knn_similarity`)
        costs O(nnz of column j) per gain instead of O(m).

    Notes
    -----
    A state is the read-only vector of current best similarities per row.
    """

    persistent_states = True

    def __init__(self, similarity: Any) -> None:
        if sp.issparse(similarity):
            csc = sp.csc_matrix(similarity, dtype=np.float64)
            csc.sum_duplicates()
            data = csc.data
            self.sparse = True
            self._indptr, self._rows, self._data = csc.indptr, csc.indices, data
            self.m, self.n = csc.shape
        else:
            sim = np.asarray(similarity, dtype=np.float64)
            if sim.ndim != 2 or sim.size == 0:
                raise ValueError(f"similarity must be a non-empty 2-D matrix, got shape "
                                 f"{sim.shape}")
            data = sim
            self.sparse = False
            self._cols = np.ascontiguousarray(sim.T)  # row e = candidate e's column
            self.m, self.n = sim.shape
        if not np.all(np.isfinite(data)):
            raise ValueError("similarity must be finite")
        if data.size and data.min() < 0:
            raise ValueError(f"similarity must be non-negative (found {data.min():.3g}); "
                             "shift or clip it, e.g. RBF or max(cosine, 0)")

    def empty(self) -> np.ndarray:
        state = np.zeros(self.m)
        state.flags.writeable = False
        return state

    def _column(self, e: int) -> tuple[Any, np.ndarray]:
        lo, hi = self._indptr[e], self._indptr[e + 1]
        return self._rows[lo:hi], self._data[lo:hi]

    def gain(self, state: np.ndarray, e: int) -> float:
        if self.sparse:
            rows, vals = self._column(e)
            return float(np.maximum(vals - state[rows], 0.0).sum())
        return float(np.maximum(self._cols[e] - state, 0.0).sum())

    def gains(self, state: np.ndarray, ids: Any) -> np.ndarray:
        ids = _check_ids(ids, self.n)
        if ids.size == 0:
            return np.zeros(0)
        if self.sparse:
            return np.array([self.gain(state, e) for e in ids.tolist()])
        return np.maximum(self._cols[ids] - state, 0.0).sum(axis=1)

    def add(self, state: np.ndarray, e: int) -> np.ndarray:
        if self.sparse:
            new = state.copy()
            rows, vals = self._column(e)
            new[rows] = np.maximum(new[rows], vals)
        else:
            new = np.maximum(state, self._cols[e])
        new.flags.writeable = False
        return new

    def value(self, state: np.ndarray) -> float:
        return float(state.sum())

    def __repr__(self) -> str:
        kind = "sparse" if self.sparse else "dense"
        return f"FacilityLocation({kind}, points={self.m}, candidates={self.n})"


def _rbf_scale(d: np.ndarray) -> float:
    pos = d[d > 0]
    return float(np.median(pos)) if pos.size else 1.0


def dense_similarity(X: Any, kind: str = "rbf") -> np.ndarray:
    """Dense non-negative similarity between the rows of X.

    ``kind="rbf"``: exp(-d^2 / (2 s^2)) with s the median pairwise distance;
    ``kind="cosine"``: max(cos, 0).
    """
    X = np.asarray(X, dtype=np.float64)
    if kind == "cosine":
        norms = np.linalg.norm(X, axis=1, keepdims=True)
        Z = X / np.where(norms > 0, norms, 1.0)
        return np.maximum(Z @ Z.T, 0.0)
    if kind == "rbf":
        sq = (X * X).sum(1)
        d2 = np.maximum(sq[:, None] + sq[None, :] - 2 * X @ X.T, 0.0)
        s = _rbf_scale(np.sqrt(d2))
        return np.exp(-d2 / (2 * s * s))
    raise ValueError(f"kind must be 'rbf' or 'cosine', got {kind!r}")


def knn_similarity(X: Any, n_neighbors: int = 10, kind: str = "rbf") -> sp.csr_matrix:
    """Sparse k-NN similarity: each point keeps its ``n_neighbors`` nearest (itself included).

    Entry (i, j) is the similarity of point i to candidate j when j is one of
    i's nearest neighbours (so column j lists the points j can serve). Built
    with :class:`scipy.spatial.cKDTree`; memory O(n * n_neighbors), never n^2.
    """
    from scipy.spatial import cKDTree

    X = np.asarray(X, dtype=np.float64)
    if kind == "cosine":
        norms = np.linalg.norm(X, axis=1, keepdims=True)
        X = X / np.where(norms > 0, norms, 1.0)
    elif kind != "rbf":
        raise ValueError(f"kind must be 'rbf' or 'cosine', got {kind!r}")
    n = X.shape[0]
    q = min(int(n_neighbors), n)
    if q < 1:
        raise ValueError(f"n_neighbors must be >= 1, got {n_neighbors}")
    dist, idx = cKDTree(X).query(X, k=q)
    dist, idx = dist.reshape(n, q), idx.reshape(n, q)
    if kind == "cosine":
        vals = np.maximum(1.0 - dist**2 / 2.0, 0.0)  # unit vectors: |a-b|^2 = 2 - 2cos
    else:
        s = _rbf_scale(dist)
        vals = np.exp(-(dist**2) / (2 * s * s))
    rows = np.repeat(np.arange(n), q)
    return sp.csr_matrix((vals.ravel(), (rows, idx.ravel())), shape=(n, n))
