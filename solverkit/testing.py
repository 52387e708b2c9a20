"""Conformance checks a plugin author runs on their solvers.

Like scikit-learn's ``check_estimator``: each check takes a solver name (and
optionally a problem; by default the solver's first kind's ``example()``) and
raises ``AssertionError`` with a specific message when the solver breaks the
contract. Run them all with :func:`check_solver`, or one pytest test per check
with :func:`conformance_cases`::

    import pytest
    from solverkit.testing import conformance_cases

    @pytest.mark.parametrize("name, check", conformance_cases(["my-solver"]))
    def test_conformance(name, check):
        check(name)
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from . import problems as _problems
from .api import get_solver, solve
from .errors import ProblemKindError
from .result import FIELDS, Result, Status
from .solver import Solver

__all__ = [
    "check_solver",
    "conformance_cases",
    "CHECKS",
    "check_registration",
    "check_options_validation",
    "check_result_schema",
    "check_seed_reproducible",
    "check_callback_stop",
    "check_time_limit",
    "check_bad_input",
]

Check = Callable[..., None]


def _problem(name: str, problem: Any) -> Any:
    if problem is not None:
        return problem
    return get_solver(name).cls.kinds[0].example(seed=0)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.array_equal(np.asarray(a), np.asarray(b), equal_nan=True)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return bool(a == b)


def check_registration(name: str, problem: Any = None) -> None:
    """The solver is registered under its name with a complete declaration."""
    info = get_solver(name)
    cls = info.cls
    assert issubclass(cls, Solver), f"{name}: {cls!r} is not a solverkit.Solver subclass"
    assert cls.name == name, f"{name}: class declares name {cls.name!r}"
    assert cls.kinds and all(issubclass(k, _problems.Problem) for k in cls.kinds), (
        f"{name}: kinds must be Problem subclasses, got {cls.kinds!r}"
    )
    assert dataclasses.is_dataclass(cls.Options), f"{name}: Options must be a dataclass"
    missing = [
        f.name
        for f in dataclasses.fields(cls.Options)
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    ]
    assert not missing, f"{name}: options without defaults {missing}; every option needs one"
    assert isinstance(cls.summary, str) and cls.summary, f"{name}: set a one-line summary"
    for flag, value in cls.capabilities().items():
        assert isinstance(getattr(cls, flag), bool), f"{name}: flag {flag} must be a bool"
        del value
    assert cls.default_max_iter >= 1 and cls.default_tol > 0, f"{name}: bad default_max_iter/tol"


def check_options_validation(name: str, problem: Any = None) -> None:
    """Unknown options and out-of-range common options fail before any work."""
    problem = _problem(name, problem)
    try:
        solve(problem, method=name, no_such_option_xyz=1)
    except TypeError as exc:
        assert "no_such_option_xyz" in str(exc) and "Valid options" in str(exc), (
            f"{name}: unknown-option error should name the option and list valid ones: {exc}"
        )
    else:
        raise AssertionError(f"{name}: an unknown option was accepted")
    for bad in ({"max_iter": 0}, {"tol": -1.0}, {"time_limit": 0}):
        try:
            solve(problem, method=name, **bad)
        except ValueError:
            continue
        raise AssertionError(f"{name}: invalid common option {bad} was accepted")


def check_result_schema(name: str, problem: Any = None) -> Result:
    """A plain solve returns a complete, consistent Result."""
    problem = _problem(name, problem)
    res = solve(problem, method=name, seed=0)
    assert isinstance(res, Result), f"{name}: returned {type(res).__name__}, not Result"
    missing = [f for f in FIELDS if f not in res]
    assert not missing, f"{name}: Result lacks fields {missing}"
    assert isinstance(res.status, Status), f"{name}: status must be a Status"
    assert res.success == (res.status is Status.CONVERGED), (
        f"{name}: success={res.success} disagrees with status={res.status.name}"
    )
    assert res.solver == name and res.time >= 0 and res.nit >= 0 and res.nfev >= 0
    assert isinstance(res.message, str) and res.message, f"{name}: empty message"
    if res.success:
        fun = np.asarray(res.fun, dtype=float)
        assert np.all(np.isfinite(fun)), f"{name}: success with non-finite fun {res.fun}"
    assert isinstance(res.extra, dict) and isinstance(res.history, list)
    return res


def check_seed_reproducible(name: str, problem: Any = None) -> None:
    """The same seed gives the same x and fun."""
    problem = _problem(name, problem)
    a = solve(problem, method=name, seed=12345)
    b = solve(problem, method=name, seed=12345)
    assert _same(a.x, b.x), f"{name}: same seed gave different x:\n{a.x}\n{b.x}"
    assert _same(a.fun, b.fun), f"{name}: same seed gave different fun {a.fun} vs {b.fun}"


def check_callback_stop(name: str, problem: Any = None) -> None:
    """A callback raising StopIteration stops the run with status CALLBACK and a point."""
    problem = _problem(name, problem)
    calls: list[Any] = []

    def stop(state: Any) -> None:
        calls.append(state)
        raise StopIteration

    res = solve(problem, method=name, callback=stop, seed=0)
    if not calls:  # solver finished without a single iteration report
        assert res.nit <= 1, f"{name}: ran {res.nit} iterations without calling the callback"
        return
    assert len(calls) == 1, f"{name}: kept calling the callback after StopIteration"
    assert res.status is Status.CALLBACK, f"{name}: status {res.status.name}, expected CALLBACK"
    assert not res.success and res.x is not None, f"{name}: a callback stop must keep x"
    assert {"nit", "x", "fun"} <= set(calls[0]), f"{name}: callback state lacks nit/x/fun"


def check_time_limit(name: str, problem: Any = None) -> None:
    """A tiny time limit stops the run at the first report with status TIME_LIMIT."""
    problem = _problem(name, problem)
    seen: list[int] = []
    res = solve(problem, method=name, time_limit=1e-9, seed=0,
                callback=lambda state: seen.append(state.nit))
    if not seen:
        assert res.nit <= 1, f"{name}: ran {res.nit} iterations without reporting progress"
        return
    assert len(seen) == 1, f"{name}: kept iterating ({len(seen)} reports) past the time limit"
    assert res.status is Status.TIME_LIMIT, f"{name}: status {res.status.name}, expected TIME_LIMIT"
    assert res.x is not None, f"{name}: a time-limit stop must keep the best point so far"


def check_bad_input(name: str, problem: Any = None) -> None:
    """A problem of a kind the solver does not accept is refused up front."""
    cls = get_solver(name).cls
    for kind_name in _problems.KINDS:
        kind = getattr(_problems, kind_name)
        if any(issubclass(kind, k) for k in cls.kinds):
            continue
        other = kind.example(seed=0)
        try:
            solve(other, method=name)
        except ProblemKindError:
            return
        raise AssertionError(f"{name}: accepted a {kind_name} problem it does not declare")


CHECKS: tuple[Check, ...] = (
    check_registration,
    check_options_validation,
    check_result_schema,
    check_seed_reproducible,
    check_callback_stop,
    check_time_limit,
    check_bad_input,
)


def check_solver(name: str, problem: Any = None, checks: Sequence[Check] = CHECKS) -> None:
    """Run every conformance check on solver ``name``; raise on the first failure.

    Parameters
    ----------
    name : str
        A registered solver name.
    problem : Problem, optional
        The instance to use (default: the solver's first kind's ``example()``).
        Keep it small: each check solves it once or twice.
    checks : sequence of callables
        Subset of :data:`CHECKS` to run.
    """
    for check in checks:
        check(name, problem)


def conformance_cases(names: Iterable[str], problem: Any = None) -> list[Any]:
    """``pytest.param(name, check)`` for every solver and check, for parametrize.

    The check is bound to ``problem`` when one is given.
    """
    import functools

    import pytest

    cases = []
    for name in names:
        for check in CHECKS:
            bound = functools.partial(check, problem=problem) if problem is not None else check
            cases.append(pytest.param(name, bound, id=f"{name}-{check.__name__[6:]}"))
    return cases
