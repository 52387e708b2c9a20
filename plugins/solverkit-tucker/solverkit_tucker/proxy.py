"""The truncated-HOSVD error of every core shape at once, and the search on it.

With ``U_n`` the leading left singular vectors of each unfolding (from the
same eigendecompositions as the spectra), the rotated tensor
``W = X x_1 U_1' ... x_N U_N'`` (``K_1 x ... x K_N``, no larger than ``X``)
holds every truncated-HOSVD core at once: the T-HOSVD core of shape ``R`` is
the leading block ``W[:R_1, ..., :R_N]``. Its error is therefore

    ||X||^2 - sum(W[:R_1, ..., :R_N]^2),

a prefix sum of ``W^2``. One cumulative sum along every axis turns that into a
table, so the exact T-HOSVD error of any shape costs one lookup.

This error is the error of a real Tucker model of that shape, so it is an
upper bound on the optimum ``L*(X, R)`` that is far tighter than the paper's
``sum_n Tail_n`` (which bounds it from above in turn). :func:`best_on_table`
maximises the captured energy over every maximal shape under a budget; HOOI
started from those same factors then only refines the chosen shape.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import time
from collections.abc import Callable

import numpy as np

from .hooi import TuckerFit, _eigh, _mode_dot_t, hooi, mode_project, reconstruct
from .search import tucker_size
from .spectra import Spectra, _mode_tables, spectra_of

__all__ = ["HosvdTable", "hosvd_table", "table_with_spectra", "best_on_table", "WarmFitter",
           "ENUMERATION_LIMIT"]

#: Above this many (N-1)-mode prefixes, :func:`best_on_table` scores a given candidate
#: list instead of enumerating every maximal shape.
ENUMERATION_LIMIT = 4_000_000

#: Largest prefix grid :func:`best_on_table` keeps for a whole sweep (else: chunks per budget).
GRID_LIMIT = 1_000_000



@dataclasses.dataclass(frozen=True)
class HosvdTable:
    """Captured energies of every truncated-HOSVD core up to ``caps``.

    Attributes
    ----------
    shape : tuple of int
        The tensor's shape.
    caps : tuple of int
        Largest rank per mode in the table.
    energy : ndarray
        ``energy[R_1 - 1, ..., R_N - 1] = ||X x_n U_n[:, :R_n]'||^2``,
        non-decreasing along every axis.
    rotated : ndarray
        ``W = X x_n U_n'`` itself (shape ``caps``): ``W[:M_1, ..., :M_N]`` is
        ``X`` compressed onto its leading ``M_n`` singular vectors per mode.
    factors : tuple of ndarray
        ``U_n`` (``I_n x caps[n]``), orthonormal columns.
    total : float
        ``||X||_F^2``.
    """

    shape: tuple[int, ...]
    caps: tuple[int, ...]
    energy: np.ndarray
    rotated: np.ndarray
    factors: tuple[np.ndarray, ...]
    total: float
    #: Prefix grids of :func:`best_on_table`, built once per table (a sweep's budgets share it).
    grids: dict = dataclasses.field(default_factory=dict, repr=False, compare=False)

    def rre(self, ranks: tuple[int, ...]) -> float:
        """Squared relative error of the truncated HOSVD with core shape ``ranks``."""
        if self.total <= 0:
            return 0.0
        captured = float(self.energy[tuple(int(r) - 1 for r in ranks)])
        return max(self.total - captured, 0.0) / self.total

    def start(self, ranks: tuple[int, ...]) -> list[np.ndarray]:
        """The T-HOSVD factors of ``ranks``: a warm start for HOOI."""
        return [np.ascontiguousarray(u[:, :r]) for u, r in zip(self.factors, ranks, strict=True)]


def hosvd_table(tensor: np.ndarray, spec: Spectra) -> HosvdTable:
    """Build the table from the spectra's leading vectors (one multilinear projection).

    ``spec`` must come from ``mode_spectra(..., vectors=True)``; the table's
    caps are the vectors' widths.
    """
    if spec.vectors is None:
        raise ValueError("hosvd_table needs spectra computed with vectors=True")
    x = np.ascontiguousarray(tensor, dtype=np.float64)
    return _project_table(x, spec, np.empty(2 * x.size))


def _project_table(x: np.ndarray, spec: Spectra, work: np.ndarray) -> HosvdTable:
    """:func:`hosvd_table` of a C-contiguous ``x``, its intermediates in ``work`` (``2 x.size``).

    The projection's intermediate tensors alternate between the two halves of
    ``work`` and ``W`` lands, with room for the energy table, in one block:
    a few large allocations instead of one per contraction (fresh memory's
    page faults cost as much as the products on tensors of a few MB).
    """
    factors = tuple(spec.vectors)
    caps = tuple(int(u.shape[1]) for u in factors)
    size = math.prod(caps)
    keep = np.empty(2 * size)
    halves = (work[: x.size], work[x.size: 2 * x.size])
    order = sorted(range(x.ndim), key=lambda m: factors[m].shape[1] / max(x.shape[m], 1))
    y = x
    for step, m in enumerate(order):
        last = step == len(order) - 1
        y = _mode_dot_t(y, factors[m], m, out=keep[:size] if last else halves[step % 2])
    return _table(spec.shape, spec.total, y, factors, energy=keep[size:].reshape(caps))


def _table(shape: tuple[int, ...], total: float, w: np.ndarray,
           factors: tuple[np.ndarray, ...], energy: np.ndarray | None = None) -> HosvdTable:
    """The table of the rotated tensor ``w``: prefix sums of ``w**2`` along every axis
    (written into ``energy`` when a buffer of ``w``'s shape is given)."""
    energy = np.multiply(w, w, out=energy)
    for axis, k in enumerate(energy.shape):
        # In place, one slice at a time: k - 1 vectorised adds over the other axes. Several
        # times faster than np.cumsum along a middle axis, and than a product with a
        # triangular matrix of ones (k-fold flops), on every tensor of the benchmarks.
        view = energy.reshape(int(np.prod(energy.shape[:axis], dtype=np.int64)), k, -1)
        for j in range(1, k):
            np.add(view[:, j, :], view[:, j - 1, :], out=view[:, j, :])
    caps = tuple(int(u.shape[1]) for u in factors)
    return HosvdTable(shape, caps, energy, w, factors, total)


def table_with_spectra(tensor: np.ndarray,
                       max_rank: tuple[int, ...]) -> tuple[Spectra, HosvdTable]:
    """The spectra (with vectors up to ``max_rank``) and the table, in one pass when possible.

    When every mode is kept whole (``max_rank[n] >= I_n``) and its Gram is the
    ``I_n x I_n`` one, each ``U_n`` is a square orthogonal matrix. Rotating
    mode ``n`` by it leaves the Gram matrices of the other modes unchanged,
    so the spectra and the rotation ``W`` come from one cyclic pass: with mode
    ``n`` leading, its Gram is ``Y Y'`` of the plain reshape ``Y`` (no
    unfolding copy), and the plain product ``Y' U_n`` rotates it and moves it
    last, so after ``N`` steps the axes are back in order. That saves the ``N``
    unfolding copies and the separate projection of the two-step path (the
    5-6 mode tensors with small modes, where these fixed costs dominate).
    Otherwise: :func:`~solverkit_tucker.spectra.spectra_of` (cached) and
    :func:`hosvd_table`.
    """
    shape = tuple(int(i) for i in np.shape(tensor))
    if not all(m >= i and i * i <= math.prod(shape)
               for m, i in zip(max_rank, shape, strict=True)):
        # One block for the contiguous copy (when the tensor is not one already) and the
        # projection's two intermediates.
        size = math.prod(shape)
        work = np.empty(3 * size)
        if isinstance(tensor, np.ndarray) and tensor.dtype == np.float64 \
                and tensor.flags.c_contiguous:
            x = tensor
        else:
            x = work[2 * size:].reshape(shape)
            np.copyto(x, tensor, casting="unsafe")
        spec = spectra_of(tensor, max_rank, vectors=True, contiguous=x)
        return spec, _project_table(x, spec, work)
    x = np.ascontiguousarray(tensor, dtype=np.float64)
    t0 = time.perf_counter()
    total = float(np.vdot(x, x))
    # Two buffers, alternated so that the last rotation lands in ``w``; the other one then
    # holds the energy table. One allocation for both: fresh memory costs page faults that,
    # on these tensors of a few MB, took as long as the products themselves (one block of
    # twice the size measured 10-20x cheaper to obtain than two blocks of the size).
    block = np.empty(2 * x.size)
    w, spare = block[: x.size], block[x.size:]
    bufs = [w, spare] if len(shape) % 2 else [spare, w]
    y = x
    sigma2, heads, vectors = [], [], []
    for n, i in enumerate(shape):
        lead = y.reshape(i, -1)
        lam, vec = _eigh(lead @ lead.T)
        vec = np.ascontiguousarray(vec[:, ::-1])
        vals, head = _mode_tables(lam[::-1], i, i, total)
        sigma2.append(vals)
        heads.append(head)
        vectors.append(vec)
        y = np.matmul(lead.T, vec, out=bufs[n % 2].reshape(lead.shape[1], i))
    spec = Spectra(tuple(int(i) for i in shape), tuple(sigma2), total, tuple(heads),
                   tuple(int(i) for i in shape), time.perf_counter() - t0, tuple(vectors))
    return spec, _table(spec.shape, total, w.reshape(shape), spec.vectors,
                        energy=spare.reshape(shape))


def _caps_for(table: HosvdTable, budget: int) -> list[int]:
    """Largest rank per mode within the budget (other ranks 1) and the table."""
    base = sum(table.shape)
    return [int(max(1, min(cap, (budget - (base - i)) // (1 + i))))
            for i, cap in zip(table.shape, table.caps, strict=True)]


def _prefix_count(caps: list[int], last: int) -> float:
    return float(np.prod([c for m, c in enumerate(caps) if m != last], dtype=np.float64))


def best_on_table(table: HosvdTable, budget: int, k: int = 1,
                  fallback: Callable[[], list[tuple[int, ...]]] | None = None,
                  ) -> list[tuple[int, ...]]:
    """The ``k`` maximal shapes of largest T-HOSVD captured energy with ``size <= budget``.

    Every ``R_1..R_{N-1}`` in the caps is enumerated (vectorised) and the last
    mode -- the one with the largest ``I_n`` -- is filled in closed form: the
    energy never decreases along an axis, so its largest feasible rank is
    optimal. Best first; ties go to the larger size, then the
    lexicographically smaller shape. When the enumeration would exceed
    :data:`ENUMERATION_LIMIT` prefixes, the best of the shapes ``fallback()``
    returns (e.g. the surrogate searches' shapes) are returned instead.
    """
    shape = table.shape
    n_modes = len(shape)
    caps = _caps_for(table, budget)
    last = max(range(n_modes), key=lambda m: (shape[m], m))
    if _prefix_count(caps, last) > ENUMERATION_LIMIT:
        if fallback is None:
            raise ValueError("the table is too large to enumerate and no fallback shapes "
                             "were given")
        return _best_of(table, budget, fallback())[:k]
    first = [m for m in range(n_modes) if m != last]
    if _prefix_count(list(table.caps), last) <= GRID_LIMIT:
        return _best_on_grid(table, budget, k, last, caps[last])
    pool: list[tuple[float, int, tuple[int, ...]]] = []
    rest_caps = [caps[m] for m in first[1:]]
    i_last = shape[last]
    grids = np.meshgrid(*[np.arange(1, c + 1, dtype=np.int64) for c in rest_caps],
                        indexing="ij") if rest_caps else []
    rest = np.stack([g.ravel() for g in grids], axis=1) if grids else np.ones((1, 0), np.int64)
    weights = np.asarray([shape[m] for m in first], dtype=np.int64)
    flat = table.energy.reshape(-1)
    strides = [int(np.prod(table.energy.shape[m + 1:], dtype=np.int64)) for m in range(n_modes)]
    first_strides = np.asarray([strides[m] for m in first], dtype=np.int64)
    # Chunks of consecutive first-mode ranks, about a million prefixes each (bounded memory).
    step = max(1, 1_000_000 // max(len(rest), 1))
    for lo in range(1, caps[first[0]] + 1, step):
        r0 = np.arange(lo, min(lo + step, caps[first[0]] + 1), dtype=np.int64)
        prefix = np.concatenate([np.repeat(r0, len(rest))[:, None],
                                 np.tile(rest, (len(r0), 1))], axis=1)
        prod = np.prod(prefix, axis=1)
        lin = prefix @ weights
        r_last = np.minimum((budget - lin) // (prod + i_last), caps[last])
        ok = r_last >= 1
        if not ok.any():
            break  # larger first ranks only cost more
        prefix, r_last, prod, lin = prefix[ok], r_last[ok], prod[ok], lin[ok]
        # One flat gather (the table is C-contiguous), not an N-array fancy index.
        value = flat[(prefix - 1) @ first_strides + (r_last - 1) * strides[last]]
        size = prod * r_last + lin + i_last * r_last
        # Keep this chunk's k best (plus ties at the cut) for the final ordering.
        if len(value) > k:
            cut = np.partition(value, len(value) - k)[len(value) - k]
            sel = np.flatnonzero(value >= cut)
        else:
            sel = np.arange(len(value))
        for j in sel:
            ranks = [0] * n_modes
            for q, m in enumerate(first):
                ranks[m] = int(prefix[j, q])
            ranks[last] = int(r_last[j])
            pool.append((-float(value[j]), -int(size[j]), tuple(ranks)))
    pool.sort()
    return [p[2] for p in pool[:k]]


def _best_on_grid(table: HosvdTable, budget: int, k: int, last: int,
                  cap_last: int) -> list[tuple[int, ...]]:
    """:func:`best_on_table` on the table's whole prefix grid, built once and reused.

    Every prefix within the table's caps is kept with its core product, linear
    cost and flat table offset; a budget then costs a few vector operations
    (a prefix over the budget gets a last rank below 1 and drops out).
    """
    n_modes = len(table.shape)
    first = [m for m in range(n_modes) if m != last]
    strides = [int(np.prod(table.energy.shape[m + 1:], dtype=np.int64)) for m in range(n_modes)]
    grid = table.grids.get(last)
    if grid is None:
        # Outer sums / products over the prefix axes: no (prefixes x N) index array, and the
        # ranks of the few shapes kept are recovered from their flat position. Per prefix:
        # the last rank's cost per unit (core product + I_last) and the linear cost, as
        # floats -- float division is several times faster than integer floor division and
        # exact here (floor(fl(n / d)) = n // d for 0 <= n < 2**52; a negative n only has to
        # give a rank below 1) -- and the table offset. Three arrays, built once per sweep.
        prod = np.ones(())
        lin = np.zeros(())
        offset = np.zeros((), dtype=np.int64)
        for m in first:
            r = np.arange(1, table.caps[m] + 1, dtype=np.int64)
            prod = np.multiply.outer(prod, r.astype(np.float64))
            lin = np.add.outer(lin, float(table.shape[m]) * r)
            offset = np.add.outer(offset, (r - 1) * strides[m])
        per_unit = prod + float(table.shape[last])
        grid = (per_unit.ravel(), lin.ravel(), offset.ravel(), prod.shape)
        table.grids[last] = grid
    per_unit, lin_f, offset, grid_shape = grid
    r_last = np.minimum(np.floor((budget - lin_f) / per_unit), cap_last)
    # Only prefixes that leave room for a last rank >= 1 (np.partition on a vector full of
    # -inf placeholders is many times slower than on the feasible entries alone).
    ok = np.flatnonzero(r_last >= 1)
    r_last = r_last[ok].astype(np.int64)
    value = table.energy.reshape(-1)[offset[ok] + (r_last - 1) * strides[last]]
    if len(value) > k:  # the k best plus ties at the cut, ordered below
        sel = np.flatnonzero(value >= np.partition(value, len(value) - k)[len(value) - k])
    else:
        sel = np.arange(len(value))
    pool = []
    for j, idx in zip(sel, zip(*np.unravel_index(ok[sel], grid_shape), strict=True),
                      strict=True):
        ranks = [0] * n_modes
        for q, m in enumerate(first):
            ranks[m] = int(idx[q]) + 1
        ranks[last] = int(r_last[j])
        size = tucker_size(table.shape, tuple(ranks))
        pool.append((-float(value[j]), -size, tuple(ranks)))
    pool.sort()
    return [p[2] for p in pool[:k]]


def _best_of(table: HosvdTable, budget: int,
             shapes: list[tuple[int, ...]]) -> list[tuple[int, ...]]:
    """Feasible distinct shapes of a list, best on the table first (clipped to the caps)."""
    scored = set()
    for s in shapes:
        s = tuple(min(int(r), c) for r, c in zip(s, table.caps, strict=True))
        size = tucker_size(table.shape, s)
        if size <= budget:
            scored.add((table.rre(s), -size, s))
    return [t[2] for t in sorted(scored)]


def brute_force_on_table(table: HosvdTable, budget: int) -> tuple[int, ...]:
    """Every shape inside the caps, scored on the table (the test oracle)."""
    best = None
    for ranks in itertools.product(*[range(1, c + 1) for c in table.caps]):
        size = tucker_size(table.shape, ranks)
        if size > budget:
            continue
        key = (table.rre(ranks), -size, ranks)  # lowest error, then larger size
        if best is None or key < best:
            best = key
    assert best is not None
    return best[2]


class WarmFitter:
    """HOOI fits started from the table's T-HOSVD factors, in a compressed space, cached.

    A shape ``R`` is fitted on ``W[:M_1, ..., :M_N]`` -- ``X`` compressed onto
    its leading ``M_n = min(caps_n, 2 R_n + 4)`` singular vectors per mode, a
    slice of the table's rotated core -- starting from the T-HOSVD factors
    (the first ``R_n`` unit vectors there). HOOI there is HOOI on ``X`` with
    every factor restricted to that subspace: the model returned (factors
    ``U_n[:, :M_n] V_n``) is a genuine Tucker model of ``X`` and its error is
    computed against ``X`` exactly, so it is never better than it claims and
    at worst a little worse than unrestricted HOOI. Each sweep then touches
    ``prod M_n`` entries instead of ``prod I_n``.

    :meth:`screen` runs one sweep (a much tighter error estimate than the
    table) in a smaller space, ``M_n = min(caps_n, R_n + 2)``, which makes
    screening 3-30x cheaper than in the refinement space; a fit continued
    later starts from those factors padded with zero rows. :meth:`fit`
    continues a shape's screened fit until the squared error improves by
    less than ``tol`` (relative) per sweep, at most ``n_iter`` sweeps in all;
    a last screening or tie-break sweep that gained less already ends it.
    Counters: ``solves`` (HOOI runs), ``sweeps`` (the unit of cost), ``hits``
    (cache hits), ``seconds`` (time in HOOI).

    Parameters
    ----------
    tensor : ndarray
    table : HosvdTable
    n_iter : int
        Sweep cap per shape.
    tol : float
        Relative stopping tolerance on the squared error.
    """

    def __init__(self, tensor: np.ndarray, table: HosvdTable, n_iter: int, tol: float) -> None:
        self.tensor = tensor
        self.table = table
        self.n_iter = n_iter
        self.tol = tol
        # shape -> (compressed-space fit so far, finished: converged or at the sweep cap)
        # shape -> (compressed-space fit so far, finished, settled: its last run was a single
        # sweep that gained less than ``tol`` -- HOOI's own stopping test, already passed)
        self.states: dict[tuple[int, ...], tuple[TuckerFit, bool, bool]] = {}
        self.solves = self.sweeps = self.hits = 0
        self.seconds = 0.0

    #: The refinement space: M_n = min(cap_n, space_factor R_n + space_extra).
    space_factor = 2
    space_extra = 4
    #: The screening space (screen, coarse advance): M_n = min(cap_n, R_n + coarse_extra).
    coarse_extra = 2

    def _space(self, ranks: tuple[int, ...], coarse: bool = False) -> tuple[int, ...]:
        if coarse:
            return tuple(min(cap, r + self.coarse_extra)
                         for cap, r in zip(self.table.caps, ranks, strict=True))
        return tuple(min(cap, int(self.space_factor * r) + self.space_extra)
                     for cap, r in zip(self.table.caps, ranks, strict=True))

    def _error(self, fit: TuckerFit) -> float:
        """Squared relative error against ``X`` of a compressed-space fit (from ``||G||^2``)."""
        total = self.table.total
        return max(total - float(np.vdot(fit.core, fit.core)), 0.0) / total if total > 0 else 0.0

    def _run(self, ranks: tuple[int, ...], space: tuple[int, ...],
             start: list[np.ndarray] | None, sweeps: int, tol: float,
             start_error: float) -> TuckerFit:
        """HOOI on ``W[:M_1, ..., :M_N]``; ``start`` (from a space no larger) and the result's
        factors live in the leading-vector coordinates; ``tol`` is relative to ``||X||^2``,
        ``start_error`` is the start model's squared error relative to ``||X||^2``."""
        t0 = time.perf_counter()
        w = np.ascontiguousarray(self.table.rotated[tuple(slice(0, m) for m in space)])
        if start is None:  # the T-HOSVD factors are the leading unit vectors there
            start = [np.eye(m, r) for m, r in zip(space, ranks, strict=True)]
        else:  # a smaller space is a prefix of this one: pad with zero rows (still orthonormal)
            start = [v if v.shape[0] == m else np.vstack([v, np.zeros((m - v.shape[0], r))])
                     for v, m, r in zip(start, space, ranks, strict=True)]
        norm_w = float(np.vdot(w, w))
        # hooi's tolerance is on the error relative to ||W||^2.
        tol_w = tol * self.table.total / norm_w if norm_w > 0 else 0.0
        # The start's error is known (table entry or the fit so far), so a start that one
        # sweep barely improves stops after that sweep. In W's terms: the model captures
        # the same energy ||X||^2 (1 - start_error) there.
        err_w = max(norm_w - self.table.total * (1.0 - start_error), 0.0) / norm_w \
            if norm_w > 0 else None
        out = hooi(w, ranks, n_iter=sweeps, tol=tol_w, start=start, start_error=err_w)
        self.seconds += time.perf_counter() - t0
        self.solves += 1
        self.sweeps += out.n_iter
        return out

    def _lift(self, fit: TuckerFit) -> TuckerFit:
        """The compressed-space fit as a Tucker model of ``X``, error measured against ``X``."""
        factors = [u[:, : v.shape[0]] @ v for u, v in
                   zip(self.table.factors, fit.factors, strict=True)]
        total = self.table.total
        if total <= 0:
            return TuckerFit(fit.ranks, fit.core, factors, 0.0, 0.0, fit.n_iter)
        rre = max(total - float(np.vdot(fit.core, fit.core)), 0.0) / total
        if rre < 1e-8:
            # ||X||^2 - ||G||^2 cancels for tiny errors: measure the residual on X itself.
            core = mode_project(np.ascontiguousarray(self.tensor, dtype=np.float64), factors)
            resid = np.asarray(self.tensor, dtype=np.float64) - reconstruct(core, factors)
            rre = float(np.vdot(resid, resid)) / total
            return TuckerFit(fit.ranks, core, factors, rre, float(np.sqrt(rre)), fit.n_iter)
        return TuckerFit(fit.ranks, fit.core, factors, rre, float(np.sqrt(rre)), fit.n_iter)

    def advance(self, ranks: tuple[int, ...], sweeps: int | None = None,
                coarse: bool = False) -> TuckerFit:
        """Run ``ranks``' fit up to ``sweeps`` sweeps in all (None: to ``tol`` / ``n_iter``).

        A shape's fit is kept and continued, so screening, a tie-break and the
        final refinement of one shape never repeat a sweep. ``coarse`` runs
        in the small screening space; a fit continued in a larger space starts
        from its factors padded with zeros (HOOI stays monotone), never the
        other way round.
        """
        ranks = tuple(int(r) for r in ranks)
        target = self.n_iter if sweeps is None else min(int(sweeps), self.n_iter)
        state = self.states.get(ranks)
        if state is not None and (state[1] or state[0].n_iter >= target
                                  or sweeps is None and state[2]):
            # A final fit whose last sweep already gained less than the tolerance is
            # converged by HOOI's own test (that sweep may have run in a smaller space).
            if sweeps is None:
                self.states[ranks] = (state[0], True, state[2])
            self.hits += 1
            return self._lift(state[0])
        space = self._space(ranks, coarse)
        if state is None:
            cur, done_sweeps, start, err = None, 0, None, self.table.rre(ranks)
        else:
            cur, done_sweeps, start = state[0], state[0].n_iter, state[0].factors
            err = self._error(cur)
            space = tuple(max(m, v.shape[0]) for m, v in zip(space, start, strict=True))
        # Partial runs do exactly their sweeps; the final one stops at the tolerance.
        tol = self.tol * max(err, 1e-300) if sweeps is None else 0.0
        more = self._run(ranks, space, start, target - done_sweeps, tol, err)
        spent = done_sweeps + more.n_iter
        # HOOI is monotone up to round-off: keep the better model either way.
        best = more if cur is None or self._error(more) <= err else cur
        cur = dataclasses.replace(best, n_iter=spent)
        done = sweeps is None or cur.n_iter >= self.n_iter
        new_err = self._error(cur)
        settled = more.n_iter == 1 and err - new_err <= self.tol * new_err
        self.states[ranks] = (cur, done, settled)
        return self._lift(cur)

    def screen(self, ranks: tuple[int, ...]) -> TuckerFit:
        """One HOOI sweep from the T-HOSVD factors of ``ranks`` in the screening space."""
        return self.advance(ranks, 1, coarse=True)

    def fit(self, ranks: tuple[int, ...]) -> TuckerFit:
        """The refined fit of ``ranks`` (continuing whatever was run for it before).

        When the last sweep run for ``ranks`` (a screening or tie-break sweep)
        already gained less than ``tol``, the fit is converged by HOOI's own
        stopping test and is returned as it is.
        """
        return self.advance(ranks, None)
