import numpy as np
import pytest
from solverkit_tucker.data import low_rank_plus_noise
from solverkit_tucker.tt import (
    tt_exact,
    tt_exhaustive,
    tt_greedy,
    tt_reconstruct,
    tt_size,
    tt_spectra,
    tt_svd,
    valid_tt,
)


def test_spectra_match_svd_of_sequential_unfoldings():
    x = np.random.default_rng(0).standard_normal((4, 5, 6, 3))
    spec = tt_spectra(x)
    for k in range(1, 4):
        m = x.reshape(int(np.prod(x.shape[:k])), -1)
        s = np.linalg.svd(m, compute_uv=False) ** 2
        np.testing.assert_allclose(spec.sigma2[k - 1], s, rtol=1e-9, atol=1e-12)


def test_exact_equals_brute_force():
    rng = np.random.default_rng(1)
    for _ in range(60):
        shape = tuple(int(v) for v in rng.integers(2, 6, size=rng.integers(2, 5)))
        x = rng.standard_normal(shape) * np.exp(-2 * rng.random(shape))
        spec = tt_spectra(x)
        lo, hi = sum(shape), tt_size(shape, tuple(spec.max_rank))
        budget = int(rng.integers(lo, max(lo + 1, hi)))
        ranks, value = tt_exact(spec, budget)
        _, oracle = tt_exhaustive(spec, budget)
        assert tt_size(shape, ranks) <= budget and valid_tt(shape, ranks)
        assert value == pytest.approx(oracle, rel=1e-12, abs=1e-12)
        g = tt_greedy(spec, budget)
        assert tt_size(shape, g) <= budget and spec.head_sum(g) <= value * (1 + 1e-12)


def test_tt_svd_error_within_surrogate_bounds():
    rng = np.random.default_rng(2)
    for _ in range(20):
        shape = tuple(int(v) for v in rng.integers(2, 7, size=rng.integers(3, 5)))
        x = rng.standard_normal(shape)
        spec = tt_spectra(x)
        ranks = []
        for k in range(len(shape) - 1):
            left = 1 if k == 0 else ranks[-1]
            ranks.append(int(rng.integers(1, min(spec.max_rank[k], left * shape[k]) + 1)))
        cores, rre = tt_svd(x, tuple(ranks))
        assert [c.shape[2] for c in cores[:-1]] == ranks
        lower = spec.max_tail(tuple(ranks)) / spec.total
        upper = spec.sum_tail(tuple(ranks)) / spec.total
        assert lower * (1 - 1e-9) <= rre <= upper * (1 + 1e-9) + 1e-15


def test_exact_tt_is_recovered_and_solver_runs():
    import solverkit as sk

    # A tensor with an exact TT of ranks (2, 3): the solver must find an error-free train.
    rng = np.random.default_rng(3)
    g = [rng.standard_normal((1, 6, 2)), rng.standard_normal((2, 7, 3)),
         rng.standard_normal((3, 5, 1))]
    x = tt_reconstruct(g)
    budget = tt_size(x.shape, (2, 3)) + 1 + 0  # TuckerRank needs >= 1 + sum(I_n)
    budget = max(budget, 1 + sum(x.shape))
    res = sk.solve(sk.TuckerRank(x, budget), method="tt-shape")
    assert res.success and res.fun < 1e-20 and res.extra["size"] <= budget
    sweep = sk.solve(sk.TuckerRank(low_rank_plus_noise((8, 7, 6, 5), (2, 3, 3, 2), seed=0),
                                   [40, 100, 300]), method="tt-shape")
    assert len(sweep.x) == 3 and np.all(np.diff(sweep.fun) <= 1e-12)


def test_bad_ranks():
    x = np.ones((3, 4, 5))
    with pytest.raises(ValueError, match="2 ranks"):
        tt_svd(x, (1,))
    with pytest.raises(ValueError, match="between 1 and 3"):
        tt_svd(x, (4, 1))
