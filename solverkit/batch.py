"""Solve many problems, in process or on any concurrent.futures.Executor."""

from __future__ import annotations

import traceback
from collections.abc import Iterable, Sequence
from concurrent.futures import Executor
from typing import Any

import numpy as np

from .result import Result, Status

__all__ = ["solve_many"]


def _solve_one(problem: Any, method: str | None, options: dict[str, Any]) -> Result:
    """Worker entry: rebuild the solver from the worker's own registry by name."""
    from .api import solve

    try:
        return solve(problem, method, **options)
    except Exception as exc:  # noqa: BLE001 - a failing problem must come back as a Result
        return Result(
            status=Status.ERROR,
            success=False,
            solver=method or "",
            message=f"{type(exc).__name__}: {exc}",
            extra={"traceback": traceback.format_exc()},
        )


def solve_many(
    problems: Iterable[Any],
    method: str | None = None,
    executor: Executor | None = None,
    seed: int | np.random.SeedSequence | None = None,
    **options: Any,
) -> list[Result]:
    """Solve every problem with the same solver and options.

    Parameters
    ----------
    problems : iterable of Problem
        The problems (picklable when an out-of-process executor is used).
    method : str, optional
        Solver name; workers look it up in their own registry.
    executor : concurrent.futures.Executor, optional
        ``None`` solves in process, one after another. Any Executor works:
        ``ProcessPoolExecutor``, or a Dask cluster through
        ``distributed.Client(...).get_executor(pure=False)``.
    seed : int or SeedSequence, optional
        Each problem gets its own child seed from ``SeedSequence(seed).spawn``,
        so results do not depend on the executor or the order of completion.
    **options
        Passed to every solve.

    Returns
    -------
    list of Result
        In input order. A problem whose solve raised gives a failed Result
        (``status=ERROR``) with the error message; none is lost.
    """
    problems = list(problems)
    if seed is None:
        children: Sequence[Any] = [None] * len(problems)
    else:
        root = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
        children = root.spawn(len(problems))
    jobs = [(p, method, {**options, "seed": s}) for p, s in zip(problems, children)]
    if executor is None:
        return [_solve_one(*job) for job in jobs]
    futures = [executor.submit(_solve_one, *job) for job in jobs]
    results = []
    for future in futures:
        try:
            results.append(future.result())
        except Exception as exc:  # noqa: BLE001 - worker died, pickling failed, ...
            results.append(Result(status=Status.ERROR, success=False, solver=method or "",
                                  message=f"{type(exc).__name__}: {exc}"))
    return results
