"""The error-vs-budget figure is wired into the ``tucker`` suite's report."""

from __future__ import annotations

import pytest
from solverkit_tucker.bench import BENCHMARKS

plt = pytest.importorskip("matplotlib.pyplot")  # figures are an optional (bench) feature


def _rows() -> list[dict]:
    rows = []
    for solver, base in (("tucker-greedy", 0.10), ("tucker-shape", 0.09)):
        for c in (1000, 2000):
            rows.append({"case": f"lowrank c={c}", "solver": solver, "rre": base * 1000 / c})
        rows.append({"case": "lowrank sweep", "solver": solver, "rre": base})
    rows.append({"case": "summary", "solver": "tucker-shape", "notes": "text"})
    return rows


def test_suite_figure_writes_png(tmp_path):
    bench = next(b for b in BENCHMARKS if b.name == "tucker")
    assert bench.figures is not None
    paths = bench.figures(_rows(), tmp_path)
    assert len(paths) == 1 and paths[0].parent == tmp_path
    assert paths[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_suite_figure_without_budget_rows_is_skipped(tmp_path):
    bench = next(b for b in BENCHMARKS if b.name == "tucker")
    assert bench.figures([{"case": "x", "solver": "-", "notes": "skipped"}], tmp_path) == []
    assert list(tmp_path.iterdir()) == []
