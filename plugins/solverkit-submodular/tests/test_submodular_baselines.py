"""Dynamic baselines: greedy-recompute equals greedy on the live set after every update;
sieve-rerun keeps (1/2 - eps) OPT."""

from __future__ import annotations

import numpy as np
import pytest
from solverkit_submodular import CountingOracle
from solverkit_submodular.baselines import GreedyRecompute, SieveRerun
from solverkit_submodular.exact import brute_force_opt, value_of
from solverkit_submodular.static import greedy

import solverkit as sk
from solverkit.testing import check_solver


@pytest.mark.parametrize("name", ["greedy-recompute", "sieve-rerun"])
def test_conformance(name):
    check_solver(name)


def _ops(rng, n, steps):
    live: set[int] = set()
    for _ in range(steps):
        if live and (rng.random() < 0.45 or len(live) == n):
            ids = rng.choice(sorted(live), size=min(len(live), 1 + (rng.random() < 0.2)),
                             replace=False).tolist()
            live -= set(ids)
            yield "delete", ids, set(live)
        else:
            free = sorted(set(range(n)) - live)
            ids = rng.choice(free, size=min(len(free), 1 + 2 * (rng.random() < 0.2)),
                             replace=False).tolist()
            live |= set(ids)
            yield "insert", ids, set(live)


@pytest.mark.parametrize("seed", range(3))
def test_greedy_recompute_is_exact_greedy(small_oracle, seed):
    f = small_oracle(seed, n=25)
    k = 2 + seed
    dyn = GreedyRecompute(f, k)
    for op, ids, live in _ops(np.random.default_rng(seed), 25, 70):
        (dyn.insert if op == "insert" else dyn.delete)(ids)
        ref = greedy(CountingOracle(f), sorted(live), k)
        assert dyn.solution() == ref.ids
        assert dyn.value() == pytest.approx(value_of(f, ref.ids))


@pytest.mark.parametrize("seed", range(3))
def test_sieve_rerun_half_minus_eps(small_oracle, seed):
    f = small_oracle(seed, n=13)
    k, eps = 1 + seed, 0.2
    dyn = SieveRerun(f, k, eps=eps)
    for op, ids, live in _ops(np.random.default_rng(seed), 13, 40):
        (dyn.insert if op == "insert" else dyn.delete)(ids)
        sol = dyn.solution()
        assert set(sol) <= live and len(sol) <= k
        assert dyn.value() == pytest.approx(value_of(f, sol))
        if live:
            opt, _ = brute_force_opt(f, sorted(live), k)
            assert dyn.value() >= (0.5 - eps) * opt - 1e-9


@pytest.mark.parametrize("name", ["greedy-recompute", "sieve-rerun"])
def test_baselines_bad_input(name, make_coverage):
    dyn = sk.open(name, f=make_coverage(0), k=3)
    dyn.insert([0, 1, 2])
    before = (dyn.solution(), dyn.value(), sorted(dyn.live))
    with pytest.raises(ValueError, match="not live"):
        dyn.delete(7)
    with pytest.raises(ValueError, match="already live"):
        dyn.insert(1)
    assert (dyn.solution(), dyn.value(), sorted(dyn.live)) == before
    with pytest.raises(ValueError, match="k must"):
        sk.open(name, f=make_coverage(0), k=0)
