"""The Solver base class and the progress channel a solver reports through.

A solver is a class with a unique ``name``, the problem ``kinds`` it accepts,
capability flags, an ``Options`` dataclass and a ``solve`` method::

    class MySolver(Solver):
        name = "my-solver"
        kinds = (EqualityConstrained,)
        Options = MyOptions

        def solve(self, problem, options, progress):
            x = problem.x0.copy()
            for k in range(1, progress.max_iter + 1):
                x = ...
                if progress.report(k, x=x, fun=f(x)):
                    break          # time limit, callback stop or iteration limit
            return progress.result(x=x, fun=f(x), nit=k)

The core validates options, times the run, fires hooks and enforces the common
options through :class:`Progress`, so a solver only has to call
``progress.report`` once per iteration.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np

from .options import CommonOptions, NoOptions, make_rng
from .result import Result, Status

__all__ = ["Solver", "Progress", "ProgressEvent", "State"]


class Solver:
    """Base class of every solver.

    Attributes
    ----------
    name : str
        Unique name users pass as ``method=``.
    kinds : tuple of Problem subclasses
        Problem kinds the solver accepts.
    Options : dataclass type
        Solver-specific options (typed, documented defaults).
    summary : str
        One line shown by ``solverkit solvers``.
    reference : str
        The paper or source the solver implements.
    when_to_use : str
        A short paragraph for the docs: when to pick it over the alternatives.
    default_max_iter, default_tol
        Values used when the user does not pass ``max_iter`` / ``tol``.
    stateful, stochastic, warm_start, uses_hessian, baseline
        Capability flags (plain booleans).
    open_params : tuple of str
        Data arguments ``solverkit.open`` accepts for stateful solvers.
    """

    name: ClassVar[str] = ""
    kinds: ClassVar[tuple[type, ...]] = ()
    Options: ClassVar[type] = NoOptions
    summary: ClassVar[str] = ""
    reference: ClassVar[str] = ""
    when_to_use: ClassVar[str] = ""
    default_max_iter: ClassVar[int] = 1000
    default_tol: ClassVar[float] = 1e-6
    stateful: ClassVar[bool] = False
    stochastic: ClassVar[bool] = False
    warm_start: ClassVar[bool] = False
    uses_hessian: ClassVar[bool] = False
    baseline: ClassVar[bool] = False
    open_params: ClassVar[tuple[str, ...]] = ()

    CAPABILITIES: ClassVar[tuple[str, ...]] = (
        "stateful",
        "stochastic",
        "warm_start",
        "uses_hessian",
        "baseline",
    )

    def solve(self, problem: Any, options: Any, progress: Progress) -> Result:
        """Solve ``problem`` and return a :class:`~solverkit.Result`.

        Parameters
        ----------
        problem : Problem
            An instance of one of ``kinds`` (already validated).
        options : Options
            The solver's validated options dataclass instance.
        progress : Progress
            Common options (``max_iter``, ``tol``, ``rng``, ...) and the
            channel for per-iteration reports.
        """
        raise TypeError(f"solver {self.name!r} does not implement solve()")

    def open(self, options: Any, progress: Progress, **data: Any) -> Any:
        """Return a live object for a stateful solver (see ``solverkit.open``)."""
        raise TypeError(f"solver {self.name!r} is not stateful; use solverkit.solve()")

    @classmethod
    def capabilities(cls) -> dict[str, bool]:
        """The capability flags as a dict."""
        return {flag: bool(getattr(cls, flag)) for flag in cls.CAPABILITIES}

    @classmethod
    def option_fields(cls) -> list[dataclasses.Field]:
        """The solver-specific option fields (for docs and ``--help``)."""
        return [f for f in dataclasses.fields(cls.Options) if f.init]


class State(dict):
    """What a callback receives: ``nit``, ``x``, ``fun`` and solver extras.

    Keys are also attributes, as in scipy's ``intermediate_result``.
    """

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError as exc:
            raise AttributeError(name) from exc


@dataclasses.dataclass(frozen=True)
class ProgressEvent:
    """One iteration report, passed to the ``solverkit_progress`` hook."""

    solver: str
    nit: int
    fun: float | None
    elapsed: float
    info: dict[str, Any]
    verbose: bool = False
    final: bool = False


class Progress:
    """Per-solve context: resolved common options and the report channel.

    Attributes
    ----------
    max_iter : int
        The iteration limit (user's or the solver's default).
    tol : float
        The convergence tolerance (user's or the solver's default).
    time_limit : float or None
        Seconds allowed for the solve.
    rng : numpy.random.Generator
        The only source of randomness a solver should use.
    stop_status : Status or None
        Why :meth:`report` asked to stop, once it has.
    """

    def __init__(
        self,
        solver: Solver,
        common: CommonOptions,
        emit: Callable[[ProgressEvent], None] | None = None,
    ) -> None:
        cls = type(solver)
        self.solver_name = cls.name
        self.max_iter: int = common.max_iter or cls.default_max_iter
        self.tol: float = common.tol if common.tol is not None else cls.default_tol
        self.time_limit: float | None = common.time_limit
        self.rng: np.random.Generator = make_rng(common.seed)
        self.verbose = common.verbose
        self.callback = common.callback
        self.keep_history = common.history
        self.history: list[dict[str, Any]] = []
        self.stop_status: Status | None = None
        self.stop_message = ""
        self._emit = emit
        self._deadline = math.inf if common.time_limit is None else None
        self.start = time.perf_counter()
        if self._deadline is None:
            self._deadline = self.start + common.time_limit

    def elapsed(self) -> float:
        """Seconds since the solve started."""
        return time.perf_counter() - self.start

    def time_up(self) -> bool:
        """Whether the time limit has passed (solvers may poll this in inner loops)."""
        if time.perf_counter() >= self._deadline:
            self._stop(Status.TIME_LIMIT, f"time limit of {self.time_limit:g} s reached")
            return True
        return False

    def report(self, nit: int, *, x: Any = None, fun: float | None = None, **info: Any) -> bool:
        """Report iteration ``nit``; return True when the solver must stop.

        Stops on the time limit, on ``nit >= max_iter``, or when the callback
        raises :class:`StopIteration`. After a True return, build the result
        with :meth:`result`, which carries the stop reason.
        """
        if self.keep_history:
            entry = {"nit": nit, "fun": None if fun is None else float(fun)}
            entry.update(_plain(info))
            self.history.append(entry)
        if self._emit is not None:
            self._emit(
                ProgressEvent(self.solver_name, nit, fun, self.elapsed(), info, self.verbose)
            )
        if self.callback is not None:
            try:
                self.callback(State(nit=nit, x=x, fun=fun, **info))
            except StopIteration:
                self._stop(Status.CALLBACK, f"stopped by callback at iteration {nit}")
                return True
        if self.time_up():
            return True
        if nit >= self.max_iter:
            self._stop(Status.MAX_ITER, f"iteration limit max_iter={self.max_iter} reached")
            return True
        return False

    def result(self, **fields: Any) -> Result:
        """Build the Result; a pending stop reason fills ``status``/``message``.

        A solver that converged passes nothing extra (status defaults to
        CONVERGED); one that failed passes ``status=`` and ``message=``.
        """
        if "status" not in fields and self.stop_status is not None:
            fields["status"] = self.stop_status
            fields.setdefault("message", self.stop_message)
        fields.setdefault("history", self.history)
        return Result(**fields)

    def _stop(self, status: Status, message: str) -> None:
        if self.stop_status is None:
            self.stop_status, self.stop_message = status, message


def _plain(info: dict[str, Any]) -> dict[str, Any]:
    """Keep history entries small: scalars only."""
    return {
        k: (v.item() if isinstance(v, np.generic) else v)
        for k, v in info.items()
        if isinstance(v, (int, float, bool, str, np.generic))
    }
