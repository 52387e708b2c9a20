"""dagma-mlp: analytic gradients against finite differences, recovery, conformance."""

import numpy as np
import pytest
from solverkit_dagma.functions import LogDet
from solverkit_dagma.mlp import MLPModel, objective
from solverkit_dagma.utils import count_accuracy, is_dag, simulate_dag, simulate_nonlinear_sem

import solverkit as sk
from solverkit.testing import check_solver


def test_objective_gradient_matches_finite_differences():
    rng = np.random.default_rng(0)
    d, m, n = 4, 3, 30
    X = rng.standard_normal((n, d))
    mod = MLPModel(0.2 * rng.standard_normal((d, m, d)), rng.standard_normal((d, m)),
                   rng.standard_normal((d, m)), rng.standard_normal(d))
    ld = LogDet(d)
    F, g, score, h = objective(mod, X, 0.01, 0.1, 0.9, ld)
    assert h > 0 and np.isfinite(score)
    for name in ("U", "a", "v", "c"):
        P, G = getattr(mod, name), getattr(g, name)
        for idx in np.ndindex(P.shape):
            P[idx] += 1e-6
            fp = objective(mod, X, 0.01, 0.1, 0.9, ld)[0]
            P[idx] -= 2e-6
            fm = objective(mod, X, 0.01, 0.1, 0.9, ld)[0]
            P[idx] += 1e-6
            assert abs((fp - fm) / 2e-6 - G[idx]) < 1e-6, (name, idx)


def test_adjacency_is_first_layer_energy():
    rng = np.random.default_rng(1)
    U = rng.standard_normal((3, 2, 3))
    mod = MLPModel(U, np.zeros((3, 2)), np.zeros((3, 2)), np.zeros(3))
    A = mod.adjacency()
    assert np.isclose(A[0, 2], U[2, 0, 0] ** 2 + U[2, 1, 0] ** 2)


def test_recovers_small_nonlinear_sem():
    rng = np.random.default_rng(0)
    B = simulate_dag(4, 4, "ER", rng=rng)
    X = simulate_nonlinear_sem(B, 600, "mim", rng=rng)
    X0 = X.copy()
    res = sk.solve(sk.StructureLearning(X), method="dagma-mlp", seed=0)
    assert is_dag(res.x) and np.array_equal(X, X0)
    acc = count_accuracy(B, res.x != 0)
    assert acc["shd"] == 0, acc
    assert res.extra["h_final"] < 1e-3
    again = sk.solve(sk.StructureLearning(X), method="dagma-mlp", seed=0)
    assert np.array_equal(res.x, again.x)


def test_mlp_bad_options():
    X = np.random.default_rng(0).standard_normal((20, 3))
    with pytest.raises(ValueError, match="lambda2"):
        sk.solve(sk.StructureLearning(X), method="dagma-mlp", lambda2=-1.0)
    with pytest.raises(ValueError, match="hidden"):
        sk.solve(sk.StructureLearning(X), method="dagma-mlp", hidden=0)


def test_mlp_conformance():
    rng = np.random.default_rng(5)
    B = simulate_dag(3, 2, "ER", rng=rng)  # tiny: the kit solves it about ten times
    prob = sk.StructureLearning(simulate_nonlinear_sem(B, 50, "mlp", rng=rng))
    check_solver("dagma-mlp", prob)
