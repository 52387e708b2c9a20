"""Thin adapters over scipy.optimize.minimize returning solverkit's Result."""

from __future__ import annotations

import dataclasses
import warnings
from typing import Any, ClassVar

import numpy as np

import solverkit
from solverkit import EqualityConstrained, Status

from .kkt import dense, kkt_report


@dataclasses.dataclass(frozen=True)
class ScipyOptions:
    """Options shared by both adapters.

    Parameters
    ----------
    ctol : float
        Constraint-violation tolerance ||c(x)||_2 <= ctol for success (the
        KKT tolerance is the common option ``tol``).
    """

    ctol: float = 1e-6

    def __post_init__(self) -> None:
        if not (np.isfinite(self.ctol) and self.ctol > 0):
            raise ValueError(f"ctol must be a positive finite number, got {self.ctol!r}")


@dataclasses.dataclass(frozen=True)
class TrustConstrOptions(ScipyOptions):
    """Options of ``trust-constr``.

    Parameters
    ----------
    ctol : float
        Constraint-violation tolerance for success.
    hessian : {'auto', 'exact', 'bfgs'}
        'auto' uses the problem's Hessian of the Lagrangian (or its products)
        when given and BFGS otherwise.
    initial_tr_radius : float
        Initial trust-region radius.
    """

    hessian: str = "auto"
    initial_tr_radius: float = 1.0

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.hessian not in ("auto", "exact", "bfgs"):
            raise ValueError(f"hessian must be 'auto', 'exact' or 'bfgs', got {self.hessian!r}")
        if not self.initial_tr_radius > 0:
            raise ValueError("initial_tr_radius must be positive")


class _Counted:
    """Wraps the problem's callables and counts evaluations."""

    def __init__(self, problem: EqualityConstrained) -> None:
        self.p = problem
        self.nfev = self.ngev = self.ncev = self.njev = self.nhev = 0

    def fun(self, x: np.ndarray) -> float:
        self.nfev += 1
        return float(self.p.fun(x))

    def grad(self, x: np.ndarray) -> np.ndarray:
        self.ngev += 1
        return np.asarray(self.p.grad(x), dtype=float).reshape(-1)

    def cons(self, x: np.ndarray) -> np.ndarray:
        self.ncev += 1
        return np.asarray(self.p.cons(x), dtype=float).reshape(-1)

    def jac(self, x: np.ndarray) -> Any:
        self.njev += 1
        return self.p.jac(x)

    def counts(self) -> dict[str, int]:
        return {"nfev": self.nfev, "ngev": self.ngev, "ncev": self.ncev, "njev": self.njev,
                "nhev": self.nhev}


class _ScipySolver(solverkit.Solver):
    kinds: ClassVar[tuple[type, ...]] = (EqualityConstrained,)
    default_max_iter = 1000
    default_tol = 1e-6
    baseline = True
    method: ClassVar[str] = ""

    def solve(self, problem: EqualityConstrained, options: Any, progress: solverkit.Progress
              ) -> solverkit.Result:
        from scipy.optimize import minimize

        counted = _Counted(problem)
        state = {"nit": 0, "x": problem.x0.copy()}

        def callback(intermediate_result: Any) -> None:
            state["nit"] += 1
            state["x"] = np.array(intermediate_result.x, dtype=float)
            if progress.report(state["nit"], x=state["x"], fun=intermediate_result.fun):
                raise StopIteration

        kwargs = self.minimize_kwargs(problem, counted, options, progress)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # scipy's delta_grad / singular warnings
                raw = minimize(counted.fun, problem.x0.copy(), jac=counted.grad,
                               method=self.method, callback=callback, **kwargs)
        except (ValueError, np.linalg.LinAlgError) as exc:
            # e.g. trust-constr with more equalities than variables (scipy#20618)
            return progress.result(x=state["x"], nit=state["nit"], nfev=counted.nfev,
                                   status=Status.NUMERICAL, message=f"scipy failed: {exc}",
                                   extra=counted.counts())
        x = np.asarray(raw.x, dtype=float)
        if not np.all(np.isfinite(x)):
            return progress.result(x=state["x"], nit=state["nit"], nfev=counted.nfev,
                                   status=Status.NUMERICAL,
                                   message=f"scipy returned a non-finite point ({raw.message})",
                                   extra=counted.counts())
        report = kkt_report(problem, x, self.multipliers(raw, problem.m))
        extra = {**counted.counts(), **{k: report[k] for k in
                 ("lam", "constraint_violation", "stationarity", "kkt_residual")},
                 "scipy_status": int(raw.status), "scipy_message": str(raw.message)}
        nit = int(getattr(raw, "nit", state["nit"]) or state["nit"])
        fields = dict(x=x, fun=report["fun"], nit=nit, nfev=counted.nfev, extra=extra)
        if progress.stop_status is not None:
            return progress.result(**fields)
        ok = (report["constraint_violation"] <= options.ctol
              and report["kkt_residual"] <= progress.tol)
        if ok:
            return progress.result(**fields, message=(
                f"KKT residual {report['kkt_residual']:.2e} <= tol and ||c|| "
                f"{report['constraint_violation']:.2e} <= ctol (checked independently)"))
        status = Status.MAX_ITER if nit >= progress.max_iter else Status.STALLED
        return progress.result(**fields, status=status, message=(
            f"not a KKT point: residual {report['kkt_residual']:.2e} (tol {progress.tol:g}), "
            f"||c|| {report['constraint_violation']:.2e} (ctol {options.ctol:g}); scipy said: "
            f"{raw.message}"))

    def minimize_kwargs(self, problem: EqualityConstrained, counted: _Counted, options: Any,
                        progress: solverkit.Progress) -> dict[str, Any]:
        raise TypeError("subclass must say how to call scipy")

    def multipliers(self, raw: Any, m: int) -> np.ndarray | None:
        return None


class SLSQPSolver(_ScipySolver):
    """scipy's SLSQP on an equality-constrained problem (dense Jacobian)."""

    name = "slsqp"
    method = "SLSQP"
    Options = ScipyOptions
    summary = "scipy.optimize SLSQP (sequential least squares QP), dense"
    reference = "Kraft (1988), A software package for sequential quadratic programming"
    when_to_use = ("Small dense problems (n up to a few hundred) without second derivatives: "
                   "cheap iterations with a quasi-Newton model. It densifies the Jacobian, so "
                   "prefer trust-constr or adasketch for large sparse problems.")

    def minimize_kwargs(self, problem: EqualityConstrained, counted: _Counted, options: Any,
                        progress: solverkit.Progress) -> dict[str, Any]:
        constraint = {"type": "eq", "fun": counted.cons,
                      "jac": lambda x: dense(counted.jac(x), problem.n)}
        return {"constraints": [constraint],
                "options": {"maxiter": progress.max_iter, "ftol": progress.tol**2}}

    def multipliers(self, raw: Any, m: int) -> np.ndarray | None:
        lam = getattr(raw, "multipliers", None)
        if isinstance(lam, dict):  # scipy >= 1.15: {"eq": ..., "ineq": ...}
            lam = lam.get("eq")
        if lam is None or np.size(lam) != m:
            return None
        # scipy's sign convention is L = f - lam'c; ours is f + lam'c.
        return -np.asarray(lam, dtype=float)


class TrustConstrSolver(_ScipySolver):
    """scipy's trust-constr (equality-constrained SQP with trust region)."""

    name = "trust-constr"
    method = "trust-constr"
    Options = TrustConstrOptions
    summary = "scipy.optimize trust-constr (Byrd-Omojokun SQP), sparse-aware"
    reference = "Lalee, Nocedal & Plantenga (1998); Conn, Gould & Toint (2000)"
    when_to_use = ("When the Hessian of the Lagrangian (or its products) is available, or the "
                   "Jacobian is sparse: robust trust-region SQP. Slower per iteration than "
                   "SLSQP on small dense problems.")
    uses_hessian = True

    def minimize_kwargs(self, problem: EqualityConstrained, counted: _Counted, options: Any,
                        progress: solverkit.Progress) -> dict[str, Any]:
        from scipy.optimize import BFGS, NonlinearConstraint
        from scipy.sparse.linalg import LinearOperator

        m, n = problem.m, problem.n
        zeros = np.zeros(m)
        exact = options.hessian == "exact" or (options.hessian == "auto" and problem.has_hessian)
        if options.hessian == "exact" and not problem.has_hessian:
            raise ValueError("hessian='exact' needs the problem's hess or hessp")
        kwargs: dict[str, Any] = {}
        if exact and problem.hessp is not None:
            def hessp(x: np.ndarray, p: np.ndarray) -> np.ndarray:
                counted.nhev += 1
                return np.asarray(problem.hessp(x, zeros, p), dtype=float)

            def chess(x: np.ndarray, v: np.ndarray) -> LinearOperator:
                return LinearOperator((n, n), dtype=float, matvec=lambda p: (
                    np.asarray(problem.hessp(x, v, p), dtype=float)
                    - np.asarray(problem.hessp(x, zeros, p), dtype=float)))

            kwargs["hessp"], constraint_hess = hessp, chess
        elif exact:
            def hess(x: np.ndarray) -> Any:
                counted.nhev += 1
                return problem.hess(x, zeros)

            def chess(x: np.ndarray, v: np.ndarray) -> Any:
                return problem.hess(x, v) - problem.hess(x, zeros)

            kwargs["hess"], constraint_hess = hess, chess
        else:
            kwargs["hess"], constraint_hess = BFGS(), BFGS()
        constraint = NonlinearConstraint(counted.cons, 0.0, 0.0, jac=counted.jac,
                                         hess=constraint_hess)
        kwargs["constraints"] = [constraint]
        # trust-constr stops when both the Lagrangian gradient and the constraint violation
        # are below gtol; aim below solverkit's own tests (tol on KKT, ctol on ||c||).
        gtol = 0.1 * min(progress.tol, options.ctol)
        kwargs["options"] = {"maxiter": progress.max_iter, "gtol": gtol,
                             "xtol": 1e-12, "initial_tr_radius": options.initial_tr_radius}
        return kwargs

    def multipliers(self, raw: Any, m: int) -> np.ndarray | None:
        lam = getattr(raw, "v", None)
        if not lam or np.size(lam[0]) != m:
            return None
        # trust-constr's Lagrangian is f + v'c: the same sign as ours.
        return np.asarray(lam[0], dtype=float)
