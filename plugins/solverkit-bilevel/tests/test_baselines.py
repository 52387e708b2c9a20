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
                      ("f2sa", {"batch": 0}), ("f2sa", {"delta": -1.0}),
                      ("bilevel-penalty-sl", {"sigma": 0.0}),
                      ("bilevel-penalty-sl", {"momentum_min": 0.0})):
        with pytest.raises(ValueError):
            solverkit.solve(p, name, **bad)
