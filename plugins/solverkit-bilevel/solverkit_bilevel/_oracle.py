"""Counted, checked access to a Bilevel problem's oracles, and shared helpers.

Every solver in this plugin talks to the problem only through :class:`Oracle`
so that oracle calls are counted the same way everywhere (one gradient of f or
g counts as 1, one function value counts as 1 in ``fun_calls``, stochastic
calls add their batch size to ``samples``) and so that a NaN, an infinity or a
wrong shape turns into :class:`Diverged` with a reason instead of propagating.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from solverkit.problems import Bilevel

__all__ = ["Oracle", "Diverged", "gradient_mapping", "failed", "check_positive"]

GradPair = tuple[np.ndarray, np.ndarray]


class Diverged(Exception):
    """A non-finite value or a divergent iterate: the run ends with a failed Result."""


def check_count(name: str, value: int | None, allow_none: bool = False) -> None:
    """Raise ValueError unless ``value`` is an int >= 1 (or None when ``allow_none``)."""
    if value is None and allow_none:
        return
    if not (isinstance(value, int) and not isinstance(value, bool) and value >= 1):
        extra = " or None" if allow_none else ""
        raise ValueError(f"{name} must be an int >= 1{extra}, got {value!r}")


def check_positive(name: str, value: float | int | None, allow_none: bool = False,
                   strict: bool = True) -> None:
    """Raise ValueError unless ``value`` is a finite positive (or nonnegative) number."""
    if value is None and allow_none:
        return
    ok = value is not None and isinstance(value, (int, float)) and not isinstance(value, bool) \
        and math.isfinite(value) and (value > 0 if strict else value >= 0)
    if not ok:
        kind = "> 0" if strict else ">= 0"
        extra = " or None" if allow_none else ""
        raise ValueError(f"{name} must be a finite number {kind}{extra}, got {value!r}")


class Oracle:
    """Counting wrapper around the oracles of a :class:`~solverkit.problems.Bilevel`.

    Parameters
    ----------
    problem : Bilevel
        The problem (never modified).
    rng : numpy.random.Generator
        Source of mini-batch indices.
    blowup : float
        An iterate whose norm exceeds ``blowup`` counts as divergence.
    """

    def __init__(self, problem: Bilevel, rng: np.random.Generator, blowup: float = 1e12) -> None:
        self.p = problem
        self.rng = rng
        self.dx, self.dy = problem.dx, problem.dy
        self.n = problem.n_samples
        self.grad_calls = 0
        self.fun_calls = 0
        self.samples = 0
        self.hvp_calls = 0
        self.blowup = blowup

    # -- counters --------------------------------------------------------
    def counts(self) -> dict[str, int]:
        return {"grad_calls": self.grad_calls, "fun_calls": self.fun_calls,
                "samples": self.samples, "hvp_calls": self.hvp_calls}

    @property
    def oracle_calls(self) -> int:
        """Gradient plus function evaluations (each of f or g counts as 1)."""
        return self.grad_calls + self.fun_calls

    # -- values ----------------------------------------------------------
    def f(self, x: np.ndarray, y: np.ndarray) -> float:
        self.fun_calls += 1
        return _finite_scalar("f", self.p.f(x, y))

    def g(self, x: np.ndarray, y: np.ndarray) -> float:
        self.fun_calls += 1
        return _finite_scalar("g", self.p.g(x, y))

    # -- gradients -------------------------------------------------------
    def grad_f(self, x: np.ndarray, y: np.ndarray, idx: np.ndarray | None = None) -> GradPair:
        return self._grad("f", x, y, idx)

    def grad_g(self, x: np.ndarray, y: np.ndarray, idx: np.ndarray | None = None) -> GradPair:
        return self._grad("g", x, y, idx)

    def _grad(self, which: str, x: np.ndarray, y: np.ndarray, idx: np.ndarray | None) -> GradPair:
        self.grad_calls += 1
        if idx is None:
            fn = self.p.grad_f if which == "f" else self.p.grad_g
            out = fn(x, y)
            self.samples += self.n or 1
        else:
            fn = self.p.stochastic_grad_f if which == "f" else self.p.stochastic_grad_g
            out = fn(x, y, idx)
            self.samples += int(idx.size)
        return self._pair(f"grad_{which}", out)

    def hvp_g(self, x: np.ndarray, y: np.ndarray, v: np.ndarray) -> GradPair:
        if self.p.hvp_g is None:
            raise ValueError("this solver needs hvp_g(x, y, v) -> (grad_xy g v, grad_yy g v); "
                             "the problem does not provide it")
        self.hvp_calls += 1
        return self._pair("hvp_g", self.p.hvp_g(x, y, v))

    def batch(self, size: int) -> np.ndarray | None:
        """Indices of a mini-batch (with replacement), or None for the full gradient."""
        if self.n is None or size >= self.n:
            return None
        return self.rng.integers(0, self.n, size=int(size))

    def _pair(self, label: str, out: Any) -> GradPair:
        try:
            gx, gy = out
        except (TypeError, ValueError):
            raise ValueError(f"{label} must return a pair (grad_x, grad_y), got "
                             f"{type(out).__name__}") from None
        gx = np.asarray(gx, dtype=float).reshape(-1) if np.ndim(gx) <= 1 else np.asarray(gx)
        gy = np.asarray(gy, dtype=float).reshape(-1) if np.ndim(gy) <= 1 else np.asarray(gy)
        if gx.shape != (self.dx,) or gy.shape != (self.dy,):
            raise ValueError(f"{label} returned shapes {gx.shape} and {gy.shape}; expected "
                             f"({self.dx},) for the x part and ({self.dy},) for the y part")
        if not (np.all(np.isfinite(gx)) and np.all(np.isfinite(gy))):
            raise Diverged(f"{label} returned a non-finite value")
        return gx, gy

    def check_iterate(self, label: str, v: np.ndarray) -> None:
        """Divergence guard for iterates (NaN, inf, or a norm beyond ``blowup``)."""
        if not np.all(np.isfinite(v)):
            raise Diverged(f"{label} became non-finite")
        if np.linalg.norm(v) > self.blowup:
            where = "the lower level" if label in ("y", "z") else "the upper level"
            raise Diverged(f"{label} diverged (norm {np.linalg.norm(v):.3g} > {self.blowup:.3g}): "
                           f"{where} looks unbounded below")


def _finite_scalar(label: str, value: Any) -> float:
    v = float(value)
    if not math.isfinite(v):
        raise Diverged(f"{label} returned a non-finite value ({v})")
    return v


def gradient_mapping(X: Any, x: np.ndarray, d: np.ndarray, t: float) -> float:
    """||(x - Proj_X(x - t d)) / t||, the projected-gradient stationarity measure."""
    return float(np.linalg.norm(x - X.project(x - t * d)) / t)


def failed(progress: Any, oracle: Oracle, x: np.ndarray, reason: str, nit: int,
           extra: dict[str, Any]) -> Any:
    """A failed Result (status NUMERICAL) that never carries NaN as the answer."""
    import solverkit

    extra = {**extra, **oracle.counts(), "failure": reason}
    return progress.result(x=np.array(x, dtype=float), fun=math.nan, nit=nit,
                           nfev=oracle.oracle_calls, status=solverkit.Status.NUMERICAL,
                           message=f"numerical failure: {reason}", extra=extra)
