"""Tests of the scipy adapters: known solutions, honest success, multipliers, conformance."""

from __future__ import annotations

import numpy as np
import pytest
from solverkit_scipy.bench import equality_qp, hs28

import solverkit as sk
from solverkit.testing import conformance_cases

METHODS = ["slsqp", "trust-constr"]


@pytest.mark.parametrize("name, check", conformance_cases(METHODS))
def test_conformance(name, check):
    check(name)


@pytest.mark.parametrize("method", METHODS)
def test_known_solutions_and_multipliers(method):
    problem, x_star = equality_qp(30, 8, seed=3)
    res = sk.solve(problem, method=method)
    assert res.success, res.message
    np.testing.assert_allclose(res.x, x_star, atol=1e-5)
    # Multipliers satisfy stationarity grad f + A' lam = 0 independently of scipy's flag.
    A = problem.jac(res.x)
    np.testing.assert_allclose(problem.grad(res.x) + A.T @ res.extra["lam"], 0, atol=1e-5)
    hs, hs_star = hs28()
    res = sk.solve(hs, method=method)
    assert res.success and np.allclose(res.x, hs_star, atol=1e-6)


@pytest.mark.parametrize("method", METHODS)
def test_no_false_success_on_infeasible_problem(method):
    # x0 + x1 = 1 and x0 + x1 = 2 cannot both hold: never report success.
    A = np.array([[1.0, 1.0], [1.0, 1.0]])
    problem = sk.EqualityConstrained(
        lambda x: float(x @ x), lambda x: 2 * x, lambda x: A @ x - np.array([1.0, 2.0]),
        lambda x: A, [0.0, 0.0])
    res = sk.solve(problem, method=method, max_iter=50)
    assert not res.success
    assert res.extra.get("constraint_violation", 1.0) > 1e-3 or res.status is sk.Status.NUMERICAL


def test_trust_constr_with_hessp_and_sparse_jacobian():
    import scipy.sparse as sp

    problem, x_star = equality_qp(20, 5, seed=4)
    Q = problem.hess(None, None)
    A = sp.csr_matrix(problem.jac(problem.x0))
    sparse_problem = sk.EqualityConstrained(
        problem.fun, problem.grad, problem.cons, lambda x: A, problem.x0,
        hessp=lambda x, lam, v: Q @ v)
    res = sk.solve(sparse_problem, method="trust-constr")
    assert res.success, res.message
    np.testing.assert_allclose(res.x, x_star, atol=1e-5)


def test_bad_option_value():
    with pytest.raises(ValueError, match="ctol"):
        sk.solve(sk.EqualityConstrained.example(), method="slsqp", ctol=-1.0)
    with pytest.raises(ValueError, match="hessian"):
        sk.solve(sk.EqualityConstrained.example(), method="trust-constr", hessian="newton")
