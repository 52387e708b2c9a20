"""The Problem base class: data plus validation, never an algorithm."""

from __future__ import annotations

from typing import Any, ClassVar


class Problem:
    """Base class of every problem kind.

    Subclasses validate their data in ``__init__`` (so bad input fails before
    any solver runs) and provide ``example(seed)``, a small real instance the
    conformance kit and ``solverkit solve --example`` use.

    Attributes
    ----------
    default_methods : tuple of str
        Solver names tried in order by ``solve(problem)`` without ``method``.
    """

    default_methods: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def example(cls, seed: int = 0) -> Problem:
        """A small, real instance of this kind."""
        raise TypeError(f"{cls.__name__} provides no example")

    def describe(self) -> dict[str, Any]:
        """Short facts about the instance (sizes), for tables and logs."""
        return {}

    def __repr__(self) -> str:
        facts = ", ".join(f"{k}={v}" for k, v in self.describe().items())
        return f"{type(self).__name__}({facts})"
