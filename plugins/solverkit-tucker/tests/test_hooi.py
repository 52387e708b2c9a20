import numpy as np
import pytest
from solverkit_tucker.data import low_rank_plus_noise
from solverkit_tucker.hooi import hooi, reconstruct, st_hosvd
from solverkit_tucker.spectra import mode_spectra


def _rre(x, fit):
    r = x - reconstruct(fit.core, fit.factors)
    return float(np.sum(r**2) / np.sum(x**2))


@pytest.mark.parametrize("init", ["random", "svd"])
def test_fit_fields_and_orthonormal_factors(init):
    x = low_rank_plus_noise((15, 12, 10), (4, 3, 5), noise=0.1, seed=0)
    fit = hooi(x, (4, 3, 5), init=init, rng=0)
    assert fit.core.shape == (4, 3, 5) and fit.n_iter == 20
    for u, (i, r) in zip(fit.factors, [(15, 4), (12, 3), (10, 5)], strict=True):
        assert u.shape == (i, r)
        np.testing.assert_allclose(u.T @ u, np.eye(r), atol=1e-12)
    assert fit.rre == pytest.approx(_rre(x, fit), rel=1e-9)
    assert fit.rre_sqrt == pytest.approx(np.sqrt(fit.rre))


def test_exact_low_rank_is_recovered():
    x = low_rank_plus_noise((10, 9, 8, 7), (2, 3, 2, 3), noise=0.0, seed=3)
    assert hooi(x, (2, 3, 2, 3)).rre < 1e-20
    assert st_hosvd(x, (2, 3, 2, 3)).rre < 1e-20


def test_surrogate_bounds_hold():
    # max_n Tail_n <= L* <= HOOI(svd start) <= ST-HOSVD <= sum_n Tail_n
    rng = np.random.default_rng(4)
    for _ in range(15):
        shape = tuple(int(v) for v in rng.integers(3, 9, size=rng.integers(3, 5)))
        ranks = tuple(int(rng.integers(1, i + 1)) for i in shape)
        x = rng.standard_normal(shape) * np.exp(-rng.random(shape))
        spec = mode_spectra(x)
        lower, upper = spec.max_tail(ranks) / spec.total, spec.sum_tail(ranks) / spec.total
        st = st_hosvd(x, ranks).rre
        ho = hooi(x, ranks, init="svd").rre
        assert lower <= ho * (1 + 1e-9) + 1e-15
        assert ho <= st * (1 + 1e-9) + 1e-15
        assert st <= upper * (1 + 1e-9) + 1e-15
        assert upper <= len(shape) * ho * (1 + 1e-9) + 1e-15  # the factor-N guarantee


def test_matches_tensorly_tucker():
    tl = pytest.importorskip("tensorly")
    from tensorly.decomposition import tucker

    for seed, (shape, ranks) in enumerate([((20, 15, 12), (4, 5, 3)),
                                           ((10, 8, 9, 7), (3, 2, 4, 2)),
                                           ((25, 20, 6), (6, 5, 2))]):
        x = low_rank_plus_noise(shape, ranks, noise=0.1, seed=seed)
        for r in (ranks, tuple(max(1, q - 1) for q in ranks)):
            if any(q > np.prod(r) // q for q in r):
                continue  # R_n > prod of the others: tensorly truncates the factor, skip
            core, factors = tucker(x, rank=list(r), init="random", n_iter_max=20, tol=1e-20,
                                   random_state=0)
            ref = float(np.sum((x - tl.tucker_to_tensor((core, factors))) ** 2) / np.sum(x**2))
            for init in ("random", "svd"):
                ours = hooi(x, r, init=init, rng=0).rre
                assert ours == pytest.approx(ref, rel=1e-6)


def test_bad_ranks_rejected():
    x = np.ones((4, 5, 6))
    with pytest.raises(ValueError, match="between 1 and the mode size 5"):
        hooi(x, (2, 6, 2))
    with pytest.raises(ValueError, match="one entry per mode"):
        st_hosvd(x, (2, 2))
    with pytest.raises(ValueError, match="init"):
        hooi(x, (1, 1, 1), init="foo")


def test_zero_tensor_and_unit_mode():
    assert hooi(np.zeros((3, 4, 2)), (1, 2, 1)).rre == 0.0
    x = np.random.default_rng(0).standard_normal((1, 6, 5))
    fit = hooi(x, (1, 3, 3))
    assert fit.rre == pytest.approx(_rre(x, fit), rel=1e-9)


def test_known_start_error_lets_one_sweep_suffice():
    # From the T-HOSVD start of a low-noise tensor one sweep barely moves the error: told the
    # start's error, HOOI stops after that sweep; without it, it needs a second sweep to see
    # the stall. Both runs agree on the first sweep.
    x = low_rank_plus_noise((12, 10, 9), (3, 4, 2), noise=0.01, seed=1)
    ranks = (3, 4, 2)
    start = st_hosvd(x, ranks)
    tol = 1e-3 * start.rre
    told = hooi(x, ranks, n_iter=10, tol=tol, start=start.factors, start_error=start.rre)
    blind = hooi(x, ranks, n_iter=10, tol=tol, start=start.factors)
    first = hooi(x, ranks, n_iter=1, start=start.factors)
    assert told.n_iter == 1 and blind.n_iter >= 2
    assert told.rre == pytest.approx(first.rre, rel=1e-12) and told.rre <= start.rre + 1e-15
