"""The contract between solverkit and its plugins.

A plugin is a module (named by an entry point in the group ``solverkit``)
that defines functions decorated with :data:`solverkit.hookimpl` whose names
match the specifications below::

    # pyproject.toml
    [project.entry-points.solverkit]
    mysolvers = "mysolvers.plugin"

    # mysolvers/plugin.py
    import solverkit

    @solverkit.hookimpl
    def solverkit_register_solvers(register):
        from .solver import MySolver      # import heavy code lazily
        register(MySolver)

Rules (pluggy's): a hook implementation takes a subset of the arguments named
in its specification, by name, and must not give them default values (pluggy
never passes arguments that have defaults). A misspelled hook name makes the
plugin broken, reported by ``solverkit plugins``; it never breaks other plugins.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from .bench import Benchmark
    from .problems import Problem
    from .result import Result
    from .solver import Progress, ProgressEvent, Solver

PROJECT = "solverkit"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)

__all__ = ["hookspec", "hookimpl", "PROJECT"]


@hookspec
def solverkit_register_solvers(register: Callable[[type[Solver]], None]) -> None:
    """Register the solvers this plugin provides.

    Call ``register(SolverClass)`` once per solver. The core reads the class
    attributes (``name``, ``kinds``, ``Options``, capability flags) without
    running any solver code, so keep imports in the solver's module light or
    import inside this hook.

    Parameters
    ----------
    register : callable
        ``register(solver_cls)``. Raises if the class is not a
        :class:`~solverkit.Solver` subclass with a name and at least one kind.
    """


@hookspec
def solverkit_register_problems(register: Callable[[type[Problem]], None]) -> None:
    """Register problem kinds this plugin adds (optional).

    Parameters
    ----------
    register : callable
        ``register(problem_cls)`` for a :class:`~solverkit.problems.Problem`
        subclass; it becomes reachable as ``solverkit.problem_kinds()[name]``.
    """


@hookspec
def solverkit_register_benchmarks(register: Callable[[Benchmark], None]) -> None:
    """Register benchmark suites that ``solverkit bench`` runs.

    Parameters
    ----------
    register : callable
        ``register(benchmark)`` with a :class:`~solverkit.bench.Benchmark`:
        a name, a ``run(quick: bool)`` function returning result rows, the
        reference solver the ratios are taken against, and the metrics.
    """


@hookspec
def solverkit_progress(event: ProgressEvent) -> None:
    """Observe a solver iteration (progress bars, logging, tracing).

    Called once per ``Progress.report`` while at least one plugin implements
    this hook or the solve runs with ``verbose=True``; when nobody listens, no
    event is even built. Must not raise and should return quickly.

    Parameters
    ----------
    event : ProgressEvent
        ``solver``, ``nit``, ``fun``, ``elapsed``, ``info``, ``verbose``,
        ``final``.
    """


@hookspec(firstresult=True)
def solverkit_solve(
    solver: Solver, problem: Problem, options: Any, progress: Progress
) -> Generator[None, Result, Result] | Result:
    """Run one solve. Plugins wrap it with ``@hookimpl(wrapper=True)``.

    The core provides the innermost implementation, which calls
    ``solver.solve(problem, options, progress)``. A wrapper sees every solve
    of every solver and can time it, trace it, cap it or post-process the
    result without touching solvers::

        @solverkit.hookimpl(wrapper=True)
        def solverkit_solve(solver, problem):
            result = yield
            result.extra["traced"] = True
            return result

    Parameters
    ----------
    solver : Solver
        The solver instance about to run.
    problem : Problem
        The validated problem.
    options : dataclass
        The solver's validated specific options.
    progress : Progress
        Resolved common options and the report channel.
    """
