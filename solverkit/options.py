"""Option handling shared by every solver.

Common options (``max_iter``, ``time_limit``, ``tol``, ``seed``, ``callback``,
``verbose``, ``history``) are validated here; solver-specific options live in a
dataclass the solver declares as ``Options`` and are checked against its field
names and (simple) annotations before any work starts.
"""

from __future__ import annotations

import dataclasses
import functools
import numbers
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

__all__ = ["CommonOptions", "NoOptions", "COMMON_OPTION_NAMES", "split_options", "make_rng"]


@dataclasses.dataclass(frozen=True)
class NoOptions:
    """Options dataclass of a solver that takes no solver-specific options."""


SeedLike = int | np.random.Generator | np.random.SeedSequence | None


@dataclasses.dataclass(frozen=True)
class CommonOptions:
    """Options every solver honours.

    Parameters
    ----------
    max_iter : int, optional
        Iteration limit; ``None`` takes the solver's ``default_max_iter``.
    time_limit : float, optional
        Wall-clock limit in seconds, enforced through the progress channel.
    tol : float, optional
        Convergence tolerance; ``None`` takes the solver's ``default_tol``.
    seed : int, numpy.random.Generator or numpy.random.SeedSequence, optional
        Source of randomness. The same seed gives the same result.
    callback : callable, optional
        ``callback(state)`` after each iteration; raise :class:`StopIteration`
        to stop and keep the best point so far.
    verbose : bool
        Print a progress line (rate-limited) to stderr during long runs.
    history : bool
        Record a per-iteration trace in ``Result.history``.
    """

    max_iter: int | None = None
    time_limit: float | None = None
    tol: float | None = None
    seed: SeedLike = None
    callback: Callable[[Any], Any] | None = None
    verbose: bool = False
    history: bool = False

    def __post_init__(self) -> None:
        if self.max_iter is not None and (
            isinstance(self.max_iter, bool)
            or not isinstance(self.max_iter, numbers.Integral)
            or self.max_iter < 1
        ):
            raise ValueError(f"max_iter must be a positive integer, got {self.max_iter!r}")
        for name in ("time_limit", "tol"):
            value = getattr(self, name)
            if value is not None and (
                isinstance(value, bool)
                or not isinstance(value, numbers.Real)
                or not np.isfinite(value)
                or value <= 0
            ):
                raise ValueError(f"{name} must be a positive finite number, got {value!r}")
        if not (
            self.seed is None
            or isinstance(self.seed, (np.random.Generator, np.random.SeedSequence))
            or (isinstance(self.seed, numbers.Integral) and not isinstance(self.seed, bool)
                and self.seed >= 0)
        ):
            raise ValueError(
                "seed must be a non-negative int, a numpy Generator or a SeedSequence, "
                f"got {self.seed!r}"
            )
        if self.callback is not None and not callable(self.callback):
            raise TypeError(f"callback must be callable as callback(state), got {self.callback!r}")
        for name in ("verbose", "history"):
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise TypeError(f"{name} must be True or False, got {getattr(self, name)!r}")


COMMON_OPTION_NAMES: frozenset[str] = frozenset(f.name for f in dataclasses.fields(CommonOptions))


def make_rng(seed: SeedLike) -> np.random.Generator:
    """Turn any accepted seed into a Generator (a Generator is used as is)."""
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(seed)


def split_options(
    solver_name: str, options_cls: type, options: Mapping[str, Any]
) -> tuple[CommonOptions, Any]:
    """Validate ``options`` and split them into common and solver-specific parts.

    Raises
    ------
    TypeError
        An option name is neither common nor one of the solver's options, or
        a value has the wrong type. The message lists the valid names.
    ValueError
        A value is out of range (raised by the options dataclasses).
    """
    specific_names = _field_names(options_cls)
    common: dict[str, Any] = {}
    specific: dict[str, Any] = {}
    for key, value in options.items():
        if key in COMMON_OPTION_NAMES:
            common[key] = value
        elif key in specific_names:
            specific[key] = value
        else:
            import difflib

            valid = sorted(specific_names) + sorted(COMMON_OPTION_NAMES)
            close = difflib.get_close_matches(key, valid, n=3)
            hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
            raise TypeError(
                f"solver {solver_name!r} has no option {key!r}.{hint} Valid options: "
                f"{', '.join(sorted(specific_names)) or '(none specific)'}; common: "
                f"{', '.join(sorted(COMMON_OPTION_NAMES))}."
            )
    hints = _type_hints(options_cls)
    for key, value in specific.items():
        _check_type(solver_name, key, value, hints.get(key))
    return CommonOptions(**common), options_cls(**specific)


@functools.cache
def _field_names(options_cls: type) -> frozenset[str]:
    if not dataclasses.is_dataclass(options_cls):
        raise TypeError(f"a solver's Options must be a dataclass, got {options_cls!r}")
    return frozenset(f.name for f in dataclasses.fields(options_cls) if f.init)


@functools.cache
def _type_hints(options_cls: type) -> dict[str, Any]:
    try:
        return typing.get_type_hints(options_cls)
    except Exception:  # unresolvable annotations: skip type checks, keep name checks
        return {}


def _check_type(solver: str, key: str, value: Any, annotation: Any) -> None:
    """Check ``value`` against simple annotations; unknown forms are accepted."""
    if annotation is None or _matches(value, annotation) is not False:
        return
    raise TypeError(
        f"option {key!r} of solver {solver!r} must be {_describe(annotation)}, "
        f"got {value!r} ({type(value).__name__})"
    )


def _matches(value: Any, annotation: Any) -> bool | None:
    """True / False when the annotation is understood, None when it is not."""
    origin = typing.get_origin(annotation)
    if annotation is Any:
        return True
    if annotation is float:
        return isinstance(value, numbers.Real) and not isinstance(value, bool)
    if annotation is int:
        return isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if annotation is bool:
        return isinstance(value, (bool, np.bool_))
    if annotation is str:
        return isinstance(value, str)
    if annotation is type(None):
        return value is None
    if origin is typing.Literal:
        return value in typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        answers = [_matches(value, arg) for arg in typing.get_args(annotation)]
        if any(a is True for a in answers):
            return True
        return None if any(a is None for a in answers) else False
    return None


def _describe(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return "one of " + ", ".join(map(repr, typing.get_args(annotation)))
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_describe(a) for a in typing.get_args(annotation))
    return getattr(annotation, "__name__", str(annotation))
