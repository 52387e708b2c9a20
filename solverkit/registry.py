"""Plugin discovery and the name -> solver registry.

Plugins are the modules named by entry points in the group ``solverkit``.
They are loaded one at a time, each in its own ``try``: a plugin that fails to
import, declares a misspelled hook or raises while registering is recorded as
broken (one warning, and ``solverkit plugins`` shows its error) and never
affects the others.

Environment variables
---------------------
SOLVERKIT_LOAD_PLUGINS
    Comma-separated allow-list of entry-point or distribution names. Unset
    loads every plugin; the empty string loads none.
SOLVERKIT_BLOCK_PLUGINS
    Comma-separated block-list, applied after the allow-list.
SOLVERKIT_TRACE
    ``1`` prints every hook call to stderr (pluggy's tracing).
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import sys
import threading
import warnings
from collections.abc import Iterable
from typing import Any

import pluggy

from . import hookspecs
from .errors import (
    BrokenPluginError,
    PluginDisabledError,
    PluginLoadWarning,
    PluginNotInstalledError,
    ProblemKindError,
    SolverNameConflictError,
    UnknownSolverError,
)
from .firstparty import SOLVER_TO_DISTRIBUTION, install_line
from .solver import Solver

ENTRY_POINT_GROUP = "solverkit"
BUILTIN = "solverkit.builtin"

__all__ = ["Registry", "SolverInfo", "PluginInfo", "get_registry", "reset_registry"]


@dataclasses.dataclass(frozen=True)
class SolverInfo:
    """A registered solver: its class and where it came from."""

    name: str
    cls: type[Solver]
    plugin: str
    distribution: str | None
    version: str | None

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(k.__name__ for k in self.cls.kinds)

    @property
    def summary(self) -> str:
        return self.cls.summary


@dataclasses.dataclass
class PluginInfo:
    """A discovered plugin, loaded or broken."""

    name: str
    distribution: str | None = None
    version: str | None = None
    module: str | None = None
    solvers: list[str] = dataclasses.field(default_factory=list)
    problems: list[str] = dataclasses.field(default_factory=list)
    benchmarks: list[str] = dataclasses.field(default_factory=list)
    hooks: list[str] = dataclasses.field(default_factory=list)
    error: str | None = None

    @property
    def broken(self) -> bool:
        return self.error is not None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


class Registry:
    """The plugin manager plus what the plugins registered.

    Parameters
    ----------
    entry_points : bool
        Discover installed plugins through the ``solverkit`` entry-point group.
    """

    def __init__(self, entry_points: bool = True) -> None:
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.plugins: dict[str, PluginInfo] = {}
        self.disabled: dict[str, PluginInfo] = {}
        self.solvers: dict[str, SolverInfo] = {}
        self.conflicts: dict[str, list[str]] = {}
        self.problems: dict[str, type] = {}
        self.benchmarks: dict[str, Any] = {}
        self._listeners = False
        if os.environ.get("SOLVERKIT_TRACE", "") not in ("", "0"):
            self.pm.trace.root.setwriter(sys.stderr.write)
            self.pm.enable_tracing()
        from . import _builtin

        self.add_plugin(_builtin, BUILTIN, hidden=True)
        if entry_points:
            self.load_entry_points()

    # -- loading ----------------------------------------------------------
    def load_entry_points(self) -> None:
        """Load every allowed plugin of the ``solverkit`` entry-point group."""
        from importlib.metadata import entry_points

        allow = _env_list("SOLVERKIT_LOAD_PLUGINS")
        block = _env_list("SOLVERKIT_BLOCK_PLUGINS") or set()
        seen: set[str] = set()
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            if ep.name in seen:  # the same distribution found twice on sys.path
                continue
            seen.add(ep.name)
            dist = ep.dist.name if ep.dist is not None else None
            version = ep.dist.version if ep.dist is not None else None
            names = {ep.name, dist}
            if (allow is not None and not names & allow) or names & block:
                self.disabled[ep.name] = PluginInfo(ep.name, dist, version, ep.value)
                continue
            try:
                module = ep.load()
            except BaseException as exc:  # noqa: BLE001 - isolation is the point
                if isinstance(exc, KeyboardInterrupt):
                    raise
                self._broken(PluginInfo(ep.name, dist, version, ep.value), exc)
                continue
            self.add_plugin(module, ep.name, distribution=dist, version=version)

    def add_plugin(
        self,
        plugin: Any,
        name: str,
        distribution: str | None = None,
        version: str | None = None,
        hidden: bool = False,
    ) -> PluginInfo:
        """Register a plugin object (module or instance) and collect what it provides.

        Used for entry points, and directly by tests or applications that
        define plugins in process.
        """
        info = PluginInfo(name, distribution, version, getattr(plugin, "__name__", repr(plugin)))
        try:
            self.pm.register(plugin, name=name)
        except Exception as exc:  # noqa: BLE001
            return self._broken(info, exc)
        try:
            self.pm.check_pending()
            impls = self._impls_of(name)
            for impl in impls:
                if impl.kwargnames:
                    raise TypeError(
                        f"hook implementation {impl.function.__qualname__} gives default values "
                        f"to {', '.join(impl.kwargnames)}; pluggy never passes arguments that "
                        "have defaults, so remove the defaults"
                    )
            info.hooks = sorted({hook for hook, _ in impls_by_hook(self.pm, name)})
            self._collect(name, info)
        except Exception as exc:  # noqa: BLE001
            self._undo(name, info)
            return self._broken(info, exc)
        if not hidden:
            self.plugins[name] = info
        self._listeners = len(self.pm.hook.solverkit_progress.get_hookimpls()) > 1
        return info

    def _impls_of(self, name: str) -> list[Any]:
        return [impl for _, impl in impls_by_hook(self.pm, name)]

    def _collect(self, plugin: str, info: PluginInfo) -> None:
        """Call this plugin's registration hooks (only this plugin's)."""

        def register_solver(cls: type[Solver]) -> None:
            _check_solver_class(cls)
            if cls.name in self.conflicts:
                self.conflicts[cls.name].append(plugin)
                return
            if cls.name in self.solvers:
                other = self.solvers.pop(cls.name)
                self.conflicts[cls.name] = [other.plugin, plugin]
                warnings.warn(
                    PluginLoadWarning(
                        f"solver name {cls.name!r} is registered by both plugin {other.plugin!r} "
                        f"and plugin {plugin!r}; neither is usable under that name until one "
                        "is uninstalled or blocked (SOLVERKIT_BLOCK_PLUGINS)"
                    ),
                    stacklevel=2,
                )
                return
            self.solvers[cls.name] = SolverInfo(
                cls.name, cls, plugin, info.distribution, info.version
            )
            info.solvers.append(cls.name)

        def register_problem(cls: type) -> None:
            from .problems import Problem

            if not (isinstance(cls, type) and issubclass(cls, Problem)):
                raise TypeError(f"register() takes a Problem subclass, got {cls!r}")
            self.problems[cls.__name__] = cls
            info.problems.append(cls.__name__)

        def register_benchmark(bench: Any) -> None:
            from .bench import Benchmark

            if not isinstance(bench, Benchmark):
                raise TypeError(f"register() takes a solverkit.bench.Benchmark, got {bench!r}")
            self.benchmarks[bench.name] = bench
            info.benchmarks.append(bench.name)

        for hook, register in (
            ("solverkit_register_solvers", register_solver),
            ("solverkit_register_problems", register_problem),
            ("solverkit_register_benchmarks", register_benchmark),
        ):
            for impl in getattr(self.pm.hook, hook).get_hookimpls():
                if impl.plugin_name == plugin:
                    impl.function(**{arg: register for arg in impl.argnames})

    def _undo(self, plugin: str, info: PluginInfo) -> None:
        for name in info.solvers:
            self.solvers.pop(name, None)
        for name in info.problems:
            self.problems.pop(name, None)
        for name in info.benchmarks:
            self.benchmarks.pop(name, None)
        info.solvers, info.problems, info.benchmarks = [], [], []
        if self.pm.get_plugin(plugin) is not None:
            self.pm.unregister(name=plugin)

    def _broken(self, info: PluginInfo, exc: BaseException) -> PluginInfo:
        info.error = f"{type(exc).__name__}: {exc}"
        self.plugins[info.name] = info
        warnings.warn(
            PluginLoadWarning(
                f"solverkit plugin {info.name!r} ({info.distribution or info.module}) failed to "
                f"load and is skipped: {info.error}"
            ),
            stacklevel=3,
        )
        return info

    # -- lookup -------------------------------------------------------------
    def get(self, name: str) -> SolverInfo:
        """The solver registered as ``name``, or an error that says which case applies."""
        found = self.solvers.get(name)
        if found is not None:
            return found
        if name in self.conflicts:
            raise SolverNameConflictError(
                f"solver {name!r} is registered by more than one plugin: "
                f"{', '.join(map(repr, self.conflicts[name]))}. Uninstall one, or block it with "
                "SOLVERKIT_BLOCK_PLUGINS=<plugin>."
            )
        dist = SOLVER_TO_DISTRIBUTION.get(name)
        if dist is not None:
            for plugin in self.plugins.values():
                if plugin.distribution == dist and plugin.broken:
                    raise BrokenPluginError(
                        f"solver {name!r} comes from plugin {plugin.name!r} ({dist}), which failed "
                        f"to load: {plugin.error}"
                    )
            for plugin in self.disabled.values():
                if plugin.distribution == dist:
                    raise PluginDisabledError(
                        f"solver {name!r} comes from plugin {plugin.name!r} ({dist}), which is "
                        "installed but not loaded because of SOLVERKIT_LOAD_PLUGINS / "
                        "SOLVERKIT_BLOCK_PLUGINS"
                    )
            raise PluginNotInstalledError(
                f"solver {name!r} is provided by the plugin {dist}, which is not installed. "
                f"Install it with: {install_line(dist)}"
            )
        installed = sorted(self.solvers)
        candidates = sorted(set(installed) | set(SOLVER_TO_DISTRIBUTION))
        close = difflib.get_close_matches(name, candidates, n=3)
        hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
        broken = [p.name for p in self.plugins.values() if p.broken]
        note = (
            f" Plugins that failed to load (and may provide it): {', '.join(broken)}."
            if broken
            else ""
        )
        raise UnknownSolverError(
            f"unknown solver {name!r}.{hint} Installed solvers: "
            f"{', '.join(installed) or '(none: install a plugin, e.g. solverkit-scipy)'}."
            f"{note}"
        )

    def for_kind(self, kind: type | None = None) -> list[SolverInfo]:
        """Installed solvers, optionally only those accepting ``kind``."""
        infos = sorted(self.solvers.values(), key=lambda s: s.name)
        if kind is None:
            return infos
        return [s for s in infos if any(issubclass(kind, k) for k in s.cls.kinds)]

    def default_for(self, problem: Any) -> SolverInfo:
        """The documented default solver for ``problem``'s kind (first installed)."""
        preferences = getattr(type(problem), "default_methods", ())
        for name in preferences:
            if name in self.solvers:
                return self.solvers[name]
        accepting = self.for_kind(type(problem))
        if accepting:
            return accepting[0]
        if preferences:
            return self.get(preferences[0])  # raises with the install line
        raise UnknownSolverError(
            f"no installed solver accepts {type(problem).__name__} problems"
        )

    # -- running -------------------------------------------------------------
    def emitter(self, verbose: bool) -> Any:
        """The progress-hook caller, or None when nobody listens (zero cost)."""
        if verbose or self._listeners:
            hook = self.pm.hook.solverkit_progress
            return lambda event: hook(event=event)
        return None


def impls_by_hook(pm: pluggy.PluginManager, plugin: str) -> Iterable[tuple[str, Any]]:
    """(hook name, implementation) pairs that ``plugin`` provides."""
    for hook_name in dir(pm.hook):
        if not hook_name.startswith("solverkit_"):
            continue
        caller = getattr(pm.hook, hook_name)
        for impl in caller.get_hookimpls():
            if impl.plugin_name == plugin:
                yield hook_name, impl


def _check_solver_class(cls: Any) -> None:
    if not (isinstance(cls, type) and issubclass(cls, Solver)):
        raise TypeError(f"register() takes a solverkit.Solver subclass, got {cls!r}")
    if not isinstance(cls.name, str) or not cls.name:
        raise TypeError(f"solver class {cls.__qualname__} has no name (set name = '...')")
    if not isinstance(cls.kinds, tuple) or not cls.kinds:
        raise TypeError(
            f"solver {cls.name!r} declares no problem kinds (set kinds = (SomeProblem,))"
        )
    if not dataclasses.is_dataclass(cls.Options):
        raise TypeError(f"solver {cls.name!r}: Options must be a dataclass")


def _env_list(var: str) -> set[str] | None:
    value = os.environ.get(var)
    if value is None:
        return None
    return {part.strip() for part in value.split(",") if part.strip()}


def check_kind(info: SolverInfo, problem: Any) -> None:
    """Raise ProblemKindError unless the solver accepts this problem."""
    if not isinstance(problem, info.cls.kinds):
        raise ProblemKindError(
            f"solver {info.name!r} accepts {', '.join(info.kinds)} problems, got "
            f"{type(problem).__name__}"
        )


_registry: Registry | None = None
_lock = threading.Lock()


def get_registry() -> Registry:
    """The process-wide registry, built on first use."""
    global _registry
    if _registry is None:
        with _lock:
            if _registry is None:
                _registry = Registry()
    return _registry


def reset_registry(registry: Registry | None = None) -> Registry:
    """Rebuild the registry (after installing plugins, or in tests)."""
    global _registry
    with _lock:
        _registry = registry if registry is not None else Registry()
    return _registry
