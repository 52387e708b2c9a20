"""Benchmark suites for ``solverkit bench``: the streams S1-S5 on instances (A)-(C).

``submodular``: every dynamic solver replays the same oblivious stream, with
three seeds per case in the full suite (the seed picks the instance and the
stream's order, and the solver's coins). Rows report the value ratio against
offline (lazy) greedy on the live set every 25 updates (every 100 for n above
2,000; mean over seeds of the
per-run means, min over every checkpoint of every seed), amortised and p99
oracle calls per update (rule (ii), singletons cached for every algorithm;
median over seeds), ``calls/sieve`` (calls per update over ``sieve-rerun``'s on
the same case), and microseconds per update (wall clock, and p99 in ms;
``cpu_*`` the same in process CPU time, which a busy shared host does not
inflate; medians over seeds). Ratios ``<metric>/ref`` are against
``greedy-recompute`` (greedy kept up to date) on the same case in the same run.
``--report`` adds a calls-per-update figure (:mod:`.benchfig`).

``submodular-static``: the static solvers on (A) and (B), against greedy.

networkx (instance B) and scikit-learn (instance C) come with the ``[bench]``
extra; without them those cases are skipped with a note.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from solverkit.bench import Benchmark

from .benchfig import calls_figure
from .counting import CountingOracle
from .static import lazy_greedy

__all__ = ["BENCHMARKS", "run_dynamic", "run_static", "stream_case"]

Row = dict[str, Any]
K, EPS = 20, 0.2


@contextlib.contextmanager
def _one_blas_thread() -> Iterator[None]:
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # solverkit bench sets OPENBLAS_NUM_THREADS itself
        yield
        return
    with threadpool_limits(1):
        yield


def _solvers(eps: float) -> list[tuple[str, str, dict[str, Any]]]:
    """(row label, solver name, options) of every dynamic solver in one run."""
    return [
        ("dynamic-submodular", "dynamic-submodular", {"eps": eps}),
        ("dynamic-submodular[paper]", "dynamic-submodular",
         {"eps": eps, "candidates": 1, "refresh": 1.0, "extend": False}),
        ("sieve-rerun", "sieve-rerun", {"eps": eps}),
        ("greedy-recompute", "greedy-recompute", {}),
    ]


def _offline_greedy(oracle: Any, ops: list[tuple[str, int]], every: int,
                    singles: dict[int, float], k: int) -> dict[int, float]:
    """f(lazy greedy on the live set) - f({}) at every ``every``-th update (uncounted)."""
    out: dict[int, float] = {}
    live: set[int] = set()
    for t, (op, e) in enumerate(ops):
        (live.add if op == "insert" else live.discard)(e)
        if t % every == every - 1 or t == len(ops) - 1:
            f = CountingOracle(oracle)
            out[t] = lazy_greedy(f, sorted(live), k, singletons=singles).gain if live else 0.0
    return out


def _series(calls: np.ndarray, points: int) -> tuple[list[int], list[float]]:
    """Calls per update averaged over ``points`` consecutive windows of the stream."""
    if calls.size == 0:
        return [], []
    edges = np.unique(np.linspace(0, calls.size, min(points, calls.size) + 1).astype(int))
    sums = np.add.reduceat(calls, edges[:-1])
    return edges[1:].tolist(), (sums / np.diff(edges)).tolist()


def stream_case(case: str, oracle: Any, ops: list[tuple[str, int]], k: int = K,
                eps: float = EPS, seed: int = 0, every: int = 25,
                skip: tuple[str, ...] = (), series: int = 0) -> list[Row]:
    """Replay ``ops`` through every dynamic solver; one row per solver.

    ``series > 0`` also stores the calls per update averaged over that many
    windows of the stream (``_series_x``, ``_series_calls``) for the figure.
    """
    import solverkit as sk

    f0 = CountingOracle(oracle)
    ids = sorted({e for _, e in ops})
    singles = dict(zip(ids, f0.gains(f0.empty(), ids).tolist(), strict=False))
    base = f0.value(f0.empty())
    ref = _offline_greedy(oracle, ops, every, singles, k)
    rows = []
    for label, name, opts in _solvers(eps):
        row: Row = {"case": case, "solver": label}
        if name in skip or label in skip:
            row["notes"] = f"{label} not run on {case} (suite time budget)"
            rows.append(row)
            continue
        kw = dict(opts)
        if name == "dynamic-submodular":
            kw["seed"] = seed
        dyn = sk.open(name, f=oracle, k=k, **kw)
        ratios = []
        start = time.perf_counter()
        for t, (op, e) in enumerate(ops):
            (dyn.insert if op == "insert" else dyn.delete)(e)
            if t in ref and ref[t] > 0:
                ratios.append((dyn.value() - base) / ref[t])
        wall = time.perf_counter() - start
        calls = np.asarray(dyn.update_calls, dtype=float)
        secs = np.asarray(dyn.update_seconds, dtype=float)
        cpu = np.asarray(dyn.update_cpu, dtype=float)
        st = dyn.stats()
        row.update(
            ratio_mean=float(np.mean(ratios)), ratio_min=float(np.min(ratios)),
            calls_upd=float(calls.mean()), calls_p99=float(np.percentile(calls, 99)),
            calls_max=int(calls.max()), us_upd=float(secs.mean() * 1e6),
            ms_p99=float(np.percentile(secs, 99) * 1e3), ms_max=float(secs.max() * 1e3),
            cpu_us_upd=float(cpu.mean() * 1e6), cpu_ms_p99=float(np.percentile(cpu, 99) * 1e3),
            updates=len(ops), wall_s=wall,
        )
        if "rebuilds" in st:
            row["rebuilds"] = st["rebuilds"]
        if series:
            row["_series_x"], row["_series_calls"] = _series(calls, series)
        rows.append(row)
    return rows


def _merge_seeds(runs: list[list[Row]], case: str) -> list[Row]:
    """One row per solver from the rows of every seed (same solver order in each)."""
    out: list[Row] = []
    for per in zip(*runs, strict=True):
        done = [r for r in per if "notes" not in r]
        row: Row = {"case": case, "solver": per[0]["solver"]}
        if not done:
            row["notes"] = per[0]["notes"]
            out.append(row)
            continue
        row["seeds"] = len(done)
        row["ratio_mean"] = float(np.mean([r["ratio_mean"] for r in done]))
        row["ratio_min"] = float(min(r["ratio_min"] for r in done))
        for key in ("calls_upd", "calls_p99", "us_upd", "ms_p99", "cpu_us_upd", "cpu_ms_p99",
                    "rebuilds"):
            if key in done[0]:
                row[key] = float(np.median([r[key] for r in done]))
        row["calls_max"] = int(max(r["calls_max"] for r in done))
        row["ms_max"] = float(max(r["ms_max"] for r in done))
        row["updates"] = int(done[0]["updates"])
        row["_per_seed"] = [{key: r[key] for key in ("ratio_mean", "ratio_min", "calls_upd",
                                                   "calls_p99", "cpu_us_upd", "us_upd")}
                           for r in done]
        for key in ("_series_x", "_series_calls"):
            if key in done[0]:
                row[key] = done[0][key]  # the first seed's stream, for the figure
        if len(done) < len(per):
            row["notes"] = f"{len(done)} seed(s): " + next(r["notes"] for r in per
                                                          if "notes" in r)
        out.append(row)
    sieve = next((r for r in out if r["solver"] == "sieve-rerun" and "calls_upd" in r), None)
    for row in out:
        if sieve is not None and "calls_upd" in row:
            row["calls/sieve"] = row["calls_upd"] / max(sieve["calls_upd"], 1e-12)
    return out


# -- instance makers with optional dependencies -------------------------------------------------
def _instance(name: str, n: int, seed: int) -> tuple[Any, str | None]:
    # streams imports the oracles (scipy.sparse): only when a suite runs, so that
    # registering the suites keeps `solverkit plugins` fast.
    from .streams import ba_graph_coverage, digits_facility, random_set_cover

    try:
        if name == "A":
            return random_set_cover(n, seed), None
        if name == "B":
            return ba_graph_coverage(n, seed), None
        if name == "C":
            return digits_facility(), None
    except ImportError as exc:
        return None, f"instance {name} skipped: {exc.name} is not installed (pip install " \
                     "solverkit-submodular[bench])"
    raise ValueError(f"unknown instance {name!r}")


Case = tuple[str, str, int, tuple[int, ...], tuple[str, ...], tuple[str, ...]]
_HEAVY = "not run (suite time budget): greedy kept up to date costs about k n / 2 calls " \
         "per update on S2, sieve-rerun re-runs its sieve over the live set on each hit"


def _plan(quick: bool) -> list[Case]:
    """(instance, stream, n, seeds, solvers skipped, solvers run on the first seed only)."""
    if quick:
        return [("A", "S1", 1000, (0,), (), ()), ("B", "S2", 1000, (0,), (), ())]
    seeds = (0, 1, 2)
    # every solver on every stream at n = 2000; facility location (C); the latency case
    # A-S1 at n = 20,000; the scaling stream S2 at n = 10,000 and 20,000, where greedy
    # kept up to date (about k n / 2 calls per update) and sieve-rerun are too slow to run.
    plan: list[Case] = [(inst, stream, 2000, seeds, (), ()) for inst in ("A", "B")
                        for stream in ("S1", "S2", "S3", "S4", "S5")]
    # sieve-rerun costs about 80 ms per update on C-S1 (every singleton is close to the
    # maximum, so its sieves accept often and each hit re-runs them all): first seed only
    plan += [("C", "S1", 1797, seeds, (), ("sieve-rerun",)), ("C", "S3", 1797, seeds, (), ())]
    plan += [("A", "S1", 20_000, seeds, (), ())]
    skip = ("sieve-rerun", "greedy-recompute")
    plan += [(inst, "S2", 10_000, seeds, skip, ()) for inst in ("A", "B")]
    # 40,000 updates and 400 offline greedy runs over up to 20,000 elements per seed: one
    # seed, for the scaling target (calls at n = 20,000 against n = 2,000)
    plan += [(inst, "S2", 20_000, (0,), skip, ()) for inst in ("A", "B")]
    return plan


def _every(n: int) -> int:
    """Checkpoint spacing: every 25 updates up to n = 2,000, every 100 above (each
    checkpoint is one offline lazy greedy over the live set; 400 per 40,000 updates)."""
    return 25 if n <= 2000 else 100


def run_dynamic(quick: bool, plan: list[Case] | None = None,
                echo: Callable[[str], None] | None = None, series: int = 200) -> list[Row]:
    """Rows of the dynamic suite (``plan`` overrides the case list), seeds merged."""
    from .streams import make_stream

    rows: list[Row] = []
    with _one_blas_thread():
        for inst, stream, n, seeds, skip, once in plan or _plan(quick):
            case = f"{inst}-{stream}-n{n}"
            runs: list[list[Row]] = []
            for j, seed in enumerate(seeds):
                oracle, note = _instance(inst, n, seed)
                if oracle is None:
                    runs = [[{"case": case, "solver": "-", "notes": note}]]
                    break
                ops = make_stream(stream, oracle.n, seed, oracle, K)
                skipped = skip + (once if j else ())
                runs.append(stream_case(case, oracle, ops, seed=seed, skip=skipped,
                                        every=_every(n), series=series if j == 0 else 0))
                if echo is not None:
                    for r in runs[-1]:
                        echo(str({key: v for key, v in r.items() if not key.startswith("_series")}))
            got = _merge_seeds(runs, case)
            for r in got:
                if "notes" in r and "seeds" not in r and r["solver"] != "-":
                    r["notes"] = f"{r['solver']} {_HEAVY}"
            rows += got
    return rows


def run_static(quick: bool) -> list[Row]:
    """Static solvers on (A) and (B), k = 20: value and calls against greedy."""
    import solverkit as sk

    n = 1000 if quick else 2000
    rows: list[Row] = []
    with _one_blas_thread():
        for inst in ("A", "B"):
            oracle, note = _instance(inst, n, 0)
            case = f"{inst}-n{n}"
            if oracle is None:
                rows.append({"case": case, "solver": "-", "notes": note})
                continue
            prob = sk.SubmodularMax(oracle, oracle.n, K)
            for name in ("greedy", "lazy-greedy", "stochastic-greedy", "sieve-streaming"):
                start = time.perf_counter()
                res = sk.solve(prob, method=name, seed=0)
                rows.append({"case": case, "solver": name, "value": float(res.fun),
                             "calls": int(res.nfev), "time": time.perf_counter() - start})
    return rows


BENCHMARKS = (
    Benchmark(
        name="submodular",
        run=run_dynamic,
        reference="greedy-recompute",
        metrics=("seeds", "ratio_mean", "ratio_min", "calls_upd", "calls/sieve", "calls_p99",
                 "cpu_us_upd", "cpu_ms_p99", "us_upd", "ms_p99"),
        ratios=("calls_upd", "us_upd"),
        description="streams S1-S5 on (A) set cover, (B) Barabasi-Albert coverage, (C) digits "
                    "facility location; k=20, eps=0.2, 3 seeds (full); value vs offline greedy "
                    "every 25 updates",
        figures=calls_figure,
    ),
    Benchmark(
        name="submodular-static",
        run=run_static,
        reference="greedy",
        metrics=("value", "calls", "time"),
        ratios=("value", "calls"),
        description="static solvers, k=20, rule (ii) calls",
    ),
)
