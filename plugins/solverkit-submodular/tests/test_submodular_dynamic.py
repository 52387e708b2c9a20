"""dynamic-submodular: invariant (a) or (b) after every update, (1/2 - eps) OPT, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from solverkit_submodular import OracleError
from solverkit_submodular.dynamic import DynamicSubmodular
from solverkit_submodular.exact import brute_force_opt, value_of

import solverkit as sk
from solverkit.testing import check_solver


def _random_stream(rng, n, steps, batch=False):
    live: set[int] = set()
    for _ in range(steps):
        if live and (rng.random() < 0.45 or len(live) == n):
            if batch and len(live) > 2 and rng.random() < 0.25:
                ids = rng.choice(sorted(live), size=2, replace=False).tolist()
            else:
                ids = [int(rng.choice(sorted(live)))]
            live -= set(ids)
            yield "delete", ids
        else:
            free = sorted(set(range(n)) - live)
            size = 3 if batch and len(free) > 3 and rng.random() < 0.25 else 1
            ids = rng.choice(free, size=size, replace=False).tolist()
            live |= set(ids)
            yield "insert", ids


def test_conformance():
    check_solver("dynamic-submodular")


@pytest.mark.parametrize("rule", ["paper", "default"])
@pytest.mark.parametrize("seed", range(4))
def test_invariant_and_ratio_after_every_update(small_oracle, seed, rule):
    n = 13
    f = small_oracle(seed, n=n)
    rng = np.random.default_rng(seed)
    k = 1 + seed % 4
    eps = (0.1, 0.2, 0.5)[seed % 3]
    # "paper": uniform picks and the (1 - eps) gamma / 2 rebuild rule only
    kw = {"candidates": 1, "refresh": 1.0, "extend": False} if rule == "paper" else {}
    dyn = DynamicSubmodular(f, k, eps=eps, seed=seed, **kw)
    live: set[int] = set()
    for op, ids in _random_stream(rng, n, 45, batch=seed % 2 == 1):
        (dyn.insert if op == "insert" else dyn.delete)(ids)
        live = live | set(ids) if op == "insert" else live - set(ids)
        dyn.check_invariant()
        sol = dyn.solution()
        assert set(sol) <= live and len(sol) <= k
        assert dyn.value() == pytest.approx(value_of(f, sol))
        opt, _ = brute_force_opt(f, sorted(live), k)
        assert dyn.value() >= (0.5 - eps) * opt - 1e-9


def test_invariant_on_adversarial_deletions(make_coverage):
    """Delete the reported solution again and again (the worst case for cost): still exact."""
    f = make_coverage(7, n=16)
    dyn = DynamicSubmodular(f, 3, eps=0.2, seed=0)
    dyn.insert(range(16))
    dyn.check_invariant()
    while len(dyn):
        sol = dyn.solution()
        dyn.delete(sol if sol else next(iter(dyn.live)))
        dyn.check_invariant()
        if len(dyn):
            opt, _ = brute_force_opt(f, sorted(dyn.live), 3)
            assert dyn.value() >= 0.3 * opt - 1e-9


def test_invariant_with_fixed_levels_and_growth(make_coverage):
    f = make_coverage(3, n=40, universe=60)
    for n_max in (None, 40, 4):  # 4 < live size: T has to grow anyway
        dyn = DynamicSubmodular(f, 4, eps=0.2, seed=1, n_max=n_max)
        for e in range(40):
            dyn.insert(e)
            if e % 7 == 0:
                dyn.check_invariant()
        for e in range(0, 40, 3):
            dyn.delete(e)
        dyn.check_invariant()
        assert (1 << dyn.T) >= 40


def test_queries_make_no_oracle_call(make_coverage):
    dyn = DynamicSubmodular(make_coverage(1), 3, seed=0)
    dyn.insert([0, 1, 2, 3, 4])
    before = dyn.oracle.calls_all
    for _ in range(5):
        dyn.solution()
        dyn.value()
    assert dyn.oracle.calls_all == before


def test_counters_per_update(make_coverage):
    dyn = DynamicSubmodular(make_coverage(2, n=30, universe=50), 4, seed=0)
    for e in range(30):
        dyn.insert(e)
    dyn.delete([0, 1, 2])
    st = dyn.stats()
    assert st["updates"] == 31 and len(dyn.update_calls) == 31
    assert sum(dyn.update_calls) + 1 == st["calls"]  # + f({}) read once at creation
    assert st["calls_all"] >= st["calls"] and st["builds"] >= 1 and st["guesses"] >= 1


def test_same_seed_same_structure(make_coverage):
    f = make_coverage(5, n=30, universe=50)
    runs = []
    for _ in range(2):
        dyn = DynamicSubmodular(f, 4, seed=11)
        dyn.insert(range(30))
        dyn.delete(range(0, 30, 2))
        runs.append((dyn.solution(), dyn.value(), dyn.oracle.calls))
    assert runs[0] == runs[1]


def test_open_through_solverkit(make_coverage):
    f = make_coverage(4, n=20)
    dyn = sk.open("dynamic-submodular", f=f, k=3, eps=0.1, seed=0)
    dyn.insert(range(20))
    dyn.delete([dyn.solution()[0]])
    dyn.check_invariant()
    assert dyn.eps == 0.1
    with pytest.raises(TypeError, match="needs k"):
        sk.open("dynamic-submodular", f=f)


def test_solve_replays_stream_with_checkpoints():
    prob = sk.SubmodularStream.example(seed=0)
    res = sk.solve(prob, method="dynamic-submodular", seed=0)
    assert res.success and res.nit == len(prob.ids)
    cp = res.extra["checkpoints"]
    assert cp["update"] == prob.checkpoints.tolist()
    assert len(res.extra["update_calls"]) == len(prob.ids)
    # final value is f(x), and the live set at the end is the last window
    live = set()
    for ins, e in zip(prob.is_insert, prob.ids, strict=False):
        live = live | {int(e)} if ins else live - {int(e)}
    assert set(res.x) <= live and res.fun == pytest.approx(value_of(prob.oracle, res.x))


# -- bad input -----------------------------------------------------------------------------------
def _snapshot(dyn):
    return (dyn.solution(), dyn.value(), sorted(dyn.live), dyn.updates,
            {i: (g.ids(), [sorted(a) for a in g.A], [sorted(b) for b in g.B])
             for i, g in dyn.guesses.items()})


def test_bad_ids_leave_structure_unchanged(make_coverage):
    dyn = DynamicSubmodular(make_coverage(0, n=20), 3, seed=0)
    dyn.insert(range(10))
    snap = _snapshot(dyn)
    with pytest.raises(ValueError, match="not live"):
        dyn.delete(15)
    with pytest.raises(ValueError, match="not live"):
        dyn.delete([1, 2, 15])  # a batch is all or nothing
    with pytest.raises(ValueError, match="already live"):
        dyn.insert(3)
    with pytest.raises(ValueError, match="already live"):
        dyn.insert([12, 3])
    with pytest.raises(ValueError, match="twice"):
        dyn.insert([12, 12])
    with pytest.raises(TypeError, match="integer"):
        dyn.insert(["a"])
    assert _snapshot(dyn) == snap
    dyn.check_invariant()


@pytest.mark.parametrize("kw, match", [({"k": 0}, "k must"), ({"k": 2.5}, "k must"),
                                       ({"eps": 0.0}, "eps"), ({"eps": 1.0}, "eps"),
                                       ({"eps": -0.1}, "eps"), ({"n_max": 0}, "n_max"),
                                       ({"candidates": 0}, "candidates"),
                                       ({"refresh": 1.5}, "refresh")])
def test_bad_parameters(kw, match, make_coverage):
    args = {"k": 3, "eps": 0.2, **kw}
    with pytest.raises(ValueError, match=match):
        DynamicSubmodular(make_coverage(0), **args)
    with pytest.raises((TypeError, ValueError), match=match):
        sk.open("dynamic-submodular", f=make_coverage(0), **args)


class _Flaky:
    """Coverage that can be switched to answer NaN or a negative gain for one element."""

    def __init__(self, base):
        self.base, self.mode, self.victim = base, None, None

    def empty(self):
        return self.base.empty()

    def gain(self, state, e):
        if e == self.victim and self.mode == "nan":
            return float("nan")
        if self.mode == "negative" and state:  # any gain on a non-empty S decreases f
            return -1.0
        return self.base.gain(state, e)

    def add(self, state, e):
        return self.base.add(state, e)

    def value(self, state):
        return self.base.value(state)


@pytest.mark.parametrize("mode", ["nan", "negative"])
def test_oracle_errors_leave_structure_consistent(mode, make_coverage):
    base = make_coverage(9, n=24, universe=40)
    f = _Flaky(base)
    dyn = DynamicSubmodular(f, 3, eps=0.2, seed=0)
    dyn.insert(range(12))
    snap = _snapshot(dyn)
    f.mode, f.victim = mode, 20
    with pytest.raises(OracleError):
        dyn.insert(list(range(12, 24)))  # 20's singleton (nan) or any rebuild gain (negative)
    assert _snapshot(dyn) == snap
    dyn.check_invariant()
    f.mode = None
    dyn.insert(list(range(12, 24)))  # the structure keeps working after the error
    dyn.check_invariant()


def _hub_facility(seed, n=12, points=30):
    """Facility location where element 0 serves every point well: OPT is close to m."""
    from solverkit_submodular import FacilityLocation

    rng = np.random.default_rng(seed)
    X, Y = rng.random((points, 2)), rng.random((n, 2))
    sim = np.exp(-20.0 * ((X[:, None] - Y[None]) ** 2).sum(-1))
    sim[:, 0] = np.maximum(sim[:, 0], 0.8)
    return FacilityLocation(sim)


@pytest.mark.parametrize("seed", range(3))
def test_extend_adds_guesses_below_the_grid_when_opt_is_near_m(seed):
    """With OPT close to the largest singleton m the grid's lowest guess stops short of k
    picks; ``extend`` walks down until a guess fills up (or gamma ~ eps m), every extra
    guess keeps the invariant, and (b) of the lowest guess bounds the loss by gamma/2."""
    n, k, eps = 12, 4, 0.2
    f = _hub_facility(seed, n=n)
    plain = DynamicSubmodular(f, k, eps=eps, seed=seed, extend=False)
    dyn = DynamicSubmodular(f, k, eps=eps, seed=seed)
    for e in range(n):
        plain.insert(e)
        dyn.insert(e)
        dyn.check_invariant()
    m = dyn.max_single()
    grid = dyn._grid(m)
    assert min(plain.guesses) >= grid.start - 1
    lowest = dyn.guesses[min(dyn.guesses)]
    assert min(dyn.guesses) < grid.start  # the grid's bottom guess was not full
    assert lowest.size == k or lowest.gamma <= eps * m * (1 + eps) ** 2
    opt, _ = brute_force_opt(f, list(range(n)), k)
    if lowest.size < k:  # (b) for the lowest guess
        assert dyn.value() - dyn.base >= opt - value_of(f, []) - lowest.gamma / 2 - 1e-9
    for e in range(0, n, 2):  # extra guesses follow deletions like the others
        dyn.delete(e)
        dyn.check_invariant()


def test_extend_option_is_validated():
    f = _hub_facility(0)
    with pytest.raises(ValueError, match="extend"):
        DynamicSubmodular(f, 2, extend="yes")
    with pytest.raises(TypeError, match="extend"):  # the core checks the annotation first
        sk.open("dynamic-submodular", f=f, k=2, extend=1)


@pytest.mark.parametrize("seed", range(2))
def test_extend_adds_guesses_above_the_grid_while_the_top_is_full(seed):
    """Disjoint equal sets: OPT = k m, so every guess up to gamma = 2 k m (tau = m) fills
    k slots; the walk up creates them all, and stops there (no element passes tau > m)."""
    from solverkit_submodular import SetCoverage

    k, size, n, eps = 3, 4, 10, 0.2
    rng = np.random.default_rng(seed)
    items = rng.permutation(n * size)
    f = SetCoverage([items[j * size:(j + 1) * size] for j in range(n)], universe=n * size)
    dyn = DynamicSubmodular(f, k, eps=eps, seed=seed)
    plain = DynamicSubmodular(f, k, eps=eps, seed=seed, extend=False)
    dyn.insert(range(n))
    plain.insert(range(n))
    dyn.check_invariant()
    grid = dyn._grid(float(size))
    top = math.floor(math.log(2 * k * size) / math.log1p(eps) + 1e-9)
    assert max(plain.guesses) == grid.stop - 1
    assert max(dyn.guesses) == top > grid.stop - 1
    assert all(g.size == k for g in dyn.guesses.values())
    assert dyn.value() == pytest.approx(k * size)
    for e in range(0, n, 3):
        dyn.delete(e)
        dyn.check_invariant()


def test_extend_stops_at_the_first_guess_short_of_k(make_coverage):
    """A dominant element: the grid's top guess cannot fill k slots, nothing is added above
    it (one grid step of slack at most)."""
    from solverkit_submodular import SetCoverage

    sets = [list(range(100))] + [[100 + j] for j in range(8)]
    f = SetCoverage(sets, universe=108)
    dyn = DynamicSubmodular(f, 3, eps=0.2, seed=0)
    dyn.insert(range(9))
    dyn.check_invariant()
    grid = dyn._grid(100.0)
    assert dyn.guesses[grid.stop - 1].size < 3
    assert max(dyn.guesses) <= grid.stop - 1
