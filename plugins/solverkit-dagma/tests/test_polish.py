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
