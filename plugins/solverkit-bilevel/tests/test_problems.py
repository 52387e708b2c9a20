"""The benchmark problems: oracles vs finite differences, closed forms, registration."""

from __future__ import annotations

import numpy as np
import pytest
from solverkit_bilevel.problems import (
    box_quadratic,
    jump_example,
    quadratic_benchopt,
    true_hypergradient,
)

import solverkit


def _check_oracles(p, rng, atol=1e-6):
    x = rng.standard_normal(p.dx) * 0.3
    y = rng.standard_normal(p.dy) * 0.3
    h = 1e-6
    for fn, grad in ((p.f, p.grad_f), (p.g, p.grad_g)):
        gx, gy = grad(x, y)
        for j in rng.choice(p.dx, min(3, p.dx), replace=False):
            e = np.zeros(p.dx)
            e[j] = h
            assert (fn(x + e, y) - fn(x - e, y)) / (2 * h) == pytest.approx(gx[j], abs=atol)
        for j in rng.choice(p.dy, min(3, p.dy), replace=False):
            e = np.zeros(p.dy)
            e[j] = h
            assert (fn(x, y + e) - fn(x, y - e)) / (2 * h) == pytest.approx(gy[j], abs=atol)
    if p.hvp_g is not None:
        v = rng.standard_normal(p.dy)
        hx, hy = p.hvp_g(x, y, v)
        gp, gm = p.grad_g(x, y + h * v), p.grad_g(x, y - h * v)
        np.testing.assert_allclose(hx, (gp[0] - gm[0]) / (2 * h), atol=1e-6)
        np.testing.assert_allclose(hy, (gp[1] - gm[1]) / (2 * h), atol=1e-6)


def test_synthetic_oracles_match_finite_differences() -> None:
    rng = np.random.default_rng(0)
    _check_oracles(box_quadratic(0, dx=4, dy=9).problem, rng)
    _check_oracles(quadratic_benchopt(0, n_inner=128, n_outer=32).problem, rng)


def test_stochastic_oracles_average_to_the_full_gradient() -> None:
    for p in (box_quadratic(1, dx=3, dy=7, stochastic=True, n_samples=64).problem,
              quadratic_benchopt(1, n_inner=64, n_outer=64).problem):
        rng = np.random.default_rng(1)
        x, y = rng.standard_normal(p.dx), rng.standard_normal(p.dy)
        idx = np.arange(p.n_samples)
        for full, stoch in ((p.grad_f, p.stochastic_grad_f), (p.grad_g, p.stochastic_grad_g)):
            a, b = full(x, y), stoch(x, y, idx)
            np.testing.assert_allclose(a[0], b[0], atol=1e-10)
            np.testing.assert_allclose(a[1], b[1], atol=1e-10)


def test_closed_form_hypergradient_matches_finite_differences_of_psi() -> None:
    inst = box_quadratic(2, dx=4, dy=10)
    p, x = inst.problem, inst.closed_form.x_ref * 0.7
    h = 1e-7
    fd = [(p.f(x + h * e, p.y_star(x + h * e)) - p.f(x - h * e, p.y_star(x - h * e))) / (2 * h)
          for e in np.eye(4)]
    np.testing.assert_allclose(true_hypergradient(inst, x), fd, rtol=1e-5, atol=1e-6)


def test_benchopt_quadratic_hypergradient_matches_finite_differences_of_psi() -> None:
    inst = quadratic_benchopt(3, dx=3, dy=6, n_inner=64, n_outer=16)
    p = inst.problem
    x = np.random.default_rng(0).standard_normal(3)
    h = 1e-6
    fd = [(p.f(x + h * e, p.y_star(x + h * e)) - p.f(x - h * e, p.y_star(x - h * e))) / (2 * h)
          for e in np.eye(3)]
    np.testing.assert_allclose(true_hypergradient(inst, x), fd, rtol=1e-5, atol=1e-7)


def test_instances_keep_problems_plain() -> None:
    """What is known about a test problem lives on the Instance, not on the Bilevel."""
    inst = box_quadratic(0, dx=3, dy=5)
    assert not [k for k in vars(inst.problem) if k.startswith("_")]
    with pytest.raises(ValueError, match="no closed-form"):
        true_hypergradient(jump_example(), np.zeros(1))


def test_box_quadratic_has_about_half_the_bounds_active_at_the_solution() -> None:
    inst = box_quadratic(0)
    r = solverkit.solve(inst.problem, "bilevel-penalty", sigma=1e-2, tol=1e-4, certify=False,
                        seed=0)
    assert 0.3 <= inst.closed_form.active_fraction(r.x) <= 0.7


def test_data_problems_oracles() -> None:
    pytest.importorskip("sklearn")
    from solverkit_bilevel.data_problems import accuracy, hyper_cleaning, l2_selection

    rng = np.random.default_rng(3)
    for inst in (hyper_cleaning(0), l2_selection(0)):
        _check_oracles(inst.problem, rng, atol=1e-5)
        assert 0.0 <= accuracy(inst, np.zeros(inst.problem.dy)) <= 1.0


def test_hyper_cleaning_beats_unweighted_training() -> None:
    pytest.importorskip("sklearn")
    from solverkit_bilevel.data_problems import accuracy, hyper_cleaning

    inst = hyper_cleaning(1, corruption=0.5)
    r = solverkit.solve(inst.problem, "bilevel-penalty", sigma=0.1, tol=1e-6, certify=False,
                        inner_tol_factor=300.0, inner_solver="apg", shift_warm_start=True,
                        max_iter=8, seed=0)
    # x = 0 gives every training example the same weight
    base = solverkit.solve(inst.problem, "bilevel-aid", max_iter=1).extra["y"]
    # z = argmin g(x, .): the model trained on the training split alone with the learned weights
    assert accuracy(inst, r.extra["z"]) > accuracy(inst, base) + 0.02
    assert r.extra["hvp_calls"] == 0
    # the learned weights separate the corrupted labels from the clean ones
    assert np.mean(r.x[~inst.flipped]) > np.mean(r.x[inst.flipped]) + 1.0


def test_benchmarks_are_registered() -> None:
    from solverkit_bilevel.bench import BENCHMARKS

    names = {b.name for b in BENCHMARKS}
    assert {"bilevel-toy", "bilevel-boxqp", "bilevel-stoch", "bilevel-cleaning"} <= names
