"""The solverkit Solver classes ``adasketch`` and ``newton-kkt`` and their options."""

from __future__ import annotations

import dataclasses
import math
from typing import Literal

from solverkit import EqualityConstrained, Solver

REFERENCE = ("I. Hong, S. Na, M. W. Mahoney, M. Kolar, \"Constrained Optimization via Exact "
             "Augmented Lagrangian and Randomized Iterative Sketching\", ICML 2023, "
             "PMLR 202:13174-13198, arXiv:2305.18379")


def _positive(name: str, value: float, hint: str = "a positive finite number") -> None:
    if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be {hint}, got {value!r}")


@dataclasses.dataclass(frozen=True)
class _Common:
    """Options shared by ``adasketch`` and ``newton-kkt`` (defaults: the paper's code).

    Parameters
    ----------
    feas_tol : float
        Success needs ||c(x)|| <= feas_tol as well as KKT residual <= tol. Default 1e-6.
    mu0, nu0 : float
        Initial merit penalties (1, 0.1). mu weighs ||c||^2, nu weighs ||grad_x L||^2.
    delta0 : float
        Initial accuracy parameter delta (0.1); delta_k is floored at ``delta_min`` (1e-6).
    beta : float
        Armijo constant in (0, 1/2) (0.1).
    rho : float
        Penalty update factor > 1 (1.5): mu <- rho^2 mu, nu <- nu / rho.
    xi_B : float
        Curvature floor of the shifted Hessian B = H + t I (0.1).
    shift : {"reference", "minimal", "none"}
        t = 0 when lambda_min(Z'HZ) >= 1e-6 (Lanczos on the null space of G). Otherwise
        ``reference`` (default) takes the public code's t = xi_B + ||H||, ``minimal`` the
        smallest t with Z'(H + tI)Z >= xi_B I (t = xi_B - lambda_min; fewer iterations on
        most C1 problems but fails HS77); ``none`` never shifts.
    shift_threshold : float
        Shift when the Lanczos estimate of lambda_min(Z'HZ) is below this (1e-6, the
        reference code's test; the theory asks Z'BZ >= xi_B I, i.e. ``xi_B``).
    shift_floor : {"fixed", "kkt"}
        ``fixed``: only lambda_min(Z'HZ) < ``shift_threshold`` shifts (the reference);
        ``kkt`` (default): in addition a positive lambda_min below min(xi_B, ||gradL_k||) is lifted
        to that floor (t = floor - lambda_min, Levenberg-Marquardt-like), which curbs
        huge null-space steps from a nearly flat start and vanishes near a solution.
    hessian : {"auto", "exact", "fd"}
        Hessian products from ``hess``/``hessp`` (``auto`` when given) or a forward
        finite difference of grad_x L (gradient-only problems; one grad + one jac per product).
    fd_step : float
        Relative finite-difference step (1e-7).
    lanczos_steps : int
        Lanczos steps for each norm/eigenvalue estimate (20; exact when >= the dimension).
    mu_max, nu_min : float
        Stop adapting the penalties beyond these (1e8, 1e-8).
    min_step : float
        Smallest Armijo step before the run stops as STALLED (1e-12).
    xi_G_floor : float
        Floor of lambda_min(G G') in the constants (1e-8); the reference aborts instead.
    unit_step_mu : bool
        When the unit step fails Armijo, raise mu to the smallest value (<= mu_max) that
        accepts it, if one exists (True). Merit and slope are affine in mu, so this is one
        formula; it keeps Newton's unit step where the paper's rule (mu raised only when the
        descent test fails) backtracks, e.g. on the PDE problem from the all-ones start.
    second_order_correction : bool
        Try the unit step as x + dx + dc with dc = -G'(G G')^{-1} c(x + dx) (Nocedal &
        Wright, section 18.3), G the Jacobian at x: one extra constraint evaluation per
        iteration and no extra gradient; when the corrected point fails Armijo the search
        backtracks along dx. It removes the overshoot of Newton steps along curved
        constraints (True; False: the paper's plain step; see the README for measurements).
    tangential_radius : bool
        Cut the tangential part dt of dx (G dt = 0) to a radius, keeping the normal part
        and the multiplier step whole (composite-step SQP idea); the radius starts infinite,
        becomes half the tangential length taken after a step whose merit decrease is below
        1/4 of the first-order prediction, and doubles after a good bounded step (ratio
        test, Nocedal & Wright Algorithm 4.1). It curbs the tangential overshoot of Newton
        steps taken with a lagging multiplier (True; False: the paper's step).
    """

    feas_tol: float = 1e-6
    mu0: float = 1.0
    nu0: float = 0.1
    delta0: float = 0.1
    delta_min: float = 1e-6
    beta: float = 0.1
    rho: float = 1.5
    xi_B: float = 0.1
    shift: Literal["reference", "minimal", "none"] = "reference"
    shift_threshold: float = 1e-6
    shift_floor: Literal["fixed", "kkt"] = "kkt"
    hessian: Literal["auto", "exact", "fd"] = "auto"
    fd_step: float = 1e-7
    lanczos_steps: int = 20
    mu_max: float = 1e8
    nu_min: float = 1e-8
    min_step: float = 1e-12
    xi_G_floor: float = 1e-8
    unit_step_mu: bool = True
    second_order_correction: bool = True
    tangential_radius: bool = True

    def __post_init__(self) -> None:
        for name in ("feas_tol", "shift_threshold", "mu0", "nu0", "delta0", "delta_min",
                     "xi_B", "fd_step", "mu_max", "nu_min", "min_step", "xi_G_floor"):
            _positive(name, getattr(self, name))
        if not 0.0 < self.beta < 0.5:
            raise ValueError(f"beta must lie in (0, 0.5) (Armijo constant), got {self.beta!r}")
        if not self.rho > 1.0:
            raise ValueError(f"rho must be > 1 (penalty update factor), got {self.rho!r}")
        if self.shift not in ("reference", "minimal", "none"):
            raise ValueError(f"shift must be 'reference', 'minimal' or 'none', "
                             f"got {self.shift!r}")
        if self.shift_floor not in ("fixed", "kkt"):
            raise ValueError(f"shift_floor must be 'fixed' or 'kkt', got {self.shift_floor!r}")
        if self.hessian not in ("auto", "exact", "fd"):
            raise ValueError(f"hessian must be 'auto', 'exact' or 'fd', got {self.hessian!r}")
        if not (isinstance(self.lanczos_steps, int) and self.lanczos_steps >= 2):
            raise ValueError(f"lanczos_steps must be an integer >= 2, got {self.lanczos_steps!r}")


@dataclasses.dataclass(frozen=True)
class AdaSketchOptions(_Common):
    """Options of ``adasketch`` (see also the shared options).

    Parameters
    ----------
    inner : {"auto", "block", "rk", "gaussian", "count", "minres", "pminres", "direct"}
        KKT solver. ``auto`` (default): ``minres`` when the Hessian is given by products
        only (a row of K costs a product), else ``pminres`` when the Jacobian is explicit
        and n + m >= 500, else ``block``. The sketches: block Kaczmarz (S = ``block_size``
        random coordinates), randomized Kaczmarz (the paper's RK), Gaussian sketch
        (``block_size`` columns; 1 = the paper's GV), count sketch. Baselines under the same
        accuracy test: MINRES, MINRES preconditioned by diag(D, G D^-1 G') with
        D = |diag(B)| (``pminres``; only the m x m Schur approximation is factorised),
        and sparse LU. RK contracts the error by about 1 - sigma_min(K)^2/||K||_F^2 per
        step, so on ill-conditioned K it cannot meet the paper's accuracy test within
        ``max_sketch_steps``; blocks of 64 rows solve small systems in a few sweeps, and
        on large sparse PDE-type systems every sketch is far slower than ``pminres``.
    block_size : int or None
        Sketch columns for gaussian/block/count (None: 1 for gaussian, 64 for block,
        8 for count).
    rk_sampling : {"row-norm", "uniform"}
        Row distribution of RK (row-norm: probability proportional to ||K_i||^2).
    max_sketch_steps : int
        Sketch steps (MINRES iterations) per outer iteration, restarts included (1e5).
    inner_rtol_min : float
        The accuracy test never asks for ||r|| below inner_rtol_min ||gradL|| (1e-10):
        the paper's constants can demand less than rounding allows.
    superlinear : bool
        theta_k = min(1, ||gradL_k||^superlinear_power) -> 0 instead of theta_k = 1.
    superlinear_power : float
        Exponent of the superlinear schedule (1.0).
    warm_start : bool
        Start each inner solve from the previous step instead of 0 (False).
    minres_fallback : bool
        When the sketch stalls or exhausts ``max_sketch_steps`` before the accuracy test,
        finish the system with MINRES from the sketched iterate (True). With False, MINRES
        is used only when the inexact step also fails the descent test.
    """

    inner: Literal["auto", "block", "rk", "gaussian", "count", "minres", "pminres",
                   "direct"] = "auto"
    block_size: int | None = None
    rk_sampling: Literal["row-norm", "uniform"] = "row-norm"
    max_sketch_steps: int = 100_000
    inner_rtol_min: float = 1e-10
    superlinear: bool = False
    superlinear_power: float = 1.0
    warm_start: bool = False
    minres_fallback: bool = True

    def __post_init__(self) -> None:
        super().__post_init__()
        from .sketch import INNER_KINDS

        if self.inner not in INNER_KINDS:
            raise ValueError(f"inner must be one of {', '.join(INNER_KINDS)}, got {self.inner!r}")
        if self.block_size is not None and not (
                isinstance(self.block_size, int) and self.block_size >= 1):
            raise ValueError(f"block_size must be a positive integer or None, "
                             f"got {self.block_size!r}")
        if self.rk_sampling not in ("row-norm", "uniform"):
            raise ValueError(f"rk_sampling must be 'row-norm' or 'uniform', "
                             f"got {self.rk_sampling!r}")
        if not (isinstance(self.max_sketch_steps, int) and self.max_sketch_steps >= 1):
            raise ValueError(f"max_sketch_steps must be a positive integer, "
                             f"got {self.max_sketch_steps!r}")
        if not 0.0 <= self.inner_rtol_min < 1.0:
            raise ValueError(f"inner_rtol_min must lie in [0, 1), got {self.inner_rtol_min!r}")
        _positive("superlinear_power", self.superlinear_power)


@dataclasses.dataclass(frozen=True)
class NewtonKKTOptions(_Common):
    """Options of ``newton-kkt``: the shared options (exact sparse-LU steps, no sketching)."""

    @property
    def inner(self) -> str:
        return "direct"

    block_size = None
    rk_sampling = "row-norm"
    max_sketch_steps = 1
    inner_rtol_min = 0.0
    superlinear = False
    superlinear_power = 1.0
    warm_start = False
    minres_fallback = False


class AdaSketchSolver(Solver):
    """Adaptive inexact Newton on the exact augmented Lagrangian with randomized sketching."""

    name = "adasketch"
    when_to_use = (
        "Large sparse equality-constrained problems where factorising the KKT matrix is what you "
        "want to avoid: the Newton systems are solved inexactly by sketching or (by default on "
        "large or product-only systems) preconditioned MINRES; "
        "steps are globalised by an exact augmented Lagrangian merit, and success is "
        "certified by an independent KKT check. For small dense problems `trust-constr` or "
        "`slsqp` are faster per iteration.")
    kinds = (EqualityConstrained,)
    Options = AdaSketchOptions
    summary = ("Exact augmented Lagrangian + Newton-KKT steps by randomized iterative "
               "sketching (AdaSketch-Newton)")
    reference = REFERENCE
    default_max_iter = 10_000
    default_tol = 1e-4
    stochastic = True
    uses_hessian = True

    def solve(self, problem, options, progress):
        from . import algorithm  # scipy.sparse.linalg: imported on first solve, not on listing

        return algorithm.run(problem, options, progress, options.inner, self.name)


class NewtonKKTSolver(Solver):
    """Exact Newton-KKT steps (sparse LU) with the same merit, adaptivity and line search."""

    name = "newton-kkt"
    when_to_use = (
        "The exact-step reference: same merit and line search as `adasketch` but each Newton-KKT "
        "system is solved by a sparse LU. Pick it when the KKT matrix is explicit and factorises "
        "cheaply (it is usually the fastest option then), or to check an inexact method.")
    kinds = (EqualityConstrained,)
    Options = NewtonKKTOptions
    summary = "Newton-KKT with sparse direct solves on the exact augmented Lagrangian merit"
    reference = REFERENCE
    default_max_iter = 10_000
    default_tol = 1e-4
    uses_hessian = True
    baseline = True

    def solve(self, problem, options, progress):
        from . import algorithm

        return algorithm.run(problem, options, progress, "direct", self.name)
