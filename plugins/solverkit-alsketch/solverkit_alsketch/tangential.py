"""A trust radius on the tangential part of the Newton-KKT step.

On a curved constraint a Newton step taken with a lagging multiplier under-estimates the
curvature of the Lagrangian along the constraint, so its tangential (null-space of G) part
is too long and the step overshoots off the constraint. The line search of the paper only
shortens the whole step, normal part and multiplier step included, and forgets between
iterations. Here the step dx is split, as in composite-step (Byrd-Omojokun) SQP methods,
into its normal part dn = G'(G G')^{-1} G dx (the least-norm step towards the linearised
constraints) and its tangential part dt = dx - dn (G dt = 0). Only ||dt|| is bounded by a
radius; the normal part and the multiplier step of the Newton system are kept whole. The
radius follows the usual ratio test on the accepted step (Nocedal & Wright, Algorithm 4.1):
actual over predicted (first-order, -alpha * slope) merit decrease; below ``POOR_RATIO`` the
radius becomes ``SHRINK`` times the tangential length just taken, at or above it a step that
was bounded doubles the radius. It starts infinite, so it acts only after a poor step; a
Newton step near a solution has ratio -> 1/2 and is never bounded.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from .linalg import min_norm_correction
from .oracle import Jacobian

#: Accepted steps whose merit decrease is below this fraction of the first-order prediction
#: are poor (Newton's step on a quadratic merit gives 1/2; Armijo accepts down to beta = 0.1).
POOR_RATIO = 0.25
#: The radius after a poor step, relative to the tangential length just taken.
SHRINK = 0.5
#: Growth of the radius after a good step that the radius bounded.
GROW = 2.0


def split_step(J: Jacobian, dx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(dn, dt) with dx = dn + dt, dn = G'(G G')^{-1} G dx in range(G'), G dt = 0."""
    dn = -min_norm_correction(J, J.mv(dx))
    return dn, dx - dn


class TangentialRadius:
    """The radius on ||dt|| and its ratio-test update (one instance per run)."""

    def __init__(self) -> None:
        self.radius = math.inf
        self.bounded = False
        self._dt_len: float | None = None
        self._J: Jacobian | None = None
        self._dx: np.ndarray | None = None

    def bound(self, J: Jacobian, d: np.ndarray, n: int,
              slope_of: Callable[[np.ndarray], float]) -> np.ndarray:
        """The step (dx, dlam) with ||dt|| cut to the radius, or ``d`` unchanged.

        The cut step is used only when it is still a descent direction of the merit
        (``slope_of(d) < 0``); otherwise the plain Newton step goes to the line search.
        """
        self.bounded, self._dt_len, self._J, self._dx = False, None, J, d[:n]
        if not math.isfinite(self.radius):
            return d
        dn, dt = split_step(J, d[:n])
        nt = float(np.linalg.norm(dt))
        self._dt_len = nt
        if nt <= self.radius:
            return d
        cut = np.concatenate([dn + (self.radius / nt) * dt, d[n:]])
        if not slope_of(cut) < 0.0:
            return d
        self.bounded, self._dt_len = True, self.radius
        return cut

    def update(self, actual: float, predicted: float, alpha: float) -> float:
        """Update the radius after a step accepted at ``alpha``; returns the ratio."""
        ratio = actual / predicted if predicted > 0.0 else math.inf
        if ratio < POOR_RATIO:
            if self._dt_len is None:  # radius was infinite: the split was not needed before
                assert self._J is not None and self._dx is not None
                self._dt_len = float(np.linalg.norm(split_step(self._J, self._dx)[1]))
            self.radius = SHRINK * alpha * self._dt_len
        elif self.bounded and alpha == 1.0:
            self.radius *= GROW
        return ratio
