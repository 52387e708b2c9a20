"""``solverkit bench dagma``: this plugin against the reference ``dagma`` package, same data.

Protocol (the issue's): linear Gaussian SEM, n = 500, l2 loss, lambda1 = 0.02,
w_threshold = 0.3, other options at the reference defaults, seeds 1..5, graphs
ER1/ER2/ER4/SF4 at d in {20, 50, 100}. Data come from this plugin's
simulators seeded with the seed; both solvers get the same array (the
reference receives a copy because it centres X in place, and a fresh ``s``
list because it mutates its default).

The reference (``pip install --no-deps dagma tqdm``; ``dagma.linear`` needs no
torch) is optional: without it the rows say so in ``notes``. BLAS is pinned
to one thread with threadpoolctl when available. CPU time is
``time.process_time`` (steadier than wall time on a shared machine).

Environment knobs for the full suite (the reference needs minutes per case at
d = 100): ``SOLVERKIT_DAGMA_BENCH_SEEDS`` (e.g. ``1,2,3``),
``SOLVERKIT_DAGMA_BENCH_CASES`` (e.g. ``ER1-20,ER4-50``),
``SOLVERKIT_DAGMA_BENCH_NOREF=1`` (skip the reference).
"""

from __future__ import annotations

import contextlib
import io
import os
import statistics
import time
from typing import Any

import numpy as np

from solverkit.bench import Benchmark

from .utils import count_accuracy, simulate_dag, simulate_linear_sem, simulate_parameter

__all__ = ["BENCHMARKS", "run", "make_data"]

REF = "dagma-ref"
N = 500
LAMBDA1 = 0.02
QUICK = [("ER", 1, 10), ("ER", 1, 20)]
FULL = [(g, k, d) for d in (20, 50, 100) for g, k in (("ER", 1), ("ER", 2), ("ER", 4), ("SF", 4))]


def make_data(graph: str, k: int, d: int, seed: int, n: int = N
              ) -> tuple[np.ndarray, np.ndarray]:
    """(B_true, X) for one case, from one seeded Generator."""
    rng = np.random.default_rng(seed)
    B = simulate_dag(d, k * d, graph, rng=rng)
    W = simulate_parameter(B, rng=rng)
    return B, simulate_linear_sem(W, n, "gauss", rng=rng)


def _limits() -> Any:
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(limits=1)


def _timed(fn: Any) -> tuple[Any, float, float]:
    c0, w0 = time.process_time(), time.perf_counter()
    out = fn()
    return out, time.process_time() - c0, time.perf_counter() - w0


def _ours(X: np.ndarray, method: str = "dagma") -> tuple[np.ndarray, dict[str, Any]]:
    import solverkit as sk

    res = sk.solve(sk.StructureLearning(X), method=method, lambda1=LAMBDA1, w_threshold=0.3)
    info = {"h_final": res.extra.get("h_final"), "steps": sum(res.extra.get("steps_per_stage",
                                                                            [])),
            "ok": res.success}
    return res.x, info


def _reference(X: np.ndarray) -> tuple[np.ndarray, dict[str, Any]]:
    from dagma.linear import DagmaLinear

    model = DagmaLinear(loss_type="l2", verbose=False)
    with contextlib.redirect_stderr(io.StringIO()):  # its progress bar cannot be turned off
        W = model.fit(X.copy(), lambda1=LAMBDA1, w_threshold=0.3, s=[1.0, 0.9, 0.8, 0.7, 0.6])
    return W, {"h_final": float(model.h_final), "steps": None, "ok": True}


def _reference_available() -> str | None:
    if os.environ.get("SOLVERKIT_DAGMA_BENCH_NOREF"):
        return "reference skipped (SOLVERKIT_DAGMA_BENCH_NOREF)"
    try:
        import dagma.linear  # noqa: F401
    except Exception as exc:  # noqa: BLE001 - any import problem means "not available"
        return (f"reference dagma not importable ({type(exc).__name__}); "
                "pip install --no-deps dagma tqdm")
    return None


def _row(case: str, solver: str, B: np.ndarray, W: np.ndarray, cpu: float, wall: float,
         info: dict[str, Any]) -> dict[str, Any]:
    from .utils import is_dag

    dag = is_dag(W)
    acc = count_accuracy(B, (W != 0).astype(float)) if dag else {}
    return {"case": case, "solver": solver, "cpu": cpu, "wall": wall,
            "shd": acc.get("shd"), "tpr": acc.get("tpr"), "fdr": acc.get("fdr"),
            "nnz": acc.get("nnz"), "dag": dag, "h_final": info.get("h_final"),
            "steps": info.get("steps")}


def run(quick: bool) -> list[dict[str, Any]]:
    """Rows per (case, seed) for ``dagma`` and the reference, plus median rows."""
    cases = QUICK if quick else FULL
    seeds: list[int] = [1] if quick else [1, 2, 3, 4, 5]
    if os.environ.get("SOLVERKIT_DAGMA_BENCH_SEEDS"):
        seeds = [int(v) for v in os.environ["SOLVERKIT_DAGMA_BENCH_SEEDS"].split(",")]
    if os.environ.get("SOLVERKIT_DAGMA_BENCH_CASES"):
        wanted = set(os.environ["SOLVERKIT_DAGMA_BENCH_CASES"].split(","))
        pool = {f"{g}{k}-{d}": (g, k, d) for g, k, d in QUICK + FULL}
        cases = [pool[c] for c in sorted(wanted) if c in pool]
    missing = _reference_available()
    rows: list[dict[str, Any]] = []
    with _limits():
        _ours(make_data("ER", 1, 5, 0)[1])  # warm-up: imports and first-call costs
        for graph, k, d in cases:
            per: dict[str, list[dict[str, Any]]] = {"dagma": [], REF: []}
            for seed in seeds:
                B, X = make_data(graph, k, d, seed)
                case = f"{graph}{k} d={d} seed={seed}"
                (W, info), cpu, wall = _timed(lambda X=X: _ours(X))
                per["dagma"].append(_row(case, "dagma", B, W, cpu, wall, info))
                if missing is None:
                    (W, info), cpu, wall = _timed(lambda X=X: _reference(X))
                    per[REF].append(_row(case, REF, B, W, cpu, wall, info))
                else:
                    per[REF].append({"case": case, "solver": REF, "notes": missing})
            for rs in per.values():
                rows.extend(rs)
            if len(seeds) > 1:
                for solver, rs in per.items():
                    rows.append(_median_row(f"{graph}{k} d={d} median", solver, rs))
    return rows


def _median_row(case: str, solver: str, rs: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {"case": case, "solver": solver}
    for key in ("cpu", "wall", "shd", "tpr", "fdr", "nnz", "h_final", "steps"):
        vals = [r[key] for r in rs if isinstance(r.get(key), (int, float))]
        out[key] = statistics.median(vals) if vals else None
    out["dag"] = all(r.get("dag", False) for r in rs) if rs and "dag" in rs[0] else None
    if rs and rs[0].get("notes"):
        out["notes"] = rs[0]["notes"]
    return out


BENCHMARKS = [
    Benchmark(
        name="dagma",
        run=run,
        reference=REF,
        metrics=("cpu", "wall", "shd", "tpr", "fdr", "nnz", "h_final", "steps", "dag"),
        ratios=("cpu", "wall"),
        description=(f"linear SEM, n={N}, lambda1={LAMBDA1}, threshold 0.3, gauss noise; "
                     "solverkit dagma vs reference dagma 1.1.1 (DagmaLinear) on the same data"),
    ),
]
