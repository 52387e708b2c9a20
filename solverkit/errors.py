"""Exceptions raised by the core. Each message says what was wrong and what to do."""

from __future__ import annotations

__all__ = [
    "SolverNotFoundError",
    "UnknownSolverError",
    "PluginNotInstalledError",
    "BrokenPluginError",
    "PluginDisabledError",
    "SolverNameConflictError",
    "ProblemKindError",
    "PluginLoadWarning",
]


class SolverNotFoundError(LookupError):
    """No usable solver has the requested name (base of the cases below)."""


class UnknownSolverError(SolverNotFoundError):
    """The name is neither installed nor a known first-party solver."""


class PluginNotInstalledError(SolverNotFoundError):
    """A first-party solver whose plugin distribution is not installed."""


class BrokenPluginError(SolverNotFoundError):
    """The plugin that provides the solver failed to load."""


class PluginDisabledError(SolverNotFoundError):
    """The plugin is installed but excluded by SOLVERKIT_LOAD_PLUGINS / _BLOCK_PLUGINS."""


class SolverNameConflictError(SolverNotFoundError):
    """Two plugins register a solver under the same name."""


class ProblemKindError(TypeError):
    """The solver does not accept this kind of problem."""


class PluginLoadWarning(UserWarning):
    """A plugin failed to load; the others keep working."""
