"""Higher-order singular values: the squared spectra of every mode unfolding.

The spectra are the inputs of every surrogate search, and usually the dominant
cost, so they are computed the cheap way and cached per tensor:

* the mode-n unfolding ``X_(n)`` is ``I_n x J_n`` with ``J_n = prod_{m != n} I_m``;
  its squared singular values are the eigenvalues of the Gram matrix of the
  smaller side (``I_n x I_n`` or ``J_n x J_n``), found with ``eigvalsh``;
* when both sides are large and only the top part can matter (a budget caps
  every rank at ``c / I_n``), a randomized range finder gives the top ``k``.

Round-off below zero is clipped, and each mode's spectrum is completed with
zeros up to length ``I_n``.
"""

from __future__ import annotations

import dataclasses
import math
import weakref
from typing import Any

import numpy as np

__all__ = ["Spectra", "mode_spectra", "spectra_of", "clear_cache"]

# Above this many rows on BOTH sides of an unfolding the dense Gram is too big.
GRAM_LIMIT = 6000


@dataclasses.dataclass(frozen=True)
class Spectra:
    """Squared singular values of every mode unfolding, with prefix sums.

    Attributes
    ----------
    shape : tuple of int
        The tensor's shape ``(I_1, ..., I_N)``.
    sigma2 : tuple of ndarray
        ``sigma2[n]`` holds the ``I_n`` squared singular values of ``X_(n)``,
        non-increasing and non-negative.
    total : float
        ``||X||_F^2`` computed directly (every ``sigma2[n]`` sums to it up
        to round-off, or to less when only a top part was computed).
    heads : tuple of ndarray
        ``heads[n][r] = sum_{i < r} sigma2[n][i]`` for ``r = 0..I_n``, the
        energy a rank-``r`` mode-``n`` subspace captures.
    known : tuple of int
        How many leading values of each mode were actually computed
        (``I_n`` unless the randomized path was used); ranks above it are
        never chosen.
    seconds : float
        Wall time spent computing them.
    vectors : tuple of ndarray or None
        When asked for (``mode_spectra(..., vectors=True)``): ``vectors[n]``
        holds orthonormal leading left singular vectors of ``X_(n)``
        (``I_n x k_n`` with ``k_n`` the asked ``max_rank[n]``, or ``I_n``),
        in the order of ``sigma2[n]``. They come from the same
        eigendecomposition as the values, at no extra pass over the tensor.
    """

    shape: tuple[int, ...]
    sigma2: tuple[np.ndarray, ...]
    total: float
    heads: tuple[np.ndarray, ...]
    known: tuple[int, ...]
    seconds: float = 0.0
    vectors: tuple[np.ndarray, ...] | None = None

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def tail(self, n: int, r: int) -> float:
        """``Tail_n(r) = ||X||^2 - Head_n(r)`` (clipped at 0)."""
        return max(self.total - float(self.heads[n][r]), 0.0)

    def head_sum(self, ranks: tuple[int, ...]) -> float:
        """``sum_n Head_n(R_n)``, the surrogate value a search maximises."""
        return float(sum(self.heads[n][r] for n, r in enumerate(ranks)))

    def sum_tail(self, ranks: tuple[int, ...]) -> float:
        """Upper bound on the best Tucker loss: ``sum_n Tail_n(R_n)``."""
        return float(sum(self.tail(n, r) for n, r in enumerate(ranks)))

    def max_tail(self, ranks: tuple[int, ...]) -> float:
        """Lower bound on the best Tucker loss: ``max_n Tail_n(R_n)``."""
        return float(max(self.tail(n, r) for n, r in enumerate(ranks)))


def _unfold_gram(x: np.ndarray, n: int) -> tuple[np.ndarray, int]:
    """Gram matrix of the smaller side of the mode-``n`` unfolding, and I_n.

    With ``x`` viewed as ``(A, I_n, B)`` (free for a C-contiguous array), the
    ``I_n x I_n`` Gram is ``sum_a X[a] X[a]'``: a plain product for the first
    and last modes and a batched one (an ``A x I_n x I_n`` temporary) when
    that is small, so the unfolding is copied only when neither applies.
    """
    i_n = x.shape[n]
    a = math.prod(x.shape[:n])
    b = x.size // (a * i_n) if x.size else 0
    if i_n <= a * b:
        if a == 1:
            flat = x.reshape(i_n, b)
            return flat @ flat.T, i_n
        if b == 1:
            flat = x.reshape(a, i_n)
            return flat.T @ flat, i_n
        if a * i_n * i_n <= x.size // 4:
            x3 = x.reshape(a, i_n, b)
            return np.matmul(x3, x3.transpose(0, 2, 1)).sum(axis=0), i_n
    unfolded = np.moveaxis(x, n, 0).reshape(i_n, -1)
    if i_n <= unfolded.shape[1]:
        return unfolded @ unfolded.T, i_n
    return unfolded.T @ unfolded, i_n


def _randomized_top(x: np.ndarray, n: int, k: int, rng: np.random.Generator,
                    power_iters: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """Top ``k`` squared singular values of ``X_(n)`` and their left vectors (randomized)."""
    i_n = x.shape[n]
    a = np.moveaxis(x, n, 0).reshape(i_n, -1)
    width = min(i_n, k + 10)
    q = np.linalg.qr(a @ rng.standard_normal((a.shape[1], width)))[0]
    for _ in range(power_iters):  # subspace iteration sharpens a slowly decaying spectrum
        q = np.linalg.qr(a @ (a.T @ q))[0]
    u, s, _ = np.linalg.svd(q.T @ a, full_matrices=False)
    return s[:k] ** 2, q @ u[:, :k]


def _gram_eig(x: np.ndarray, n: int, k: int | None) -> tuple[np.ndarray, np.ndarray | None]:
    """Eigenvalues of the smaller Gram of ``X_(n)`` (descending) and, when ``k`` is
    given, ``k`` orthonormal leading left singular vectors of ``X_(n)``."""
    gram, i_n = _unfold_gram(x, n)
    if k is None:
        return np.linalg.eigvalsh(gram)[::-1], None
    lam, vec = np.linalg.eigh(gram)
    lam, vec = lam[::-1], vec[:, ::-1]
    if gram.shape[0] == i_n:
        return lam, np.ascontiguousarray(vec[:, :k])
    # The Gram is of the other side (I_n > J_n): U = X_(n) V / sigma for the nonzero
    # values, completed to an orthonormal basis (the rest of the space has no energy).
    unfolded = np.moveaxis(x, n, 0).reshape(i_n, -1)
    keep = int(np.sum(lam[:k] > lam[0] * 1e-12)) if lam.size and lam[0] > 0 else 0
    u = unfolded @ vec[:, :keep] / np.sqrt(lam[:keep])
    if keep < k:
        u = np.linalg.qr(np.concatenate([u, np.eye(i_n)], axis=1))[0][:, :k]
    return lam, np.ascontiguousarray(u)


def _mode_tables(top: np.ndarray, k: int, i_n: int,
                 total: float) -> tuple[np.ndarray, np.ndarray]:
    """One mode's squared singular values (length ``i_n``, the first ``k`` known, descending)
    and their prefix sums ``head[r]`` (energy captured by rank ``r``)."""
    vals = np.zeros(i_n)
    m = min(k, top.size, i_n)
    vals[:m] = np.clip(top[:m], 0.0, None)
    # eigvalsh returns ascending order; after reversing, round-off can still
    # leave tiny inversions among near-equal values: enforce monotonicity.
    vals = np.minimum.accumulate(vals)
    head = np.concatenate(([0.0], np.cumsum(vals)))
    if k >= i_n:
        # Full spectrum: the whole space captures everything, exactly.
        head[-1] = total
        head = np.minimum(head, total)
    return vals, head


def mode_spectra(tensor: np.ndarray, max_rank: tuple[int, ...] | None = None,
                 seed: int = 0, vectors: bool = False) -> Spectra:
    """Compute the squared spectra of every mode unfolding of ``tensor``.

    Parameters
    ----------
    tensor : ndarray
        A real tensor with at least 2 modes (not modified).
    max_rank : tuple of int, optional
        Largest rank any search may pick per mode (e.g. ``c // I_n``). Only
        used for unfoldings whose both sides exceed ``GRAM_LIMIT``, where the
        top ``max_rank[n]`` values are computed by a randomized range finder.
    seed : int
        Seed of the randomized range finder.
    vectors : bool
        Also keep the leading left singular vectors of every unfolding
        (``max_rank[n]`` of them, or ``I_n``) in ``Spectra.vectors``.

    Returns
    -------
    Spectra
    """
    import time

    start = time.perf_counter()
    x = np.ascontiguousarray(tensor, dtype=np.float64)  # one copy; unfoldings are then cheap
    total = float(np.vdot(x, x))
    rng = np.random.default_rng(seed)
    sigma2, heads, known, vecs = [], [], [], []
    for n, i_n in enumerate(x.shape):
        other = x.size // i_n
        want = i_n if max_rank is None else int(min(max(max_rank[n], 1), i_n))
        if min(i_n, other) > GRAM_LIMIT and max_rank is not None and max_rank[n] < i_n:
            top, u = _randomized_top(x, n, int(max_rank[n]), rng)
            k = top.size
        else:
            top, u = _gram_eig(x, n, want if vectors else None)
            k = i_n
        vecs.append(u)
        vals, head = _mode_tables(top, k, i_n, total)
        sigma2.append(vals)
        heads.append(head)
        known.append(int(min(k, i_n)))
    return Spectra(tuple(int(i) for i in x.shape), tuple(sigma2), total, tuple(heads),
                   tuple(known), time.perf_counter() - start,
                   tuple(vecs) if vectors else None)


# -- cache: one spectra computation per tensor object --------------------------------
_CACHE: dict[int, tuple[Any, tuple, Spectra]] = {}


def _fingerprint(x: np.ndarray) -> tuple:
    # Cheap guard against a tensor mutated in place between two solves. The sample is a
    # strided view (a few entries per axis), never a copy: ravel() copies a non-contiguous
    # tensor (the bundled real ones are), which cost more than the rest of the check.
    sample = x[tuple(slice(None, None, max(1, s // 4)) for s in x.shape)]
    return (x.__array_interface__["data"][0], x.shape, x.strides, float(x.sum()),
            float(sample.sum()))


def spectra_of(tensor: np.ndarray, max_rank: tuple[int, ...] | None = None,
               vectors: bool = False, contiguous: np.ndarray | None = None) -> Spectra:
    """``mode_spectra(tensor, max_rank, vectors=vectors)``, cached per tensor object.

    A budget sweep (or several solvers on one problem) pays for the spectra
    once. The cache holds a weak reference to the array, so it never keeps a
    tensor alive, and it is invalidated when the array's contents change.
    ``contiguous``, when given, is ``tensor`` already as a C-contiguous float
    array (the caller's copy): it is computed on instead of a second copy.
    """
    key = id(tensor)
    fp = _fingerprint(tensor)
    hit = _CACHE.get(key)
    if hit is not None and hit[0]() is tensor and hit[1] == fp:
        spec = hit[2]
        enough = all(k == i for k, i in zip(spec.known, spec.shape, strict=True)) or (
            max_rank is not None
            and all(m <= k for m, k in zip(max_rank, spec.known, strict=True)))
        if enough and vectors:
            enough = spec.vectors is not None and (
                max_rank is None and all(v.shape[1] == i for v, i in
                                         zip(spec.vectors, spec.shape, strict=True))
                or max_rank is not None and all(
                    v.shape[1] >= min(m, i) for v, m, i in
                    zip(spec.vectors, max_rank, spec.shape, strict=True)))
        if enough:
            return spec
    spec = mode_spectra(tensor if contiguous is None else contiguous, max_rank, vectors=vectors)
    try:
        ref = weakref.ref(tensor, lambda _r, key=key: _CACHE.pop(key, None))
    except TypeError:  # not weak-referenceable: do not cache
        return spec
    _CACHE[key] = (ref, fp, spec)
    return spec


def clear_cache() -> None:
    """Forget every cached spectrum."""
    _CACHE.clear()
