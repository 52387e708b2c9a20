"""bilevel-aid, f2sa and bilevel-penalty-sl against closed forms."""

from __future__ import annotations

import numpy as np
import pytest
from solverkit_bilevel.aid import conjugate_gradient
from solverkit_bilevel.problems import box_quadratic, quadratic_benchopt, true_hypergradient

import solverkit
from solverkit.problems import Bilevel
from solverkit.sets import Ball


def test_conjugate_gradient_solves_spd_system() -> None:
    rng = np.random.default_rng(0)
    M = rng.standard_normal((6, 6))
    A = M @ M.T + 6 * np.eye(6)
    b = rng.standard_normal(6)
    x = conjugate_gradient(lambda v: A @ v, b, np.zeros(6), 6)
    np.testing.assert_allclose(A @ x, b, atol=1e-8)


def test_aid_hypergradient_is_exact_on_unconstrained_quadratic() -> None:
    p = quadratic_benchopt(0, n_inner=256, n_outer=64)
    r = solverkit.solve(p.problem, "bilevel-aid", seed=0, step=2.0, tol=1e-7, max_iter=500,
                        cg_iters=60)
    assert r.success, r.message
    assert np.linalg.norm(true_hypergradient(p, r.x)) < 1e-6
    assert r.extra["hvp_calls"] > 0


def test_aid_hypergradient_masks_active_box_bounds() -> None:
    """At a point where about half of the LL bounds are active, AID's first hypergradient
    (restricted to the free coordinates) equals the closed-form grad psi."""
    inst = box_quadratic(3, dx=4, dy=12)
    p = inst.problem
    x = inst.closed_form.x_ref * 0.8
    assert 0.2 < inst.closed_form.active_fraction(x) < 0.8  # some bounds active, some free
    q = Bilevel(p.f, p.g, p.grad_f, p.grad_g, x, p.y0, X=p.X, Y=p.Y, hvp_g=p.hvp_g)
    r = solverkit.solve(q, "bilevel-aid", seed=0, max_iter=1, history=True, cg_iters=40,
                        inner_steps=5000, inner_tol=1e-12)
    assert r.history[0]["gm"] == pytest.approx(np.linalg.norm(true_hypergradient(inst, x)),
                                               rel=1e-6)


def test_aid_refuses_unsupported_lower_level() -> None:
    p = box_quadratic(0, dx=3, dy=5).problem
    q = Bilevel(p.f, p.g, p.grad_f, p.grad_g, p.x0, p.y0, Y=Ball(1.0, dim=5), hvp_g=p.hvp_g)
    with pytest.raises(ValueError, match="box lower level"):
        solverkit.solve(q, "bilevel-aid")


@pytest.mark.parametrize("name", ["f2sa", "bilevel-penalty-sl"])
def test_stochastic_solvers_reduce_true_hypergradient(name: str) -> None:
    p = (quadratic_benchopt(1) if name == "bilevel-penalty-sl"
         else box_quadratic(0, dx=4, dy=12, stochastic=True, n_samples=2048))
    g0 = np.linalg.norm(true_hypergradient(p, p.problem.x0))
    opts = {"sigma": 0.01} if name == "bilevel-penalty-sl" else {}
    r = solverkit.solve(p.problem, name, seed=0, max_samples=300_000, max_iter=10**6, **opts)
    assert r.status == solverkit.Status.MAX_ITER and not r.success  # no stochastic claim
    assert np.linalg.norm(true_hypergradient(p, r.x)) < 0.7 * g0
    assert r.extra["samples"] >= 300_000


def test_single_loop_beats_double_loop_at_equal_samples() -> None:
    p = quadratic_benchopt(2, n_inner=4096, n_outer=256)
    budget = 400_000
    sl = solverkit.solve(p.problem, "bilevel-penalty-sl", sigma=0.01, seed=0, max_samples=budget,
                         max_iter=10**6)
    dl = solverkit.solve(p.problem, "bilevel-penalty", oracle="stochastic", sigma=0.01, seed=0,
                         max_samples=budget)
    e_sl = np.linalg.norm(true_hypergradient(p, sl.x))
    e_dl = np.linalg.norm(true_hypergradient(p, dl.x))
    assert e_sl < e_dl


def test_momentum_uses_the_same_sample_at_both_points() -> None:
    """Mean-squared smoothness of the test oracles: with a common sample the difference of
    stochastic gradients at two points is close to the difference of the true gradients,
    which is what the STORM correction relies on."""
    p = quadratic_benchopt(0, n_inner=2048, n_outer=128).problem
    rng = np.random.default_rng(0)
    x1, x2 = rng.standard_normal(10), rng.standard_normal(10)
    y1, y2 = rng.standard_normal(100), rng.standard_normal(100)
    dist2 = np.sum((x1 - x2) ** 2) + np.sum((y1 - y2) ** 2)
    ratios = []
    for _ in range(50):
        idx = rng.integers(0, 2048, 1)
        for fn in (p.stochastic_grad_f, p.stochastic_grad_g):
            a, b = fn(x1, y1, idx), fn(x2, y2, idx)
            diff = np.concatenate([a[0] - b[0], a[1] - b[1]])
            ratios.append(np.sum(diff**2) / dist2)
    assert np.mean(ratios) < 50.0  # E||G(w1; xi) - G(w2; xi)||^2 <= L^2 ||w1 - w2||^2


def test_baseline_options_are_validated() -> None:
    p = box_quadratic(0, dx=3, dy=5).problem
    for name, bad in (("bilevel-aid", {"step": 0.0}), ("bilevel-aid", {"cg_iters": 0}),
                      ("bome", {"eta": 0.0}), ("bome", {"inner_steps": 0}),
                      ("itd", {"inner_steps": 0}), ("itd", {"step": -1.0}),
                      ("f2sa", {"batch": 0}), ("f2sa", {"delta": -1.0}),
                      ("bilevel-penalty-sl", {"sigma": 0.0}),
                      ("bilevel-penalty-sl", {"momentum_min": 0.0})):
        with pytest.raises(ValueError):
            solverkit.solve(p, name, **bad)


def test_itd_hypergradient_is_the_derivative_of_the_unrolled_map() -> None:
    """Reverse mode through T steps equals finite differences of x -> f(x, y_T(x)),
    y_T computed by unrolling the gradient steps explicitly (no Hessian products)."""
    from solverkit_bilevel._oracle import Oracle
    from solverkit_bilevel.itd import itd_hypergradient

    p = quadratic_benchopt(0, dx=3, dy=6, n_inner=64, n_outer=16).problem
    rng = np.random.default_rng(0)
    x, y0, alpha, T = rng.standard_normal(3), rng.standard_normal(6), 0.7, 7

    def unrolled(xv: np.ndarray) -> float:
        y = y0.copy()
        for _ in range(T):
            y = y - alpha * p.grad_g(xv, y)[1]
        return p.f(xv, y)

    h, _ = itd_hypergradient(Oracle(p, rng), x, y0, alpha, T)
    eps = 1e-6
    fd = [(unrolled(x + eps * e) - unrolled(x - eps * e)) / (2 * eps) for e in np.eye(3)]
    np.testing.assert_allclose(h, fd, rtol=1e-6, atol=1e-8)


def test_itd_converges_on_the_unconstrained_quadratic() -> None:
    inst = quadratic_benchopt(0, dx=3, dy=6, n_inner=64, n_outer=16)
    r = solverkit.solve(inst.problem, "itd", seed=0, step=1.0, inner_steps=100, tol=1e-8,
                        max_iter=2000)
    assert r.success, r.message
    # 100 unrolled steps: the truncation bias (I - alpha A)^100 is negligible here
    assert np.linalg.norm(true_hypergradient(inst, r.x)) < 1e-6
    assert r.extra["hvp_calls"] > 0


def test_itd_refuses_a_constrained_lower_level() -> None:
    p = box_quadratic(0, dx=3, dy=5).problem
    with pytest.raises(ValueError, match="unconstrained"):
        solverkit.solve(p, "itd")


def test_bome_direction_decreases_q_at_rate_eta() -> None:
    from solverkit_bilevel.bome import bome_direction

    rng = np.random.default_rng(1)
    for _ in range(20):
        fx, fy, qx, qy = (rng.standard_normal(n) for n in (3, 5, 3, 5))
        dx, dy, lam = bome_direction(fx, fy, qx, qy, 0.5)
        qq = qx @ qx + qy @ qy
        assert lam >= 0
        assert dx @ qx + dy @ qy >= 0.5 * qq - 1e-12  # <d, grad q> >= eta ||grad q||^2
        if lam > 0:
            assert dx @ qx + dy @ qy == pytest.approx(0.5 * qq)
        else:
            np.testing.assert_array_equal(dx, fx)
    dx, dy, lam = bome_direction(fx, fy, np.zeros(3), np.zeros(5), 0.5)
    assert lam == 0.0 and np.array_equal(dy, fy)


def test_bome_approaches_the_bilevel_solution_on_the_quadratic() -> None:
    inst = quadratic_benchopt(0, dx=3, dy=6, n_inner=64, n_outer=16)
    p = inst.problem
    g0 = np.linalg.norm(true_hypergradient(inst, p.x0))
    r = solverkit.solve(p, "bome", seed=0, step=0.1, max_iter=4000, history=True)
    assert np.linalg.norm(true_hypergradient(inst, r.x)) < 0.05 * g0
    assert np.linalg.norm(r.extra["y"] - p.y_star(r.x)) < 0.3 * np.linalg.norm(p.y_star(r.x))
    gaps = [h["ll_gap"] for h in r.history]
    assert min(gaps) >= -1e-12 and gaps[-1] < 0.5 * max(gaps)  # q >= 0, driven towards 0
