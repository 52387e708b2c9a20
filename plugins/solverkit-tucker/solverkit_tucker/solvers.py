"""The solverkit solvers for ``TuckerRank`` problems (``tucker-shape`` is in :mod:`.shape`).

Every solver loops over the problem's budgets (one budget, or a sweep that
pays for the spectra once), reports once per budget and returns, per budget,
the shape, its size and utilisation, the surrogate bounds and -- when
evaluated -- the HOOI fit (squared and unsquared relative error, core and
factors). ``Result.x`` is the rank tuple (a list of them for a sweep) and
``Result.fun`` the squared RRE (the surrogate ``sum_n Tail_n / ||X||^2``
when ``evaluate=False``).
"""

from __future__ import annotations

import abc
import dataclasses
import time
from typing import Any, Literal

import numpy as np

import solverkit
from solverkit import Progress, Result, Solver, TuckerRank

from .evaluate import Evaluator, budget_record, sweep_result_fields
from .search import (
    SearchTimeout,
    exhaustive_shape,
    greedy_shape,
)
from .spectra import Spectra, spectra_of

__all__ = [
    "TuckerPacking", "TuckerGreedy", "TuckerGreedySV", "TuckerExhaustive",
    "EvalOptions", "PackingOptions", "GreedySVOptions", "ExhaustiveOptions",
    "TrueGreedyOptions", "TTShape", "TTOptions",
]

PAPER = ("M. Ghadiri, M. Fahrbach, G. Fu, V. Mirrokni, 'Approximately Optimal Core Shapes for "
         "Tensor Decompositions', ICML 2023 (arXiv 2302.03886)")


def _positive_int(name: str, value: int, low: int = 1, high: int | None = None) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low \
            or (high is not None and value > high):
        span = f">= {low}" if high is None else f"between {low} and {high}"
        raise ValueError(f"{name} must be an integer {span}, got {value!r}")


@dataclasses.dataclass(frozen=True)
class EvalOptions:
    """How a chosen shape is scored.

    Parameters
    ----------
    evaluate : bool
        Fit the chosen shape(s) with HOOI and report the true error
        (default True). False returns the surrogate choice only.
    n_iter : int
        HOOI sweeps per fit (default 20, the paper's evaluation setting).
    init : {"random", "svd"}
        HOOI start: random orthonormal factors seeded per shape (default,
        the paper's setting) or ST-HOSVD.
    keep_factors : bool
        Return the core and factor matrices in ``extra`` (default True).
    """

    evaluate: bool = True
    n_iter: int = 20
    init: Literal["random", "svd"] = "random"
    keep_factors: bool = True

    def __post_init__(self) -> None:
        _positive_int("n_iter", self.n_iter, 1)
        if self.init not in ("random", "svd"):
            raise ValueError(f"init must be 'random' or 'svd', got {self.init!r}")


@dataclasses.dataclass(frozen=True)
class PackingOptions(EvalOptions):
    """Options of ``tucker-packing`` (the paper's integer program).

    Parameters
    ----------
    eps : float
        Split-grid ratio: budget splits at ``(1+eps)^k`` (default 0.5, the
        paper's value), in (0, 1].
    backend : {"cvxpy", "scipy"}
        cvxpy + HiGHS with Parameters (default) or scipy.optimize.milp.
    split_time_limit : float
        Seconds per MILP solve (default 10); a solve stopped by it is
        counted in ``extra["not_optimal"]``.
    """

    eps: float = 0.5
    backend: Literal["cvxpy", "scipy"] = "cvxpy"
    split_time_limit: float = 10.0

    def __post_init__(self) -> None:
        super().__post_init__()
        if not (0.0 < float(self.eps) <= 1.0):
            raise ValueError(f"eps must be in (0, 1], got {self.eps!r}")
        if self.backend not in ("cvxpy", "scipy"):
            raise ValueError(f"backend must be 'cvxpy' or 'scipy', got {self.backend!r}")
        if not (np.isfinite(self.split_time_limit) and self.split_time_limit > 0):
            raise ValueError(f"split_time_limit must be a positive number of seconds, "
                             f"got {self.split_time_limit!r}")


@dataclasses.dataclass(frozen=True)
class GreedySVOptions(EvalOptions):
    """Options of ``tucker-greedy-sv``.

    Parameters
    ----------
    per_parameter : bool
        Rank moves by singular-value gain per added parameter
        (bang-for-buck, default True) or by the gain alone (hosvd-greedy).
    """

    per_parameter: bool = True


@dataclasses.dataclass(frozen=True)
class ExhaustiveOptions(EvalOptions):
    """Options of ``tucker-exhaustive``.

    Parameters
    ----------
    max_shapes : int
        Refuse (before any work) to enumerate more shapes than this
        (default 20 million).
    """

    max_shapes: int = 20_000_000

    def __post_init__(self) -> None:
        super().__post_init__()
        _positive_int("max_shapes", self.max_shapes, 1)


@dataclasses.dataclass(frozen=True)
class TrueGreedyOptions:
    """Options of ``tucker-greedy`` (true-loss greedy).

    Parameters
    ----------
    n_iter : int
        HOOI sweeps per fit (default 20).
    init : {"random", "svd"}
        HOOI start (default random, seeded per shape).
    keep_factors : bool
        Return the final core and factors (default True).
    stop_tol : float
        Stop when the best neighbour's squared RRE is worse than the current
        one by more than this (default 1e-9, the paper's rule).
    """

    n_iter: int = 20
    init: Literal["random", "svd"] = "random"
    keep_factors: bool = True
    stop_tol: float = 1e-9

    def __post_init__(self) -> None:
        _positive_int("n_iter", self.n_iter, 1)
        if self.init not in ("random", "svd"):
            raise ValueError(f"init must be 'random' or 'svd', got {self.init!r}")
        if not (np.isfinite(self.stop_tol) and self.stop_tol >= 0):
            raise ValueError(f"stop_tol must be a finite number >= 0, got {self.stop_tol!r}")


class _BudgetSolver(Solver, abc.ABC):
    """Shared loop: spectra once, then one shape choice per budget."""

    kinds = (TuckerRank,)
    reference = PAPER
    default_max_iter = 1_000_000  # one iteration per budget: never the binding limit
    default_tol = 1e-9

    @abc.abstractmethod
    def candidates(self, spec: Spectra, budget: int, options: Any,
                   progress: Progress) -> tuple[list[tuple[int, ...]], dict[str, Any]]:
        """Shapes to score for one budget, best surrogate first, plus extras."""

    def max_candidates(self, options: Any) -> int:
        return 1

    def solve(self, problem: TuckerRank, options: Any, progress: Progress) -> Result:
        t0 = time.perf_counter()
        spec = _spectra(problem)
        t_spectra = time.perf_counter() - t0
        seed = int(progress.rng.integers(2**31))
        ev = Evaluator(problem.tensor, options.n_iter, options.init, seed)
        records: list[dict[str, Any]] = []
        t_search = 0.0
        stopped = False
        for k, budget in enumerate(problem.budgets, start=1):
            t1, e1, s1 = time.perf_counter(), ev.seconds, ev.solves
            try:
                cands, more = self.candidates(spec, budget, options, progress)
            except SearchTimeout:
                stopped = True
                break
            t_search += time.perf_counter() - t1
            cands = list(dict.fromkeys(cands))[: self.max_candidates(options)]
            fit, scored = None, []
            if options.evaluate:
                fits = [ev.fit(c) for c in cands]
                scored = [(c, f.rre) for c, f in zip(cands, fits, strict=True)]
                # Lowest RRE; ties go to the earlier (better surrogate) candidate.
                best = min(range(len(cands)), key=lambda j: (fits[j].rre, j))
                chosen, fit = cands[best], fits[best]
            else:
                chosen = cands[0]
            # Per-budget cost: this budget's search plus the HOOI fits it actually ran.
            seconds = time.perf_counter() - t1
            records.append(budget_record(spec, budget, chosen, fit, options.keep_factors,
                                         candidates=scored, seconds=seconds,
                                         search_seconds=seconds - (ev.seconds - e1),
                                         solves=ev.solves - s1, **more))
            value = fit.rre if fit is not None else records[-1]["surrogate"]
            if progress.report(k, x=chosen, fun=value, budget=budget,
                               utilisation=records[-1]["utilisation"]):
                stopped = True
                break
        if not records:  # stopped before the first budget finished: all ones always fits
            ones = (1,) * spec.ndim
            fit = ev.fit(ones) if options.evaluate else None
            records.append(budget_record(spec, problem.budgets[0], ones, fit,
                                         options.keep_factors))
        return _finish(progress, spec, problem, records, t_spectra, t_search, ev,
                       stopped, nit=len(records))


def _caps(problem: TuckerRank) -> tuple[int, ...]:
    """Largest rank per mode that the largest budget allows (the other ranks 1)."""
    top, total = max(problem.budgets), sum(problem.shape)
    return tuple(int(max(1, min(i, (top - (total - i)) // (1 + i)))) for i in problem.shape)


def _spectra(problem: TuckerRank, vectors: bool = False) -> Spectra:
    """Cached spectra; ranks above what the largest budget allows are never needed."""
    return spectra_of(problem.tensor, _caps(problem), vectors=vectors)


def _finish(progress: Progress, spec: Spectra, problem: TuckerRank,
            records: list[dict[str, Any]], t_spectra: float, t_search: float,
            ev: Evaluator, stopped: bool, nit: int) -> Result:
    single = len(problem.budgets) == 1
    extra: dict[str, Any] = {
        "time_spectra": t_spectra, "time_search": t_search, "time_eval": ev.seconds,
        "n_tucker_solves": ev.solves, "n_cache_hits": ev.hits,
        "objective": "rre" if records and records[0]["rre"] is not None else "surrogate",
        "sigma2": [s.copy() for s in spec.sigma2],
    }
    if single:
        extra.update(records[0])
    else:
        extra["budgets"] = records
    fields = sweep_result_fields(records, single)
    return progress.result(nit=nit, nfev=ev.solves, extra=extra, **fields)


class TuckerPacking(_BudgetSolver):
    """The paper's integer program over a grid of budget splits (exact MILPs)."""

    name = "tucker-packing"
    when_to_use = (
        "The paper's integer program as published (a MILP over a grid of budget splits, gap 0); "
        "use it to reproduce the paper. `tucker-shape` reaches the same or better surrogate "
        "value far faster.")
    Options = PackingOptions
    summary = ("The paper's Tucker-packing integer program (one-hot ranks, log-space core row, "
               "factor row) over a grid of budget splits, solved exactly with HiGHS")

    def solve(self, problem, options, progress):
        from .packing import PackingModel

        self._model: Any = None
        self._model_cls = PackingModel
        return super().solve(problem, options, progress)

    def candidates(self, spec, budget, options, progress):
        if self._model is None:
            self._model = self._model_cls(spec, options.backend, options.split_time_limit)
        out = self._model.solve(budget, options.eps, time_check=progress.time_up)
        return [out.ranks], {"milp_solves": out.splits, "not_optimal": out.not_optimal,
                             "best_split": out.best_split}


class TuckerGreedySV(_BudgetSolver):
    """Greedy on singular values: bang-for-buck (default) or largest next value."""

    name = "tucker-greedy-sv"
    when_to_use = (
        "A fast heuristic: grow the rank with the best singular-value gain per parameter. Cheap, "
        "usually close, with no optimality guarantee.")
    Options = GreedySVOptions
    baseline = True
    summary = "Baseline: grow the mode with the best singular-value gain per parameter"

    def candidates(self, spec, budget, options, progress):
        return [greedy_shape(spec, budget, options.per_parameter)], {}


class TuckerExhaustive(_BudgetSolver):
    """Exact surrogate optimum by enumerating every shape (small tensors)."""

    name = "tucker-exhaustive"
    when_to_use = (
        "Small tensors only: enumerates every feasible shape on the surrogate (the test oracle "
        "for `tucker-shape`).")
    Options = ExhaustiveOptions
    baseline = True
    summary = "Baseline/oracle: enumerate every core shape on the surrogate (small tensors)"

    def solve(self, problem, options, progress):
        # Refuse before any work when the enumeration would be too big: ranks up to the
        # largest each mode can take alone within the largest budget.
        top, total = max(problem.budgets), sum(problem.shape)
        caps = [max(1, min(i, (top - (total - i)) // (1 + i))) for i in problem.shape]
        count = float(np.prod(caps, dtype=np.float64))
        if count > options.max_shapes:
            raise ValueError(
                f"tucker-exhaustive would enumerate {count:.3g} shapes (ranks up to {caps}) for "
                f"a tensor of shape {problem.shape} at budget {top}, more than max_shapes="
                f"{options.max_shapes}; use tucker-shape for tensors this big")
        return super().solve(problem, options, progress)

    def candidates(self, spec, budget, options, progress):
        best, _ = exhaustive_shape(spec, budget, options.max_shapes)
        return [best], {}


class TuckerGreedy(Solver):
    """True-loss greedy: grow the mode whose +1 gives the lowest HOOI error."""

    name = "tucker-greedy"
    when_to_use = (
        "Baseline: grows one mode at a time by the real Tucker error (a HOOI fit per candidate); "
        "accurate but costs many decompositions.")
    kinds = (TuckerRank,)
    Options = TrueGreedyOptions
    reference = PAPER + " (rre-greedy baseline)"
    summary = ("Baseline: true-loss greedy, one HOOI per feasible +1 neighbour per step "
               "(cached per shape)")
    baseline = True
    default_max_iter = 1_000_000
    default_tol = 1e-9

    def solve(self, problem: TuckerRank, options: TrueGreedyOptions,
              progress: Progress) -> Result:
        shape = problem.shape
        t0 = time.perf_counter()
        spec = _spectra(problem)  # only for the surrogate columns of the report
        t_spectra = time.perf_counter() - t0
        seed = int(progress.rng.integers(2**31))
        ev = Evaluator(problem.tensor, options.n_iter, options.init, seed)
        records, nit, stopped = [], 0, False
        for budget in problem.budgets:
            e1, s1 = ev.seconds, ev.solves
            ranks = (1,) * len(shape)
            cur = ev.fit(ranks)
            steps = 0
            while not stopped:
                moves = []
                for n in range(len(shape)):
                    if ranks[n] < shape[n]:
                        cand = ranks[:n] + (ranks[n] + 1,) + ranks[n + 1:]
                        if solverkit.problems.tucker_size(shape, cand) <= budget:
                            moves.append(cand)
                if not moves:
                    break
                fits = [ev.fit(c) for c in moves]
                j = min(range(len(moves)), key=lambda i: (fits[i].rre, i))
                if fits[j].rre > cur.rre + options.stop_tol:
                    break
                ranks, cur = moves[j], fits[j]
                steps += 1
                nit += 1
                if progress.report(nit, x=ranks, fun=cur.rre, budget=budget):
                    stopped = True
            records.append(budget_record(spec, budget, ranks, cur, options.keep_factors,
                                         steps=steps, seconds=ev.seconds - e1,
                                         search_seconds=ev.seconds - e1,
                                         solves=ev.solves - s1))
            if stopped:
                break
        result = _finish(progress, spec, problem, records, t_spectra, 0.0, ev, stopped, nit)
        result.extra["hooi_sweeps"] = ev.solves * options.n_iter
        return result


@dataclasses.dataclass(frozen=True)
class TTOptions:
    """Options of ``tt-shape``.

    Parameters
    ----------
    evaluate : bool
        Run TT-SVD on the chosen ranks and report its error (default True).
    keep_factors : bool
        Return the TT cores in ``extra["cores"]`` (default True).
    """

    evaluate: bool = True
    keep_factors: bool = True


class TTShape(Solver):
    """Tensor-train ranks under a budget: exact surrogate optimum, then TT-SVD."""

    name = "tt-shape"
    when_to_use = (
        "Tensor trains instead of Tucker: the same budgeted rank selection on the sequential "
        "unfoldings' singular values, exact on the surrogate, evaluated by TT-SVD.")
    kinds = (TuckerRank,)
    Options = TTOptions
    reference = PAPER + " (tree tensor networks: the tensor-train path)"
    summary = ("Tensor-train ranks under a parameter budget (sum_n r_{n-1} I_n r_n): exact "
               "optimum of the sequential-unfolding surrogate by a DP along the train, TT-SVD")
    default_max_iter = 1_000_000
    default_tol = 1e-9

    def solve(self, problem: TuckerRank, options: TTOptions, progress: Progress) -> Result:
        from .tt import tt_exact, tt_size, tt_spectra, tt_svd

        t0 = time.perf_counter()
        spec = tt_spectra(problem.tensor)
        t_spectra = time.perf_counter() - t0
        total = spec.total if spec.total else 1.0
        records: list[dict[str, Any]] = []
        t_search = t_eval = 0.0
        for k, budget in enumerate(problem.budgets, start=1):
            t1 = time.perf_counter()
            try:
                ranks, _ = tt_exact(spec, budget, time_check=progress.time_up)
            except SearchTimeout:
                break
            t2 = time.perf_counter()
            cores, rre = tt_svd(problem.tensor, ranks) if options.evaluate else (None, None)
            t3 = time.perf_counter()
            t_search, t_eval = t_search + t2 - t1, t_eval + t3 - t2
            size = tt_size(spec.shape, ranks)
            rec: dict[str, Any] = {
                "budget": budget, "ranks": ranks, "size": size, "utilisation": size / budget,
                "surrogate": spec.sum_tail(ranks) / total,
                "surrogate_lower": spec.max_tail(ranks) / total,
                "rre": rre, "rre_sqrt": None if rre is None else float(np.sqrt(rre)),
                "seconds": t3 - t1}
            if options.keep_factors and cores is not None:
                rec["cores"] = cores
            records.append(rec)
            if progress.report(k, x=ranks, fun=rre if rre is not None else rec["surrogate"],
                               budget=budget):
                break
        if not records:  # stopped before the first budget: all ranks 1 always fits
            ranks = (1,) * (len(spec.shape) - 1)
            cores, rre = tt_svd(problem.tensor, ranks) if options.evaluate else (None, None)
            records.append({"budget": problem.budgets[0], "ranks": ranks,
                            "size": tt_size(spec.shape, ranks),
                            "utilisation": tt_size(spec.shape, ranks) / problem.budgets[0],
                            "surrogate": spec.sum_tail(ranks) / total,
                            "surrogate_lower": spec.max_tail(ranks) / total, "rre": rre,
                            "rre_sqrt": None if rre is None else float(np.sqrt(rre)),
                            "seconds": 0.0})
        single = len(problem.budgets) == 1
        extra: dict[str, Any] = {"time_spectra": t_spectra, "time_search": t_search,
                                 "time_eval": t_eval,
                                 "objective": "rre" if options.evaluate else "surrogate",
                                 "sigma2": [v.copy() for v in spec.sigma2]}
        if single:
            extra.update(records[0])
        else:
            extra["budgets"] = records
        fields = sweep_result_fields(records, single)
        return progress.result(nit=len(records), nfev=len(records) if options.evaluate else 0,
                               extra=extra, **fields)

