import numpy as np
import pytest
from solverkit_tucker.data import low_rank_plus_noise
from solverkit_tucker.spectra import clear_cache, mode_spectra, spectra_of


def _svd_spectra(x):
    out = []
    for n in range(x.ndim):
        s = np.linalg.svd(np.moveaxis(x, n, 0).reshape(x.shape[n], -1), compute_uv=False)
        v = np.zeros(x.shape[n])
        v[: s.size] = s**2
        out.append(v)
    return out


@pytest.mark.parametrize("shape", [(6, 7, 8), (30, 2, 3), (1, 5, 4), (3, 4, 2, 5)])
def test_matches_svd_of_each_unfolding(shape):
    # (30, 2, 3): mode 0 has more rows than columns, so the other Gram side is used.
    x = np.random.default_rng(0).standard_normal(shape)
    spec = mode_spectra(x)
    total = float(np.sum(x**2))
    assert spec.total == pytest.approx(total, rel=1e-13)
    for n, ref in enumerate(_svd_spectra(x)):
        assert spec.sigma2[n].shape == (shape[n],)
        np.testing.assert_allclose(spec.sigma2[n], ref, rtol=1e-9, atol=1e-10 * total)
        assert np.all(np.diff(spec.sigma2[n]) <= 0) and np.all(spec.sigma2[n] >= 0)
        assert spec.heads[n][-1] == spec.total  # the full space captures everything
        assert spec.tail(n, shape[n]) == 0.0


def test_rank_deficient_is_clipped_nonnegative():
    x = low_rank_plus_noise((12, 10, 9), (2, 3, 2), noise=0.0, seed=1)
    spec = mode_spectra(x)
    for n, r in enumerate((2, 3, 2)):
        assert np.all(spec.sigma2[n] >= 0)
        assert spec.tail(n, r) <= 1e-10 * spec.total
        assert spec.tail(n, r - 1) > 1e-3 * spec.total


def test_cache_per_tensor_and_invalidated_on_change():
    clear_cache()
    x = np.random.default_rng(1).standard_normal((5, 6, 7))
    a = spectra_of(x)
    assert spectra_of(x) is a
    assert spectra_of(x.copy()) is not a
    x[0, 0, 0] += 1.0  # mutated in place: must not serve stale spectra
    b = spectra_of(x)
    assert b is not a and b.total == pytest.approx(float(np.sum(x**2)))


def test_randomized_top_part_matches(monkeypatch):
    import solverkit_tucker.spectra as sp

    x = low_rank_plus_noise((40, 30, 20), (5, 4, 3), noise=0.01, seed=2)
    monkeypatch.setattr(sp, "GRAM_LIMIT", 10)  # force the randomized path
    spec = sp.mode_spectra(x, max_rank=(8, 8, 8))
    full = _svd_spectra(x)
    for n, r in enumerate((5, 4, 3)):
        assert spec.known[n] == 8
        np.testing.assert_allclose(spec.sigma2[n][:r], full[n][:r], rtol=1e-6)  # signal
        np.testing.assert_allclose(spec.sigma2[n][r:8], full[n][r:8], rtol=0.1)  # noise floor
        assert np.all(spec.sigma2[n][8:] == 0)


@pytest.mark.parametrize("shape", [(3, 4, 5, 6), (6, 2, 9, 2), (2, 3, 40, 3)])
def test_every_gram_route_matches_the_unfolding(shape):
    # First / last mode: a plain product; middle modes: a batched product when its temporary
    # is small, else the moved-axis copy. All must give the unfolding's own Gram.
    from solverkit_tucker.spectra import _unfold_gram

    x = np.random.default_rng(3).standard_normal(shape)
    for n in range(x.ndim):
        unfolded = np.moveaxis(x, n, 0).reshape(shape[n], -1)
        small = unfolded @ unfolded.T if shape[n] <= unfolded.shape[1] else \
            unfolded.T @ unfolded
        gram, i_n = _unfold_gram(x, n)
        assert i_n == shape[n]
        np.testing.assert_allclose(gram, small, rtol=1e-12, atol=1e-12)


def test_fingerprint_of_a_non_contiguous_tensor_sees_changes():
    from solverkit_tucker.spectra import _fingerprint

    # An in-place change that keeps the sum is caught by the strided sample (which starts
    # at index 0 on every axis), read without copying the Fortran-ordered array.
    x = np.asfortranarray(np.random.default_rng(4).standard_normal((6, 5, 4)))
    before = _fingerprint(x)
    x[0, 0, 0] += 1.0
    x[5, 4, 3] -= 1.0
    assert _fingerprint(x) != before
