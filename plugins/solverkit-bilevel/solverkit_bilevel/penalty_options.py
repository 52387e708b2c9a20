"""Options of ``bilevel-penalty`` (typed, documented, validated before any work)."""

from __future__ import annotations

import dataclasses
import math

from ._inner import INNER_SOLVERS
from ._oracle import check_count, check_positive

__all__ = ["PenaltyOptions"]


@dataclasses.dataclass(frozen=True)
class PenaltyOptions:
    """Options of ``bilevel-penalty``.

    Attributes
    ----------
    sigma : float or None
        Penalty parameter (the penalty weight is 1/sigma). None: sigma =
        ``sigma_factor * eps``, the theory's sigma = Theta(eps).
    eps : float
        Target accuracy that sets sigma when ``sigma`` is None (default 1e-3).
    sigma_factor : float
        Constant in sigma = sigma_factor * eps (default 1).
    continuation : bool
        Decrease sigma geometrically from ``sigma0`` to the target, warm-starting
        (x, y, z); the stages before the last stop at the looser gradient
        mapping max(tol, stage_tol_factor * sigma_stage) (default False).
    sigma0, sigma_decay, stage_tol_factor : float
        Continuation schedule (defaults 0.1, 0.2 and 1.0).
    oracle : str
        "exact" (full gradients, backtracking) or "stochastic" (mini-batches of
        the problem's stochastic oracles with growing batches).
    inner_tol_factor, inner_kappa : float
        Inner residual target = inner_tol_factor * sigma * max(tol, inner_kappa * gm)
        (defaults 1.0 and 0.1), divided by the gain below when ``auto_inner_tol``.
        If a trial outer step would diverge, the target is divided by 10 more (up to
        1e4 times, ``extra["inner_tightening"]``) and the step retried: too loose a
        factor makes the BB step blow up rather than the problem be unbounded.
    auto_inner_tol : bool
        Scale the inner target by 1 / rho, rho a secant estimate (from the inner steps
        already taken, no extra oracle calls) of how far an inner residual moves the
        x-gradients in d: rho = ||change of sigma grad_x f + grad_x g|| / ||change of the
        inner gradient||, the largest over the steps of the latest y and z solves. The
        fixed target assumes rho ~ 1; measured 0.004-0.2 on hyper-cleaning (per-sample
        weights enter grad_x g with s'(x_i) / n) and ~3 on a least-squares lower level,
        where a fixed loose target can diverge. The largest ratio is conservative: on
        hyper-cleaning it costs 2x the calls of a hand-set factor (default False).
    max_inner : int
        Cap on inner steps per outer iteration (deterministic; default 1000).
    inner_solver : str
        Deterministic inner method: "pg" (projected gradient with backtracking,
        default) or "apg" (accelerated projected gradient with adaptive restart:
        about sqrt(kappa) instead of kappa steps on a lower level of condition
        number kappa; two gradients per step).
    shift_warm_start : bool
        Solve z first and start y from the new z plus the previous offset y - z
        (which is O(sigma) and moves slowly with x) instead of the previous y
        (default False). Halved the y steps on hyper-cleaning.
    tilt : bool
        Solve y for the lower level tilted by z's residual (default False): with
        r the part of grad_y g(x, z) not balanced by active bounds, z exactly
        minimises g - <r, .>, and y is computed for sigma f + g - <r, .>. Then y and
        z solve one perturbed lower level and d is its exact penalty gradient up to
        y's own residual: z's inner error moves d by O(||r||) instead of
        O(||r|| / sigma). Y = R^n or a box only (no tilt for other sets).
    z_tol_factor : float or None
        With ``tilt``: z's residual target is z_tol_factor * max(tol, inner_kappa * gm)
        (the factor inner_tol_factor * sigma of y's target is replaced, because z's
        error is no longer amplified by 1/sigma). None (default): the same target as y.
    extrapolate : bool
        Warm-start z and y at the new x by linear extrapolation from their last
        change along the outer path (scaled by the new step's component along the
        previous step), instead of their last values (default False). The solves then
        start O(step^2) instead of O(step) away; each takes at least one step from a
        predicted start, so a loose inner target cannot leave y and z following
        their extrapolation alone. Cut the gradient calls by 30-40% on hyper-cleaning
        with the fixed rule and by 18-57% on the toy and box-QP suites, but raised them
        by 10-50% on hyper-cleaning with the adaptive rule (its steps vary too much
        from one iteration to the next for a linear prediction).
    outer_rule : str
        Deterministic outer step: "adaptive" (default: spectral projected gradient,
        or L-BFGS when X = R^n, with a nonmonotone line search on psi_sigma) or
        "fixed" (the paper's x <- Proj_X(x - gamma d) with a fixed gamma =
        ``outer_step``, default sigma: a discretised gradient flow of psi_sigma,
        so each start ends in the basin of psi_sigma it started in; many more
        iterations).
    outer_step : float or None
        First trial outer step ("adaptive"), the fixed step ("fixed", default sigma)
        or the fixed outer step of the stochastic mode (default sigma). None: 1.0
        for "adaptive".
    armijo : float
        Sufficient-decrease constant of the outer backtracking (default 1e-4).
    memory : int
        The outer Armijo test compares with the largest of the last ``memory``
        psi_sigma values (nonmonotone; 1 makes it monotone; default 10).
    lbfgs_memory : int
        Pairs kept for L-BFGS directions when X is all of R^n (default 10;
        0 uses spectral projected gradient directions everywhere).
    gm_step : float
        Step t of the gradient-mapping test ||(x - Proj_X(x - t d)) / t|| (1.0).
    certify : bool
        Check at the end that the penalty hypergradient converges as sigma -> 0
        (default True); a failed check means the lower-level solution map
        looks discontinuous and the run is not reported as converged.
    batch, batch_growth, inner_steps, inner_step, max_samples
        Stochastic mode: first batch size (64), its growth factor per outer
        iteration (1.1), inner SGD steps per outer iteration (10), inner step
        (None: 0.5 / secant Lipschitz estimate) and a sample budget (None). The
        default outer step is sigma, the theory's safe Theta(sigma) step.
    """

    sigma: float | None = None
    eps: float = 1e-3
    sigma_factor: float = 1.0
    continuation: bool = False
    sigma0: float = 0.1
    sigma_decay: float = 0.2
    stage_tol_factor: float = 1.0
    oracle: str = "exact"
    inner_tol_factor: float = 1.0
    inner_kappa: float = 0.1
    auto_inner_tol: bool = False
    max_inner: int = 1000
    inner_solver: str = "pg"
    shift_warm_start: bool = False
    tilt: bool = False
    extrapolate: bool = False
    z_tol_factor: float | None = None
    outer_rule: str = "adaptive"
    outer_step: float | None = None
    armijo: float = 1e-4
    memory: int = 10
    lbfgs_memory: int = 10
    gm_step: float = 1.0
    certify: bool = True
    batch: int = 64
    batch_growth: float = 1.1
    inner_steps: int = 10
    inner_step: float | None = None
    max_samples: int | None = None

    def __post_init__(self) -> None:
        check_positive("sigma (the penalty parameter)", self.sigma, allow_none=True)
        for name in ("eps", "sigma_factor", "inner_tol_factor", "inner_kappa", "gm_step",
                     "sigma0", "stage_tol_factor"):
            check_positive(name, getattr(self, name))
        check_positive("outer_step", self.outer_step, allow_none=True)
        check_positive("z_tol_factor", self.z_tol_factor, allow_none=True)
        if self.z_tol_factor is not None and not self.tilt:
            raise ValueError("z_tol_factor needs tilt=True: without the tilt, z's inner error "
                             "enters the hypergradient multiplied by 1/sigma, so z must be "
                             "solved as tightly as y")
        check_positive("inner_step", self.inner_step, allow_none=True)
        if not 0.0 < self.sigma_decay < 1.0:
            raise ValueError(f"sigma_decay must lie in (0, 1), got {self.sigma_decay}")
        if not 0.0 < self.armijo < 0.5:
            raise ValueError(f"armijo must lie in (0, 0.5), got {self.armijo}")
        if self.inner_solver not in INNER_SOLVERS:
            raise ValueError(f"inner_solver must be one of {sorted(INNER_SOLVERS)}, got "
                             f"{self.inner_solver!r}")
        if self.outer_rule not in ("adaptive", "fixed"):
            raise ValueError(f"outer_rule must be 'adaptive' or 'fixed', got {self.outer_rule!r}")
        if self.oracle not in ("exact", "stochastic"):
            raise ValueError(f"oracle must be 'exact' or 'stochastic', got {self.oracle!r}")
        if not (isinstance(self.lbfgs_memory, int) and self.lbfgs_memory >= 0):
            raise ValueError(f"lbfgs_memory must be an int >= 0, got {self.lbfgs_memory!r}")
        for name in ("max_inner", "batch", "inner_steps", "memory"):
            check_count(name, getattr(self, name))
        check_count("max_samples", self.max_samples, allow_none=True)
        if self.batch_growth < 1.0 or not math.isfinite(self.batch_growth):
            raise ValueError(f"batch_growth must be a finite number >= 1, got {self.batch_growth}")

    def target_sigma(self) -> float:
        return self.sigma if self.sigma is not None else self.sigma_factor * self.eps
