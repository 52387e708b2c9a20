"""The paper's integer program for Tucker packing (Ghadiri et al. 2023, ``hosvd-ip``).

For a budget ``c`` and a split ``c = b_prod + b_sum``, solve the 0/1 program

    max  sum_{n,j} Head_n(j) x[n,j]
    s.t. sum_j x[n,j] = 1                         (one rank per mode)
         sum_{n,j} log(j) x[n,j] <= log(b_prod)    (core size, in log space)
         sum_{n,j} I_n j x[n,j]  <= b_sum          (factor sizes)

over the grid of splits ``b = (1+eps)^k`` taken both ways, plus a brute
force over the shapes with every ``R_n <= ceil(1/eps)``, and keep the best
shape whose true size fits. The model is built once per tensor (cvxpy
Parameters for the two budgets, so every split shares one
canonicalisation) and solved exactly (MIP gap 0) with HiGHS.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Callable

import numpy as np

from .search import tucker_size
from .spectra import Spectra

__all__ = ["PackingModel", "PackingOutcome", "split_grid"]


@dataclasses.dataclass
class PackingOutcome:
    """What the integer program returned for one budget."""

    ranks: tuple[int, ...]
    head_sum: float
    splits: int = 0
    not_optimal: int = 0
    best_split: tuple[float, float] | None = None


def split_grid(budget: int, eps: float) -> list[tuple[float, float]]:
    """The paper's splits ``(b_prod, b_sum)``: ``((1+eps)^k, c - (1+eps)^k)`` and reversed,
    ``k = 0 .. floor(log c / log(1+eps)) - 1``."""
    out = []
    for k in range(int(math.floor(math.log(budget) / math.log1p(eps)))):
        b = (1.0 + eps) ** k
        out.append((b, budget - b))
        out.append((budget - b, b))
    return list(dict.fromkeys(out))


class PackingModel:
    """The 0/1 program of one tensor, reused across splits and budgets.

    Parameters
    ----------
    spec : Spectra
        Mode spectra of the tensor.
    backend : {"cvxpy", "scipy"}
        cvxpy with its HiGHS interface (boolean one-hot per mode, budgets as
        Parameters), or scipy.optimize.milp (HiGHS directly).
    split_time_limit : float
        Seconds allowed per MILP solve.
    """

    def __init__(self, spec: Spectra, backend: str = "cvxpy",
                 split_time_limit: float = 10.0) -> None:
        self.spec = spec
        self.backend = backend
        self.time_limit = float(split_time_limit)
        self.ranks = [np.arange(1, min(i, k) + 1)
                      for i, k in zip(spec.shape, spec.known, strict=True)]
        scale = spec.total if spec.total > 0 else 1.0
        # Objective scaled to ||X||^2 = 1 so HiGHS tolerances are relative.
        self.values = [spec.heads[n][r] / scale for n, r in enumerate(self.ranks)]
        self.logs = [np.log(r.astype(float)) for r in self.ranks]
        self.lins = [spec.shape[n] * r.astype(float) for n, r in enumerate(self.ranks)]
        if backend == "cvxpy":
            self._build_cvxpy()
        elif backend == "scipy":
            self._build_scipy()
        else:
            raise ValueError(f"backend must be 'cvxpy' or 'scipy', got {backend!r}")

    # -- cvxpy ------------------------------------------------------------------
    def _build_cvxpy(self) -> None:
        import cvxpy as cp

        self._x = [cp.Variable(len(r), boolean=True) for r in self.ranks]
        self._log_bprod = cp.Parameter(name="log_b_prod")
        self._b_sum = cp.Parameter(name="b_sum")
        cons = [cp.sum(x) == 1 for x in self._x]
        log_core = sum(lg @ x for lg, x in zip(self.logs, self._x, strict=True))
        cons.append(log_core <= self._log_bprod)
        cons.append(sum(ln @ x for ln, x in zip(self.lins, self._x, strict=True)) <= self._b_sum)
        objective = cp.Maximize(sum(v @ x for v, x in zip(self.values, self._x, strict=True)))
        self._problem = cp.Problem(objective, cons)
        if "HIGHS" not in cp.installed_solvers():
            raise ImportError("cvxpy's HIGHS backend is not installed (pip install highspy)")

    def _solve_cvxpy(self, b_prod: float, b_sum: float) -> tuple[tuple[int, ...] | None, bool]:
        import cvxpy as cp

        self._log_bprod.value = math.log(b_prod)
        self._b_sum.value = float(b_sum)
        try:
            self._problem.solve(solver=cp.HIGHS, mip_rel_gap=0.0, mip_abs_gap=0.0,
                                time_limit=self.time_limit)
        except cp.SolverError:
            return None, False
        status = self._problem.status
        if status not in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE, cp.USER_LIMIT) \
                or self._x[0].value is None:
            return None, status in (cp.INFEASIBLE,)
        ranks = tuple(int(r[int(np.argmax(x.value))])
                      for r, x in zip(self.ranks, self._x, strict=True))
        return ranks, status == cp.OPTIMAL

    # -- scipy --------------------------------------------------------------------
    def _build_scipy(self) -> None:
        from scipy.sparse import lil_matrix

        sizes = [len(r) for r in self.ranks]
        offsets = np.concatenate(([0], np.cumsum(sizes)))
        a = lil_matrix((len(sizes) + 2, offsets[-1]))
        for n, (lo, hi) in enumerate(zip(offsets[:-1], offsets[1:], strict=True)):
            a[n, lo:hi] = 1.0
            a[len(sizes), lo:hi] = self.logs[n]
            a[len(sizes) + 1, lo:hi] = self.lins[n]
        self._a = a.tocsr()
        self._c = -np.concatenate(self.values)
        self._offsets = offsets

    def _solve_scipy(self, b_prod: float, b_sum: float) -> tuple[tuple[int, ...] | None, bool]:
        from scipy.optimize import Bounds, LinearConstraint, milp

        n = len(self.ranks)
        lo = np.concatenate((np.ones(n), [-np.inf, -np.inf]))
        hi = np.concatenate((np.ones(n), [math.log(b_prod), b_sum]))
        res = milp(self._c, constraints=LinearConstraint(self._a, lo, hi),
                   integrality=np.ones_like(self._c), bounds=Bounds(0, 1),
                   options={"mip_rel_gap": 0.0, "time_limit": self.time_limit})
        if res.x is None:
            return None, res.status == 2  # 2: infeasible (a proven outcome)
        ranks = tuple(int(self.ranks[j][int(np.argmax(res.x[a:b]))])
                      for j, (a, b) in enumerate(zip(self._offsets[:-1], self._offsets[1:],
                                                     strict=True)))
        return ranks, res.status == 0

    # -- the paper's method ----------------------------------------------------------
    def solve(self, budget: int, eps: float = 0.5,
              time_check: Callable[[], bool] | None = None) -> PackingOutcome:
        """Best shape over step A (small brute force) and step B (every split's MILP)."""
        spec = self.spec
        shape = spec.shape
        best: tuple[float, int, tuple[int, ...]] | None = None

        def offer(ranks: tuple[int, ...]) -> None:
            nonlocal best
            size = tucker_size(shape, ranks)
            if size > budget:
                return
            value = spec.head_sum(ranks)
            if best is None or (value, size) > best[:2] or \
                    ((value, size) == best[:2] and ranks < best[2]):
                best = (value, size, ranks)

        # Step A: every shape with all R_n <= ceil(1/eps).
        small = [range(1, min(i, k, math.ceil(1.0 / eps)) + 1)
                 for i, k in zip(shape, spec.known, strict=True)]
        for ranks in itertools.product(*small):
            offer(tuple(ranks))
        out = PackingOutcome(ranks=(1,) * len(shape), head_sum=0.0)
        min_lin = sum(shape)
        for b_prod, b_sum in split_grid(budget, eps):
            if b_sum < min_lin or b_prod < 1.0:
                continue  # not even all-ones fits this split
            if time_check is not None and time_check():
                break
            solve = self._solve_cvxpy if self.backend == "cvxpy" else self._solve_scipy
            ranks, optimal = solve(b_prod, b_sum)
            out.splits += 1
            if ranks is None:
                out.not_optimal += int(not optimal)
                continue
            out.not_optimal += int(not optimal)
            before = best
            offer(ranks)
            if best is not before:
                out.best_split = (b_prod, b_sum)
        assert best is not None  # all-ones always fits: the problem checked the budget
        out.ranks, out.head_sum = best[2], best[0]
        return out
