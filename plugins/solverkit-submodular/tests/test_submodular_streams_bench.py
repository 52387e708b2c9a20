"""Streams S1-S5 are valid and oblivious; the bench harness measures what it claims;
dynamic-submodular stays >= 1/2 of offline greedy at every checkpoint of every stream."""

from __future__ import annotations

import numpy as np
import pytest
from solverkit_submodular import CountingOracle
from solverkit_submodular.bench import BENCHMARKS, run_dynamic, stream_case
from solverkit_submodular.static import lazy_greedy
from solverkit_submodular.streams import STREAMS, make_stream, random_set_cover

import solverkit as sk

N, K = 240, 8


@pytest.fixture(scope="module")
def cover():
    return random_set_cover(N, seed=3, universe=1500)


@pytest.mark.parametrize("name", sorted(STREAMS))
def test_streams_are_valid_and_reproducible(cover, name):
    ops = make_stream(name, N, 0, cover, K)
    sk.SubmodularStream(cover, ops, K)  # validates: no double insert, no dead delete
    assert ops == make_stream(name, N, 0, cover, K)
    assert ops != make_stream(name, N, 1, cover, K)
    assert len(ops) >= N


def test_s2_deletes_largest_first_and_s4_deletes_greedy_picks(cover):
    f = CountingOracle(cover)
    singles = f.gains(f.empty(), np.arange(N))
    dels = [e for op, e in make_stream("S2", N, 0, cover, K) if op == "delete"]
    assert np.all(np.diff(singles[dels]) <= 0)
    dels = [e for op, e in make_stream("S4", N, 0, cover, K) if op == "delete"]
    first = lazy_greedy(CountingOracle(cover), range(N), K).ids
    assert dels[:K] == first


@pytest.mark.parametrize("name", sorted(STREAMS))
def test_half_of_offline_greedy_at_every_checkpoint(cover, name):
    ops = make_stream(name, N, 0, cover, K)
    dyn = sk.open("dynamic-submodular", f=cover, k=K, eps=0.2, seed=0)
    live: set[int] = set()
    singles = {}
    for t, (op, e) in enumerate(ops):
        (dyn.insert if op == "insert" else dyn.delete)(e)
        (live.add if op == "insert" else live.discard)(e)
        singles[e] = dyn.singles.values[e]
        if t % 10 == 9 and live:
            ref = lazy_greedy(CountingOracle(cover), sorted(live), K, singletons=singles).gain
            assert dyn.value() >= 0.5 * ref


def test_stream_case_rows(cover):
    ops = make_stream("S1", 120, 0, cover, 5)
    rows = stream_case("A-S1-test", cover, ops, k=5, every=10)
    by = {r["solver"]: r for r in rows}
    assert set(by) == {"dynamic-submodular", "dynamic-submodular[paper]", "sieve-rerun",
                       "greedy-recompute"}
    assert by["greedy-recompute"]["ratio_mean"] == pytest.approx(1.0)  # it *is* greedy
    for r in rows:
        assert r["updates"] == len(ops) and r["calls_upd"] > 0 and r["us_upd"] > 0
        assert 0.5 <= r["ratio_min"] <= r["ratio_mean"]  # greedy is not optimal: no upper cap


@pytest.fixture(scope="module")
def merged_rows():
    # two seeds; sieve-rerun on the first seed only, to exercise the merge of partial rows
    return run_dynamic(False, plan=[("A", "S1", 150, (0, 1), (), ("sieve-rerun",))], series=20)


def test_run_dynamic_merges_seeds(merged_rows):
    by = {r["solver"]: r for r in merged_rows}
    dyn, sieve = by["dynamic-submodular"], by["sieve-rerun"]
    per = dyn["_per_seed"]
    assert dyn["seeds"] == len(per) == 2 and sieve["seeds"] == 1 and "notes" in sieve
    assert dyn["ratio_min"] == min(p["ratio_min"] for p in per)
    assert dyn["ratio_mean"] == pytest.approx(np.mean([p["ratio_mean"] for p in per]))
    assert dyn["calls_upd"] == pytest.approx(np.median([p["calls_upd"] for p in per]))
    assert dyn["calls/sieve"] == pytest.approx(dyn["calls_upd"] / sieve["calls_upd"])
    assert per[0]["ratio_mean"] != per[1]["ratio_mean"]  # the seeds are different runs
    # the series is the first seed's calls per update, averaged over windows
    xs, ys = np.asarray(dyn["_series_x"]), np.asarray(dyn["_series_calls"])
    assert len(ys) <= 20 and xs[-1] == dyn["updates"]
    assert np.average(ys, weights=np.diff(np.r_[0, xs])) == pytest.approx(per[0]["calls_upd"])


def test_calls_figure_is_written(merged_rows, tmp_path):
    pytest.importorskip("matplotlib")  # an optional extra: the report skips figures without it
    bench = next(b for b in BENCHMARKS if b.name == "submodular")
    paths = bench.figures(merged_rows, tmp_path)
    assert len(paths) == 1 and paths[0].endswith(".png")
    assert (tmp_path / "submodular-calls-per-update.png").stat().st_size > 1000
    assert bench.figures([{"case": "x", "solver": "-", "notes": "skipped"}], tmp_path) == []
