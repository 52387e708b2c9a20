"""Spectra of sparse (COO) tensors, for choosing a core shape without densifying.

A sparse tensor is given as ``(coords, values, shape)`` -- ``coords`` of shape
``(N, nnz)`` -- or as any object with ``coords``, ``data`` and ``shape``
attributes (an n-D ``scipy.sparse.coo_array`` or a pydata ``sparse.COO``);
neither package beyond scipy is required. Each mode-n unfolding is built as a
``scipy.sparse`` CSR matrix (``I_n x prod_{m != n} I_m``); its Gram matrix
``X_(n) X_(n)'`` costs ``O(nnz * row density)`` instead of ``I_n^2 prod(I)``.
Its eigenvalues are the squared singular values, exactly as for a dense
tensor; when ``I_n`` exceeds :data:`~solverkit_tucker.spectra.GRAM_LIMIT`
only the top ``max_rank[n]`` are found, with ``scipy.sparse.linalg.eigsh``.

The result is an ordinary :class:`~solverkit_tucker.spectra.Spectra`, so the
surrogate searches (:func:`~solverkit_tucker.search.exact_shape`, the greedy
shapes, ``tucker-packing``'s model) run on it unchanged::

    spec = coo_spectra(coords, values, shape)
    ranks, _ = exact_shape(spec, budget)

Duplicate coordinates are summed (the COO convention).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from . import spectra as _spectra
from .spectra import Spectra

__all__ = ["coo_spectra", "as_coo"]


def as_coo(tensor: Any, values: Any = None,
           shape: Any = None) -> tuple[np.ndarray, np.ndarray, tuple[int, ...]]:
    """Validated ``(coords, values, shape)`` from a triple or a COO-like object.

    Raises ``ValueError`` for mismatched lengths, coordinates out of range,
    non-finite values, fewer than 2 modes or an empty mode.
    """
    if values is None and shape is None:
        if not all(hasattr(tensor, a) for a in ("coords", "data", "shape")):
            raise TypeError("a sparse tensor must be (coords, values, shape) or an object with "
                            f"coords, data and shape attributes, got {type(tensor).__name__}")
        coords, values, shape = tensor.coords, tensor.data, tensor.shape
    else:
        coords = tensor
    shape = tuple(int(i) for i in shape)
    if len(shape) < 2:
        raise ValueError(f"tensor must have at least 2 modes, got shape {shape}")
    if min(shape) < 1:
        raise ValueError(f"tensor must not be empty, got shape {shape}")
    coords = np.asarray(np.stack([np.asarray(c) for c in coords]) if isinstance(coords, tuple)
                        else coords)
    values = np.asarray(values, dtype=np.float64).ravel()
    if coords.ndim != 2 or coords.shape[0] != len(shape) or coords.shape[1] != values.size:
        raise ValueError(f"coords must have shape (ndim, nnz) = ({len(shape)}, {values.size}), "
                         f"got {coords.shape}")
    if not np.issubdtype(coords.dtype, np.integer):
        raise ValueError(f"coords must be integers, got dtype {coords.dtype}")
    coords = coords.astype(np.int64, copy=False)
    if coords.size and (coords.min() < 0 or np.any(coords.max(axis=1) >= np.asarray(shape))):
        raise ValueError(f"coords out of range for a tensor of shape {shape}")
    if not np.all(np.isfinite(values)):
        raise ValueError("tensor values must be finite (no NaN or inf)")
    return coords, values, shape


def _unfolding(coords: np.ndarray, values: np.ndarray, shape: tuple[int, ...], n: int) -> Any:
    """The mode-``n`` unfolding as a CSR matrix (columns: the other modes, C order)."""
    import scipy.sparse as sp

    others = [m for m in range(len(shape)) if m != n]
    cols_count = int(np.prod([shape[m] for m in others], dtype=np.float64))
    if cols_count >= 2**62:
        raise ValueError(f"the mode-{n} unfolding of a tensor of shape {shape} has too many "
                         "columns to index")
    cols = np.ravel_multi_index(tuple(coords[m] for m in others),
                                tuple(shape[m] for m in others))
    return sp.csr_matrix((values, (coords[n], cols)), shape=(shape[n], cols_count))


def coo_spectra(tensor: Any, values: Any = None, shape: Any = None,
                max_rank: tuple[int, ...] | None = None, seed: int = 0) -> Spectra:
    """Squared singular values of every unfolding of a sparse tensor.

    Parameters
    ----------
    tensor : ndarray or COO-like
        ``coords`` (``N x nnz`` integers) when ``values`` and ``shape`` are
        given, else an object with ``coords``, ``data`` and ``shape``.
    values : array_like, optional
        The ``nnz`` entries.
    shape : tuple of int, optional
        The tensor's shape.
    max_rank : tuple of int, optional
        Largest rank any search may pick per mode; only used for modes with
        ``I_n > GRAM_LIMIT``, where just the top ``max_rank[n]`` values are
        computed (``eigsh``). Required for such modes.
    seed : int
        Seed of ``eigsh``'s start vector.

    Returns
    -------
    Spectra
        As :func:`~solverkit_tucker.spectra.mode_spectra` gives for the dense
        tensor (no singular vectors).
    """
    from scipy.sparse.linalg import eigsh

    start = time.perf_counter()
    coords, values, shape = as_coo(tensor, values, shape)
    summed = _summed(coords, values)
    total = float(np.dot(summed, summed))
    rng = np.random.default_rng(seed)
    sigma2, heads, known = [], [], []
    for n, i_n in enumerate(shape):
        a = _unfolding(coords, values, shape, n)
        gram = (a @ a.T).tocsr()
        if i_n <= _spectra.GRAM_LIMIT:
            top = np.linalg.eigvalsh(gram.toarray())[::-1]
            k = i_n
        else:
            if max_rank is None:
                raise ValueError(f"mode {n} has {i_n} > GRAM_LIMIT={_spectra.GRAM_LIMIT} rows: "
                                 "give max_rank to compute only its top singular values")
            k = int(min(max(max_rank[n], 1), i_n - 1))
            top = np.sort(eigsh(gram, k=k, which="LA", v0=rng.standard_normal(i_n),
                                return_eigenvectors=False))[::-1]
        vals, head = _spectra._mode_tables(top, k, i_n, total)
        sigma2.append(vals)
        heads.append(head)
        known.append(int(min(k, i_n)))
    return Spectra(shape, tuple(sigma2), total, tuple(heads), tuple(known),
                   time.perf_counter() - start)


def _summed(coords: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Values with duplicate coordinates summed (so ||X||^2 matches the unfoldings)."""
    if not values.size:
        return values
    _, inverse = np.unique(coords, axis=1, return_inverse=True)
    return np.bincount(inverse.ravel(), weights=values)
