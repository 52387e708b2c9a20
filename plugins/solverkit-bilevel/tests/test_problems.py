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


def test_lower_level_solution_matches_scikit_learn() -> None:
    # Independent check of the model the cleaning and L2 suites score: scikit-learn's
    # LogisticRegression minimises C_sk sum_i w_i CE_i + 1/2 ||W||^2, i.e. our
    # g(x, W) = (1/n) sum_i s(x_i) CE_i + C/2 ||W||^2 with w = s(x), C_sk = 1/(n C)
    # (the intercept is a regularised column of A in both).
    pytest.importorskip("sklearn")
    from sklearn.linear_model import LogisticRegression
    from solverkit_bilevel.data_problems import hyper_cleaning, l2_selection

    inst = hyper_cleaning(2, corruption=0.5, C=1e-2)
    p = inst.problem
    rng = np.random.default_rng(0)
    x = rng.uniform(-3.0, 3.0, p.dx)
    y, calls = inst.lower_level_solution(x)
    assert calls > 0
    assert np.linalg.norm(p.grad_g(x, y)[1]) <= 1e-10
    n = p.dx
    d, k = inst.shape
    W = y.reshape(d, k)
    s = 1.0 / (1.0 + np.exp(-x))
    # the oracles do not expose the training split: rebuild it as hyper_cleaning draws it
    from sklearn.datasets import load_digits

    digits = load_digits()
    A = np.hstack([digits.data / 16.0, np.ones((digits.data.shape[0], 1))])
    # the permutation first, then the corruption, from one generator
    rng2 = np.random.default_rng(2)
    perm = rng2.permutation(A.shape[0])
    tr = perm[:n]
    labels = digits.target[tr].copy()
    flip = rng2.random(n) < 0.5
    labels[flip] = rng2.integers(0, k, flip.sum())
    assert np.array_equal(flip, inst.flipped)
    clf = LogisticRegression(C=1.0 / (n * 1e-2), fit_intercept=False, tol=1e-12, max_iter=10_000)
    clf.fit(A[tr], labels, sample_weight=s)
    np.testing.assert_allclose(W, clf.coef_.T, atol=1e-5)

    # L2 selection: per-feature penalties exp(x_j) become a plain L2 on rescaled features
    inst = l2_selection(1)
    p = inst.problem
    x = rng.uniform(-4.0, 2.0, p.dx)
    y, _ = inst.lower_level_solution(x)
    assert np.linalg.norm(p.grad_g(x, y)[1]) <= 1e-10
    # g(w) = mean logloss(A w) + 1/2 sum e^{x_j} w_j^2; with u_j = e^{x_j/2} w_j and
    # A' = A diag(e^{-x_j/2}) it is mean logloss(A' u) + 1/2 ||u||^2.
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer()
    tr = np.random.default_rng(1).permutation(data.data.shape[0])[: data.data.shape[0] // 2]
    mu, sd = data.data[tr].mean(axis=0), data.data[tr].std(axis=0) + 1e-12
    Atr = (data.data[tr] - mu) / sd
    scale = np.exp(-x / 2)
    clf = LogisticRegression(C=1.0 / tr.size, fit_intercept=False, tol=1e-12, max_iter=10_000)
    clf.fit(Atr * scale, data.target[tr])
    np.testing.assert_allclose(y, clf.coef_.ravel() * scale, atol=1e-5)


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
