"""Figures of one suite for the report: the ratio chart and the suite's own ``figures``.

Nothing here may abort a report: every failure (matplotlib missing, a figure callable that
raises, a path returned but never written) becomes a one-line message in the suite's section.
"""

from __future__ import annotations

import copy
import math
import shutil
from pathlib import Path
from typing import Any

from .bench import Benchmark, Row

MAX_CHART_WIDTH = 16.0  # inches: a suite with many cases gets a dense chart, not a huge PNG


def draw(bench: Benchmark, rows: list[Row], directory: Path) -> tuple[list[Path], list[str]]:
    """Draw a suite's figures into ``directory``.

    Returns the PNG files written (all inside ``directory``) and one message per figure
    that could not be drawn.
    """
    if not _ratio_metrics(bench, rows) and bench.figures is None:
        return [], []
    plt = _pyplot()
    if plt is None:
        return [], ["matplotlib is not installed: no figures (pip install matplotlib)"]
    directory.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    errors: list[str] = []
    try:
        if _ratio_metrics(bench, rows):
            try:
                files.append(ratio_chart(plt, bench, rows, directory))
            except Exception as exc:  # noqa: BLE001 - a figure must not abort the report
                errors.append(f"ratio chart: {type(exc).__name__}: {exc}")
        if bench.figures is not None:
            try:  # a copy: a figure callable must not change the rows the table shows
                returned = list(bench.figures(copy.deepcopy(rows), directory) or [])
            except Exception as exc:  # noqa: BLE001 - a figure must not abort the report
                errors.append(f"{_callable_name(bench.figures)}: {type(exc).__name__}: {exc}")
                returned = []
            for item in returned:
                path = Path(item)
                if not path.is_file():
                    errors.append(f"{_callable_name(bench.figures)} returned {path.name} but "
                                  "did not write it")
                    continue
                if path.resolve().parent != directory.resolve():  # keep the report self-contained
                    target = directory / path.name
                    shutil.copyfile(path, target)
                    path = target
                files.append(directory / path.name)
    finally:
        plt.close("all")  # a callable that raised may have left its figure open
    return list(dict.fromkeys(files)), errors


def _ratio_metrics(bench: Benchmark, rows: list[Row]) -> list[str]:
    """Ratio columns with at least one finite value (time first: 'time ratios')."""
    if not bench.reference:
        return []
    ordered = sorted(bench.ratios, key=lambda m: m != "time")
    return [m for m in ordered if any(_finite(r.get(f"{m}/ref")) for r in rows)]


def ratio_chart(plt: Any, bench: Benchmark, rows: list[Row], directory: Path) -> Path:
    """Bars of each ratio metric per case and solver, from the reference's 1 (log scale)."""
    metrics = _ratio_metrics(bench, rows)
    rows = [r for r in rows if any(_finite(r.get(f"{m}/ref")) for m in metrics)]
    cases = list(dict.fromkeys(str(r["case"]) for r in rows))
    # the reference is 1 everywhere: the line at 1 stands for it
    solvers = list(dict.fromkeys(str(r["solver"]) for r in rows
                                 if str(r["solver"]) != bench.reference))
    width = 0.8 / max(1, len(solvers))
    fig, axes = plt.subplots(len(metrics), 1, squeeze=False, sharex=True,
                             figsize=(min(MAX_CHART_WIDTH, max(6.0, 0.9 * len(cases) + 2)),
                                      1.0 + 2.6 * len(metrics)))
    for ax, metric in zip(axes[:, 0], metrics):
        column = f"{metric}/ref"
        for i, solver in enumerate(solvers):
            values = {str(r["case"]): r.get(column) for r in rows if str(r["solver"]) == solver}
            points = [(j + i * width, values[c]) for j, c in enumerate(cases)
                      if _finite(values.get(c)) and values[c] > 0]  # log scale: positive only
            if points:  # bars grow from the reference line: up is more than the reference
                xs, ys = zip(*points)
                ax.bar(xs, [y - 1.0 for y in ys], bottom=1.0, width=width, label=solver)
        ax.axhline(1.0, color="black", linewidth=0.8)
        ax.set_yscale("log")
        ax.set_ylabel(f"{column}\n({bench.reference} = 1)", fontsize=8)
    bottom = axes[-1, 0]
    bottom.set_xticks([j + width * (len(solvers) - 1) / 2 for j in range(len(cases))])
    bottom.set_xticklabels(cases, rotation=30, ha="right", fontsize=7)
    axes[0, 0].set_title(f"{bench.name}: ratios against {bench.reference}")
    axes[0, 0].legend(fontsize=7)
    fig.tight_layout()
    path = directory / f"{bench.name}-ratios.png"
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def _finite(value: Any) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value))


def _callable_name(fn: Any) -> str:
    return f"figure callable {getattr(fn, '__qualname__', None) or repr(fn)}"


def _pyplot() -> Any:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    return plt
