"""Shared small instances and a brute-force optimum for the tests."""

from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from solverkit_submodular import FacilityLocation, SetCoverage  # noqa: E402


def random_coverage(seed, n=14, universe=30, low=1, high=8):
    rng = np.random.default_rng(seed)
    return SetCoverage([rng.choice(universe, size=rng.integers(low, high), replace=False)
                        for _ in range(n)], universe=universe)


def random_facility(seed, n=14, points=25, sparse=False):
    rng = np.random.default_rng(seed)
    X, Y = rng.random((points, 3)), rng.random((n, 3))
    sim = np.exp(-3.0 * ((X[:, None] - Y[None]) ** 2).sum(-1))
    if sparse:
        import scipy.sparse as sp

        sim = np.where(sim > 0.6, sim, 0.0)
        return FacilityLocation(sp.csr_matrix(sim))
    return FacilityLocation(sim)


@pytest.fixture(params=["coverage", "facility", "facility-sparse"])
def small_oracle(request):
    def make(seed, n=14):
        if request.param == "coverage":
            return random_coverage(seed, n=n)
        return random_facility(seed, n=n, sparse=request.param == "facility-sparse")

    return make


@pytest.fixture
def make_coverage():
    """random_coverage(seed, n=14, universe=30) as a fixture (tests cannot import conftest)."""
    return random_coverage
