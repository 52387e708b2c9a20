"""The truncated-HOSVD error table, its search and the warm-started fits."""

import itertools

import numpy as np
import pytest
from solverkit_tucker.data import low_rank_plus_noise
from solverkit_tucker.hooi import reconstruct
from solverkit_tucker.proxy import WarmFitter, best_on_table, brute_force_on_table, hosvd_table
from solverkit_tucker.search import tucker_size
from solverkit_tucker.spectra import mode_spectra

import solverkit as sk


def _thosvd_rre(x, ranks):
    """Independent T-HOSVD error: factors from a full SVD of each unfolding."""
    core = x
    for n, r in enumerate(ranks):
        u = np.linalg.svd(np.moveaxis(x, n, 0).reshape(x.shape[n], -1))[0][:, :r]
        core = np.moveaxis(np.tensordot(core, u, axes=(n, 0)), -1, n)
    return 1.0 - float(np.sum(core**2)) / float(np.sum(x**2))


def _table(x, caps=None):
    return hosvd_table(x, mode_spectra(x, caps, vectors=True))


@pytest.mark.parametrize("shape", [(7, 6, 5), (3, 4, 2, 5), (20, 2, 3)])
def test_table_is_the_exact_truncated_hosvd_error(shape):
    # (20, 2, 3): mode 0 has more rows than columns, so its vectors come from the other Gram.
    x = np.random.default_rng(1).standard_normal(shape)
    tab = _table(x)
    for u in tab.factors:
        np.testing.assert_allclose(u.T @ u, np.eye(u.shape[1]), atol=1e-10)
    for ranks in itertools.product(*[range(1, i + 1) for i in shape]):
        assert tab.rre(ranks) == pytest.approx(_thosvd_rre(x, ranks), abs=1e-12)


def test_table_error_bounds_the_surrogate():
    x = low_rank_plus_noise((12, 10, 9), (3, 4, 2), noise=0.2, seed=3)
    spec = mode_spectra(x, vectors=True)
    tab = hosvd_table(x, spec)
    for ranks in [(1, 1, 1), (3, 4, 2), (5, 2, 7), (12, 10, 9)]:
        # max_n Tail_n <= L* <= L_THOSVD <= sum_n Tail_n  (all divided by ||X||^2)
        assert spec.max_tail(ranks) / spec.total <= tab.rre(ranks) + 1e-12
        assert tab.rre(ranks) <= spec.sum_tail(ranks) / spec.total + 1e-12


@pytest.mark.parametrize("grid_limit", [1_000_000, 0])
def test_search_on_table_matches_brute_force(grid_limit, monkeypatch):
    # grid_limit 0: the per-budget chunked enumeration instead of the sweep's cached grid.
    from solverkit_tucker import proxy

    monkeypatch.setattr(proxy, "GRID_LIMIT", grid_limit)
    rng = np.random.default_rng(0)
    for trial in range(40):
        n_modes = int(rng.integers(2, 5))
        shape = tuple(int(v) for v in rng.integers(1, 9, n_modes))
        x = rng.standard_normal(shape) * np.exp(-rng.random(shape) * 3)
        if trial % 5 == 0:  # rank-deficient / tied energies
            x = low_rank_plus_noise(shape, tuple(max(1, i // 3) for i in shape), 0.0, seed=trial)
        tab = _table(x)
        low, high = 1 + sum(shape), tucker_size(shape, shape)
        for budget in {low, int(rng.integers(low, high + 1)), high + 5}:
            got = best_on_table(tab, budget, 4)
            want = brute_force_on_table(tab, budget)
            assert tab.rre(got[0]) == pytest.approx(tab.rre(want), abs=1e-13)
            assert all(tucker_size(shape, s) <= budget for s in got)
            assert len(set(got)) == len(got)
            values = [tab.rre(s) for s in got]
            assert values == sorted(values)


def test_search_beyond_the_enumeration_limit_uses_the_fallback(monkeypatch):
    import solverkit_tucker.proxy as proxy

    x = low_rank_plus_noise((9, 8, 7), (3, 3, 2), seed=1)
    tab = _table(x)
    monkeypatch.setattr(proxy, "ENUMERATION_LIMIT", 1)
    given = [(2, 2, 2), (3, 3, 2), (9, 8, 7)]  # the last one does not fit
    got = best_on_table(tab, 200, 3, fallback=lambda: given)
    assert set(got) == {(2, 2, 2), (3, 3, 2)} and tab.rre(got[0]) <= tab.rre(got[1])
    with pytest.raises(ValueError, match="fallback"):
        best_on_table(tab, 200, 1)


def test_warm_fits_are_genuine_models_of_x():
    x = low_rank_plus_noise((16, 14, 12), (4, 3, 5), noise=0.15, seed=5)
    tab = _table(x)
    warm = WarmFitter(x, tab, n_iter=20, tol=1e-8)
    for ranks in [(4, 3, 5), (2, 6, 3), (1, 1, 1)]:
        screened = warm.screen(ranks)
        fit = warm.fit(ranks)
        for u, r, i in zip(fit.factors, ranks, x.shape, strict=True):
            assert u.shape == (i, r)
            np.testing.assert_allclose(u.T @ u, np.eye(r), atol=1e-10)
        resid = x - reconstruct(fit.core, fit.factors)
        assert fit.rre == pytest.approx(float(np.sum(resid**2) / np.sum(x**2)), rel=1e-9)
        # HOOI from the T-HOSVD start only improves it, sweep by sweep.
        assert fit.rre <= screened.rre + 1e-14 <= tab.rre(ranks) + 2e-14
    assert warm.fit((4, 3, 5)) is not None and warm.hits >= 1


def test_tiny_error_is_measured_on_the_residual():
    y = low_rank_plus_noise((10, 9, 8), (2, 3, 2), noise=0.0, seed=2)
    warm = WarmFitter(y, _table(y), n_iter=5, tol=0.0)
    fit = warm.fit((2, 3, 2))
    resid = y - reconstruct(fit.core, fit.factors)
    assert fit.rre == pytest.approx(float(np.sum(resid**2) / np.sum(y**2)), abs=1e-25)
    assert fit.rre < 1e-20


def test_default_shape_solver_is_close_to_the_true_loss_greedy():
    x = low_rank_plus_noise((14, 12, 10), (3, 5, 4), noise=0.1, seed=7)
    budgets = [120, 250, 500]
    prob = sk.TuckerRank(x, budgets)
    shape = sk.solve(prob, method="tucker-shape", seed=0)
    greedy = sk.solve(prob, method="tucker-greedy", seed=0)
    assert np.all(shape.fun <= greedy.fun * 1.05)
    assert shape.extra["hooi_sweeps"] < greedy.extra["hooi_sweeps"] / 5
    for rec in shape.extra["budgets"]:
        assert rec["size"] <= rec["budget"]
        assert rec["rre"] <= rec["table_rre"] + 1e-14
        assert len(rec["candidates"]) <= 3
        screened = [r for _, r in rec["candidates"] if r is not None]
        assert not screened or rec["rre"] <= min(screened) + 1e-14


def test_paper_evaluation_of_the_chosen_shape():
    # init="random": the chosen shape is fitted with the paper's 20 random-start sweeps,
    # exactly as the true-loss greedy scores the same shape.
    x = low_rank_plus_noise((14, 12, 10), (3, 5, 4), noise=0.1, seed=7)
    res = sk.solve(sk.TuckerRank(x, 250), method="tucker-shape", seed=0, init="random")
    from solverkit_tucker.evaluate import Evaluator

    seed = int(np.random.default_rng(0).integers(2**31))
    assert res.fun == Evaluator(x, 20, "random", seed).fit(res.x).rre


def test_warm_fits_continue_without_repeating_sweeps():
    x = low_rank_plus_noise((15, 13, 11), (4, 3, 5), noise=0.2, seed=8)
    warm = WarmFitter(x, _table(x), n_iter=20, tol=0.0)
    one = warm.screen((4, 3, 5))
    three = warm.advance((4, 3, 5), 3)
    assert warm.sweeps == 3 and three.rre <= one.rre + 1e-15
    full = warm.fit((4, 3, 5))
    assert warm.sweeps == 20 and full.rre <= three.rre + 1e-15
    assert warm.fit((4, 3, 5)).rre == full.rre and warm.sweeps == 20  # cached


def test_pruned_shapes_cannot_beat_the_leader():
    # A shape is dropped from screening only when its lower bound max_n Tail_n is not below
    # the leader's T-HOSVD error; then even its best HOOI fit (several starts) is no better.
    from solverkit_tucker.hooi import hooi
    from solverkit_tucker.shape import _prune

    x = low_rank_plus_noise((12, 10, 9), (2, 4, 3), noise=0.05, seed=4)
    spec = mode_spectra(x, vectors=True)
    tab = hosvd_table(x, spec)
    dropped = 0
    for budget in (60, 90, 150, 250):
        shapes = best_on_table(tab, budget, 8)
        kept = _prune(shapes, spec, tab)
        assert kept[0] == shapes[0] and set(kept) <= set(shapes)
        lead = tab.rre(shapes[0])
        for s in set(shapes) - set(kept):
            dropped += 1
            best = min(hooi(x, s, n_iter=30, rng=k).rre for k in range(3))
            assert best >= lead - 1e-12
    assert dropped > 0  # the rule does fire on this tensor


def test_single_candidate_skips_screening():
    x = low_rank_plus_noise((14, 12, 10), (3, 5, 4), noise=0.1, seed=7)
    res = sk.solve(sk.TuckerRank(x, [120, 250]), method="tucker-shape", seed=0, candidates=1)
    for rec in res.extra["budgets"]:
        assert rec["candidates"] == [(rec["ranks"], None)]
        assert rec["rre"] <= rec["table_rre"] + 1e-14


@pytest.mark.parametrize("shape", [(5, 4, 6, 3, 4), (6, 6, 6), (4, 3, 5, 2)])
def test_one_pass_table_equals_the_two_step_table(shape):
    # Every mode kept whole: the spectra and the rotation come from one cyclic pass; they
    # must equal the separate spectra + projection (and so the exact T-HOSVD errors).
    from solverkit_tucker.proxy import table_with_spectra

    x = low_rank_plus_noise(shape, tuple(max(1, i // 2) for i in shape), noise=0.1, seed=2)
    spec, tab = table_with_spectra(x, shape)
    ref_spec = mode_spectra(x, vectors=True)
    ref = hosvd_table(x, ref_spec)
    assert tab.caps == shape and spec.vectors is not None
    for n in range(len(shape)):
        np.testing.assert_allclose(spec.sigma2[n], ref_spec.sigma2[n], rtol=1e-10,
                                   atol=1e-12 * spec.total)
        np.testing.assert_allclose(spec.heads[n], ref_spec.heads[n], rtol=1e-12)
    np.testing.assert_allclose(tab.energy, ref.energy, rtol=1e-10, atol=1e-12 * spec.total)
    for ranks in [(1,) * len(shape), tuple(max(1, i // 2) for i in shape), shape]:
        assert tab.rre(ranks) == pytest.approx(_thosvd_rre(x, ranks), abs=1e-12)


def test_table_with_spectra_falls_back_when_a_mode_is_truncated():
    from solverkit_tucker.proxy import table_with_spectra
    from solverkit_tucker.spectra import clear_cache

    clear_cache()
    x = low_rank_plus_noise((9, 8, 7), (2, 3, 2), noise=0.1, seed=5)
    spec, tab = table_with_spectra(x, (4, 8, 7))  # mode 0 capped below its size
    assert tab.caps == (4, 8, 7)
    for ranks in [(1, 1, 1), (4, 3, 2), (2, 8, 7)]:
        assert tab.rre(ranks) == pytest.approx(_thosvd_rre(x, ranks), abs=1e-12)


def test_settled_close_calls_skip_the_tie_break(monkeypatch):
    # When the screening sweep barely moves any close call, no tie-break sweeps are run:
    # each budget then costs its screens plus the winner's refinement only.
    from solverkit_tucker import shape as shape_mod

    x = low_rank_plus_noise((8,) * 5, (2, 2, 3, 3, 4), noise=0.1, seed=3)
    calls = []
    orig = WarmFitter.advance

    def spy(self, ranks, sweeps=None, coarse=False):
        calls.append((tuple(ranks), sweeps, coarse))
        return orig(self, ranks, sweeps, coarse)

    monkeypatch.setattr(WarmFitter, "advance", spy)
    res = sk.solve(sk.TuckerRank(x, 700), method="tucker-shape", seed=0)
    ties = [c for c in calls if c[1] == shape_mod.TIE_SWEEPS]
    assert len(res.extra["candidates"]) > 1 and not ties
    # With the rule switched off the same solve runs the tie-breaks.
    monkeypatch.setattr(shape_mod, "SETTLED", -1.0)
    calls.clear()
    sk.solve(sk.TuckerRank(x, 700), method="tucker-shape", seed=0)
    assert any(c[1] == shape_mod.TIE_SWEEPS for c in calls)
