"""The one oracle-call counting rule every solver of this plugin reports.

Counting rule (method spec, section 2.1)
----------------------------------------
* one **call** is one evaluation of a marginal gain Delta(e | S) (``gain``,
  or one id of a vectorised ``gains``) or one read of f(S) (``value``);
* **rule (ii)** (``calls``, the headline number, the reference code's rule):
  gains + values. Conditioning a state on an element (``add``) is free;
* **rule (i)** (``calls_all``): rule (ii) plus every ``add``, i.e. it also
  charges rebuilding the state of a prefix of the solution;
* singleton values f({e}) are queried once per element and cached
  (:class:`SingletonCache`) by *every* dynamic algorithm alike; each query is a
  call when it happens, a cache hit is free;
* reading the current solution or its value from a solver is free: values are
  kept incrementally from the gains already counted.

:class:`CountingOracle` wraps any :class:`~solverkit.problems.submodular.SetFunction`
and also checks every answer where it is cheap: a non-finite value, or a
negative gain (f decreasing on a superset, i.e. not monotone), raises
:class:`OracleError` before the solver uses it.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np

from solverkit.problems.submodular import CallableSetFunction, SetFunction, as_set_function

__all__ = ["CountingOracle", "OracleError", "SingletonCache"]

# Negative gains within this relative slack are rounding, not non-monotonicity.
_SLACK = 1e-9


class OracleError(ValueError):
    """The oracle returned a non-finite value or a negative marginal gain."""


class CountingOracle:
    """A SetFunction wrapper that counts calls (both rules) and validates answers.

    Parameters
    ----------
    oracle : SetFunction or callable
        The user's oracle; a plain callable ``f(list_of_ids)`` is adapted.

    Attributes
    ----------
    gain_calls, value_calls, add_calls : int
        Raw counters; ``calls`` and ``calls_all`` combine them by the rule.
    """

    def __init__(self, oracle: Any) -> None:
        self.oracle: SetFunction = as_set_function(oracle)
        # States we may keep without copying: ours (persistent) and the core's
        # callable adapter (its add builds a new tuple).
        self.persistent = bool(getattr(self.oracle, "persistent_states", False)) or \
            isinstance(self.oracle, CallableSetFunction)
        self._vector = getattr(self.oracle, "gains", None)
        self.gain_calls = 0
        self.value_calls = 0
        self.add_calls = 0
        self.scale = 1.0  # magnitude of values seen, for the rounding slack

    # -- counters ------------------------------------------------------------
    @property
    def calls(self) -> int:
        """Calls under rule (ii): gains plus values."""
        return self.gain_calls + self.value_calls

    @property
    def calls_all(self) -> int:
        """Calls under rule (i): rule (ii) plus conditioning (``add``)."""
        return self.gain_calls + self.value_calls + self.add_calls

    def snapshot(self) -> tuple[int, int]:
        """(calls, calls_all) now, to difference around an operation."""
        return self.calls, self.calls_all

    # -- SetFunction -----------------------------------------------------------
    def empty(self) -> Any:
        return self.oracle.empty()

    def gain(self, state: Any, e: int) -> float:
        self.gain_calls += 1
        g = float(self.oracle.gain(state, e))
        if not (math.isfinite(g) and g >= -_SLACK * self.scale):
            self._bad_gain(g, e)
        return g

    def gains(self, state: Any, ids: Any) -> np.ndarray:
        """Vectorised gains (one call per id) when the oracle has them, else a loop."""
        ids = np.asarray(ids, dtype=np.int64).reshape(-1)
        self.gain_calls += int(ids.size)
        if ids.size == 0:
            return np.zeros(0)
        if self._vector is not None:
            g = np.asarray(self._vector(state, ids), dtype=np.float64)
        else:
            g = np.array([float(self.oracle.gain(state, int(e))) for e in ids])
        bad = ~(np.isfinite(g) & (g >= -_SLACK * self.scale))
        if bad.any():
            j = int(np.argmax(bad))
            self._bad_gain(float(g[j]), int(ids[j]))
        return g

    def add(self, state: Any, e: int) -> Any:
        self.add_calls += 1
        if not self.persistent:
            state = copy.deepcopy(state)
        return self.oracle.add(state, e)

    def value(self, state: Any) -> float:
        self.value_calls += 1
        v = float(self.oracle.value(state))
        if not math.isfinite(v):
            raise OracleError(f"the oracle returned f(S) = {v}; values must be finite")
        self.scale = max(self.scale, abs(v))
        return v

    def state_of(self, ids: Any, base: Any = None) -> Any:
        """State of ``base`` + ids (conditioning only: free under rule (ii))."""
        state = self.empty() if base is None else base
        for e in ids:
            state = self.add(state, int(e))
        return state

    def note_scale(self, value: float) -> None:
        """Record a value magnitude (singletons) so the negativity slack is relative."""
        if math.isfinite(value):
            self.scale = max(self.scale, abs(value))

    def _bad_gain(self, g: float, e: int) -> None:
        if not math.isfinite(g):
            raise OracleError(f"the oracle returned a non-finite gain {g} for element {e}; "
                              "values must be finite")
        raise OracleError(f"the oracle is not monotone: adding element {e} changes f by {g:.6g} "
                          "< 0 (f must not decrease on a superset)")


class SingletonCache:
    """f({e}) - f({}) per element id, each queried once (one call) and shared.

    Parameters
    ----------
    oracle : CountingOracle
        Counts the queries.
    """

    def __init__(self, oracle: CountingOracle) -> None:
        self.oracle = oracle
        self.values: dict[int, float] = {}
        self._empty = oracle.empty()

    def get_many(self, ids: list[int]) -> list[float]:
        """Singleton gains of ``ids``; unknown ones are queried in one vectorised call."""
        missing = [e for e in ids if e not in self.values]
        if missing:
            got = self.oracle.gains(self._empty, missing)
            for g in got.tolist():
                self.oracle.note_scale(g)
            # store only after every answer passed the checks (all or nothing)
            self.values.update(zip(missing, got.tolist(), strict=False))
        return [self.values[e] for e in ids]
