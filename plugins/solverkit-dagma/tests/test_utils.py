"""Simulators and count_accuracy against independent facts and hand-computed cases."""

import numpy as np
import pytest
from solverkit_dagma.utils import (
    break_cycles,
    count_accuracy,
    find_cycle,
    is_dag,
    simulate_dag,
    simulate_linear_sem,
    simulate_parameter,
    topological_order,
)


@pytest.mark.parametrize("d, s0", [(10, 10), (20, 40), (30, 120)])
def test_er_has_exactly_s0_edges_and_is_dag(d, s0):
    B = simulate_dag(d, s0, "ER", rng=1)
    assert B.sum() == s0 and is_dag(B) and set(np.unique(B)) <= {0.0, 1.0}
    assert np.all(np.diag(B) == 0)


def test_sf_edge_count_is_barabasi_albert():
    # node v sends min(m, v) edges to earlier nodes: 0 + 1 + 2 + 3 + 4 * 46 = 190 for d=50, m=4
    B = simulate_dag(50, 200, "SF", rng=3)
    assert B.sum() == 190 and is_dag(B)
    # hubs: preferential attachment makes the max in-degree much larger than the mean
    assert B.sum(axis=0).max() >= 3 * B.sum(axis=0).mean()


def test_bp_and_fully():
    B = simulate_dag(20, 30, "BP", rng=0)
    assert B.sum() == 30 and is_dag(B)
    F = simulate_dag(6, 0, "Fully", rng=0)
    assert F.sum() == 15 and is_dag(F)
    with pytest.raises(ValueError, match="graph_type"):
        simulate_dag(5, 5, "XY")


def test_same_seed_same_graph():
    assert np.array_equal(simulate_dag(15, 30, "ER", rng=7), simulate_dag(15, 30, "ER", rng=7))
    assert not np.array_equal(simulate_dag(15, 30, "ER", rng=7), simulate_dag(15, 30, "ER", rng=8))


def test_simulate_parameter_ranges():
    B = simulate_dag(30, 100, "ER", rng=0)
    W = simulate_parameter(B, rng=0)
    w = np.abs(W[B == 1])
    assert np.all((w >= 0.5) & (w <= 2.0)) and np.all(W[B == 0] == 0)
    assert (W[B == 1] > 0).any() and (W[B == 1] < 0).any()


def test_population_covariance_matches_closed_form():
    B = simulate_dag(8, 10, "ER", rng=2)
    W = simulate_parameter(B, rng=2)
    X = simulate_linear_sem(W, np.inf)
    d = 8
    inv = np.linalg.inv(np.eye(d) - W)
    assert np.allclose(X.T @ X / d, inv.T @ inv)


def test_linear_sem_regression_recovers_weights():
    rng = np.random.default_rng(0)
    B = simulate_dag(6, 6, "ER", rng=rng)
    W = simulate_parameter(B, rng=rng)
    X = simulate_linear_sem(W, 20000, "gauss", rng=rng)
    for j in range(6):
        pa = np.flatnonzero(B[:, j])
        if pa.size:
            coef = np.linalg.lstsq(X[:, pa], X[:, j], rcond=None)[0]
            assert np.allclose(coef, W[pa, j], atol=0.05)
        else:
            assert abs(X[:, j].var() - 1.0) < 0.05


@pytest.mark.parametrize("noise", ["exp", "gumbel", "uniform"])
def test_other_noises(noise):
    W = simulate_parameter(simulate_dag(5, 5, "ER", rng=0), rng=0)
    X = simulate_linear_sem(W, 300, noise, rng=0)
    assert X.shape == (300, 5) and np.all(np.isfinite(X))


def test_logistic_and_poisson_outputs():
    W = simulate_parameter(simulate_dag(5, 5, "ER", rng=0), rng=0)
    Xb = simulate_linear_sem(W, 200, "logistic", rng=0)
    assert set(np.unique(Xb)) <= {0.0, 1.0}
    Xp = simulate_linear_sem(0.3 * W, 200, "poisson", rng=0)
    assert np.all(Xp >= 0) and np.all(Xp == np.round(Xp))


def test_sem_rejects_cycles_and_bad_n():
    W = np.array([[0, 1.0], [1.0, 0]])
    with pytest.raises(ValueError, match="DAG"):
        simulate_linear_sem(W, 10)
    with pytest.raises(ValueError, match="gauss"):
        simulate_linear_sem(np.zeros((2, 2)), np.inf, "exp")


def test_count_accuracy_hand_case():
    # true: 0->1, 1->2, 2->3 ; est: 1->0 (reversed), 1->2 (tp), 0->3 (extra); 2->3 missing
    B_true = np.zeros((4, 4))
    B_true[0, 1] = B_true[1, 2] = B_true[2, 3] = 1
    B_est = np.zeros((4, 4))
    B_est[1, 0] = B_est[1, 2] = B_est[0, 3] = 1
    acc = count_accuracy(B_true, B_est)
    assert acc == {"fdr": 2 / 3, "tpr": 1 / 3, "fpr": 2 / 3, "shd": 3, "nnz": 3}


def test_count_accuracy_cpdag_and_errors():
    B_true = np.zeros((3, 3))
    B_true[0, 1] = B_true[1, 2] = 1
    B_est = np.zeros((3, 3))
    B_est[1, 0] = -1  # undirected 0 - 1: counts as a true positive of the skeleton
    B_est[1, 2] = 1
    acc = count_accuracy(B_true, B_est)
    assert acc["tpr"] == 1.0 and acc["shd"] == 0 and acc["nnz"] == 2
    with pytest.raises(ValueError, match="DAG"):
        count_accuracy(B_true, np.array([[0, 1, 0], [1, 0, 0], [0, 0, 0]]))
    with pytest.raises(ValueError, match="0, 1"):
        count_accuracy(B_true, 0.5 * np.ones((3, 3)))


def test_cycles_and_breaking():
    W = np.zeros((4, 4))
    W[0, 1], W[1, 2], W[2, 0], W[2, 3] = 1.0, -0.4, 0.8, 2.0
    cyc = find_cycle(W)
    assert cyc[0] == cyc[-1] and len(cyc) == 4
    W2, removed = break_cycles(W)
    assert is_dag(W2) and removed == [(1, 2, -0.4)] and W[1, 2] == -0.4  # input untouched
    W3, removed = break_cycles(W, protected=[(1, 2)])
    assert is_dag(W3) and removed == [(2, 0, 0.8)]
    assert topological_order(W2)[0] in (1, 2) or is_dag(W2)


def test_count_accuracy_matches_reference_package():
    """Same keys and values as dagma.utils.count_accuracy (when the reference is installed)."""
    ref = pytest.importorskip("dagma.utils")
    rng = np.random.default_rng(11)
    for trial in range(30):
        d = int(rng.integers(3, 12))
        B_true = simulate_dag(d, int(rng.integers(0, 2 * d)), "ER", rng=rng)
        B_est = simulate_dag(d, int(rng.integers(0, 2 * d)), "ER", rng=rng)
        if trial % 3 == 0:  # an estimate that shares most edges, some reversed
            B_est = B_true.copy()
            for i, j in np.argwhere(B_true)[: trial % 4]:
                B_est[i, j], B_est[j, i] = 0, 1
            if not is_dag(B_est):
                continue
        ours = count_accuracy(B_true, B_est)
        theirs = ref.count_accuracy(B_true, B_est)
        assert ours.keys() == theirs.keys()
        for key in ours:
            assert ours[key] == pytest.approx(theirs[key]), (key, ours, theirs)
