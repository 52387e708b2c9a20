"""Inexact solvers for the Newton-KKT system K z = rhs, stopped by an absolute residual target.

Sketch-and-project (Gower-Richtarik) on the symmetric K:
    z <- z - K S (S' K^2 S)^+ S' r,   r = K z - rhs.
Because K is symmetric, with W = K S one has S' K^2 S = W'W and
S' r = W' z - S' rhs, so a step needs only W (never the full residual). The
full residual is computed once per sweep (about N rows of work) for the
accuracy test.

Sketches: ``rk`` (S = e_i, randomized Kaczmarz; rows sampled uniformly or by
squared row norm), ``block`` (S = b random coordinates, block Kaczmarz),
``gaussian`` (S with N(0,1) entries, b columns; b = 1 is the paper's GV) and
``count`` (count sketch: each coordinate hashed to one of b columns with a
random sign). ``minres`` and ``direct`` (sparse LU) are baselines/fallbacks
that use the same target. ``pminres`` is MINRES with the block-diagonal
(Murphy-Golub-Wathen type) preconditioner diag(D, G D^-1 G'), D = |diag(B)|:
only the m x m Schur approximation is factorised (sparse LU), never K.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator, minres, splu

from .linalg import KKT

INNER_KINDS = ("auto", "rk", "gaussian", "block", "count", "minres", "pminres", "direct")


@dataclasses.dataclass
class InnerStats:
    """Work of one inner solve (accumulated over warm restarts)."""

    steps: int = 0
    resid: float = math.inf
    converged: bool = False
    stalled: bool = False


class InnerSolver:
    """One inner solver kind with its budget; ``solve`` may be called again to resume (warm start).

    Parameters
    ----------
    kind : str
        One of ``INNER_KINDS``.
    rng : numpy.random.Generator
    block_size : int
        Columns per sketch for ``block``, ``gaussian`` and ``count``.
    sampling : {"row-norm", "uniform"}
        Row distribution of ``rk`` (row-norm is Strohmer-Vershynin's choice).
    max_steps : int
        Sketch steps (or MINRES iterations) per outer iteration, over restarts.
    stall_sweeps : int
        Stop after this many sweeps without a 10% drop of the residual (the
        rounding floor or a hopelessly slow contraction).
    """

    def __init__(self, kind: str, rng: np.random.Generator, block_size: int = 1,
                 sampling: str = "row-norm", max_steps: int = 100_000,
                 stall_sweeps: int = 50, time_up=None) -> None:
        self.kind, self.rng, self.b = kind, rng, max(1, int(block_size))
        self.time_up = time_up  # polled once per residual check (the time limit)
        self.sampling, self.max_steps, self.stall_sweeps = sampling, max_steps, stall_sweeps

    # ------------------------------------------------------------------
    def solve(self, K: KKT, rhs: np.ndarray, z: np.ndarray, target: float,
              stats: InnerStats) -> np.ndarray:
        """Iterate from ``z`` until ||K z - rhs|| <= target or the budget is spent."""
        r = K.mv(z) - rhs
        stats.resid = float(np.linalg.norm(r))
        if stats.resid <= target:
            stats.converged = True
            return z
        if self.kind == "direct":
            return self._direct(K, rhs, z, target, stats)
        if self.kind == "minres":
            return self._minres(K, rhs, z, target, stats)
        if self.kind == "pminres":
            if K.precond is None:  # built once per K, reused by the descent-test restarts
                K.precond = schur_preconditioner(K) or "none"
            pc = None if isinstance(K.precond, str) else K.precond
            return self._minres(K, rhs, z, target, stats, precond=pc)
        return self._sketch(K, rhs, z, target, stats)

    # ------------------------------------------------------------------
    def _sketch(self, K: KKT, rhs: np.ndarray, z: np.ndarray, target: float,
                stats: InnerStats) -> np.ndarray:
        N = K.N
        z = z.copy()
        # Residual checks (one K product each) every sweep of N rows, but at least every
        # 256 rows so tiny systems are not dominated by the check.
        per_sweep = max(1, -(-max(N, 256) // self.b)) if self.kind in ("rk", "block") else \
            max(1, min(-(-N // self.b), 32))
        if self.kind == "rk":
            step = self._rk_stepper(K, rhs, z)
        else:
            step = self._block_stepper(K, rhs, z)
        window = self.stall_sweeps
        best, since_best = stats.resid, 0
        hist, checks = [stats.resid], 0
        while stats.steps < self.max_steps:
            count = min(per_sweep, self.max_steps - stats.steps)
            step(count)
            stats.steps += count
            stats.resid = float(np.linalg.norm(K.mv(z) - rhs))
            if not math.isfinite(stats.resid):
                raise FloatingPointError("the sketching iteration diverged (non-finite residual)")
            if stats.resid <= target:
                stats.converged = True
                break
            checks += 1
            if self.time_up is not None and self.time_up():
                stats.stalled = True
                break
            hist.append(stats.resid)
            if checks >= 5 and 0.0 < stats.resid:
                # Hopeless: at the contraction of the last 5 checks, the target lies beyond
                # the remaining budget (plain sketching on PDE-type K, spec pitfall 3).
                rate = (stats.resid / hist[-6]) ** (1.0 / 5) if hist[-6] > 0 else 0.0
                need = math.log(target / stats.resid) / math.log(rate) if 0.0 < rate < 1.0 \
                    else (0.0 if rate == 0.0 else math.inf)
                if need * count > self.max_steps - stats.steps:
                    stats.stalled = True
                    break
            if stats.resid < 0.9 * best:
                best, since_best = stats.resid, 0
            else:
                since_best += 1
                if since_best >= window:
                    stats.stalled = True
                    break
        return z

    def _rk_stepper(self, K: KKT, rhs: np.ndarray, z: np.ndarray):
        rng, N = self.rng, K.N
        if K.matrix is not None:
            A = K.matrix
            indptr, indices, data = A.indptr, A.indices, A.data
            norms2 = np.asarray(A.multiply(A).sum(axis=1)).ravel()
        else:
            rows = [K.dense_row(i) for i in range(N)] if self.sampling == "row-norm" else None
            norms2 = None if rows is None else np.array([r @ r for r in rows])
        nz = None if norms2 is None else norms2 > 0
        if norms2 is not None and self.sampling == "row-norm":
            p = norms2 / norms2.sum()
        elif nz is not None:
            p = nz / nz.sum()
        else:
            p = None

        def run(count: int) -> None:
            idx = rng.choice(N, size=count, p=p)
            K.row_ops += count
            if K.matrix is not None:
                for i in idx:
                    s, e = indptr[i], indptr[i + 1]
                    nrm = norms2[i]
                    if nrm == 0.0:
                        continue
                    cols, vals = indices[s:e], data[s:e]
                    ri = vals @ z[cols] - rhs[i]
                    z[cols] -= (ri / nrm) * vals
            else:
                for i in idx:
                    row = K.dense_row(i)
                    nrm = row @ row
                    if nrm == 0.0:
                        continue
                    z[:] -= ((row @ z - rhs[i]) / nrm) * row
        return run

    def _block_stepper(self, K: KKT, rhs: np.ndarray, z: np.ndarray):
        rng, N, b, kind = self.rng, K.N, min(self.b, K.N), self.kind

        def sketch_and_w() -> tuple[np.ndarray, np.ndarray]:
            """Return (S' rhs, W = K S)."""
            if kind == "block":
                idx = rng.choice(N, size=b, replace=False)
                K.row_ops += b
                if K.matrix is not None:
                    W = K.matrix[idx].toarray().T  # columns of K = rows (symmetric)
                else:
                    W = np.column_stack([K.dense_row(i) for i in idx])
                return rhs[idx], W
            if kind == "gaussian":
                S = rng.standard_normal((N, b))
                return S.T @ rhs, K.mm(S)
            # count sketch: coordinate i goes to column h(i) with sign s(i)
            h = rng.integers(0, b, size=N)
            s = rng.choice(np.array([-1.0, 1.0]), size=N)
            S = sp.csr_matrix((s, (np.arange(N), h)), shape=(N, b))
            if K.matrix is not None:
                K.row_ops += N
                W = np.asarray((K.matrix @ S).toarray())
            else:
                W = K.mm(S.toarray())
            return S.T @ rhs, W

        def run(count: int) -> None:
            for _ in range(count):
                srhs, W = sketch_and_w()
                Sr = W.T @ z - srhs
                G = W.T @ W
                coef = np.linalg.lstsq(G, Sr, rcond=1e-12)[0]  # (S'K^2S)^+ S'r, b x b
                z[:] -= W @ coef
        return run

    # ------------------------------------------------------------------
    def _minres(self, K: KKT, rhs: np.ndarray, z: np.ndarray, target: float,
                stats: InnerStats, precond: LinearOperator | None = None) -> np.ndarray:
        nb = float(np.linalg.norm(rhs))
        count = [0]

        def cb(_xk: np.ndarray) -> None:
            count[0] += 1
        rtol = min(0.5, max(target / nb, 1e-15)) if nb > 0 else 1e-15
        # With a preconditioner scipy stops on the residual in the M-norm, so the true
        # residual is checked and the run resumed (tighter) a few times when needed.
        for _ in range(1 if precond is None else 4):
            budget = self.max_steps - stats.steps
            if budget < 1:
                break
            count[0] = 0
            z, _ = minres(K.operator(), rhs, x0=z, rtol=rtol, maxiter=budget, callback=cb,
                          M=precond)
            stats.steps += count[0]
            stats.resid = float(np.linalg.norm(K.mv(z) - rhs))
            if stats.resid <= target or not math.isfinite(stats.resid):
                break
            rtol = max(rtol * 0.5 * target / stats.resid, 1e-15)
        stats.converged = stats.resid <= target
        stats.stalled = not stats.converged
        return z

    def _direct(self, K: KKT, rhs: np.ndarray, z: np.ndarray, target: float,
                stats: InnerStats) -> np.ndarray:
        A = K.matrix if K.matrix is not None else explicit_kkt(K)
        try:
            lu = splu(A.tocsc())
            z = lu.solve(rhs)
        except RuntimeError:  # exactly singular K: fall back to MINRES (least-squares-ish)
            return self._minres(K, rhs, z, target, stats)
        stats.steps += 1
        K.row_ops += A.nnz
        stats.resid = float(np.linalg.norm(K.mv(z) - rhs))
        stats.converged = bool(np.isfinite(stats.resid)) and stats.resid <= max(
            target, 1e-10 * float(np.linalg.norm(rhs)))
        stats.stalled = not stats.converged
        return z


def schur_preconditioner(K: KKT) -> LinearOperator | None:
    """SPD block-diagonal preconditioner M = diag(D, S)^-1 for K, S = G D^-1 G'.

    D is |diag(B)| floored at 1e-6 max|diag(B)| (B = H + tI), from the explicit Hessian,
    or ``K.diag_scale`` times the identity for product-only Hessians. With D = B and exact S
    the preconditioned K has three eigenvalues (MINRES: three steps). Only S, m x m and
    sparse when G is, is factorised. Returns None when G is not explicit or S is singular.
    """
    J = K.J.matrix
    if J is None:
        return None
    n, m = K.n, K.m
    if K.H.matrix is not None:
        d = np.abs(K.H.matrix.diagonal() + K.t)
    else:
        d = np.full(n, abs(K.diag_scale))
    top = float(d.max()) if d.size else 0.0
    if not top > 0.0 or not math.isfinite(top):
        d = np.ones(n)
    else:
        d = np.maximum(d, 1e-6 * top)
    S = (J @ sp.diags(1.0 / d) @ J.T).tocsc()
    S = S + (1e-12 * max(abs(S).max(), 1e-300)) * sp.identity(m, format="csc")
    try:
        lu = splu(S)
    except RuntimeError:
        return None

    def apply(v: np.ndarray) -> np.ndarray:
        return np.concatenate([v[:n] / d, lu.solve(np.ascontiguousarray(v[n:]))])
    return LinearOperator((n + m, n + m), matvec=apply, dtype=np.float64)


def explicit_kkt(K: KKT, max_dim: int = 5000) -> sp.csr_matrix:
    """Sparse K from N products (for operator-only Hessians with the direct solver)."""
    if K.N > max_dim:
        raise ValueError(f"inner='direct' needs an explicit (dense or sparse) hess and jac for "
                         f"n + m = {K.N} > {max_dim}; use an iterative inner solver")
    cols = []
    for i in range(K.N):
        e = np.zeros(K.N)
        e[i] = 1.0
        cols.append(sp.csc_matrix(K.mv(e).reshape(-1, 1)))
    A = sp.hstack(cols).tocsr()
    A.eliminate_zeros()
    return ((A + A.T) * 0.5).tocsr()  # finite-difference products are symmetric only to O(h)
