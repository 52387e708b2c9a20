"""Synthetic bilevel test problems with known answers (method spec B1, B2, B3, B6).

Each builder returns an :class:`Instance`: the :class:`solverkit.problems.Bilevel`
to solve, plus what is known about it (the true hypergradient grad psi where a
closed form exists, and the closed-form ingredients the tests and benchmarks
use). The problem itself stays plain data; nothing is attached to it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np

from solverkit.problems import Bilevel
from solverkit.sets import Box, Reals

__all__ = ["Instance", "BoxQuadraticForm", "toy", "TOY_MINIMA", "box_quadratic",
           "quadratic_benchopt", "jump_example", "true_hypergradient"]


@dataclasses.dataclass(frozen=True)
class Instance:
    """A benchmark problem and what is known about its solution.

    Attributes
    ----------
    problem : Bilevel
        The problem handed to ``solverkit.solve``.
    hypergradient : callable or None
        ``hypergradient(x) -> grad psi(x)``, the true hypergradient from a
        closed-form lower-level solution; None when there is none.
    closed_form : BoxQuadraticForm or None
        The data of the closed form (B2 only), for tests and the SLSQP baseline.
    """

    problem: Bilevel
    hypergradient: Callable[[np.ndarray], np.ndarray] | None = None
    closed_form: BoxQuadraticForm | None = None


@dataclasses.dataclass(frozen=True)
class BoxQuadraticForm:
    """Closed form of B2: g = 1/2 y' diag(a) y - y' B x, f = 1/2 ||y - b||^2 + rho/2 ||x||^2.

    ``x_ref`` is the reference upper-level point used to scale B and to set b.
    """

    a: np.ndarray
    B: np.ndarray
    b: np.ndarray
    rho: float
    x_ref: np.ndarray

    def y_star(self, x: np.ndarray) -> np.ndarray:
        """The lower-level solution clip(B x / a, -1, 1)."""
        return np.clip(self.B @ x / self.a, -1.0, 1.0)

    def hypergradient(self, x: np.ndarray) -> np.ndarray:
        """grad psi(x) = rho x + B' (1[|u| < 1] / a * (y*(x) - b)), u = B x / a."""
        u = self.B @ x / self.a
        y = np.clip(u, -1.0, 1.0)
        inactive = (np.abs(u) < 1.0).astype(float)
        return self.rho * x + self.B.T @ (inactive / self.a * (y - self.b))

    def active_fraction(self, x: np.ndarray) -> float:
        """Fraction of lower-level bounds active at y*(x)."""
        return float(np.mean(np.abs(self.B @ x / self.a) >= 1.0))

#: Local minima of psi on the PBGD toy (method spec B1).
TOY_MINIMA = np.array([0.3824, 1.2152, 2.8296])


def toy(seed: int = 0) -> Instance:
    """B1, the PBGD toy (the core's ``Bilevel.example``); y*(x) = -x."""
    problem = Bilevel.example(seed)
    return Instance(problem, lambda x: _finite_difference_hypergradient(problem, x))


def box_quadratic(seed: int = 0, dx: int = 10, dy: int = 100, stochastic: bool = False,
                  n_samples: int = 32768, rho: float = 0.01, mu: float = 0.1) -> Instance:
    """B2: box-constrained quadratic bilevel problem with a closed-form lower level.

    g(x, y) = 1/2 y' A y - y' B x with A = diag(a), a in [mu, 1], Y = [-1, 1]^dy,
    so y*(x) = clip(B x / a, -1, 1); f(x, y) = 1/2 ||y - b||^2 + rho/2 ||x||^2,
    X = R^dx. ``b`` is the clipped-free LL response to a reference x_ref scaled
    so that about half of |B x_ref / a| exceed 1, hence about half of the LL
    bounds are active near the solution; psi is piecewise smooth.

    The stochastic version draws per-sample factors: g_i = 1/2 y' diag(a s_i) y -
    t_i y' B x and f_i = 1/2 ||y - b_i||^2 + rho/2 ||x||^2, with s_i, t_i and b_i
    centred so that their sample means are exactly 1, 1 and b (the mean oracle
    is the deterministic problem). The noise is multiplicative, so the oracle
    is mean-squared smooth but not trivially so.
    """
    rng = np.random.default_rng(seed)
    a = np.exp(rng.uniform(np.log(mu), 0.0, dy))
    a[0] = mu
    B = rng.standard_normal((dy, dx)) / np.sqrt(dx)
    x_ref = rng.standard_normal(dx)
    resp = B @ x_ref / a
    scale = 1.0 / np.median(np.abs(resp))  # half of |B x_ref / a| above 1
    B *= scale
    b = B @ x_ref / a
    x0 = np.zeros(dx)
    y0 = np.zeros(dy)
    form = BoxQuadraticForm(a=a, B=B, b=b, rho=rho, x_ref=x_ref)

    def f(x: np.ndarray, y: np.ndarray) -> float:
        return float(0.5 * np.sum((y - b) ** 2) + 0.5 * rho * x @ x)

    def grad_f(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return rho * x, y - b

    def g(x: np.ndarray, y: np.ndarray) -> float:
        return float(0.5 * y @ (a * y) - y @ (B @ x))

    def grad_g(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return -B.T @ y, a * y - B @ x

    def hvp_g(x: np.ndarray, y: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return -B.T @ v, a * v

    kwargs: dict[str, Any] = {}
    if stochastic:
        s = rng.uniform(0.5, 1.5, (n_samples, dy))
        s /= s.mean(axis=0)
        t = rng.uniform(0.5, 1.5, n_samples)
        t /= t.mean()
        noise = rng.standard_normal((n_samples, dy))
        bs = b + noise - noise.mean(axis=0)

        def sgrad_f(x: np.ndarray, y: np.ndarray, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            return rho * x, y - bs[idx].mean(axis=0)

        def sgrad_g(x: np.ndarray, y: np.ndarray, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            tm = t[idx].mean()
            return -tm * (B.T @ y), (a * s[idx].mean(axis=0)) * y - tm * (B @ x)

        kwargs = dict(stochastic_grad_f=sgrad_f, stochastic_grad_g=sgrad_g, n_samples=n_samples)
    prob = Bilevel(f, g, grad_f, grad_g, x0, y0, X=Reals(dx), Y=Box(-1.0, 1.0, dim=dy),
                   hvp_g=hvp_g, y_star=form.y_star, name=f"box-quadratic-{seed}", **kwargs)
    return Instance(prob, form.hypergradient, form)


def true_hypergradient(instance: Instance, x: np.ndarray) -> np.ndarray:
    """grad psi(x) = d/dx f(x, y*(x)) of a benchmark instance with a closed form."""
    if instance.hypergradient is None:
        raise ValueError(f"{instance.problem.name or 'this problem'} has no closed-form "
                         "hypergradient")
    return instance.hypergradient(np.asarray(x, dtype=float))


def _finite_difference_hypergradient(prob: Bilevel, x: np.ndarray, h: float = 1e-6
                                     ) -> np.ndarray:
    """Central differences of psi(x) = f(x, y*(x)) from the problem's ``y_star``."""
    out = np.empty_like(x, dtype=float)
    for j in range(x.size):
        e = np.zeros_like(x, dtype=float)
        e[j] = h
        out[j] = (prob.f(x + e, prob.y_star(x + e)) - prob.f(x - e, prob.y_star(x - e))) / (2 * h)
    return out


def jump_example(x0: float = 0.8, y0: float = 0.5) -> Instance:
    """B6: a lower level whose solution set jumps (the paper's Examples 1-2).

    g(x, y) = -x^2 y^2 on Y = [-1, 1], so S(x) = {-1, 1} for x != 0 and
    S(0) = [-1, 1]; f(x, y) = x^2 + y^2 on X = [-1, 1]. Then psi(x) = x^2 + 1
    for x != 0 and psi(0) = 0: psi is discontinuous at 0, where every descent
    path of psi_sigma ends. The error bound fails there (g(x, .) flattens), so no
    solver may report convergence.
    """

    def f(x: np.ndarray, y: np.ndarray) -> float:
        return float(x[0] ** 2 + y[0] ** 2)

    def grad_f(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return 2 * x.copy(), 2 * y.copy()

    def g(x: np.ndarray, y: np.ndarray) -> float:
        return float(-(x[0] ** 2) * y[0] ** 2)

    def grad_g(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return np.array([-2 * x[0] * y[0] ** 2]), np.array([-2 * x[0] ** 2 * y[0]])

    return Instance(Bilevel(f, g, grad_f, grad_g, [x0], [y0], X=Box(-1.0, 1.0, dim=1),
                            Y=Box(-1.0, 1.0, dim=1), name="jump-example"))


def quadratic_benchopt(seed: int = 0, dx: int = 10, dy: int = 100, n_inner: int = 32768,
                       n_outer: int = 1024, mu_inner: float = 0.1, L_cross: float = 0.1,
                       reg: float = 0.1) -> Instance:
    """B3: a benchopt-style stochastic quadratic bilevel problem (unconstrained).

    g = (1/n) sum_i [1/2 y' A_i y + x' B_i y] with A_i = mu_inner I + a_i a_i' (so the
    LL Hessian A = mu_inner I + mean a_i a_i' has smallest eigenvalue >= mu_inner)
    and B_i = s_i B (||B||_2 = L_cross, s_i > 0 with mean exactly 1); f = (1/m) sum_j [1/2 (u_j' y -
    t_j)^2 + x' D_j y] + reg/2 ||x||^2 with D_j = d_j w_j'. Per-sample matrices are
    rank one or scaled copies, so the n = 32768 samples fit in memory. y*(x) = -A^-1 B' x in
    closed form, hence the true hypergradient. Sample index i drives g; index
    i mod m drives f.
    """
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((n_inner, dy)) / np.sqrt(dy)
    B = rng.standard_normal((dx, dy))
    B *= L_cross / np.linalg.norm(B, 2)
    s_cross = rng.uniform(0.5, 1.5, n_inner)
    s_cross /= s_cross.mean()
    A = mu_inner * np.eye(dy) + a.T @ a / n_inner
    u = rng.standard_normal((n_outer, dy)) / np.sqrt(dy)
    t = 10.0 * rng.standard_normal(n_outer)
    dvec = rng.standard_normal((n_outer, dx)) / np.sqrt(dx)
    wvec = rng.standard_normal((n_outer, dy)) / np.sqrt(dy)
    U = u.T @ u / n_outer           # f's Hessian in y
    Ut = u.T @ t / n_outer
    D = dvec.T @ wvec / n_outer     # mean cross term (dx x dy)

    def f(x, y):
        r = u @ y - t
        return float(0.5 * np.mean(r**2) + x @ D @ y + 0.5 * reg * x @ x)

    def grad_f(x, y):
        return D @ y + reg * x, U @ y - Ut + D.T @ x

    def g(x, y):
        return float(0.5 * y @ A @ y + x @ B @ y)

    def grad_g(x, y):
        return B @ y, A @ y + B.T @ x

    def sgrad_f(x, y, idx):
        j = idx % n_outer
        uj, dj, wj = u[j], dvec[j], wvec[j]
        r = uj @ y - t[j]
        gy = uj.T @ r / j.size + wj.T @ (dj @ x) / j.size
        gx = dj.T @ (wj @ y) / j.size + reg * x
        return gx, gy

    def sgrad_g(x, y, idx):
        ai, sc = a[idx], s_cross[idx].mean()
        gy = mu_inner * y + ai.T @ (ai @ y) / idx.size + sc * (B.T @ x)
        return sc * (B @ y), gy

    def hvp_g(x, y, v):
        return B @ v, A @ v

    Ainv = np.linalg.inv(A)

    def y_star(x):
        return -Ainv @ (B.T @ x)

    def hypergradient(x):
        y = y_star(x)
        fx, fy = grad_f(x, y)
        return fx - B @ (Ainv @ fy)

    prob = Bilevel(f, g, grad_f, grad_g, np.zeros(dx), np.zeros(dy),
                   stochastic_grad_f=sgrad_f, stochastic_grad_g=sgrad_g, n_samples=n_inner,
                   hvp_g=hvp_g, y_star=y_star, name=f"quadratic-benchopt-{seed}")
    return Instance(prob, hypergradient)
