"""The Tucker decomposition itself: ST-HOSVD and HOOI in numpy.

Conventions
-----------
``X ~ G x_1 U_1 x_2 U_2 ... x_N U_N`` with orthonormal ``U_n`` (``I_n x R_n``)
and core ``G = X x_1 U_1' ... x_N U_N'``. Because the factors are orthonormal,
``||X - Xhat||^2 = ||X||^2 - ||G||^2``; the relative error is reported both
squared (``rre``, the paper's metric) and not squared (``rre_sqrt``).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
from scipy.linalg import lapack

__all__ = ["TuckerFit", "hooi", "st_hosvd", "reconstruct", "mode_project"]


@dataclasses.dataclass(frozen=True)
class TuckerFit:
    """A Tucker model of a tensor.

    Attributes
    ----------
    ranks : tuple of int
        The core shape.
    core : ndarray
        The core tensor, of shape ``ranks``.
    factors : list of ndarray
        Orthonormal factor matrices ``U_n`` (``I_n x R_n``).
    rre : float
        Squared relative error ``||X - Xhat||_F^2 / ||X||_F^2``.
    rre_sqrt : float
        Relative error ``||X - Xhat||_F / ||X||_F`` (the square root of ``rre``).
    n_iter : int
        HOOI sweeps done (0 for ST-HOSVD).
    """

    ranks: tuple[int, ...]
    core: np.ndarray
    factors: list[np.ndarray]
    rre: float
    rre_sqrt: float
    n_iter: int


def _mode_dot_t(x: np.ndarray, u: np.ndarray, mode: int,
                out: np.ndarray | None = None) -> np.ndarray:
    """``x x_mode u'``: contract mode ``mode`` of ``x`` with the columns of ``u``.

    ``x`` is viewed as ``(A, I_mode, B)`` (a view for a C-contiguous array), so
    the product is one (batched) matrix product that never transposes or
    copies the big tensor; the result is C-contiguous again. ``out``, when
    given, is a flat C-contiguous buffer of at least the result's size that
    receives it (the result is then a view of it).
    """
    if not x.flags.c_contiguous:
        x = np.ascontiguousarray(x)
    a = math.prod(x.shape[:mode])  # Python ints: exact, and cheaper than np.prod here
    i, r = u.shape
    b = x.size // (a * i) if x.size else 0
    out_shape = x.shape[:mode] + (r,) + x.shape[mode + 1:]
    if out is not None:
        out = out[: a * r * b]
    if b == 1:
        res = np.matmul(x.reshape(a, i), u,
                        out=None if out is None else out.reshape(a, r))
    elif a == 1:
        res = np.matmul(u.T, x.reshape(i, b),
                        out=None if out is None else out.reshape(r, b))
    else:
        res = np.matmul(u.T, x.reshape(a, i, b),
                        out=None if out is None else out.reshape(a, r, b))
    return res.reshape(out_shape)


def mode_project(x: np.ndarray, factors: list[np.ndarray],
                 skip: int | tuple[int, ...] | None = None) -> np.ndarray:
    """``x x_m U_m'`` on every mode ``m`` not in ``skip``.

    The modes that shrink the tensor most are contracted first, which keeps
    the intermediate tensors (and the cost) small.
    """
    skipped = () if skip is None else (skip,) if isinstance(skip, int) else tuple(skip)
    order = sorted((m for m in range(x.ndim) if m not in skipped),
                   key=lambda m: factors[m].shape[1] / max(x.shape[m], 1))
    for m in order:
        x = _mode_dot_t(x, factors[m], m)
    return x


def reconstruct(core: np.ndarray, factors: list[np.ndarray]) -> np.ndarray:
    """``core x_1 U_1 ... x_N U_N``."""
    x = core
    for m, u in enumerate(factors):
        x = np.moveaxis(np.tensordot(x, u, axes=(m, 1)), -1, m)
    return x


def _eigh(gram: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues (ascending) and eigenvectors of a symmetric matrix.

    LAPACK's ``dsyevd`` called directly: the same divide-and-conquer solver as
    ``np.linalg.eigh`` without its wrapper, which for the 5-40 row Grams of
    HOOI's factor updates halves the cost of the call. A failed call
    (``info != 0``) falls back to numpy, which raises.
    """
    lam, vec, info = lapack.dsyevd(gram)
    if info != 0:
        return np.linalg.eigh(gram)
    return lam, vec


def _leading_left(a: np.ndarray, r: int) -> np.ndarray:
    """The ``r`` leading left singular vectors of a matrix.

    Computed from the smaller Gram matrix and a symmetric eigensolver, several
    times cheaper than an SVD for the small, very unbalanced matrices of HOOI
    (``I_n`` rows against the product of the other ranks). The leading
    subspace is what HOOI needs, and its error is second order in the Gram's
    round-off.
    """
    rows, cols = a.shape
    if rows <= cols:
        vec = _eigh(a @ a.T)[1]
        # Ascending order: the leading r vectors are the last ones. A square Gram has a full
        # orthonormal eigenbasis, so rank deficiency needs no completion here.
        return np.ascontiguousarray(vec[:, ::-1][:, :r])
    lam, vec = _eigh(a.T @ a)
    lam, vec = lam[::-1], vec[:, ::-1]
    keep = int(np.sum(lam[: min(r, cols)] > max(lam[0], 0.0) * 1e-12)) if cols else 0
    # u = a v / sigma spans the leading subspace; QR restores exact orthonormality and,
    # when fewer columns than asked are nonzero, completes the basis.
    u = a @ vec[:, :keep] / np.sqrt(lam[:keep])
    if keep < r:
        u = np.concatenate([u, np.eye(rows)], axis=1)
    return np.ascontiguousarray(np.linalg.qr(u)[0][:, :r])


def _fit(x: np.ndarray, total: float, core: np.ndarray, factors: list[np.ndarray],
         ranks: tuple[int, ...], n_iter: int) -> TuckerFit:
    if total == 0.0:
        rre = 0.0
    else:
        rre = max(total - float(np.vdot(core, core)), 0.0) / total
        if rre < 1e-8:
            # ||X||^2 - ||G||^2 cancels catastrophically for tiny errors: use the residual.
            resid = x - reconstruct(core, factors)
            rre = float(np.vdot(resid, resid)) / total
    return TuckerFit(ranks, core, factors, rre, float(np.sqrt(rre)), n_iter)


def _check_ranks(shape: tuple[int, ...], ranks: tuple[int, ...]) -> tuple[int, ...]:
    ranks = tuple(int(r) for r in ranks)
    if len(ranks) != len(shape):
        raise ValueError(f"ranks {ranks} must have one entry per mode of a tensor of shape {shape}")
    for n, (r, i) in enumerate(zip(ranks, shape, strict=True)):
        if not 1 <= r <= i:
            raise ValueError(f"rank {r} of mode {n} must be between 1 and the mode size {i}")
    return ranks


def st_hosvd(tensor: np.ndarray, ranks: tuple[int, ...]) -> TuckerFit:
    """Sequentially truncated HOSVD (Vannieuwenhoven, Vandebril & Meerbergen 2012).

    Mode by mode (largest compression first), take the leading left singular
    vectors of the current tensor's unfolding and project onto them. Its
    error is at most ``sum_n Tail_n(R_n)``.
    """
    x = np.ascontiguousarray(tensor, dtype=np.float64)
    ranks = _check_ranks(x.shape, ranks)
    total = float(np.vdot(x, x))
    factors: list[np.ndarray] = [np.empty((0, 0))] * x.ndim
    core = x
    for m in sorted(range(x.ndim), key=lambda m: ranks[m] / x.shape[m]):
        unfolded = np.moveaxis(core, m, 0).reshape(core.shape[m], -1)
        factors[m] = _leading_left(unfolded, ranks[m])
        core = _mode_dot_t(core, factors[m], m)
    return _fit(x, total, core, factors, ranks, 0)


def hooi(tensor: np.ndarray, ranks: tuple[int, ...], n_iter: int = 20, tol: float = 0.0,
         init: str = "random", rng: np.random.Generator | int | None = 0,
         start: list[np.ndarray] | None = None,
         start_error: float | None = None) -> TuckerFit:
    """Higher-order orthogonal iteration (De Lathauwer, De Moor & Vandewalle 2000).

    Parameters
    ----------
    tensor : ndarray
        The tensor (not modified).
    ranks : tuple of int
        Core shape, ``1 <= R_n <= I_n``.
    n_iter : int
        Number of sweeps (the paper's evaluation uses exactly 20).
    tol : float
        Stop early when the squared relative error changes by less than this
        between sweeps (0 = always do ``n_iter`` sweeps).
    init : {"random", "svd"}
        Random orthonormal factors (seeded by ``rng``) or ST-HOSVD factors.
    rng : numpy Generator or int or None
        Source of the random start.
    start : list of ndarray, optional
        Start factors (``I_n x R_n``, orthonormal columns), e.g. truncated-HOSVD
        factors or a previous fit's; overrides ``init``.
    start_error : float, optional
        The squared relative error of the ``start`` model, when the caller
        knows it (e.g. a truncated-HOSVD table entry): ``tol`` then compares
        the first sweep with it, so a start that one sweep barely improves
        stops after that sweep instead of two.

    Returns
    -------
    TuckerFit
    """
    x = np.ascontiguousarray(tensor, dtype=np.float64)
    ranks = _check_ranks(x.shape, ranks)
    if init not in ("random", "svd"):
        raise ValueError(f"init must be 'random' or 'svd', got {init!r}")
    if n_iter < 0:
        raise ValueError(f"n_iter must be >= 0, got {n_iter}")
    total = float(np.vdot(x, x))
    if start is not None:
        if [u.shape for u in start] != list(zip(x.shape, ranks, strict=True)):
            raise ValueError(f"start factors of shapes {[u.shape for u in start]} do not match "
                             f"ranks {ranks} of a tensor of shape {x.shape}")
        factors = [np.ascontiguousarray(u, dtype=np.float64) for u in start]
    elif init == "svd":
        factors = list(st_hosvd(x, ranks).factors)
    else:
        gen = np.random.default_rng(rng)
        factors = [np.linalg.qr(gen.standard_normal((i, r)))[0]
                   for i, r in zip(x.shape, ranks, strict=True)]
    previous = np.inf if start_error is None else float(start_error)
    done = 0
    # The start's core is needed only when no sweep runs: each sweep computes its own.
    core = mode_project(x, factors) if n_iter == 0 else x
    # Update the most compressive mode ("lead") last: X x_lead U_lead' is then shared by
    # every other mode's update in a sweep, so each sweep reads the full tensor twice, not N
    # times (the cost of HOOI on large tensors is these full passes).
    n_modes = x.ndim
    ratio = [ranks[m] / x.shape[m] for m in range(n_modes)]
    lead = min(range(n_modes), key=lambda m: (ratio[m], m))
    others = [m for m in range(n_modes) if m != lead]
    # Contraction orders (most compressive first) and unfolding permutations are fixed for
    # the whole run: computed once, not per sweep (small runs are dominated by such overhead).
    order = {n: sorted((m for m in others if m != n), key=lambda m: ratio[m]) for n in others}
    order[lead] = sorted(others, key=lambda m: ratio[m])
    perm = {n: (n, *(m for m in range(n_modes) if m != n)) for n in range(n_modes)}
    for sweep in range(1, n_iter + 1):
        shared = _mode_dot_t(x, factors[lead], lead)
        for n in others:
            partial = shared
            for m in order[n]:
                partial = _mode_dot_t(partial, factors[m], m)
            factors[n] = _leading_left(partial.transpose(perm[n]).reshape(x.shape[n], -1),
                                       ranks[n])
        partial = x
        for m in order[lead]:
            partial = _mode_dot_t(partial, factors[m], m)
        factors[lead] = _leading_left(partial.transpose(perm[lead]).reshape(x.shape[lead], -1),
                                      ranks[lead])
        # The core from the last partial projection costs one small contraction.
        core = _mode_dot_t(partial, factors[lead], lead)
        done = sweep
        rre = (total - float(np.vdot(core, core))) / total if total else 0.0
        if abs(previous - rre) < tol:
            break
        previous = rre
    return _fit(x, total, core, factors, ranks, done)
