"""solverkit: optimization solvers as plugins, picked by name.

>>> import solverkit as sk
>>> prob = sk.StructureLearning.example()          # doctest: +SKIP
>>> res = sk.solve(prob, method="dagma", seed=0)   # doctest: +SKIP
"""

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
from .hookspecs import hookimpl
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

__version__ = "0.1.0"

__all__ = [
    "solve",
    "solve_many",
    "solvers",
    "get_solver",
    "open",
    "problem_kinds",
    "hookimpl",
    "Solver",
    "Progress",
    "ProgressEvent",
    "State",
    "Result",
    "Status",
    "CommonOptions",
    "NoOptions",
    "Problem",
    "EqualityConstrained",
    "Bilevel",
    "TuckerRank",
    "SubmodularMax",
    "SubmodularStream",
    "StructureLearning",
    "SolverNotFoundError",
    "UnknownSolverError",
    "PluginNotInstalledError",
    "BrokenPluginError",
    "PluginDisabledError",
    "SolverNameConflictError",
    "ProblemKindError",
    "PluginLoadWarning",
]
