"""bilevel-penalty: convergence, bias, hypergradient, feasibility, failures, reproducibility."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from solverkit_bilevel._inner import solve_inner, solve_inner_accelerated
from solverkit_bilevel._oracle import Oracle
from solverkit_bilevel.problems import (
    TOY_MINIMA,
    box_quadratic,
    jump_example,
    toy,
    true_hypergradient,
)

import solverkit
from solverkit.problems import Bilevel
from solverkit.sets import Box, Reals


@pytest.mark.parametrize("seed", [0, 1, 3, 5, 13])
def test_toy_reaches_a_known_local_minimum(seed: int) -> None:
    r = solverkit.solve(toy(seed).problem, "bilevel-penalty", seed=0)
    assert r.success, r.message
    x, y = r.x[0], r.extra["y"][0]
    # sigma = 1e-3: bias of x is ~0.2 sigma, LL gap |x + y| ~ 0.25 sigma
    assert np.min(np.abs(TOY_MINIMA - x)) <= 1e-3
    assert abs(x + y) <= 1e-3
    assert 0 <= r.extra["ll_gap"] <= 1e-3
    assert r.extra["grad_calls"] < 2000
    assert r.extra["certificate"]["passed"]


def test_bias_is_linear_in_sigma_on_closed_form_problem() -> None:
    inst = box_quadratic(3, dx=5, dy=20)
    sigmas = np.array([0.1, 0.02, 0.005])
    bias = []
    for s in sigmas:
        r = solverkit.solve(inst.problem, "bilevel-penalty", sigma=float(s), tol=1e-8,
                            certify=False, seed=0)
        assert r.success, r.message
        bias.append(np.linalg.norm(true_hypergradient(inst, r.x)))
    slope = np.polyfit(np.log(sigmas), np.log(bias), 1)[0]
    assert 0.8 <= slope <= 1.2, (bias, slope)


def _psi_sigma(p: Bilevel, x: np.ndarray, sigma: float) -> float:
    """psi_sigma(x) = (min_y h_sigma - min_z g) / sigma from tight inner solves."""
    o = Oracle(p, np.random.default_rng(0))
    ry = solve_inner(o, p.Y, x, p.y0.copy(), sigma, 1e-13, 20000, 1.0, "y")
    rz = solve_inner(o, p.Y, x, p.y0.copy(), 0.0, 1e-13, 20000, 1.0, "z")
    return (ry.value - rz.value) / sigma


@pytest.mark.parametrize("which", ["toy", "box"])
def test_penalty_hypergradient_matches_finite_differences(which: str) -> None:
    sigma = 0.05
    if which == "toy":
        p, x = toy(0).problem, np.array([0.9])
    else:
        p = box_quadratic(1, dx=3, dy=8).problem
        x = np.random.default_rng(1).standard_normal(3) * 0.3
    o = Oracle(p, np.random.default_rng(0))
    ry = solve_inner(o, p.Y, x, p.y0.copy(), sigma, 1e-13, 20000, 1.0, "y")
    rz = solve_inner(o, p.Y, x, p.y0.copy(), 0.0, 1e-13, 20000, 1.0, "z")
    d = ry.fx + (ry.gx - rz.gx) / sigma
    h = 1e-5
    fd = np.array([(_psi_sigma(p, x + h * e, sigma) - _psi_sigma(p, x - h * e, sigma)) / (2 * h)
                   for e in np.eye(x.size)])
    np.testing.assert_allclose(d, fd, rtol=1e-4, atol=1e-5)


def test_iterates_stay_feasible() -> None:
    p = box_quadratic(0, dx=4, dy=12).problem
    # a box on x too, so both projections are exercised
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        q = Bilevel(p.f, p.g, p.grad_f, p.grad_g, np.full(4, 0.3), p.y0,
                    X=Box(-0.2, 0.2, dim=4), Y=p.Y)
    seen = []

    def cb(state: dict) -> None:
        seen.append(np.array(state["x"]))

    r = solverkit.solve(q, "bilevel-penalty", sigma=1e-2, callback=cb, seed=0)
    assert r.success, r.message
    assert all(np.all(np.abs(x) <= 0.2 + 1e-12) for x in seen)
    assert np.all(np.abs(r.extra["y"]) <= 1 + 1e-12) and np.all(np.abs(r.extra["z"]) <= 1 + 1e-12)


def test_jump_example_never_reports_convergence() -> None:
    for x0 in (0.8, -0.5, 0.05):
        r = solverkit.solve(jump_example(x0=x0).problem, "bilevel-penalty", seed=0, max_iter=500)
        assert not r.success
        assert r.status != solverkit.Status.CONVERGED
        assert "discontinuous" in r.message or r.status == solverkit.Status.MAX_ITER


def _nan_problem() -> Bilevel:
    def f(x, y):
        return float(x @ x + y @ y)

    def grad_f(x, y):
        if abs(x[0]) < 0.5:  # blows up once the iterate approaches the solution
            return np.array([np.nan]), 2 * y
        return 2 * x, 2 * y

    def g(x, y):
        return float((y - x) @ (y - x))

    def grad_g(x, y):
        return -2 * (y - x), 2 * (y - x)

    return Bilevel(f, g, grad_f, grad_g, [2.0], [0.0])


def test_nan_gives_failed_result_with_reason() -> None:
    r = solverkit.solve(_nan_problem(), "bilevel-penalty", seed=0)
    assert not r.success and r.status == solverkit.Status.NUMERICAL
    assert "non-finite" in r.message
    assert np.all(np.isfinite(r.x))


def test_diverging_lower_level_fails_with_reason() -> None:
    def f(x, y):
        return float(x @ x)

    def grad_f(x, y):
        return 2 * x, np.zeros_like(y)

    def g(x, y):  # unbounded below in y
        return float(-(y @ y) + x @ y)

    def grad_g(x, y):
        return y.copy(), -2 * y + x

    p = Bilevel(f, g, grad_f, grad_g, [1.0], [0.5])
    r = solverkit.solve(p, "bilevel-penalty", seed=0)
    assert not r.success and r.status == solverkit.Status.NUMERICAL
    assert "lower level" in r.message or "non-finite" in r.message


def test_same_seed_same_result() -> None:
    p = box_quadratic(2, dx=4, dy=10, stochastic=True, n_samples=512).problem
    a = solverkit.solve(p, "bilevel-penalty", oracle="stochastic", sigma=0.05, seed=7, max_iter=30)
    b = solverkit.solve(p, "bilevel-penalty", oracle="stochastic", sigma=0.05, seed=7, max_iter=30)
    c = solverkit.solve(p, "bilevel-penalty", oracle="stochastic", sigma=0.05, seed=8, max_iter=30)
    np.testing.assert_array_equal(a.x, b.x)
    assert not np.array_equal(a.x, c.x)


def test_stochastic_mode_reduces_true_hypergradient() -> None:
    inst = box_quadratic(2, dx=4, dy=10, stochastic=True, n_samples=2048)
    g0 = np.linalg.norm(true_hypergradient(inst, inst.problem.x0))
    r = solverkit.solve(inst.problem, "bilevel-penalty", oracle="stochastic", sigma=0.02, seed=0,
                        max_iter=150)
    assert np.linalg.norm(true_hypergradient(inst, r.x)) < 0.1 * g0
    assert np.all(np.abs(r.extra["y"]) <= 1 + 1e-12)


def test_continuation_reaches_the_target_sigma() -> None:
    r = solverkit.solve(toy(1).problem, "bilevel-penalty", continuation=True, sigma=1e-3, seed=0)
    assert r.success, r.message
    assert [s["sigma"] for s in r.extra["stages"]][-1] == pytest.approx(1e-3)
    assert len(r.extra["stages"]) >= 3
    assert np.min(np.abs(TOY_MINIMA - r.x[0])) <= 1e-3


@pytest.mark.parametrize("bad", [{"sigma": 0.0}, {"sigma": -1.0}, {"eps": 0.0},
                                 {"oracle": "magic"}, {"sigma_decay": 1.5},
                                 {"max_inner": 0}, {"batch_growth": 0.5},
                                 {"inner_solver": "newton"}, {"outer_rule": "bb"}])
def test_bad_options_are_rejected(bad: dict) -> None:
    with pytest.raises((ValueError, TypeError)):
        solverkit.solve(toy(0).problem, "bilevel-penalty", **bad)


def test_stochastic_mode_needs_stochastic_oracles() -> None:
    with pytest.raises(ValueError, match="stochastic"):
        solverkit.solve(toy(0).problem, "bilevel-penalty", oracle="stochastic")


def test_wrong_gradient_shape_is_a_clear_error() -> None:
    def f(x, y):
        return float(x @ x + y @ y)

    def grad_f(x, y):
        return 2 * x, 2 * y

    calls = {"n": 0}

    def grad_g(x, y):
        calls["n"] += 1
        if calls["n"] > 3:  # passes the problem's probe, then returns a wrong shape
            return -2 * (y - x), np.zeros(5)
        return -2 * (y - x), 2 * (y - x)

    def g(x, y):
        return float((y - x) @ (y - x))

    p = Bilevel(f, g, grad_f, grad_g, [1.0, 2.0], [0.0, 0.0], X=Reals(2))
    with pytest.raises(ValueError, match="expected"):
        solverkit.solve(p, "bilevel-penalty")


def test_x0_outside_X_is_projected_with_a_warning() -> None:
    p = toy(0).problem
    with pytest.warns(UserWarning, match="outside"):
        q = Bilevel(p.f, p.g, p.grad_f, p.grad_g, [5.0], [0.0], X=p.X)
    assert q.x0[0] == 3.0
    assert math.isfinite(solverkit.solve(q, "bilevel-penalty").fun)


def test_cvxpy_set_projection_gives_the_box_answer() -> None:
    from solverkit.sets import CvxpySet  # cvxpy is a core dependency

    p = box_quadratic(4, dx=2, dy=4).problem
    Y = CvxpySet(4, lambda v: [v >= -1, v <= 1])
    q = Bilevel(p.f, p.g, p.grad_f, p.grad_g, p.x0, p.y0, X=p.X, Y=Y)
    opts = dict(sigma=0.1, tol=1e-3, inner_tol_factor=10.0, certify=False, seed=0, max_iter=2)
    a = solverkit.solve(p, "bilevel-penalty", **opts)
    b = solverkit.solve(q, "bilevel-penalty", **opts)
    np.testing.assert_allclose(a.x, b.x, atol=1e-4)
    assert Y.solves > 0 and np.all(np.abs(b.extra["y"]) <= 1 + 1e-7)
    assert np.all(np.abs(b.extra["z"]) <= 1 + 1e-7)


def test_accelerated_inner_solver_matches_the_closed_form_in_fewer_steps() -> None:
    """z = argmin_Y g(x, .) = clip(B x / a, -1, 1) on an ill-conditioned box QP (kappa = 1e3)."""
    inst = box_quadratic(5, dx=4, dy=60, mu=1e-3)
    p, x = inst.problem, inst.closed_form.x_ref * 0.9
    steps = {}
    for name, solver in (("pg", solve_inner), ("apg", solve_inner_accelerated)):
        o = Oracle(p, np.random.default_rng(0))
        r = solver(o, p.Y, x, p.y0.copy(), 0.0, 1e-10, 200000, 1.0, "z")
        np.testing.assert_allclose(r.v, inst.closed_form.y_star(x), atol=1e-8)
        assert np.all(np.abs(r.v) <= 1.0)
        steps[name] = r.steps
    assert steps["apg"] < steps["pg"] / 3, steps


def test_accelerated_inner_solver_on_the_nonconvex_toy() -> None:
    p = toy(2).problem
    for x in (0.3, 1.7, 2.9):
        o = Oracle(p, np.random.default_rng(0))
        r = solve_inner_accelerated(o, p.Y, np.array([x]), np.array([4.0]), 0.0, 1e-12, 10000,
                                    1.0, "z")
        assert r.v[0] == pytest.approx(-x, abs=1e-10)  # S(x) = {-x}


@pytest.mark.parametrize("opts", [{"inner_solver": "apg"},
                                  {"inner_solver": "apg", "shift_warm_start": True},
                                  {"shift_warm_start": True}])
def test_inner_variants_reach_the_same_solution(opts: dict) -> None:
    inst = box_quadratic(3, dx=5, dy=20)
    common = dict(sigma=0.01, tol=1e-7, certify=False, seed=0)
    ref = solverkit.solve(inst.problem, "bilevel-penalty", **common)
    r = solverkit.solve(inst.problem, "bilevel-penalty", **common, **opts)
    assert r.success, r.message
    np.testing.assert_allclose(r.x, ref.x, atol=1e-5)
    assert np.all(np.abs(r.extra["y"]) <= 1 + 1e-12) and np.all(np.abs(r.extra["z"]) <= 1 + 1e-12)


def test_fixed_outer_step_follows_the_gradient_flow_of_psi() -> None:
    """With the paper's fixed step each start ends in the basin of psi that holds x0
    (basins bounded by psi's local maxima, 0.747 and 2.109, found on a grid), whatever
    y0 is; the adaptive default may cross basins."""
    from solverkit_bilevel.bench import toy_flow_basins

    seeds = [0, 1, 2, 3, 4, 5]
    expected = toy_flow_basins([toy(s).problem.x0[0] for s in seeds])
    assert len(set(expected.tolist())) == 3  # the starts cover all three basins
    for s, basin in zip(seeds, expected):
        r = solverkit.solve(toy(s).problem, "bilevel-penalty", sigma=1e-3, outer_rule="fixed",
                            outer_step=0.02, seed=0)
        assert r.success, r.message
        assert abs(r.x[0] - TOY_MINIMA[basin]) <= 1e-3



def _least_squares_bilevel(b_scale: float = 1.0) -> tuple[Bilevel, np.ndarray]:
    """f = |y - b|^2 / 2 (no x), g = |y - A x|^2 / 2: psi_sigma = |A x - b|^2 / (2 (1 + sigma)).

    Its minimiser is least squares for every sigma (no penalty bias), and the x-gradients
    move by A' dv per inner change dv, so the inner gain lies in [s_min(A) / (1 + sigma),
    s_max(A)].
    """
    rng = np.random.default_rng(0)
    A, b = rng.standard_normal((8, 3)), b_scale * rng.standard_normal(8)
    p = Bilevel(lambda x, y: 0.5 * float((y - b) @ (y - b)),
                lambda x, y: 0.5 * float((y - A @ x) @ (y - A @ x)),
                lambda x, y: (np.zeros(3), y - b),
                lambda x, y: (-A.T @ (y - A @ x), y - A @ x),
                np.zeros(3), np.zeros(8))
    return p, A


def test_small_gradient_mapping_from_loose_inner_solves_tightens_gradually() -> None:
    # At x0 = 0 with loose inner solves y = z = y0 = 0, so d = grad_x f = 0: gm = 0 only
    # because the solves are loose (the first target, 10 sigma inner_kappa = 0.1, is above the
    # residual sigma |b| at y0 = 0).
    p, A = _least_squares_bilevel(b_scale=0.1)
    b = -p.grad_f(p.x0, p.y0)[1]
    sigma, tol, factor = 0.1, 1e-6, 10.0
    r = solverkit.solve(p, "bilevel-penalty", sigma=sigma, tol=tol, inner_tol_factor=factor,
                        certify=False, history=True, seed=0)
    assert r.success, r.message
    np.testing.assert_allclose(r.x, np.linalg.lstsq(A, b, rcond=None)[0], atol=1e-5)
    # The re-solve at x0 is not an outer iteration (x does not move): the first reported
    # iterate already has a resolved d. It went 100x below the loose residual sigma |b|,
    # not straight to the final accuracy, and that was enough for the outer steps to start.
    first = r.history[0]
    assert factor * sigma * tol < first["res_y"] <= 0.01 * sigma * np.linalg.norm(b)
    assert first["gm"] > tol


def test_automatic_inner_tolerance_measures_the_gain() -> None:
    p, A = _least_squares_bilevel()
    b = -p.grad_f(p.x0, p.y0)[1]
    s = np.linalg.svd(A, compute_uv=False)
    sigma = 0.1
    fixed = solverkit.solve(p, "bilevel-penalty", sigma=sigma, certify=False, seed=0)
    auto = solverkit.solve(p, "bilevel-penalty", sigma=sigma, certify=False, seed=0,
                           auto_inner_tol=True)
    assert fixed.extra["inner_gain"] == 1.0  # not measured without the option
    assert s[-1] / (1 + sigma) <= auto.extra["inner_gain"] <= s[0] * (1 + 1e-9)
    for r in (fixed, auto):
        assert r.success, r.message
        np.testing.assert_allclose(r.x, np.linalg.lstsq(A, b, rcond=None)[0], atol=1e-5)


@pytest.mark.parametrize("factor, extrapolate", [(30.0, False), (100.0, False), (1000.0, False),
                                                 (10.0, True), (30.0, True), (1000.0, True),
                                                 (1e4, True)])
def test_loose_inner_solves_still_converge(factor: float, extrapolate: bool) -> None:
    # psi_sigma = |Ax - b|^2 / (2 (1 + sigma)) is a bounded least-squares objective.
    # Warm starts from the last values (the default): with a loose fixed inner target the
    # inner solves barely move y and z between outer iterates, so d looks constant, the
    # Barzilai-Borwein step s's / s'd runs to its cap (1e10) and, because Phi is linear in x
    # here with y, z fixed, the screened trial lands at |x| ~ 1e12. The old code ended there
    # with "the upper level looks unbounded below"; the safeguard tightens and retries.
    # Extrapolated starts: each is corrected by at least one inner step, so y and z keep
    # tracking their minimisers and no safeguard is needed (without that step, at factor
    # >= 30 they only followed their extrapolation and x grew through accepted steps).
    p, A = _least_squares_bilevel()
    b = -p.grad_f(p.x0, p.y0)[1]
    r = solverkit.solve(p, "bilevel-penalty", sigma=0.1, certify=False, seed=0,
                        inner_tol_factor=factor, extrapolate=extrapolate)
    assert r.success, r.message
    np.testing.assert_allclose(r.x, np.linalg.lstsq(A, b, rcond=None)[0], atol=1e-5)
    if extrapolate:
        assert r.extra["grad_calls"] < 2500
    else:
        assert r.extra["inner_tightening"] >= 10.0  # the safeguard, not luck, converged


def test_unbounded_upper_level_is_still_reported_as_unbounded() -> None:
    # Tightening the inner solves cannot help: after the safeguard's retries the run ends
    # with the divergence reason, naming the inner setting, and a finite last x.
    # f = -sum(x), g = |y - x|^2 / 2: psi(x) = -sum(x).
    p = Bilevel(lambda x, y: float(-x.sum()), lambda x, y: 0.5 * float((y - x) @ (y - x)),
                lambda x, y: (-np.ones_like(x), np.zeros_like(y)),
                lambda x, y: (-(y - x), y - x), np.zeros(2), np.zeros(2))
    r = solverkit.solve(p, "bilevel-penalty", sigma=0.1, certify=False, seed=0)
    assert not r.success and r.status == solverkit.Status.NUMERICAL
    assert "unbounded below" in r.message and "inner_tol_factor=1" in r.message
    assert r.extra["inner_tightening"] == 1e4
    assert np.all(np.isfinite(r.x)) and np.linalg.norm(r.x) <= 1e12


def test_fixed_outer_rule_names_loose_inner_solves_when_it_diverges() -> None:
    # The fixed rule has no line search to reject a step, so the safeguard cannot retry;
    # the failure must name the cause. Same problem and step: factor 1 converges, factor
    # 100 (inner error in d ~ 100 x 0.1 x rho ~ 35 times gm) diverges.
    p, A = _least_squares_bilevel()
    b = -p.grad_f(p.x0, p.y0)[1]
    kw = dict(sigma=0.1, outer_rule="fixed", outer_step=0.1, certify=False, seed=0,
              extrapolate=False)
    ok = solverkit.solve(p, "bilevel-penalty", inner_tol_factor=1.0, **kw)
    assert ok.success, ok.message
    np.testing.assert_allclose(ok.x, np.linalg.lstsq(A, b, rcond=None)[0], atol=1e-4)
    bad = solverkit.solve(p, "bilevel-penalty", inner_tol_factor=100.0, **kw)
    assert not bad.success and bad.status == solverkit.Status.NUMERICAL
    assert "inner_tol_factor=100" in bad.message and "too loose" in bad.message
    assert "unbounded" not in bad.message
    assert np.all(np.isfinite(bad.x))
