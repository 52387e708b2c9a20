"""The public entry points: solve by name, list solvers, open stateful solvers."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from .options import split_options
from .registry import SolverInfo, check_kind, get_registry
from .result import Result, Status
from .solver import Progress, ProgressEvent

__all__ = ["solve", "solvers", "get_solver", "open", "problem_kinds"]

_NUMERICAL_ERRORS = (FloatingPointError, OverflowError, np.linalg.LinAlgError)


def solve(problem: Any, method: str | None = None, **options: Any) -> Result:
    """Solve ``problem`` with the solver registered as ``method``.

    Parameters
    ----------
    problem : Problem
        A problem kind instance, e.g. :class:`~solverkit.StructureLearning`.
    method : str, optional
        Solver name (see :func:`solvers`). ``None`` picks the kind's default:
        the first installed name in ``type(problem).default_methods``.
    **options
        Common options (``max_iter``, ``time_limit``, ``tol``, ``seed``,
        ``callback``, ``verbose``, ``history``) and the solver's own options.

    Returns
    -------
    Result
        Always a Result; a numerical failure gives ``success=False`` with the
        reason in ``message``.

    Raises
    ------
    SolverNotFoundError
        The solver is unknown, its plugin is missing, disabled or broken.
    ProblemKindError
        The solver does not accept this kind of problem.
    TypeError, ValueError
        An option is unknown, mistyped or out of range (before any work).
    """
    registry = get_registry()
    info = registry.default_for(problem) if method is None else registry.get(method)
    return run(info, problem, options)


def run(info: SolverInfo, problem: Any, options: dict[str, Any]) -> Result:
    """Validate, then run one solve through the ``solverkit_solve`` hook."""
    registry = get_registry()
    check_kind(info, problem)
    common, specific = split_options(info.name, info.cls.Options, options)
    solver = info.cls()
    emit = registry.emitter(common.verbose)
    progress = Progress(solver, common, emit)
    start = time.perf_counter()
    try:
        result = registry.pm.hook.solverkit_solve(
            solver=solver, problem=problem, options=specific, progress=progress
        )
    except _NUMERICAL_ERRORS as exc:
        result = progress.result(
            status=Status.NUMERICAL, success=False, message=f"{type(exc).__name__}: {exc}"
        )
    if not isinstance(result, Result):
        raise TypeError(
            f"solver {info.name!r} returned {type(result).__name__}, expected solverkit.Result"
        )
    result["time"] = time.perf_counter() - start
    result["solver"] = info.name
    _refuse_nan_success(result)
    if emit is not None:
        emit(
            ProgressEvent(
                info.name, result.nit, _scalar(result.fun), result.time,
                {"status": result.status.name}, common.verbose, final=True,
            )
        )
    return result


def _scalar(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _refuse_nan_success(result: Result) -> None:
    """Never let a non-finite answer through as a success."""
    if not result.success:
        return
    bad = []
    fun = _scalar(result.fun)
    if fun is not None and not np.isfinite(fun):
        bad.append("fun")
    x = result.x
    if isinstance(x, np.ndarray) and x.dtype.kind in "fc" and not np.all(np.isfinite(x)):
        bad.append("x")
    if bad:
        result["success"] = False
        result["status"] = Status.NUMERICAL
        result["message"] = (
            f"solver reported success but {' and '.join(bad)} is not finite; "
            f"original message: {result.message}"
        )


def solvers(kind: type | None = None) -> list[SolverInfo]:
    """Installed solvers (name, class, plugin, distribution, version).

    Parameters
    ----------
    kind : Problem subclass, optional
        Only the solvers that accept this problem kind.
    """
    return get_registry().for_kind(kind)


def get_solver(name: str) -> SolverInfo:
    """The installed solver registered as ``name`` (errors say why it is missing)."""
    return get_registry().get(name)


def open(method: str, **kwargs: Any) -> Any:  # noqa: A001 - mirrors the builtin on purpose
    """Create a live object from a stateful solver.

    ``kwargs`` holds the solver's data arguments (its ``open_params``, e.g.
    ``f`` and ``k`` for ``dynamic-submodular``) plus options.

    Examples
    --------
    >>> dyn = solverkit.open("dynamic-submodular", f=oracle, k=20, eps=0.2, seed=0)
    ... # doctest: +SKIP
    """
    info = get_registry().get(method)
    if not info.cls.stateful:
        raise TypeError(f"solver {method!r} is not stateful; use solverkit.solve(problem, ...)")
    data = {key: kwargs.pop(key) for key in info.cls.open_params if key in kwargs}
    common, specific = split_options(info.name, info.cls.Options, kwargs)
    solver = info.cls()
    progress = Progress(solver, common, get_registry().emitter(common.verbose))
    return solver.open(specific, progress, **data)


def problem_kinds() -> dict[str, type]:
    """Problem kinds by name: the core's and any that plugins registered."""
    from . import problems

    kinds = {name: getattr(problems, name) for name in problems.KINDS}
    kinds.update(get_registry().problems)
    return kinds
