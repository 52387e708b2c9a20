"""Oracles against direct set computations; the counting rule and answer checks."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from solverkit_submodular import (
    CountingOracle,
    FacilityLocation,
    GraphCoverage,
    OracleError,
    SetCoverage,
    WeightedCoverage,
    dense_similarity,
    knn_similarity,
)
from solverkit_submodular.exact import value_of


def _sets(seed, n=40, universe=150):
    rng = np.random.default_rng(seed)
    return [set(rng.choice(universe, size=rng.integers(0, 30), replace=False).tolist())
            for _ in range(n)]


def test_set_coverage_matches_python_sets():
    sets = _sets(0)
    f = SetCoverage(sets, universe=150)
    rng = np.random.default_rng(1)
    S = rng.choice(40, size=7, replace=False).tolist()
    state = f.empty()
    for e in S:
        state = f.add(state, e)
    covered = set().union(*(sets[e] for e in S))
    assert f.value(state) == len(covered)
    ids = np.arange(40)
    expect = [len(sets[e] - covered) for e in ids]
    assert [f.gain(state, e) for e in ids] == expect
    np.testing.assert_array_equal(f.gains(state, ids), expect)


def test_weighted_coverage_matches_direct_sum():
    sets = _sets(2)
    w = np.random.default_rng(3).random(150)
    f = WeightedCoverage(sets, w)
    S = [3, 9, 17]
    covered = set().union(*(sets[e] for e in S))
    state = f.empty()
    for e in S:
        state = f.add(state, e)
    assert f.value(state) == pytest.approx(sum(w[i] for i in covered))
    for e in range(40):
        assert f.gain(state, e) == pytest.approx(sum(w[i] for i in sets[e] - covered))
    np.testing.assert_array_equal(f.gains(state, np.arange(40)),
                                  [f.gain(state, e) for e in range(40)])
    with pytest.raises(ValueError, match="non-negative"):
        WeightedCoverage(sets, -w)


def test_weighted_coverage_gains_vectorised_is_bitwise_gain():
    """Large sets (numpy's pairwise summation blocks), empty sets, repeats, any id order:
    the vectorised gains equal gain() exactly, so no algorithm sees two answers."""
    rng = np.random.default_rng(11)
    m = 5000
    sizes = [0, 1, 7, 8, 9, 127, 128, 129, 1000, 3000] + rng.integers(0, 400, 30).tolist()
    sets = [rng.choice(m, size=s, replace=False) for s in sizes]
    f = WeightedCoverage(sets, rng.random(m) * 10.0 ** rng.integers(-3, 4, m))
    state = f.empty()
    for e in (8, 12, 30):
        state = f.add(state, e)
    ids = np.concatenate([rng.permutation(len(sets)), [0, 9, 9, 3]])
    got = f.gains(state, ids)
    assert got.tolist() == [f.gain(state, int(e)) for e in ids]
    assert f.gains(state, []).size == 0
    assert f.gains(state, [0]).tolist() == [0.0]


def test_graph_coverage_closed_neighbourhoods():
    edges = [(0, 1), (1, 2), (2, 3), (3, 0), (3, 4)]
    n = 6
    adj = sp.coo_matrix((np.ones(2 * len(edges)), ([a for a, b in edges] + [b for a, b in edges],
                                                  [b for a, b in edges] + [a for a, b in edges])),
                        shape=(n, n))
    lists = [[b for a, b in edges if a == v] + [a for a, b in edges if b == v] for v in range(n)]
    for f in (GraphCoverage(adj), GraphCoverage(lists)):
        assert value_of(f, [3]) == 4  # 3 covers {0, 2, 3, 4}
        assert value_of(f, [3, 1]) == 5  # + {1}
        assert value_of(f, [5]) == 1  # isolated vertex covers itself


def test_graph_coverage_from_networkx():
    nx = pytest.importorskip("networkx")
    G = nx.barabasi_albert_graph(60, 3, seed=0)
    f = GraphCoverage(G)
    v = max(G.nodes, key=G.degree)
    assert value_of(f, [f.nodes.index(v)]) == G.degree(v) + 1


@pytest.mark.parametrize("sparse", [False, True])
def test_facility_location_matches_formula(sparse):
    rng = np.random.default_rng(4)
    sim = rng.random((30, 12)) * (rng.random((30, 12)) < 0.5)
    f = FacilityLocation(sp.csr_matrix(sim) if sparse else sim)
    S = [1, 5, 7]
    state = f.empty()
    for e in S:
        state = f.add(state, e)
    assert f.value(state) == pytest.approx(sim[:, S].max(axis=1).sum())
    for e in range(12):
        direct = np.maximum(sim[:, S + [e]].max(axis=1), 0).sum() - sim[:, S].max(axis=1).sum()
        assert f.gain(state, e) == pytest.approx(direct)
    # the vectorised form returns exactly what the scalar form returns
    assert f.gains(state, np.arange(12)).tolist() == [f.gain(state, e) for e in range(12)]


def test_states_are_persistent():
    f = FacilityLocation(np.random.default_rng(0).random((10, 5)))
    s0 = f.empty()
    s1 = f.add(s0, 2)
    assert f.value(s0) == 0 and f.value(s1) > 0
    with pytest.raises(ValueError):
        s1[0] = 5.0  # read-only: nobody can corrupt a kept prefix state
    c = SetCoverage([[0, 1], [1, 2]])
    a = c.add(c.empty(), 0)
    c.add(a, 1)
    assert c.value(a) == 2


def test_similarity_builders():
    X = np.random.default_rng(5).random((80, 4))
    dense = dense_similarity(X)
    assert dense.shape == (80, 80) and np.allclose(np.diag(dense), 1.0) and dense.min() >= 0
    knn = knn_similarity(X, n_neighbors=6)
    assert knn.shape == (80, 80) and knn.nnz == 80 * 6 and knn.data.min() >= 0
    assert np.allclose(knn.diagonal(), 1.0)  # each point is its own nearest neighbour
    cos = knn_similarity(X, n_neighbors=4, kind="cosine")
    assert np.all(cos.data <= 1 + 1e-12)
    f = FacilityLocation(knn)
    assert value_of(f, range(80)) == pytest.approx(knn.toarray().max(axis=1).sum())
    with pytest.raises(ValueError, match="non-negative"):
        FacilityLocation(-dense)


def test_counting_rule():
    f = CountingOracle(SetCoverage([[0, 1], [1, 2], [3]]))
    s = f.empty()
    f.gain(s, 0)
    f.gains(s, [0, 1, 2])
    s = f.add(s, 0)
    f.value(s)
    assert (f.gain_calls, f.add_calls, f.value_calls) == (4, 1, 1)
    assert f.calls == 5 and f.calls_all == 6


class _NanAfterOne:
    """A SetFunction whose gains turn NaN once S is non-empty."""

    def empty(self):
        return 0

    def gain(self, state, e):
        return float("nan") if state else 1.0

    def add(self, state, e):
        return state + 1

    def value(self, state):
        return float(state)


def test_counting_oracle_rejects_bad_answers():
    nan = CountingOracle(_NanAfterOne())
    s = nan.empty()
    assert nan.gain(s, 0) == 1.0
    with pytest.raises(OracleError, match="non-finite"):
        nan.gain(nan.add(s, 0), 1)
    with pytest.raises(OracleError, match="non-finite"):
        nan.gains(1, [0, 1])
    dec = CountingOracle(lambda S: 5.0 - len(S))
    with pytest.raises(OracleError, match="not monotone"):
        dec.gain(dec.empty(), 3)
    with pytest.raises(OracleError, match="not monotone"):
        dec.gains(dec.empty(), [1, 2])
