"""Scores and the log-det acyclicity against finite differences and closed forms."""

import numpy as np
import pytest
from solverkit_dagma.functions import LogDet, Score, h_expm
from solverkit_dagma.utils import simulate_dag, simulate_linear_sem, simulate_parameter


def fd_grad(f, W, eps=1e-6):
    G = np.zeros_like(W)
    for idx in np.ndindex(W.shape):
        E = np.zeros_like(W)
        E[idx] = eps
        G[idx] = (f(W + E) - f(W - E)) / (2 * eps)
    return G


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    W = simulate_parameter(simulate_dag(5, 6, "ER", rng=rng), rng=rng)
    return W, simulate_linear_sem(W, 200, rng=rng)


def test_l2_score_value_and_gradient(data):
    W_true, X = data
    sc = Score(X, "l2")
    W = 0.1 * np.random.default_rng(1).standard_normal((5, 5))
    Xc = X - X.mean(axis=0)
    direct = 0.5 / X.shape[0] * np.sum((Xc - Xc @ W) ** 2)
    assert np.isclose(sc(W)[0], direct)
    assert np.allclose(sc(W)[1], fd_grad(lambda V: sc(V)[0], W), atol=1e-6)
    assert np.allclose(sc.hess_diag(W), np.diag(Xc.T @ Xc / 200)[:, None] * np.ones((1, 5)))


def test_logistic_score_value_and_gradient():
    W_true = simulate_parameter(simulate_dag(4, 4, "ER", rng=0), rng=0)
    X = simulate_linear_sem(W_true, 300, "logistic", rng=0)
    sc = Score(X, "logistic")
    W = 0.2 * np.random.default_rng(2).standard_normal((4, 4))
    M = X @ W
    direct = np.sum(np.log1p(np.exp(M)) - X * M) / 300
    assert np.isclose(sc(W)[0], direct)
    assert np.allclose(sc(W)[1], fd_grad(lambda V: sc(V)[0], W), atol=1e-6)
    hd = sc.hess_diag(W)
    fd = np.array([[(sc(W + e)[1][i, j] - sc(W - e)[1][i, j]) / 2e-5
                    for j in range(4) for e in [np.eye(1, 16, 4 * i + j).reshape(4, 4) * 1e-5]]
                   for i in range(4)])
    assert np.allclose(hd, fd, atol=1e-5)


@pytest.mark.parametrize("s", [1.0, 0.7])
def test_logdet_value_gradient(s):
    W = 0.25 * np.random.default_rng(3).standard_normal((6, 6))
    ld = LogDet(6)
    h, g = ld(W, s)
    sign, logabs = np.linalg.slogdet(s * np.eye(6) - W * W)
    assert sign > 0 and np.isclose(h, -logabs + 6 * np.log(s))
    assert np.allclose(g, fd_grad(lambda V: ld(V, s, grad=False)[0], W), atol=1e-6)


def test_h_zero_iff_dag():
    ld = LogDet(8)
    W = simulate_parameter(simulate_dag(8, 16, "ER", rng=4), rng=4)
    assert abs(ld(W, 1.0)[0]) < 1e-10 and abs(ld(W, 0.5)[0]) < 1e-10  # any s, large weights
    C = W.copy()
    i, j = np.argwhere(W != 0)[0]
    C[j, i] = 0.1  # adds a 2-cycle
    assert ld(C, 1e3)[0] > 0


def test_domain_test_matches_spectral_radius():
    rng = np.random.default_rng(5)
    ld = LogDet(7)
    for _ in range(200):
        W = rng.standard_normal((7, 7)) * rng.uniform(0.05, 0.6)
        rho = np.max(np.abs(np.linalg.eigvals(W * W)))
        s = rng.uniform(0.2, 2.0)
        if abs(rho - s) < 1e-6:
            continue
        assert ld.inside(W, s) == (rho < s)


def test_log_det_cycle_weights():
    # a single k-cycle with unit weights scaled by a: h_1 = -log(1 - a^(2k)) (all cycle terms)
    for k in (2, 3, 5):
        a = 0.8
        W = np.zeros((k, k))
        for v in range(k):
            W[v, (v + 1) % k] = a
        assert np.isclose(LogDet(k)(W, 1.0)[0], -np.log(1 - a ** (2 * k)))


def test_h_expm_gradient():
    W = 0.3 * np.random.default_rng(6).standard_normal((5, 5))
    h, g = h_expm(W)
    assert np.allclose(g, fd_grad(lambda V: h_expm(V)[0], W), atol=1e-6)
    Wd = simulate_parameter(simulate_dag(5, 6, "ER", rng=1), rng=1)
    assert abs(h_expm(Wd)[0]) < 1e-10
