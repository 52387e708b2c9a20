"""Regression fixtures: the spec's exact golden values on tensorly's bundled Indian Pines."""

import pytest
from solverkit_tucker.hooi import hooi
from solverkit_tucker.search import exact_shape
from solverkit_tucker.spectra import mode_spectra

pytest.importorskip("tensorly")


@pytest.fixture(scope="module")
def pines():
    from solverkit_tucker.data import indian_pines

    return indian_pines()


def test_indian_pines_exact_surrogate_shapes(pines):
    spec = mode_spectra(pines)
    golden = {2000: (4, 6, 2), 5000: (13, 13, 3), 10000: (25, 26, 3), 20000: (45, 39, 4)}
    for budget, shape in golden.items():
        assert exact_shape(spec, budget)[0] == shape


def test_indian_pines_hooi_error(pines):
    # Paper setting: random start, 20 sweeps. Golden value .00878 (spec section 5).
    assert hooi(pines, (5, 5, 2), n_iter=20, rng=0).rre == pytest.approx(0.00878, rel=1e-3)
