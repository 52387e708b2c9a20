"""Monotone submodular maximisation under a cardinality constraint, static or dynamic."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, ClassVar, Protocol, runtime_checkable

import numpy as np

from ._check import positive_int
from .base import Problem

__all__ = ["SetFunction", "CallableSetFunction", "SubmodularMax", "SubmodularStream"]


@runtime_checkable
class SetFunction(Protocol):
    """An incremental value oracle for a monotone submodular f.

    A *state* represents a set S; solvers only touch it through these
    methods, so an oracle can keep whatever makes gains cheap (covered bit
    sets, running maxima, ...). One oracle call = one ``gain`` or one
    ``value`` of a set built from scratch (the counting rule every solver
    reports).
    """

    def empty(self) -> Any:
        """State of the empty set."""

    def gain(self, state: Any, e: int) -> float:
        """f(S + e) - f(S) for the set S of ``state`` (must not modify it)."""

    def add(self, state: Any, e: int) -> Any:
        """State of S + e (may update ``state`` in place and return it)."""

    def value(self, state: Any) -> float:
        """f(S)."""


class CallableSetFunction:
    """Adapts a plain ``f(list_of_ids) -> float`` to :class:`SetFunction`.

    Each ``gain`` evaluates f once on S + e (S's value is cached), so the
    call count equals the number of f evaluations.
    """

    def __init__(self, f: Callable[[list[int]], float]) -> None:
        if not callable(f):
            raise TypeError(f"f must be callable as f(list_of_ids) -> float, got {f!r}")
        self.f = f

    def empty(self) -> tuple[list[int], float]:
        return [], self._eval([])

    def gain(self, state: tuple[list[int], float], e: int) -> float:
        members, value = state
        return self._eval(members + [e]) - value

    def add(self, state: tuple[list[int], float], e: int) -> tuple[list[int], float]:
        members = state[0] + [e]
        return members, self._eval(members)

    def value(self, state: tuple[list[int], float]) -> float:
        return state[1]

    def _eval(self, members: list[int]) -> float:
        value = float(self.f(list(members)))
        if not np.isfinite(value):
            raise ValueError(f"f({members[:10]}{'...' if len(members) > 10 else ''}) returned "
                             f"{value}; the oracle must return finite values")
        return value


def as_set_function(oracle: Any) -> SetFunction:
    """A SetFunction as is, a plain callable wrapped in CallableSetFunction."""
    if isinstance(oracle, SetFunction):
        return oracle
    if callable(oracle):
        return CallableSetFunction(oracle)
    raise TypeError(
        "oracle must be a SetFunction (empty/gain/add/value) or a callable f(list_of_ids), got "
        f"{type(oracle).__name__}"
    )


def _probe(oracle: SetFunction, some: int) -> None:
    """Cheap sanity checks: finite values, f({e}) >= f({}) (monotone)."""
    empty = oracle.empty()
    base = float(oracle.value(empty))
    gain = float(oracle.gain(empty, some))
    if not (np.isfinite(base) and np.isfinite(gain)):
        raise ValueError(f"oracle returned a non-finite value (f({{}}) = {base}, "
                         f"gain of element {some} = {gain})")
    if gain < -1e-12 * max(1.0, abs(base)):
        raise ValueError(f"oracle is not monotone: adding element {some} to the empty set "
                         f"changes f by {gain} < 0")


class SubmodularMax(Problem):
    """maximise f(S) over subsets S of the ground set with at most k elements.

    Parameters
    ----------
    oracle : SetFunction or callable
        Monotone submodular f; a callable takes a list of element ids.
    ground : int or sequence of int
        ``n`` (the ground set is ``range(n)``) or the element ids.
    k : int
        Cardinality limit, ``k >= 1``.
    """

    default_methods: ClassVar[tuple[str, ...]] = ("lazy-greedy", "greedy")

    def __init__(self, oracle: Any, ground: int | Sequence[int], k: int, *, name: str = "") -> None:
        self.oracle = as_set_function(oracle)
        self.k = positive_int("k", k)
        if np.ndim(ground) == 0:
            ids = np.arange(positive_int("ground (the number of elements n)", ground))
        else:
            ids = np.asarray(ground)
            if ids.ndim != 1 or ids.size == 0 or ids.dtype.kind not in "iu":
                raise ValueError("ground must be n or a non-empty 1-D sequence of integer ids")
            if np.unique(ids).size != ids.size:
                raise ValueError("ground has duplicate ids")
        self.ground = ids
        self.name = name
        _probe(self.oracle, int(ids[0]))

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {"n": int(self.ground.size), "k": self.k}
        return {"name": self.name, **out} if self.name else out

    @classmethod
    def example(cls, seed: int = 0) -> SubmodularMax:
        """Random set cover: 60 sets over 200 items, k = 5 (f = items covered)."""
        sets = _random_sets(seed, n=60, universe=200)
        return cls(lambda S: len(set().union(*(sets[i] for i in S))) if S else 0, 60, 5,
                   name="coverage-60")


class SubmodularStream(Problem):
    """Keep max f(S) over at most k live elements while elements are inserted and deleted.

    Parameters
    ----------
    oracle : SetFunction or callable
        Monotone submodular f over element ids.
    ops : iterable of (str, int)
        The stream: ``("insert", id)`` or ``("delete", id)``. Validated up
        front: deleting an id that is not live, or inserting a live id, is an
        error naming the position.
    k : int
        Cardinality limit.
    checkpoints : sequence of int, optional
        Update indices (0-based, after that update) at which solvers record
        the solution value; default: 20 evenly spaced points and the end.
    """

    default_methods: ClassVar[tuple[str, ...]] = ("dynamic-submodular",)

    def __init__(self, oracle: Any, ops: Iterable[tuple[str, int]], k: int, *,
                 checkpoints: Sequence[int] | None = None, name: str = "") -> None:
        self.oracle = as_set_function(oracle)
        self.k = positive_int("k", k)
        kinds, ids = [], []
        live: set[int] = set()
        for pos, op in enumerate(ops):
            try:
                kind, e = op
            except (TypeError, ValueError):
                raise ValueError(f"ops[{pos}] must be ('insert' | 'delete', id), got {op!r}") \
                    from None
            if kind not in ("insert", "delete"):
                raise ValueError(
                    f"ops[{pos}]: operation must be 'insert' or 'delete', got {kind!r}")
            if isinstance(e, bool) or not isinstance(e, (int, np.integer)):
                raise ValueError(f"ops[{pos}]: element id must be an integer, got {e!r}")
            e = int(e)
            if kind == "insert":
                if e in live:
                    raise ValueError(f"ops[{pos}] inserts element {e}, which is already live")
                live.add(e)
            else:
                if e not in live:
                    raise ValueError(f"ops[{pos}] deletes element {e}, which is not live")
                live.remove(e)
            kinds.append(kind == "insert")
            ids.append(e)
        if not ids:
            raise ValueError("ops must contain at least one operation")
        self.is_insert = np.array(kinds, dtype=bool)
        self.ids = np.array(ids, dtype=np.int64)
        n_ops = len(ids)
        if checkpoints is None:
            cps = np.unique(np.linspace(0, n_ops - 1, 21).round().astype(int))
        else:
            cps = np.unique(np.asarray(checkpoints, dtype=int))
            if cps.size and (cps[0] < 0 or cps[-1] >= n_ops):
                raise ValueError(f"checkpoints must lie in [0, {n_ops - 1}]")
        self.checkpoints = cps
        self.name = name
        _probe(self.oracle, int(self.ids[0]))

    @property
    def ops(self) -> list[tuple[str, int]]:
        return [("insert" if a else "delete", int(e)) for a, e in zip(self.is_insert, self.ids)]

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {"ops": int(self.ids.size), "k": self.k}
        return {"name": self.name, **out} if self.name else out

    @classmethod
    def example(cls, seed: int = 0) -> SubmodularStream:
        """Sliding window of 30 over 80 random sets (coverage), k = 4."""
        sets = _random_sets(seed, n=80, universe=200)
        ops: list[tuple[str, int]] = []
        for e in range(80):
            ops.append(("insert", e))
            if e >= 30:
                ops.append(("delete", e - 30))
        return cls(lambda S: len(set().union(*(sets[i] for i in S))) if S else 0, ops, 4,
                   name="window-coverage")


def _random_sets(seed: int, n: int, universe: int) -> list[set[int]]:
    rng = np.random.default_rng(seed)
    return [set(rng.choice(universe, size=rng.integers(5, 25), replace=False).tolist())
            for _ in range(n)]
