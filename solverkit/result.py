"""The one result schema every solver returns.

`Result` behaves like :class:`scipy.optimize.OptimizeResult` (a dict whose keys
are also attributes) without importing scipy.optimize, and every field is
always present so code that reads results never needs ``getattr`` defaults.
"""

from __future__ import annotations

import enum
import math
from typing import Any

import numpy as np

__all__ = ["Result", "Status", "FIELDS"]


class Status(enum.IntEnum):
    """Why a solver stopped.

    The integer values follow scipy's convention that ``0`` means success.
    """

    CONVERGED = 0
    """The solver's own convergence test passed."""
    MAX_ITER = 1
    """The iteration limit ``max_iter`` was reached."""
    TIME_LIMIT = 2
    """The wall-clock limit ``time_limit`` was reached."""
    CALLBACK = 3
    """The user's callback raised :class:`StopIteration`."""
    NUMERICAL = 4
    """A numerical failure (NaN, overflow, a singular system, divergence)."""
    INFEASIBLE = 5
    """The problem (or the returned point) is infeasible."""
    STALLED = 6
    """No further progress was possible (e.g. a line search failed)."""
    ERROR = 7
    """The solver raised an exception; ``message`` holds it."""

    @property
    def is_success(self) -> bool:
        return self is Status.CONVERGED


FIELDS: tuple[str, ...] = (
    "x",
    "fun",
    "success",
    "status",
    "message",
    "nit",
    "nfev",
    "time",
    "solver",
    "history",
    "extra",
)


class Result(dict):
    """Outcome of one solve, with scipy's ``OptimizeResult`` field names.

    Attributes
    ----------
    x : Any
        The solution (an array for continuous problems; a tuple of ranks,
        a list of ids, ... for discrete ones).
    fun : float
        Objective value at ``x`` (``nan`` only when ``success`` is False).
    success : bool
        Whether the solver's convergence test passed at ``x``.
    status : Status
        Why the solver stopped.
    message : str
        A human-readable reason.
    nit : int
        Number of iterations.
    nfev : int
        Number of objective (or oracle) evaluations.
    time : float
        Wall-clock seconds spent in the solve.
    solver : str
        Name of the solver that produced the result.
    history : list of dict
        Per-iteration trace (empty unless ``history=True`` was passed).
    extra : dict
        Solver-specific outputs (multipliers, counters, diagnostics).
    """

    def __init__(self, **fields: Any) -> None:
        unknown = set(fields) - set(FIELDS)
        if unknown:
            raise TypeError(
                f"unknown Result field(s) {sorted(unknown)}; solver-specific outputs go in "
                f"extra=..., the fields are {list(FIELDS)}"
            )
        status = Status(fields.get("status", Status.CONVERGED))
        super().__init__(
            x=fields.get("x"),
            fun=fields.get("fun", math.nan),
            success=bool(fields.get("success", status.is_success)),
            status=status,
            message=fields.get("message", _default_message(status)),
            nit=int(fields.get("nit", 0)),
            nfev=int(fields.get("nfev", 0)),
            time=float(fields.get("time", 0.0)),
            solver=str(fields.get("solver", "")),
            history=list(fields.get("history") or []),
            extra=dict(fields.get("extra") or {}),
        )

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError as exc:
            raise AttributeError(name) from exc

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = value

    def __delattr__(self, name: str) -> None:
        del self[name]

    def __dir__(self) -> list[str]:
        return list(self.keys())

    def __repr__(self) -> str:
        width = max(map(len, self.keys())) + 1
        lines = []
        for key, value in self.items():
            text = repr(value)
            if isinstance(value, np.ndarray) and value.size > 8:
                text = f"array(shape={value.shape}, dtype={value.dtype})"
            if key == "history":
                text = f"[{len(value)} entries]"
            lines.append(f"{key.rjust(width)}: {text}")
        return "\n".join(lines)

    # -- JSON round trip -------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable copy (arrays become nested lists).

        Arrays are tagged so that :meth:`from_dict` restores them with their
        dtype; ``status`` is stored by name.
        """
        return {key: _to_json(value) for key, value in self.items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Result:
        """Inverse of :meth:`to_dict`."""
        restored = {key: _from_json(value) for key, value in data.items()}
        status = restored.get("status", "CONVERGED")
        restored["status"] = Status[status] if isinstance(status, str) else Status(status)
        return cls(**restored)


def _default_message(status: Status) -> str:
    return {
        Status.CONVERGED: "converged",
        Status.MAX_ITER: "iteration limit reached",
        Status.TIME_LIMIT: "time limit reached",
        Status.CALLBACK: "stopped by callback",
        Status.NUMERICAL: "numerical failure",
        Status.INFEASIBLE: "infeasible",
        Status.STALLED: "no further progress possible",
        Status.ERROR: "solver raised an exception",
    }[status]


def _to_json(value: Any) -> Any:
    if isinstance(value, Status):
        return value.name
    if isinstance(value, np.ndarray):
        return {"__ndarray__": value.tolist(), "dtype": str(value.dtype),
                "shape": list(value.shape)}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return {"__float__": repr(value)}
    if isinstance(value, dict):
        return {str(k): _to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_to_json(v) for v in value]
    if hasattr(value, "toarray"):  # scipy.sparse, without importing scipy
        return _to_json(np.asarray(value.toarray()))
    return value


def _from_json(value: Any) -> Any:
    if isinstance(value, dict):
        if "__ndarray__" in value:
            arr = np.array(value["__ndarray__"], dtype=value["dtype"])
            return arr.reshape(value["shape"])
        if "__float__" in value:
            return float(value["__float__"])
        return {k: _from_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_json(v) for v in value]
    return value
