"""The DAG polish step: it lowers the penalised least-squares score, by single-edge moves."""

import itertools

import numpy as np
from solverkit_dagma.polish import polish_dag
from solverkit_dagma.utils import count_accuracy, is_dag, simulate_linear_sem

import solverkit as sk


def direct_score(X, W, lam):
    """Q(W) + lam ||W||_1 from the data matrix itself (not through S = X'X / n)."""
    Xc = X - X.mean(axis=0)
    R = Xc - Xc @ W
    return 0.5 * float(np.sum(R * R)) / X.shape[0] + lam * float(np.abs(W).sum())


def ols_on(X, A):
    """Least-squares weights of every node on its parents in A (numpy lstsq on the data)."""
    Xc = X - X.mean(axis=0)
    W = np.zeros(A.shape)
    for j in range(A.shape[0]):
        P = np.flatnonzero(A[:, j])
        if P.size:
            W[P, j] = np.linalg.lstsq(Xc[:, P], Xc[:, j], rcond=None)[0]
    return W


def chain_data(seed=0, n=4000):
    W = np.zeros((3, 3))
    W[0, 1], W[1, 2] = 1.5, -1.2  # 0 -> 1 -> 2, equal noise variances: identifiable
    return W, simulate_linear_sem(W, n, "gauss", rng=seed)


def S_of(X):
    Xc = X - X.mean(axis=0)
    return Xc.T @ Xc / X.shape[0]


def test_reversed_edge_is_turned_back_and_matches_brute_force():
    W_true, X = chain_data()
    A = (W_true != 0).T.astype(int)  # both edges reversed: 2 -> 1 -> 0
    W_raw = np.abs(W_true) + np.abs(W_true.T)  # both orientations are candidates
    W, facts = polish_dag(S_of(X), A, W_raw, 0.02, 0.3, set(), set())
    assert is_dag(W) and np.array_equal(W != 0, W_true != 0)
    assert facts["polish_score_after"] < facts["polish_score_before"]
    assert np.isclose(facts["polish_score_after"], direct_score(X, ols_on(X, W != 0), 0.02))
    assert np.allclose(W, ols_on(X, W != 0))
    # brute force over every DAG on 3 nodes with least-squares weights: the polished one is best
    pairs = [(i, j) for i in range(3) for j in range(3) if i != j]
    best = np.inf
    for mask in itertools.product([0, 1], repeat=len(pairs)):
        B = np.zeros((3, 3), dtype=int)
        for (i, j), on in zip(pairs, mask):
            B[i, j] = on
        if is_dag(B):
            best = min(best, direct_score(X, ols_on(X, B), 0.02))
    assert np.isclose(facts["polish_score_after"], best)


def test_required_and_excluded_edges_are_respected():
    W_true, X = chain_data(seed=1)
    A = (W_true != 0).T.astype(int)  # 1 -> 0 and 2 -> 1, both wrong
    W_raw = np.abs(W_true) + np.abs(W_true.T)
    W, _ = polish_dag(S_of(X), A, W_raw, 0.02, 0.3, include={(2, 1)}, exclude={(0, 1)})
    assert W[2, 1] != 0 and W[0, 1] == 0 and is_dag(W)


def test_polish_in_the_solver_never_raises_the_score():
    rng = np.random.default_rng(3)
    from solverkit_dagma.utils import simulate_dag, simulate_parameter

    B = simulate_dag(12, 36, "ER", rng=rng)
    X = simulate_linear_sem(simulate_parameter(B, rng=rng), 400, "gauss", rng=rng)
    prob = sk.StructureLearning(X)
    on = sk.solve(prob, method="dagma", lambda1=0.02)
    off = sk.solve(prob, method="dagma", lambda1=0.02, polish=False)
    assert is_dag(on.x) and np.array_equal(on.extra["W_raw"], off.extra["W_raw"])
    before = direct_score(X, ols_on(X, off.x != 0), 0.02)
    assert np.isclose(on.extra["polish_score_before"], before)
    assert on.extra["polish_score_after"] <= before
    assert np.isclose(on.extra["polish_score_after"], direct_score(X, on.x, 0.02))
    assert count_accuracy(B, on.x != 0)["shd"] <= count_accuracy(B, off.x != 0)["shd"]


def hub_case(seed):
    """Node 8 has parents 0..5; nodes 6 and 7 are children of 0..2 and 3..5.

    The start gives the hub 6 and 7 as parents instead (they carry most of its signal).
    """
    d = 9
    W = np.zeros((d, d))
    W[0:3, 6] = 1.0
    W[3:6, 7] = 1.0
    W[0:6, 8] = [0.8, -0.9, 0.7, -0.8, 0.9, -0.7]
    X = simulate_linear_sem(W, 2000, "gauss", rng=seed)
    A = (W != 0).astype(int)
    A[:, 8] = 0
    A[6, 8] = A[7, 8] = 1
    return W, X, A


def test_reselection_swaps_a_hub_parent_set_that_single_edge_moves_cannot():
    from solverkit_dagma.polish import _Graph, _greedy, _NodeScore

    for seed in (0, 1):
        W_true, X, A = hub_case(seed)
        S = S_of(X)
        # W_raw = 0: no pair is an add candidate, as for a true parent the path dropped
        greedy = _Graph(A, _NodeScore(S, 0.02))
        _greedy(greedy, [], set(), set(), [], 1000)
        W, facts = polish_dag(S, A, np.zeros((9, 9)), 0.02, 0.3, set(), set())
        assert greedy.parents[8] != frozenset(range(6))
        assert ("reselect", -1, 8) in facts["polish_moves"]
        assert is_dag(W) and np.array_equal(W != 0, W_true != 0)
        assert facts["polish_score_after"] < sum(greedy.terms) - 0.1
        assert np.isclose(facts["polish_score_after"], direct_score(X, ols_on(X, W != 0), 0.02))


def test_lasso_columns_meets_the_kkt_conditions():
    from solverkit_dagma.polish import _lasso_columns

    rng = np.random.default_rng(5)
    d = 8
    X = rng.standard_normal((300, d)) @ (np.eye(d) + 0.4 * rng.standard_normal((d, d)))
    S = S_of(X)
    allowed = rng.random((d, d)) < 0.6
    np.fill_diagonal(allowed, False)
    pen = np.full((d, d), 0.05)
    pen[0, 1] = 0.0
    allowed[0, 1] = True
    L, converged = _lasso_columns(S, np.zeros((d, d)), allowed, pen, floor=0.0, sweeps=5000,
                                  tol=1e-12)
    assert converged
    assert np.all(L[~allowed] == 0)
    grad = S @ L - S  # gradient of Q(W) = 1/2 tr((I - W)' S (I - W))
    on = allowed & (L != 0)
    assert np.allclose(grad[on], -pen[on] * np.sign(L[on]), atol=1e-8)
    off = allowed & (L == 0)
    assert np.all(np.abs(grad[off]) <= pen[off] + 1e-8)
    assert on.sum() >= 3 and off.sum() >= 3  # both conditions were exercised
