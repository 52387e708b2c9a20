"""Benchmark suites that plugins register and ``solverkit bench`` runs.

A suite returns rows (dicts). Each row names its ``case`` and ``solver`` and
holds metric values. Ratios are computed by the core, always against the
suite's ``reference`` solver measured on the same case in the same run, so
every plugin's table reads the same way.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["Benchmark", "run_benchmarks", "format_table", "add_ratios", "median_time",
           "table_columns", "machine_info"]

Row = dict[str, Any]


@dataclasses.dataclass(frozen=True)
class Benchmark:
    """A benchmark suite.

    Parameters
    ----------
    name : str
        Suite name (``solverkit bench NAME``).
    run : callable
        ``run(quick: bool) -> list of rows``; each row is a dict with at least
        ``case`` and ``solver`` plus the metrics. ``quick=True`` must finish in
        well under a minute on 2 cores.
    reference : str, optional
        The solver every ratio is taken against (per case).
    metrics : sequence of str
        Metric columns to print, in order.
    ratios : sequence of str
        Metrics that get a ``<metric>/ref`` column (value divided by the
        reference solver's value on the same case).
    description : str
        One line shown above the table.
    figures : callable, optional
        ``figures(rows, directory) -> list of PNG paths`` for ``--report``
        (performance profiles, error-vs-budget, ...), drawn from a copy of the
        rows into ``directory`` (the suite's own folder of the report). Called
        only when matplotlib is installed; an exception is written into the
        report as a note, it does not stop the report.
    """

    name: str
    run: Callable[[bool], list[Row]]
    reference: str | None = None
    metrics: Sequence[str] = ("time",)
    ratios: Sequence[str] = ("time",)
    description: str = ""
    figures: Callable[[list[Row], Any], list[Any]] | None = None


def median_time(fn: Callable[[], Any], repeat: int = 5,
                clock: Callable[[], float] = time.perf_counter) -> tuple[float, Any]:
    """Median time of ``fn()`` over ``repeat`` runs, and the last return value.

    ``clock`` is wall time by default; pass ``time.process_time`` for CPU time, which a
    loaded machine disturbs less (with BLAS pinned to one thread the two agree when idle).
    """
    times, out = [], None
    for _ in range(repeat):
        start = clock()
        out = fn()
        times.append(clock() - start)
    return statistics.median(times), out


def add_ratios(bench: Benchmark, rows: list[Row]) -> list[Row]:
    """Add ``<metric>/ref`` columns: value over the reference solver's value on the same case."""
    if not bench.reference:
        return rows
    refs = {r["case"]: r for r in rows if r.get("solver") == bench.reference}
    for row in rows:
        ref = refs.get(row["case"])
        for metric in bench.ratios:
            value = row.get(metric)
            base = None if ref is None else ref.get(metric)
            ratio = None
            if _is_number(value) and _is_number(base) and base != 0:
                ratio = value / base
            row[f"{metric}/ref"] = ratio
    return rows


def table_columns(metrics: Sequence[str], ratios: Sequence[str], reference: str | None,
                  rows: list[Row]) -> list[str]:
    """Columns of a suite's table: case, solver, metrics, ratio columns, then any other keys.

    Keys starting with ``_`` (private data for figures) and ``notes`` are left out.
    """
    columns = ["case", "solver", *metrics]
    if reference:
        columns += [f"{m}/ref" for m in ratios]
    extra = sorted({k for r in rows for k in r} - set(columns) - {"notes"})
    return columns + [c for c in extra if not c.startswith("_")]


def format_table(bench: Benchmark, rows: list[Row]) -> str:
    """A fixed-width text table of one suite's rows."""
    columns = table_columns(bench.metrics, bench.ratios, bench.reference, rows)
    cells = [[_fmt(row.get(c)) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) if cells else len(c)
              for i, c in enumerate(columns)]
    title = f"== {bench.name}: {bench.description}" if bench.description else f"== {bench.name}"
    if bench.reference:
        title += f"  (ratios against {bench.reference!r}, same run)"
    lines = [title, "  ".join(c.ljust(w) for c, w in zip(columns, widths)),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths)) for r in cells]
    notes = [row["notes"] for row in rows if row.get("notes")]
    lines += [f"  note: {n}" for n in dict.fromkeys(notes)]
    return "\n".join(lines)


def run_benchmarks(
    benchmarks: Sequence[Benchmark], quick: bool, out: str | None = None,
    echo: Callable[[str], None] = print,
    on_suite: Callable[[Benchmark, dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Run suites one after another; print each table; optionally save JSON.

    A suite that raises is reported as failed and the others still run.
    ``on_suite(bench, suite_result)`` is called as soon as each suite ends (the
    report uses it so that an interrupted long run keeps the suites already done).
    """
    report: dict[str, Any] = {"machine": machine_info(), "quick": quick, "suites": {}}
    for bench in benchmarks:
        start = time.perf_counter()
        try:
            rows = add_ratios(bench, list(bench.run(quick)))
        except Exception as exc:  # noqa: BLE001 - one failing suite must not hide the rest
            echo(f"== {bench.name}: FAILED: {type(exc).__name__}: {exc}")
            suite: dict[str, Any] = {"error": f"{type(exc).__name__}: {exc}",
                                     "seconds": time.perf_counter() - start}
        else:
            echo(format_table(bench, rows))
            echo(f"   ({time.perf_counter() - start:.1f} s)\n")
            suite = {"rows": rows, "reference": bench.reference,
                     "seconds": time.perf_counter() - start}
        report["suites"][bench.name] = suite
        if on_suite is not None:
            on_suite(bench, suite)
    if out:
        with open(out, "w", encoding="utf-8") as fh:
            json.dump(report, fh, indent=1, default=_jsonable)
    return report


def machine_info() -> dict[str, Any]:
    """Python, platform, CPU count, load average, numpy, BLAS threads and the date."""
    import numpy as np

    try:
        load = " ".join(f"{v:.1f}" for v in os.getloadavg())
    except (AttributeError, OSError):  # not available on Windows
        load = None
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average": load,
        "numpy": np.__version__,
        "blas_threads": os.environ.get("OPENBLAS_NUM_THREADS"),
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
    }


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if value == 0:
            return "0"
        if abs(value) >= 1e5 or abs(value) < 1e-3:
            return f"{value:.2e}"
        return f"{value:.4g}"
    return str(value)


def _jsonable(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)
