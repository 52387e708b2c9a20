"""dagma-mlp: analytic gradients against finite differences, recovery, conformance."""

import numpy as np
import pytest
from solverkit_dagma.functions import LogDet
from solverkit_dagma.mlp import MLPModel, objective
from solverkit_dagma.utils import count_accuracy, is_dag, simulate_dag, simulate_nonlinear_sem

import solverkit as sk
from solverkit.testing import check_solver


@pytest.mark.parametrize("hidden", [(3,), (3, 2)])
def test_objective_gradient_matches_finite_differences(hidden):
    rng = np.random.default_rng(0)
    d, n = 4, 30
    X = rng.standard_normal((n, d))
    mod = MLPModel.init(d, hidden, rng)
    mod.U[...] = 0.2 * rng.standard_normal(mod.U.shape)
    mod.a[...] = rng.standard_normal(mod.a.shape)
    ld = LogDet(d)
    F, g, score, h = objective(mod, X, 0.01, 0.1, 0.9, ld)
    assert h > 0 and np.isfinite(score)
    for pos, (P, G) in enumerate(zip(mod.params(), g.params())):
        for idx in np.ndindex(P.shape):
            P[idx] += 1e-6
            fp = objective(mod, X, 0.01, 0.1, 0.9, ld)[0]
            P[idx] -= 2e-6
            fm = objective(mod, X, 0.01, 0.1, 0.9, ld)[0]
            P[idx] += 1e-6
            assert abs((fp - fm) / 2e-6 - G[idx]) < 1e-6, (pos, idx)


def test_forward_matches_explicit_per_node_network():
    """The vectorised forward pass equals a plain loop over nodes and layers."""
    rng = np.random.default_rng(3)
    d, n = 3, 5
    X = rng.standard_normal((n, d))
    mod = MLPModel.init(d, (4, 2), rng)
    mod.U[...] = rng.standard_normal(mod.U.shape)
    out = mod.predict(X)
    for j in range(d):
        z = X @ mod.U[j].T + mod.a[j]
        for V, b in mod.layers:
            z = (1.0 / (1.0 + np.exp(-z))) @ V[j] + b[j]
        assert np.allclose(out[:, j], z[:, 0])


def test_adjacency_is_first_layer_energy():
    rng = np.random.default_rng(1)
    U = rng.standard_normal((3, 2, 3))
    mod = MLPModel(U, np.zeros((3, 2)), [(np.zeros((3, 2, 1)), np.zeros((3, 1)))])
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



def test_deep_network_stops_at_a_true_stationary_point():
    """With two hidden layers the back-propagated signal at U = 0 is weaker than lambda1 on
    this small problem, so the empty graph is a KKT point of every stage: the L1
    subgradient covers the score gradient. Check that this, not a bug, is why it is empty."""
    rng = np.random.default_rng(0)
    B = simulate_dag(4, 4, "ER", rng=rng)
    X = simulate_nonlinear_sem(B, 600, "mim", rng=rng)
    res = sk.solve(sk.StructureLearning(X), method="dagma-mlp", hidden=(8, 4), seed=0)
    model = res.extra["model"]
    assert len(model.layers) == 2 and model.layers[0][0].shape == (4, 8, 4)
    assert is_dag(res.x)
    Xc = X  # the data as fitted: like the reference, dagma-mlp does not centre
    _, g, _, _ = objective(model, Xc, 0.005, 1e-4, 1.0, LogDet(4))
    off = np.ones((4, 8, 4), dtype=bool)
    off[np.arange(4), :, np.arange(4)] = False
    if not model.U.any():
        assert np.abs(g.U[off]).max() <= 0.02 + 1e-6
    else:  # otherwise the nonzero entries satisfy the L1 optimality condition
        nz = (model.U != 0) & off
        assert np.allclose(g.U[nz], -0.02 * np.sign(model.U[nz]), atol=1e-3)


def test_mlp_bad_options():
    X = np.random.default_rng(0).standard_normal((20, 3))
    with pytest.raises(ValueError, match="lambda2"):
        sk.solve(sk.StructureLearning(X), method="dagma-mlp", lambda2=-1.0)
    with pytest.raises(ValueError, match="hidden"):
        sk.solve(sk.StructureLearning(X), method="dagma-mlp", hidden=0)
    with pytest.raises(ValueError, match="hidden"):
        sk.solve(sk.StructureLearning(X), method="dagma-mlp", hidden=(4, 0))
    with pytest.raises(ValueError, match="hidden"):
        sk.solve(sk.StructureLearning(X), method="dagma-mlp", hidden=())
    with pytest.raises(ValueError, match="warm_ftol"):
        sk.solve(sk.StructureLearning(X), method="dagma-mlp", warm_ftol=0.0)
    with pytest.raises(TypeError, match="center"):  # the core checks the annotated type
        sk.solve(sk.StructureLearning(X), method="dagma-mlp", center="yes")


def test_mlp_conformance():
    rng = np.random.default_rng(5)
    B = simulate_dag(3, 2, "ER", rng=rng)  # tiny: the kit solves it about ten times
    prob = sk.StructureLearning(simulate_nonlinear_sem(B, 50, "mlp", rng=rng))
    check_solver("dagma-mlp", prob)


def test_bench_reports_reference_skipped_without_torch(monkeypatch):
    """The dagma-mlp bench suite is registered and names why the reference is skipped."""
    import sys

    from solverkit_dagma import bench_mlp

    monkeypatch.delenv("SOLVERKIT_DAGMA_BENCH_NOREF", raising=False)
    monkeypatch.setitem(sys.modules, "torch", None)  # "import torch" now raises ImportError
    reason = bench_mlp._reference_missing()
    assert reason is not None and "torch not importable" in reason
    assert "dagma-mlp" in {b.name for b in bench_mlp.BENCHMARKS}
    B, X = bench_mlp.make_data(6, 1, n=50)
    assert X.shape == (50, 6) and B.sum() == 6


def test_starts_keep_the_lowest_final_objective():
    """starts=k runs k paths (the first is the starts=1 path) and returns the lowest final
    objective, which is the objective of the returned model recomputed from scratch."""
    rng = np.random.default_rng(2)
    B = simulate_dag(4, 4, "ER", rng=rng)
    X = simulate_nonlinear_sem(B, 100, "mlp", rng=rng)
    kw = dict(seed=3, T=2, warm_iter=100, last_iter=100)
    one = sk.solve(sk.StructureLearning(X), method="dagma-mlp", **kw)
    three = sk.solve(sk.StructureLearning(X), method="dagma-mlp", starts=3, **kw)
    objs = three.extra["starts_objective"]
    assert len(objs) == 3 and objs[0] == pytest.approx(one.extra["objective_final"], rel=1e-12)
    assert three.extra["objective_final"] == min(objs)
    model = three.extra["model"]
    mu_T = three.extra["stages"][-1]["mu"]
    F, _, _, _ = objective(model, X, 0.005, mu_T, 1.0, LogDet(4))  # the raw X, as the reference
    assert F + 0.02 * np.abs(model.U).sum() == pytest.approx(min(objs), rel=1e-12)
    with pytest.raises(ValueError, match="starts"):
        sk.solve(sk.StructureLearning(X), method="dagma-mlp", starts=0)


def test_reference_record_maps_to_the_same_function():
    """A stored reference DagmaMLP (fc1 weight [j*m + k, i], fc2 LocallyConnected) becomes an
    MLPModel on centred data computing the reference's function of the raw data."""
    from solverkit_dagma.bench_mlp import reference_model

    rng = np.random.default_rng(4)
    d, m, n = 3, 4, 25
    X = rng.normal(2.0, 1.5, size=(n, d))
    W1, b1 = rng.standard_normal((d * m, d)), rng.standard_normal(d * m)
    V, b = rng.standard_normal((d, m, 1)), rng.standard_normal((d, 1))
    rec = {"params": {"fc1.weight": W1.tolist(), "fc1.bias": b1.tolist(),
                      "fc2.0.weight": V.tolist(), "fc2.0.bias": b.tolist()}}
    hid = 1.0 / (1.0 + np.exp(-(X @ W1.T + b1)))  # n x (d m), node-major
    expected = np.stack([hid[:, j * m:(j + 1) * m] @ V[j, :, 0] + b[j, 0] for j in range(d)], 1)
    mod = reference_model(rec, X)
    Xc = X - X.mean(axis=0)
    assert np.allclose(mod.predict(Xc) + X.mean(axis=0), expected)
    assert np.allclose(mod.adjacency()[0, 2], np.sum(W1[2 * m:3 * m, 0] ** 2))


@pytest.mark.parametrize("hidden", [(3,), (3, 2)])
def test_curvature_diagonals_match_finite_differences(hidden):
    """score_diag = c sum_n (d f_n / d theta)^2 + lambda2 with c = d / (n mse) (Gauss-Newton,
    the output Jacobian by finite differences); barrier_diag = d^2 (h_s / mu) / dU^2 exactly."""
    from solverkit_dagma.mlp import barrier_diag, barrier_scaling, score_diag

    rng = np.random.default_rng(1)
    d, n, lam2, mu, s = 3, 20, 0.01, 0.1, 1.0
    X = rng.standard_normal((n, d))
    mod = MLPModel.init(d, hidden, rng)
    mod.U[...] = 0.3 * rng.standard_normal(mod.U.shape)
    ld = LogDet(d)
    H, hb = score_diag(mod, X, lam2), barrier_diag(mod, mu, s, ld)
    R = mod.predict(X) - X
    c = d / float(np.sum(R * R))

    def h_of(m):
        return ld(np.sqrt(m.adjacency()), s, grad=False)[0] / mu

    eps = 1e-5
    for pos, (P, Hp) in enumerate(zip(mod.params(), H.params())):
        for idx in np.ndindex(P.shape):
            P[idx] += eps
            fp, hp = mod.predict(X), h_of(mod)
            P[idx] -= 2 * eps
            fm, hm = mod.predict(X), h_of(mod)
            P[idx] += eps
            gn = c * np.sum(((fp - fm) / (2 * eps)) ** 2) + lam2
            assert Hp[idx] == pytest.approx(gn, rel=1e-5), (pos, idx)
            if pos == 0:
                fd = (hp - 2 * h_of(mod) + hm) / eps**2
                assert hb[idx] == pytest.approx(fd, rel=1e-4, abs=1e-4), idx
    # the scaling: 1 where the barrier is flat (U = 0 off the diagonal), below 1 elsewhere
    sc = barrier_scaling(mod, X, lam2, mu, s, ld)
    assert sc.shape == (2 * mod.U.size + sum(p.size for p in mod.params()[1:]),)
    assert np.all((sc > 0) & (sc <= 1)) and np.all(sc[2 * mod.U.size:] == 1)
    assert np.all(sc[:mod.U.size].reshape(mod.U.shape)[np.arange(d), :, np.arange(d)] == 1)
    assert np.any(sc < 1)
    mod.U[...] = 0.0  # no edge, no barrier curvature off the diagonal: no scaling
    assert np.all(barrier_scaling(mod, X, lam2, mu, s, ld) == 1)


def test_warm_stages_use_warm_ftol_and_the_last_stage_ftol(monkeypatch):
    """Each warm stage t < T - 1 gets warm_ftol, the last stage ftol, and the scaled stage
    still ends no higher than where it started."""
    from solverkit_dagma import mlp

    seen = []
    stage = mlp._stage

    def spy(X, model, lambda1, lambda2, mu, s, logdet, maxiter, ftol, gtol, time_up, **kw):
        seen.append(ftol)
        start = mlp.final_objective(model, X, lambda1, lambda2, mu, s)
        out = stage(X, model, lambda1, lambda2, mu, s, logdet, maxiter, ftol, gtol, time_up, **kw)
        assert mlp.final_objective(out[0], X, lambda1, lambda2, mu, s) <= start + 1e-12
        return out

    monkeypatch.setattr(mlp, "_stage", spy)
    rng = np.random.default_rng(2)
    B = simulate_dag(3, 2, "ER", rng=rng)
    X = simulate_nonlinear_sem(B, 60, "mlp", rng=rng)
    sk.solve(sk.StructureLearning(X), method="dagma-mlp", T=3, ftol=1e-9, warm_ftol=1e-5,
             warm_iter=200, last_iter=200, seed=0)
    assert seen == [1e-5, 1e-5, 1e-9]


def test_reference_objective_scores_a_stored_point_on_our_objective():
    """Our own model written in the reference's parameter layout scores exactly our final
    objective (what the bench's objective / obj-ref columns compare)."""
    from solverkit_dagma.bench_mlp import LAMBDA1, LAMBDA2, MU_T, reference_objective
    from solverkit_dagma.mlp import final_objective

    rng = np.random.default_rng(6)
    d, m, n = 4, 3, 40
    X = rng.normal(1.0, 2.0, size=(n, d))
    mod = MLPModel.init(d, (m,), rng)
    mod.U[...] = 0.2 * rng.standard_normal(mod.U.shape)
    mod.U[np.arange(d), :, np.arange(d)] = 0.0
    r, c = np.triu_indices(d, 1)
    mod.U[c, :, r] = 0.0  # no edge r -> c with r < c: a DAG
    V, b = mod.layers[0]
    params = {"fc1.weight": mod.U.reshape(d * m, d), "fc1.bias": mod.a.ravel(),
              "fc2.0.weight": V, "fc2.0.bias": b}
    expected = final_objective(mod, X, LAMBDA1, LAMBDA2, MU_T, 1.0)
    assert np.isfinite(expected)
    assert reference_objective(params, X) == pytest.approx(expected, rel=1e-12)
