"""The dagma and notears solvers: recovery, edge knowledge, DAG guarantee, hygiene, errors."""

import numpy as np
import pytest
from solverkit_dagma.utils import (
    count_accuracy,
    is_dag,
    simulate_dag,
    simulate_linear_sem,
    simulate_parameter,
)

import solverkit as sk
from solverkit.testing import check_solver


def make(d=8, k=1, n=1000, seed=0, noise="gauss"):
    rng = np.random.default_rng(seed)
    B = simulate_dag(d, k * d, "ER", rng=rng)
    W = simulate_parameter(B, rng=rng)
    return B, W, simulate_linear_sem(W, n, noise, rng=rng)


@pytest.fixture(scope="module")
def easy():
    return make()


@pytest.mark.parametrize("method", ["dagma", "notears"])
def test_recovers_easy_sem(easy, method):
    B, W, X = easy
    res = sk.solve(sk.StructureLearning(X), method=method, lambda1=0.02, seed=0)
    assert res.success, res.message
    acc = count_accuracy(B, res.x != 0)
    assert acc["shd"] == 0, acc
    assert np.allclose(res.x[B == 1], W[B == 1], atol=0.15)
    assert is_dag(res.x)
    assert res.extra["h_final"] < 1e-5 and res.extra["score_final"] > 0


def test_dagma_extra_fields(easy):
    B, W, X = easy
    res = sk.solve(sk.StructureLearning(X), method="dagma", lambda1=0.02, polish=False)
    ex = res.extra
    for key in ("W_raw", "h_final", "score_final", "steps_per_stage", "removed_edges", "stages",
                "s_used", "s_changed"):
        assert key in ex
    assert len(ex["steps_per_stage"]) == 5 and ex["s_changed"] == []
    assert ex["s_used"] == [1.0, 0.9, 0.8, 0.7, 0.6]
    W_raw = ex["W_raw"]
    assert np.array_equal(res.x, np.where(np.abs(W_raw) >= 0.3, W_raw, 0.0))
    assert res.nit == 5


@pytest.mark.parametrize("inner", ["lbfgsb", "pqn"])
def test_stage_is_stationary(easy, inner):
    """The stage solution satisfies the L1 optimality conditions of its stage."""
    from solverkit_dagma.functions import LogDet, Score

    B, W, X = easy
    res = sk.solve(sk.StructureLearning(X), method="dagma", lambda1=0.02, T=1, s=1.0,
                   w_threshold=0.0, inner=inner, ftol=1e-13, gtol=1e-9)
    Wr = res.extra["W_raw"]
    G = Score(X, "l2")(Wr)[1] + LogDet(8)(Wr, 1.0)[1]  # mu = 1
    off = ~np.eye(8, dtype=bool)
    nz = (Wr != 0) & off
    assert np.allclose(G[nz], -0.02 * np.sign(Wr[nz]), atol=1e-4)
    assert np.all(np.abs(G[(Wr == 0) & off]) <= 0.02 + 1e-4)


def test_pqn_and_lbfgsb_agree(easy):
    B, W, X = easy
    prob = sk.StructureLearning(X)
    a = sk.solve(prob, method="dagma", lambda1=0.02, inner="pqn", ftol=1e-12, warm_ftol=1e-12)
    b = sk.solve(prob, method="dagma", lambda1=0.02, inner="lbfgsb", ftol=1e-12,
                 warm_ftol=1e-12)
    assert a.extra["inner"] == "pqn" and b.extra["inner"] == "lbfgsb"
    assert np.array_equal(a.x != 0, b.x != 0)
    assert np.allclose(a.extra["W_raw"], b.extra["W_raw"], atol=1e-3)
    for ra, rb in zip(a.extra["stages"], b.extra["stages"]):
        assert ra["obj"] == pytest.approx(rb["obj"], rel=1e-6)


def test_adam_inner_matches_lbfgs_support(easy):
    B, W, X = easy
    prob = sk.StructureLearning(X)
    a = sk.solve(prob, method="dagma", lambda1=0.02, inner="adam", T=3, warm_iter=4000,
                 last_iter=6000)
    b = sk.solve(prob, method="dagma", lambda1=0.02, T=3)
    assert np.array_equal(a.x != 0, b.x != 0)
    assert np.allclose(a.extra["W_raw"], b.extra["W_raw"], atol=0.05)
    assert a.extra["stages"][0]["steps"] % 1000 == 0  # checkpoint rule of the reference


def test_logistic_loss():
    rng = np.random.default_rng(1)
    B = simulate_dag(5, 4, "ER", rng=rng)
    W = 2 * simulate_parameter(B, w_ranges=((-2, -1.5), (1.5, 2)), rng=rng)
    X = simulate_linear_sem(W, 3000, "logistic", rng=rng)
    res = sk.solve(sk.StructureLearning(X, loss="logistic"), method="dagma", lambda1=0.02)
    assert res.success and is_dag(res.x)
    assert count_accuracy(B, res.x != 0)["tpr"] >= 0.5


def test_include_exclude_honoured(easy):
    B, W, X = easy
    true = [tuple(map(int, e)) for e in np.argwhere(B)]
    exclude = [true[0]]
    absent = [(i, j) for i in range(8) for j in range(8)
              if i != j and B[i, j] == 0 and B[j, i] == 0]
    include = [absent[0]]
    prob = sk.StructureLearning(X, include_edges=include, exclude_edges=exclude)
    for method in ("dagma", "notears"):
        res = sk.solve(prob, method=method, lambda1=0.02)
        assert res.extra["W_raw"][exclude[0]] == 0 and res.x[exclude[0]] == 0
        assert res.extra["adjacency"][include[0]] == 1 and res.x[include[0]] != 0
        assert is_dag(res.x)


def test_always_dag_with_zero_threshold():
    B, W, X = make(d=10, k=3, n=200, seed=3)
    res = sk.solve(sk.StructureLearning(X), method="dagma", lambda1=0.0, w_threshold=0.0, T=2,
                   polish=False)
    assert is_dag(res.x)
    for i, j, w in res.extra["removed_edges"]:
        assert res.x[i, j] == 0 and w == res.extra["W_raw"][i, j]


def test_x_and_defaults_not_mutated(easy):
    B, W, X = easy
    X0 = X.copy()
    s = [1.0, 0.9, 0.8]
    sk.solve(sk.StructureLearning(X), method="dagma", s=s, T=5, lambda1=0.02)
    assert np.array_equal(X, X0) and s == [1.0, 0.9, 0.8]
    from solverkit_dagma.solvers import DagmaOptions

    assert DagmaOptions().s == (1.0, 0.9, 0.8, 0.7, 0.6)
    assert DagmaOptions(s=[1.0, 0.5], T=4).schedule() == (1.0, 0.5, 0.5, 0.5)


def test_seed_reproducible(easy):
    B, W, X = easy
    prob = sk.StructureLearning(X)
    a = sk.solve(prob, method="dagma", seed=1)
    b = sk.solve(prob, method="dagma", seed=1)
    assert np.array_equal(a.x, b.x) and a.fun == b.fun


@pytest.mark.parametrize("bad, match", [
    ({"lambda1": -0.1}, "lambda1"), ({"T": 0}, "T"), ({"s": [1.0, -1.0]}, "s"),
    ({"mu_factor": 0.0}, "mu_factor"), ({"inner": "sgd"}, "inner"), ({"shrink": 1.5}, "shrink"),
    ({"beta_1": 1.0}, "beta_1"), ({"w_threshold": -1.0}, "w_threshold"),
    ({"polish": "yes"}, "polish"), ({"warm_ftol": 0.0}, "warm_ftol"),
])
def test_bad_options(easy, bad, match):
    with pytest.raises((ValueError, TypeError), match=match):
        sk.solve(sk.StructureLearning(easy[2]), method="dagma", **bad)


def test_bad_problems(easy):
    X = easy[2]
    Xn = X.copy()
    Xn[0, 0] = np.nan
    with pytest.raises(ValueError, match="finite"):
        sk.StructureLearning(Xn)
    with pytest.raises(ValueError, match="2 samples"):
        sk.StructureLearning(X[:1])
    Xc = X.copy()
    Xc[:, 2] = 1.0
    with pytest.raises(ValueError, match="constant"):
        sk.StructureLearning(Xc)
    with pytest.raises(ValueError, match="outside"):
        sk.StructureLearning(X, include_edges=[(0, 8)])
    with pytest.raises(ValueError, match="both"):
        sk.StructureLearning(X, include_edges=[(0, 1)], exclude_edges=[(0, 1)])
    with pytest.raises(ValueError, match="cycle"):
        sk.StructureLearning(X, include_edges=[(0, 1), (1, 0)])


@pytest.mark.parametrize("method", ["dagma", "notears"])
def test_conformance(method):
    check_solver(method)


def test_dagma_linear_drop_in(easy):
    from solverkit_dagma import DagmaLinear

    B, W, X = easy
    X0 = X.copy()
    model = DagmaLinear(loss_type="l2")
    W_est = model.fit(X, lambda1=0.02, warm_iter=3e4, max_iter=6e4)
    assert np.array_equal(X, X0) and is_dag(W_est)
    assert count_accuracy(B, W_est != 0)["shd"] == 0
    assert model.h_final < 1e-5 and model.score_final > 0
    direct = sk.solve(sk.StructureLearning(X), method="dagma", lambda1=0.02)
    assert np.array_equal(W_est, direct.x)
    with pytest.raises(ValueError, match="loss_type"):
        DagmaLinear(loss_type="poisson")


@pytest.mark.parametrize("inner", ["lbfgsb", "pqn"])
def test_warm_start_outside_next_domain_is_rescaled_not_s(easy, inner):
    B, W, X = easy
    res = sk.solve(sk.StructureLearning(X), method="dagma", lambda1=0.02, T=2, s=(1.0, 0.05),
                   inner=inner)
    stage = res.extra["stages"][1]
    assert "rescaled_by" in stage and 0 < stage["rescaled_by"] < 1
    assert res.extra["s_used"] == [1.0, 0.05] and res.extra["s_changed"] == []
    from solverkit_dagma.functions import LogDet

    assert LogDet(8).inside(res.extra["W_raw"], 0.05)  # the stage stayed in its domain
    assert is_dag(res.x)


def test_notears_logistic_and_time_limit():
    rng = np.random.default_rng(2)
    B = simulate_dag(5, 4, "ER", rng=rng)
    X = simulate_linear_sem(simulate_parameter(B, rng=rng), 500, "logistic", rng=rng)
    res = sk.solve(sk.StructureLearning(X, loss="logistic"), method="notears", lambda1=0.02)
    assert res.success and is_dag(res.x) and res.extra["h_final_expm"] < 1e-6
    _, _, Xg = make(d=10, k=2, n=300, seed=4)
    res = sk.solve(sk.StructureLearning(Xg), method="dagma", time_limit=1e-6)
    assert res.status is sk.Status.TIME_LIMIT and is_dag(res.x)


@pytest.mark.parametrize("method, inner", [("dagma", "lbfgsb"), ("dagma", "pqn"),
                                           ("notears", None)])
def test_included_edge_with_zero_weight_stays_in_graph(method, inner):
    """Exactly orthogonal columns give an included edge a zero gradient along the whole path,
    so its fitted weight is exactly 0; it must still be an edge of the returned graph."""
    from scipy.linalg import hadamard
    from solverkit_dagma.solvers import TINY

    X = hadamard(8)[:, 1:4].astype(float)  # centred, mutually orthogonal columns
    prob = sk.StructureLearning(X, include_edges=[(0, 1)])
    opts = {"inner": inner} if inner else {}
    res = sk.solve(prob, method=method, lambda1=0.02, **opts)
    assert res.success, res.message
    assert res.extra["W_raw"][0, 1] == 0.0  # the fit itself leaves it at 0 ...
    assert abs(res.x[0, 1]) == TINY  # ... and the graph keeps it
    assert res.extra["adjacency"][0, 1] == 1 and res.extra["zero_weight_included"] == [(0, 1)]
    assert np.count_nonzero(res.x) == 1 and is_dag(res.x)
    assert np.isfinite(res.fun)


@pytest.mark.parametrize("inner", ["lbfgsb", "pqn"])
def test_loose_warm_stages_reach_the_same_answer(inner):
    """warm_ftol loosens only stages 0..T-3: fewer steps there, the same final graph and
    objective as running every stage at ftol (the session-11 behaviour)."""
    B, W, X = make(d=20, k=2, n=500, seed=3)
    prob = sk.StructureLearning(X)
    loose = sk.solve(prob, method="dagma", lambda1=0.02, inner=inner, warm_ftol=1e-5)
    tight = sk.solve(prob, method="dagma", lambda1=0.02, inner=inner, warm_ftol=1e-7)
    assert loose.success and tight.success
    assert sum(loose.extra["steps_per_stage"][:-2]) < sum(tight.extra["steps_per_stage"][:-2])
    assert np.array_equal(loose.x != 0, tight.x != 0)
    assert loose.fun == pytest.approx(tight.fun, rel=1e-9)
    assert count_accuracy(B, loose.x != 0)["shd"] == count_accuracy(B, tight.x != 0)["shd"]
    # None is ftol in every stage: bitwise the run with warm_ftol = ftol
    plain = sk.solve(prob, method="dagma", lambda1=0.02, inner=inner, warm_ftol=None)
    assert plain.extra["steps_per_stage"] == tight.extra["steps_per_stage"]
    assert np.array_equal(plain.extra["W_raw"], tight.extra["W_raw"])
