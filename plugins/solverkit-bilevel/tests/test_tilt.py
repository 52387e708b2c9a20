"""Tilted y solves and extrapolated warm starts of bilevel-penalty (options tilt, z_tol_factor,
extrapolate), checked against closed forms."""

from __future__ import annotations

import numpy as np
import pytest
from solverkit_bilevel._inner import residual_tilt, solve_inner
from solverkit_bilevel._oracle import Oracle

import solverkit
from solverkit.problems import Bilevel
from solverkit.sets import Box


def _least_squares(seed: int = 0) -> tuple[Bilevel, np.ndarray, np.ndarray]:
    """f = |y - b|^2 / 2, g = |y - A x|^2 / 2.

    z*(x) = A x and y_sigma(x) = (sigma b + A x) / (1 + sigma).
    """
    rng = np.random.default_rng(seed)
    A, b = rng.standard_normal((8, 3)), rng.standard_normal(8)
    p = Bilevel(lambda x, y: 0.5 * float((y - b) @ (y - b)),
                lambda x, y: 0.5 * float((y - A @ x) @ (y - A @ x)),
                lambda x, y: (np.zeros(3), y - b),
                lambda x, y: (-A.T @ (y - A @ x), y - A @ x),
                np.zeros(3), np.zeros(8))
    return p, A, b


def test_tilt_removes_the_one_over_sigma_from_z_error() -> None:
    # z = A x + r misses z* by r. Without the tilt, y is the exact minimiser of sigma f + g
    # and d = -A'(y - z) / sigma misses d* = -A'(b - A x) / (1 + sigma) by A'r / sigma. With
    # y solved for sigma f + g - <r, .>, y - z = sigma (b - z) / (1 + sigma) and the miss is
    # A'r / (1 + sigma).
    p, A, b = _least_squares()
    rng = np.random.default_rng(1)
    x, r = rng.standard_normal(3), 1e-3 * rng.standard_normal(8)
    sigma = 1e-3
    oracle = Oracle(p, rng)
    z = A @ x + r
    tilt = residual_tilt(p.Y, z, p.grad_g(x, z)[1])
    np.testing.assert_allclose(tilt, r, atol=1e-15)
    d_star = -A.T @ (b - A @ x) / (1 + sigma)
    miss = {}
    for label, t in (("tilt", tilt), ("plain", None)):
        y = solve_inner(oracle, p.Y, x, z, sigma, 1e-14, 10_000, 1.0, "y", tilt=t).v
        d = p.grad_f(x, y)[0] + (p.grad_g(x, y)[0] - p.grad_g(x, z)[0]) / sigma
        miss[label] = d - d_star
    np.testing.assert_allclose(miss["tilt"], A.T @ r / (1 + sigma), atol=1e-9)
    np.testing.assert_allclose(miss["plain"], A.T @ r / sigma, rtol=1e-6)
    assert np.linalg.norm(miss["plain"]) > 500 * np.linalg.norm(miss["tilt"])


def test_residual_tilt_on_a_box_makes_z_exactly_optimal() -> None:
    # g = |y - c|^2 / 2 on [-1, 1]^6: coordinates 0-1 rest at a bound with the gradient pushing
    # outward (the bound balances it: no tilt), 2 sits at a bound with the gradient pointing
    # inward (not optimal: tilted), 3-5 are free.
    Y = Box(-1.0, 1.0, dim=6)
    c = np.array([2.0, -3.0, 0.0, 0.1, -0.2, 0.3])
    z = np.array([1.0, -1.0, 1.0, 0.12, -0.25, 0.3])
    grad = z - c
    r = residual_tilt(Y, z, grad)
    np.testing.assert_array_equal(r[:2], 0.0)
    assert r[2] == grad[2] and np.array_equal(r[3:], grad[3:])
    # z minimises g - <r, .> over the box: its projected-gradient residual is zero
    np.testing.assert_allclose(Y.project(z - (grad - r)) - z, 0.0, atol=1e-15)
    assert residual_tilt(solverkit.sets.Ball(1.0, dim=6), z, grad) is None


def test_tilt_with_a_loose_z_target_still_converges_for_fewer_gradients() -> None:
    # The fixed outer rule on least squares (psi_sigma is minimised by the least-squares x for
    # every sigma). With the tilt z may be solved to a target without the factor sigma.
    p, A, b = _least_squares()
    x_ls = np.linalg.lstsq(A, b, rcond=None)[0]
    opts = dict(sigma=0.1, outer_rule="fixed", outer_step=0.05, certify=False, seed=0,
                extrapolate=False)
    plain = solverkit.solve(p, "bilevel-penalty", **opts)
    tilted = solverkit.solve(p, "bilevel-penalty", tilt=True, z_tol_factor=1.0, **opts)
    for r in (plain, tilted):
        assert r.success, r.message
        np.testing.assert_allclose(r.x, x_ls, atol=1e-4)
    assert tilted.extra["grad_calls"] < 0.8 * plain.extra["grad_calls"]


def test_z_tol_factor_needs_the_tilt() -> None:
    p, _, _ = _least_squares()
    with pytest.raises(ValueError, match="z_tol_factor needs tilt=True"):
        solverkit.solve(p, "bilevel-penalty", z_tol_factor=1.0)
    with pytest.raises(ValueError, match="z_tol_factor must be a finite number > 0"):
        solverkit.solve(p, "bilevel-penalty", tilt=True, z_tol_factor=0.0)


def test_extrapolated_warm_start_predicts_z_on_a_straight_path() -> None:
    # f = c'x does not depend on y, so y = z and d = c: the fixed rule moves x along a straight
    # line with equal steps, and z*(x) = A x is linear in x. From the third solve on, the
    # extrapolated starts are z*(x) and y*(x) themselves, so each solve takes only its one
    # verification step (an outer iteration costs 6-9 gradients: at the starts and after
    # the step, with a backtracking retry). From the last values, one step of the path
    # behind, the solves need many more.
    rng = np.random.default_rng(2)
    A, c = rng.standard_normal((8, 3)), rng.standard_normal(3)
    p = Bilevel(lambda x, y: float(c @ x), lambda x, y: 0.5 * float((y - A @ x) @ (y - A @ x)),
                lambda x, y: (c.copy(), np.zeros(8)),
                lambda x, y: (-A.T @ (y - A @ x), y - A @ x), np.zeros(3), np.zeros(8))
    runs = {flag: solverkit.solve(p, "bilevel-penalty", sigma=0.1, outer_rule="fixed",
                                  outer_step=0.1, max_iter=12, history=True, seed=0,
                                  inner_kappa=1e-6, tol=1e-9, extrapolate=flag)
            for flag in (False, True)}
    calls = {flag: np.diff([h["grad_calls"] for h in r.history]) for flag, r in runs.items()}
    assert np.all(calls[True][3:] <= 9)
    assert np.all(calls[False][3:] > 20)
    np.testing.assert_allclose(runs[True].x, runs[False].x, atol=1e-12)
    np.testing.assert_allclose(runs[True].extra["z"], A @ runs[True].x, atol=1e-9)
