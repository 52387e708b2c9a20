"""Projections against an independent solver (cvxpy) and their defining properties."""

import numpy as np
import pytest

from solverkit import sets


def _cvxpy_projection(point, constraints):
    import cvxpy as cp

    v = cp.Variable(point.size)
    cp.Problem(cp.Minimize(cp.sum_squares(v - point)), constraints(v)).solve()
    return v.value


rng = np.random.default_rng(0)
CASES = [
    (sets.Box(-1.0, 0.5, dim=6), lambda v: [v >= -1, v <= 0.5]),
    (sets.NonNegative(6), lambda v: [v >= 0]),
    (sets.Ball(1.5, center=np.arange(6.0) / 6), lambda v: [
        __import__("cvxpy").norm(v - np.arange(6.0) / 6) <= 1.5]),
    (sets.Simplex(6, total=2.0), lambda v: [v >= 0, __import__("cvxpy").sum(v) == 2.0]),
    (sets.Affine(rng.standard_normal((2, 6)), rng.standard_normal(2)), None),
]


@pytest.mark.parametrize("feasible, cons", CASES, ids=lambda c: type(c).__name__)
def test_projection_matches_cvxpy(feasible, cons):
    if cons is None:
        cons = lambda v: [feasible.A @ v == feasible.b]  # noqa: E731
    for seed in range(5):
        point = np.random.default_rng(seed).standard_normal(6) * 3
        ours = feasible.project(point)
        np.testing.assert_allclose(ours, _cvxpy_projection(point, cons), atol=1e-5)
        assert feasible.contains(ours, tol=1e-8)
        np.testing.assert_allclose(feasible.project(ours), ours, atol=1e-10)  # idempotent


def test_cvxpy_set_compiles_once_and_matches_closed_form():
    import cvxpy as cp

    simplex = sets.CvxpySet(5, lambda v: [v >= 0, cp.sum(v) == 1])
    closed = sets.Simplex(5)
    for seed in range(4):
        point = np.random.default_rng(seed).standard_normal(5)
        np.testing.assert_allclose(simplex.project(point), closed.project(point), atol=1e-6)
        if seed == 0:
            compiled = simplex._problem._cache.param_prog
            assert compiled is not None
    assert simplex._problem._cache.param_prog is compiled  # reused, not re-canonicalised
    assert simplex.solves == 4


def test_set_errors():
    with pytest.raises(ValueError, match="lower <= upper"):
        sets.Box(1.0, 0.0)
    with pytest.raises(ValueError, match="full row rank"):
        sets.Affine([[1.0, 1.0], [2.0, 2.0]], [1.0, 2.0])
    with pytest.raises(ValueError, match="convex"):
        import cvxpy as cp

        sets.CvxpySet(2, lambda v: [cp.norm(v) >= 1])
