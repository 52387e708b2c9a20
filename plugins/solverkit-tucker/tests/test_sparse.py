"""Spectra of sparse COO tensors match the dense computation."""

import numpy as np
import pytest
from solverkit_tucker import spectra as spectra_mod
from solverkit_tucker.search import exact_shape
from solverkit_tucker.sparse import as_coo, coo_spectra
from solverkit_tucker.spectra import mode_spectra


def _sparse(shape, density, seed):
    rng = np.random.default_rng(seed)
    dense = rng.standard_normal(shape) * (rng.random(shape) < density)
    coords = np.array(np.nonzero(dense))
    return dense, coords, dense[tuple(coords)]


@pytest.mark.parametrize("shape", [(9, 7, 5), (4, 6, 3, 5), (30, 2, 2)])
def test_coo_spectra_equal_dense(shape):
    dense, coords, values = _sparse(shape, 0.2, 0)
    ref = mode_spectra(dense)
    got = coo_spectra(coords, values, shape)
    assert got.total == pytest.approx(ref.total, rel=1e-12)
    for a, b in zip(got.sigma2, ref.sigma2, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-10 * ref.total)
    for budget in (1 + sum(shape), 60, 150):
        assert exact_shape(got, budget)[1] == pytest.approx(exact_shape(ref, budget)[1],
                                                            rel=1e-10)


def test_coo_like_object_and_duplicates():
    import scipy.sparse as sp

    dense, coords, values = _sparse((6, 5, 4), 0.3, 1)
    obj = sp.coo_array((values, tuple(coords)), shape=dense.shape)  # an n-D scipy COO array
    ref = mode_spectra(dense)
    np.testing.assert_allclose(coo_spectra(obj).sigma2[1], ref.sigma2[1], atol=1e-10)
    # A duplicated entry split in two halves is the same tensor.
    c2 = np.concatenate([coords, coords[:, :1]], axis=1)
    v2 = np.concatenate([values, values[:1] / 2])
    v2[0] /= 2
    got = coo_spectra(c2, v2, dense.shape)
    assert got.total == pytest.approx(ref.total, rel=1e-12)
    np.testing.assert_allclose(got.sigma2[0], ref.sigma2[0], atol=1e-10)


def test_large_mode_uses_top_part(monkeypatch):
    dense, coords, values = _sparse((40, 6, 5), 0.3, 2)
    monkeypatch.setattr(spectra_mod, "GRAM_LIMIT", 20)
    with pytest.raises(ValueError, match="max_rank"):
        coo_spectra(coords, values, dense.shape)
    got = coo_spectra(coords, values, dense.shape, max_rank=(5, 6, 5))
    ref = mode_spectra(dense)
    assert got.known[0] == 5
    np.testing.assert_allclose(got.sigma2[0][:5], ref.sigma2[0][:5], rtol=1e-8)


def test_bad_sparse_input():
    coords = np.array([[0, 1], [0, 2]])
    with pytest.raises(ValueError, match="out of range"):
        as_coo(coords, [1.0, 2.0], (2, 2))
    with pytest.raises(ValueError, match="finite"):
        as_coo(coords, [1.0, np.nan], (2, 3))
    with pytest.raises(ValueError, match="shape"):
        as_coo(coords, [1.0], (2, 3))
    with pytest.raises(ValueError, match="at least 2 modes"):
        as_coo(np.array([[0]]), [1.0], (3,))
    with pytest.raises(ValueError, match="empty"):
        as_coo(np.zeros((2, 0), int), [], (0, 3))
    with pytest.raises(ValueError, match="integers"):
        as_coo(coords.astype(float), [1.0, 2.0], (2, 3))
    with pytest.raises(TypeError, match="coords"):
        as_coo([1, 2, 3])
