import itertools

import numpy as np
import pytest
from solverkit_tucker.packing import PackingModel, split_grid
from solverkit_tucker.search import (
    exact_shape,
    exhaustive_shape,
    greedy_shape,
    neighbours,
    tucker_size,
)
from solverkit_tucker.spectra import mode_spectra


def _random_instance(rng):
    n_modes = int(rng.integers(2, 6))
    while True:
        shape = tuple(int(v) for v in rng.integers(1, 16, size=n_modes))
        if np.prod(shape) <= 1e5:
            break
    kind = rng.integers(3)
    x = rng.standard_normal(shape)
    if kind == 1:  # decaying energy
        x *= np.exp(-3 * rng.random(shape))
    elif kind == 2:  # rank-deficient unfoldings: flat (tied) heads
        r = tuple(int(rng.integers(1, i + 1)) for i in shape)
        core = rng.standard_normal(r)
        x = core
        for m, (i, q) in enumerate(zip(shape, r, strict=True)):
            x = np.moveaxis(np.tensordot(x, rng.standard_normal((i, q)), axes=(m, 1)), -1, m)
    lo, hi = 1 + sum(shape), tucker_size(shape, shape)
    budget = int(rng.integers(lo, hi + 1)) if rng.random() < 0.8 else int(rng.integers(lo, lo + 40))
    return shape, mode_spectra(x), budget


def _brute(spec, budget):
    """Independent oracle: plain Python over every shape."""
    best = -1.0
    for r in itertools.product(*[range(1, i + 1) for i in spec.shape]):
        if tucker_size(spec.shape, r) <= budget:
            best = max(best, spec.head_sum(r))
    return best


def test_exact_equals_brute_force_on_200_instances():
    rng = np.random.default_rng(2024)
    for _ in range(200):
        shape, spec, budget = _random_instance(rng)
        ranks, value = exact_shape(spec, budget)
        ex_ranks, ex_value = exhaustive_shape(spec, budget)
        assert tucker_size(shape, ranks) <= budget
        assert value == pytest.approx(ex_value, rel=1e-12, abs=1e-12 * spec.total)
        assert value == pytest.approx(spec.head_sum(ranks), rel=1e-12)
        # maximal: no single mode can still grow within the budget
        for n in range(len(shape)):
            if ranks[n] < shape[n]:
                up = ranks[:n] + (ranks[n] + 1,) + ranks[n + 1:]
                assert tucker_size(shape, up) > budget
        for g in (greedy_shape(spec, budget, True), greedy_shape(spec, budget, False)):
            assert tucker_size(shape, g) <= budget
            assert spec.head_sum(g) <= value * (1 + 1e-12) + 1e-12


def test_exhaustive_against_plain_python_oracle():
    rng = np.random.default_rng(7)
    for _ in range(40):
        shape = tuple(int(v) for v in rng.integers(1, 7, size=rng.integers(2, 5)))
        spec = mode_spectra(rng.standard_normal(shape))
        budget = int(rng.integers(1 + sum(shape), tucker_size(shape, shape) + 1))
        assert exhaustive_shape(spec, budget)[1] == pytest.approx(_brute(spec, budget), rel=1e-12)


def test_unique_optimum_shape_is_found():
    x = np.random.default_rng(5).standard_normal((8, 9, 10)) * np.exp(-np.arange(10))
    spec = mode_spectra(x)
    for budget in (60, 150, 400, 900):
        assert exact_shape(spec, budget)[0] == exhaustive_shape(spec, budget)[0]


def test_budget_use_on_larger_tensor():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((40, 30, 50)) * np.exp(-rng.random((40, 30, 50)))
    spec = mode_spectra(x)
    for budget in (2000, 5000, 20000):
        ranks, _ = exact_shape(spec, budget)
        assert 0.99 * budget <= tucker_size(spec.shape, ranks) <= budget


def test_neighbours_are_feasible_and_distinct():
    spec = mode_spectra(np.random.default_rng(0).standard_normal((10, 12, 14)))
    best, value = exact_shape(spec, 600)
    nb = neighbours(spec, best, 600)
    assert nb and best not in nb and len(set(nb)) == len(nb)
    for s in nb:
        assert tucker_size(spec.shape, s) <= 600 and spec.head_sum(s) <= value + 1e-9


def test_split_grid_is_the_papers():
    grid = split_grid(100, 0.5)
    k_max = int(np.floor(np.log(100) / np.log(1.5)))  # 11
    assert (1.0, 99.0) in grid and (99.0, 1.0) in grid
    powers = [1.5**k for k in range(k_max)]
    expected = {(p, 100 - p) for p in powers} | {(100 - p, p) for p in powers}
    assert set(grid) == expected
    assert all(a + b == pytest.approx(100) for a, b in grid)


@pytest.mark.parametrize("backend", ["scipy", "cvxpy"])
def test_packing_ip_never_beats_exact(backend):
    rng = np.random.default_rng(11)
    for _ in range(6):
        shape = tuple(int(v) for v in rng.integers(3, 9, size=3))
        spec = mode_spectra(rng.standard_normal(shape) * np.exp(-2 * rng.random(shape)))
        model = PackingModel(spec, backend)
        for budget in (1 + sum(shape) + 5, int(0.3 * tucker_size(shape, shape))):
            budget = max(budget, 1 + sum(shape))
            out = model.solve(budget)
            assert out.not_optimal == 0
            assert tucker_size(shape, out.ranks) <= budget
            assert out.head_sum == pytest.approx(spec.head_sum(out.ranks))
            assert out.head_sum <= exact_shape(spec, budget)[1] * (1 + 1e-12)


def test_packing_backends_agree_and_ip_is_exact_per_split():
    # Each split's MILP must be the exact optimum of that split: check by enumeration.
    rng = np.random.default_rng(12)
    shape = (6, 7, 5)
    spec = mode_spectra(rng.standard_normal(shape))
    a, b = PackingModel(spec, "scipy"), PackingModel(spec, "cvxpy")
    # One cvxpy model for every split: the two budgets are Parameters and the model is DPP,
    # so cvxpy canonicalises it once.
    assert b._problem.is_dpp() and len(b._problem.parameters()) == 2
    assert sum(v.size for v in b._problem.variables()) == sum(shape)
    for b_prod, b_sum in [(20.0, 80.0), (60.0, 60.0), (5.0, 100.0)]:
        ra, _ = a._solve_scipy(b_prod, b_sum)
        rb, _ = b._solve_cvxpy(b_prod, b_sum)
        best = max(spec.head_sum(r) for r in itertools.product(*[range(1, i + 1) for i in shape])
                   if np.prod(r) <= b_prod
                   and sum(i * q for i, q in zip(shape, r, strict=True)) <= b_sum)
        assert spec.head_sum(ra) == pytest.approx(best, rel=1e-9)
        assert spec.head_sum(rb) == pytest.approx(best, rel=1e-9)


def test_powered_and_minmax_surrogates_are_exact():
    from solverkit_tucker.search import minmax_shape, powered

    rng = np.random.default_rng(99)
    for _ in range(60):
        shape, spec, budget = _random_instance(rng)
        for p in (2.0, 3.0):
            ps = powered(spec, p)
            assert exact_shape(ps, budget)[1] == pytest.approx(
                exhaustive_shape(ps, budget)[1], rel=1e-12, abs=1e-14)
        mm = minmax_shape(spec, budget)
        assert tucker_size(shape, mm) <= budget
        best = min(spec.max_tail(r) for r in itertools.product(*[range(1, i + 1) for i in shape])
                   if tucker_size(shape, r) <= budget)
        assert spec.max_tail(mm) == pytest.approx(best, rel=1e-12, abs=1e-12 * spec.total)
