"""Bilevel programs: min_{x in X} f(x, y) where y minimises g(x, .) over Y."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np

from ..sets import Box, ConvexSet, Reals
from ._check import call, callable_arg, finite_array, positive_int, probe_scalar, probe_vector
from .base import Problem

__all__ = ["Bilevel"]

GradPair = tuple[np.ndarray, np.ndarray]


class Bilevel(Problem):
    """min over x in X of f(x, y*(x)), y*(x) in argmin over y in Y of g(x, y).

    Parameters
    ----------
    f, g : callable
        Upper- and lower-level objectives ``f(x, y) -> float``.
    grad_f, grad_g : callable
        ``grad_f(x, y) -> (grad_x f, grad_y f)``, likewise for g.
    x0, y0 : array_like
        Starting points. ``x0`` outside ``X`` is projected onto ``X`` with a
        warning; ``y0`` likewise for ``Y``.
    X, Y : ConvexSet, optional
        Feasible sets (default: all of R^n). Y must not depend on x.
    stochastic_grad_f, stochastic_grad_g : callable, optional
        ``(x, y, idx) -> (grad_x, grad_y)``: gradients averaged over the
        samples ``idx`` (an int array drawn from ``range(n_samples)``).
    n_samples : int, optional
        Number of samples the stochastic oracles draw from (required with them).
    hvp_g : callable, optional
        ``hvp_g(x, y, v) -> (grad_xy g v, grad_yy g v)``: second-order products
        used only by implicit-differentiation baselines.
    y_star : callable, optional
        ``y_star(x) -> y``, a closed-form lower-level solution when one is
        known (used for the true hypergradient in diagnostics).
    name : str
        A label for tables.
    """

    default_methods: ClassVar[tuple[str, ...]] = ("bilevel-penalty",)

    def __init__(
        self,
        f: Callable[[np.ndarray, np.ndarray], float],
        g: Callable[[np.ndarray, np.ndarray], float],
        grad_f: Callable[[np.ndarray, np.ndarray], GradPair],
        grad_g: Callable[[np.ndarray, np.ndarray], GradPair],
        x0: Any,
        y0: Any,
        *,
        X: ConvexSet | None = None,
        Y: ConvexSet | None = None,
        stochastic_grad_f: Callable[[np.ndarray, np.ndarray, np.ndarray], GradPair] | None = None,
        stochastic_grad_g: Callable[[np.ndarray, np.ndarray, np.ndarray], GradPair] | None = None,
        n_samples: int | None = None,
        hvp_g: Callable[[np.ndarray, np.ndarray, np.ndarray], GradPair] | None = None,
        y_star: Callable[[np.ndarray], np.ndarray] | None = None,
        name: str = "",
    ) -> None:
        self.f = callable_arg("f", f, "f(x, y) -> float")
        self.g = callable_arg("g", g, "g(x, y) -> float")
        self.grad_f = callable_arg("grad_f", grad_f, "grad_f(x, y) -> (gx, gy)")
        self.grad_g = callable_arg("grad_g", grad_g, "grad_g(x, y) -> (gx, gy)")
        x0 = finite_array("x0", x0, ndim=1).copy()
        y0 = finite_array("y0", y0, ndim=1).copy()
        self.dx, self.dy = x0.size, y0.size
        self.X = _as_set("X", X, self.dx)
        self.Y = _as_set("Y", Y, self.dy)
        self.x0 = _inside("x0", x0, self.X)
        self.y0 = _inside("y0", y0, self.Y)
        self.name = name

        x, y = self.x0.copy(), self.y0.copy()
        probe_scalar("f(x0, y0)", call("f(x0, y0)", f, x, y))
        probe_scalar("g(x0, y0)", call("g(x0, y0)", g, x, y))
        for label, fn in (("grad_f", grad_f), ("grad_g", grad_g)):
            _probe_pair(f"{label}(x0, y0)", call(f"{label}(x0, y0)", fn, x, y), self.dx, self.dy)

        if (stochastic_grad_f is None) != (stochastic_grad_g is None):
            raise ValueError("give both stochastic_grad_f and stochastic_grad_g, or neither")
        self.stochastic_grad_f = stochastic_grad_f
        self.stochastic_grad_g = stochastic_grad_g
        self.n_samples: int | None = None
        if stochastic_grad_f is not None:
            if n_samples is None:
                raise ValueError("stochastic oracles need n_samples (the number of samples)")
            self.n_samples = positive_int("n_samples", n_samples)
            idx = np.arange(min(2, self.n_samples))
            for label, fn in (("stochastic_grad_f", stochastic_grad_f),
                              ("stochastic_grad_g", stochastic_grad_g)):
                callable_arg(label, fn, f"{label}(x, y, idx) -> (gx, gy)")
                _probe_pair(f"{label}(x0, y0, idx)", call(label, fn, x, y, idx), self.dx,
                            self.dy)
        self.hvp_g = hvp_g
        if hvp_g is not None:
            callable_arg("hvp_g", hvp_g, "hvp_g(x, y, v) -> (Gxy v, Gyy v)")
            _probe_pair("hvp_g(x0, y0, v)", call("hvp_g", hvp_g, x, y, np.ones(self.dy)), self.dx,
                        self.dy)
        self.y_star = y_star
        if y_star is not None:
            callable_arg("y_star", y_star, "y_star(x) -> y")
            probe_vector("y_star", f"y_star(x0) (dy = {self.dy})", call("y_star(x0)", y_star, x),
                         self.dy)

    @property
    def stochastic(self) -> bool:
        return self.stochastic_grad_f is not None

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {"dx": self.dx, "dy": self.dy}
        if self.name:
            out = {"name": self.name, **out}
        if self.stochastic:
            out["n_samples"] = self.n_samples
        return out

    @classmethod
    def example(cls, seed: int = 0) -> Bilevel:
        """The PBGD toy (method spec B1): X = [0, 3], y*(x) = -x.

        Local minima of psi(x) = f(x, -x) at x = 0.3824, 1.2152 (global),
        2.8296. ``seed`` draws the starting point as in the benchmark.
        """
        rng = np.random.default_rng(seed)
        x0 = np.clip(rng.uniform(0.0, 3.5, 1), 0.0, 3.0)
        y0 = rng.uniform(-5.0, 8.5, 1)

        def f(x: np.ndarray, y: np.ndarray) -> float:
            return float(np.cos(4 * y[0] + 2) / (1 + np.exp(2 - 4 * x[0]))
                         + 0.5 * np.log((4 * x[0] - 2) ** 2 + 1))

        def grad_f(x: np.ndarray, y: np.ndarray) -> GradPair:
            e = np.exp(2 - 4 * x[0])
            s = 1.0 / (1.0 + e)
            c = np.cos(4 * y[0] + 2)
            gx = c * 4 * e * s * s + 0.5 * 8 * (4 * x[0] - 2) / ((4 * x[0] - 2) ** 2 + 1)
            gy = -4 * np.sin(4 * y[0] + 2) * s
            return np.array([gx]), np.array([gy])

        def g(x: np.ndarray, y: np.ndarray) -> float:
            u = x[0] + y[0]
            return float(u**2 + x[0] * np.sin(u) ** 2)

        def grad_g(x: np.ndarray, y: np.ndarray) -> GradPair:
            u = x[0] + y[0]
            s2 = np.sin(2 * u)
            gy = 2 * u + x[0] * s2
            gx = gy + np.sin(u) ** 2
            return np.array([gx]), np.array([gy])

        return cls(f, g, grad_f, grad_g, x0, y0, X=Box(0.0, 3.0, dim=1), Y=Reals(1),
                   y_star=lambda x: -np.asarray(x, dtype=float), name="pbgd-toy")


def _as_set(name: str, value: ConvexSet | None, dim: int) -> ConvexSet:
    if value is None:
        return Reals(dim)
    if not isinstance(value, ConvexSet):
        raise TypeError(f"{name} must be a solverkit.sets.ConvexSet (Box, Ball, Simplex, ...), "
                        f"got {type(value).__name__}")
    value.check_dim(f"{name.lower()}0", dim)
    return value


def _inside(name: str, point: np.ndarray, feasible: ConvexSet) -> np.ndarray:
    if feasible.contains(point, tol=1e-12):
        return point
    projected = feasible.project(point)
    moved = float(np.linalg.norm(projected - point))
    # Round-off of an iterative projection (CvxpySet) is not worth a warning.
    if moved > 1e-9 * max(1.0, float(np.linalg.norm(point))):
        warnings.warn(
            f"{name} lies outside its set {feasible!r}; using its projection (moved by "
            f"{moved:.3g})",
            UserWarning,
            stacklevel=3,
        )
    return projected


def _probe_pair(signature: str, value: Any, dx: int, dy: int) -> None:
    if not (isinstance(value, (tuple, list)) and len(value) == 2):
        raise TypeError(f"{signature} must return a pair (grad_x, grad_y), got "
                        f"{type(value).__name__}")
    probe_vector("x part", f"{signature}[0] (grad_x, dx = {dx})", value[0], dx)
    probe_vector("y part", f"{signature}[1] (grad_y, dy = {dy})", value[1], dy)
