"""solverkit: optimization solvers as plugins, picked by name.

>>> import solverkit as sk
>>> prob = sk.StructureLearning.example()          # doctest: +SKIP
>>> res = sk.solve(prob, method="dagma", seed=0)   # doctest: +SKIP

Names are loaded on first use (PEP 562), so ``import solverkit`` stays cheap:
numpy and the registry load when something is first touched.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .hookspecs import hookimpl

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    "solve": "api",
    "solvers": "api",
    "get_solver": "api",
    "open": "api",
    "problem_kinds": "api",
    "solve_many": "batch",
    "Solver": "solver",
    "Progress": "solver",
    "ProgressEvent": "solver",
    "State": "solver",
    "Result": "result",
    "Status": "result",
    "CommonOptions": "options",
    "NoOptions": "options",
    "Problem": "problems",
    "EqualityConstrained": "problems",
    "Bilevel": "problems",
    "TuckerRank": "problems",
    "SubmodularMax": "problems",
    "SubmodularStream": "problems",
    "StructureLearning": "problems",
    "SolverNotFoundError": "errors",
    "UnknownSolverError": "errors",
    "PluginNotInstalledError": "errors",
    "BrokenPluginError": "errors",
    "PluginDisabledError": "errors",
    "SolverNameConflictError": "errors",
    "ProblemKindError": "errors",
    "PluginLoadWarning": "errors",
}

__all__ = ["hookimpl", *_EXPORTS]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'solverkit' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # static analysers see the real names
    from .api import get_solver, open, problem_kinds, solve, solvers
    from .batch import solve_many
    from .errors import (
        BrokenPluginError,
        PluginDisabledError,
        PluginLoadWarning,
        PluginNotInstalledError,
        ProblemKindError,
        SolverNameConflictError,
        SolverNotFoundError,
        UnknownSolverError,
    )
    from .options import CommonOptions, NoOptions
    from .problems import (
        Bilevel,
        EqualityConstrained,
        Problem,
        StructureLearning,
        SubmodularMax,
        SubmodularStream,
        TuckerRank,
    )
    from .result import Result, Status
    from .solver import Progress, ProgressEvent, Solver, State
