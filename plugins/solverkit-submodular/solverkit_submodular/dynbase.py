"""What every dynamic (insert / delete) algorithm of the plugin shares.

:class:`DynamicBase` validates ids, keeps the live set and the shared cache of
singleton values (sorted, for the live maximum), counts oracle calls per
update under the plugin's rule, and replays a
:class:`~solverkit.SubmodularStream` for ``solverkit.solve``. A subclass
implements ``_insert(ids, singles)`` and ``_delete(ids)``; both must compute
everything that can fail (oracle calls) before they modify any state, so an
error leaves the object exactly as it was.
"""

from __future__ import annotations

import abc
import bisect
import numbers
import time
from collections.abc import Iterable
from typing import Any

import numpy as np

from .counting import CountingOracle, SingletonCache

__all__ = ["DynamicBase", "as_id_list"]


def as_id_list(ids: Any, what: str) -> list[int]:
    """One id or an iterable of ids as a list of Python ints (no duplicates)."""
    if isinstance(ids, (numbers.Integral, np.integer)) and not isinstance(ids, bool):
        out = [int(ids)]
    else:
        if isinstance(ids, (str, bytes)) or not isinstance(ids, (Iterable, np.ndarray)):
            raise TypeError(f"{what} takes an integer id or an iterable of integer ids, "
                            f"got {type(ids).__name__}")
        out = []
        for e in (ids.tolist() if isinstance(ids, np.ndarray) else ids):
            if isinstance(e, bool) or not isinstance(e, (numbers.Integral, np.integer)):
                raise TypeError(f"{what}: element ids must be integers, got {e!r}")
            out.append(int(e))
    if len(set(out)) != len(out):
        dup = next(e for e in out if out.count(e) > 1)
        raise ValueError(f"{what}: id {dup} appears twice in one batch")
    return out


class DynamicBase(abc.ABC):
    """Live set, singleton cache, counters and stream replay.

    Parameters
    ----------
    f : SetFunction or callable
        Monotone submodular oracle (a callable takes a list of ids).
    k : int
        Cardinality limit, >= 1.
    """

    def __init__(self, f: Any, k: int) -> None:
        if isinstance(k, bool) or not isinstance(k, numbers.Integral) or k < 1:
            raise ValueError(f"k must be an integer >= 1, got {k!r}")
        self.k = int(k)
        self.oracle = f if isinstance(f, CountingOracle) else CountingOracle(f)
        self.singles = SingletonCache(self.oracle)
        self.live: dict[int, int] = {}  # id -> insertion stamp (keeps insertion order)
        self._stamp = 0
        self._sorted: list[tuple[float, int]] = []  # (f({e}) - f({}), e) of live ids
        self.base = self.oracle.value(self.oracle.empty())  # f({}): one call, once
        self.update_calls: list[int] = []
        self.update_calls_all: list[int] = []
        self.update_seconds: list[float] = []  # wall clock per update
        self.update_cpu: list[float] = []  # process CPU time per update (robust to a busy host)
        self.updates = 0

    # -- public API ----------------------------------------------------------------------------
    def insert(self, ids: Any) -> None:
        """Insert one id or a batch (ids must not be live)."""
        ids = as_id_list(ids, "insert")
        for e in ids:
            if e in self.live:
                raise ValueError(f"insert: element {e} is already live; delete it first")
        if not ids:
            return
        self._timed(self._do_insert, ids)

    def delete(self, ids: Any) -> None:
        """Delete one live id or a batch."""
        ids = as_id_list(ids, "delete")
        for e in ids:
            if e not in self.live:
                raise ValueError(f"delete: element {e} is not live (never inserted or already "
                                 "deleted)")
        if not ids:
            return
        self._timed(self._delete, ids)

    @abc.abstractmethod
    def solution(self) -> list[int]:
        """The current solution's ids (no oracle call)."""

    @abc.abstractmethod
    def value(self) -> float:
        """f of the current solution (kept incrementally: no oracle call)."""

    def __len__(self) -> int:
        return len(self.live)

    def __contains__(self, e: object) -> bool:
        return e in self.live

    def stats(self) -> dict[str, Any]:
        """Counters: calls under both rules, per-update distribution and timings."""
        calls = np.asarray(self.update_calls, dtype=np.int64)
        return {
            "updates": self.updates,
            "live": len(self.live),
            "calls": self.oracle.calls,
            "calls_all": self.oracle.calls_all,
            "calls_per_update": float(calls.mean()) if calls.size else 0.0,
            "calls_p50": float(np.percentile(calls, 50)) if calls.size else 0.0,
            "calls_p99": float(np.percentile(calls, 99)) if calls.size else 0.0,
            "calls_max": int(calls.max()) if calls.size else 0,
            "singleton_calls": len(self.singles.values),
        }

    # -- subclass hooks ------------------------------------------------------------------------
    @abc.abstractmethod
    def _insert(self, ids: list[int], singles: list[float]) -> None:
        """Insert ``ids`` (their singleton values given)."""

    @abc.abstractmethod
    def _delete(self, ids: list[int]) -> None:
        """Delete ``ids`` (all live)."""

    # -- shared machinery ----------------------------------------------------------------------
    def _do_insert(self, ids: list[int]) -> None:
        singles = self.singles.get_many(ids)  # may raise: nothing changed yet
        self._insert(ids, singles)

    def _timed(self, op: Any, ids: list[int]) -> None:
        before = self.oracle.snapshot()
        cpu = time.process_time()
        start = time.perf_counter()
        op(ids)  # an exception propagates; the update is not recorded
        self.update_seconds.append(time.perf_counter() - start)
        self.update_cpu.append(time.process_time() - cpu)
        after = self.oracle.snapshot()
        self.update_calls.append(after[0] - before[0])
        self.update_calls_all.append(after[1] - before[1])
        self.updates += 1

    def _live_add(self, ids: list[int], singles: list[float]) -> None:
        for e, s in zip(ids, singles, strict=False):
            self.live[e] = self._stamp
            self._stamp += 1
            bisect.insort(self._sorted, (s, e))

    def _live_remove(self, ids: list[int]) -> None:
        for e in ids:
            del self.live[e]
            s = self.singles.values[e]
            j = bisect.bisect_left(self._sorted, (s, e))
            del self._sorted[j]

    def max_single(self, without: set[int] | None = None,
                   extra: Iterable[float] = ()) -> float:
        """Largest live singleton value, ignoring ``without``, counting ``extra``."""
        top = 0.0
        for s, e in reversed(self._sorted):
            if without is None or e not in without:
                top = s
                break
        return max([top, *extra])

    def live_at_least(self, tau: float, without: set[int] | None = None) -> list[int]:
        """Live ids with singleton value >= tau (no oracle call)."""
        j = bisect.bisect_left(self._sorted, (tau, float("-inf")))
        out = [e for _, e in self._sorted[j:]]
        if without:
            out = [e for e in out if e not in without]
        return out

    # -- stream replay -------------------------------------------------------------------------
    def replay(self, problem: Any, progress: Any) -> Any:
        """Run a SubmodularStream through insert/delete; a Result with checkpoint stats."""
        cps = set(int(c) for c in problem.checkpoints)
        rec: dict[str, list[Any]] = {"update": [], "value": [], "size": [], "calls": [],
                                     "calls_all": [], "live": []}
        nit = 0
        stopped = False
        pairs = zip(problem.is_insert.tolist(), problem.ids.tolist(), strict=True)
        for t, (is_ins, e) in enumerate(pairs):
            if is_ins:
                self.insert(e)
            else:
                self.delete(e)
            nit = t + 1
            if t in cps:
                rec["update"].append(t)
                rec["value"].append(self.value())
                rec["size"].append(len(self.solution()))
                rec["calls"].append(self.oracle.calls)
                rec["calls_all"].append(self.oracle.calls_all)
                rec["live"].append(len(self.live))
            if progress.report(nit, x=self.solution(), fun=self.value()):
                stopped = True
                break
        extra = {"checkpoints": rec, **self.stats(), "stopped_early": stopped,
                 "update_calls": np.asarray(self.update_calls, dtype=np.int64)}
        return progress.result(x=self.solution(), fun=self.value(), nit=nit,
                               nfev=self.oracle.calls, extra=extra)
