"""Error-vs-budget plot of the ``tucker`` suite.

``solverkit bench tucker --report DIR`` draws it through the suite's
``Benchmark(figures=...)`` hook (:func:`error_vs_budget_figure`); a saved
``--out FILE`` report can be plotted afterwards::

    python -m solverkit_tucker.plot benchmarks/results/tucker-full.json tucker.png

Needs matplotlib (in the ``bench`` extra); one panel per tensor, one line per solver.
"""

from __future__ import annotations

import json
import re
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

__all__ = ["plot_report", "plot_rows", "error_vs_budget_figure"]

FIGURE_NAME = "tucker-error-vs-budget.png"


def plot_report(report_path: str, out_path: str) -> None:
    """Draw squared RRE against budget from a saved ``solverkit bench tucker --out`` report."""
    with open(report_path, encoding="utf-8") as fh:
        report = json.load(fh)
    try:
        rows = report["suites"]["tucker"]["rows"]
    except KeyError:
        raise ValueError(f"{report_path} holds no 'tucker' suite") from None
    plot_rows(rows, out_path)


def error_vs_budget_figure(rows: list[dict[str, Any]], directory: Any) -> list[Path]:
    """The ``Benchmark(figures=...)`` hook: write the plot into ``directory``.

    Returns no path when the rows hold no per-budget results (e.g. every
    tensor was skipped), so a report never fails on a missing figure.
    """
    out = Path(directory) / FIGURE_NAME
    try:
        plot_rows(rows, str(out))
    except ValueError:
        return []
    return [out]


def plot_rows(rows: list[dict[str, Any]], out_path: str) -> None:
    """Draw squared RRE against budget for every tensor of the ``tucker`` suite's rows."""
    import matplotlib.pyplot as plt

    series: dict[str, dict[str, list[tuple[int, float]]]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        m = re.fullmatch(r"(.+) c=(\d+)", str(row.get("case", "")))
        if m and row.get("rre") is not None:
            series[m.group(1)][row["solver"]].append((int(m.group(2)), float(row["rre"])))
    names = sorted(series)
    if not names:
        raise ValueError("no per-budget rows ('<tensor> c=<budget>' with an rre) to plot")
    cols = min(3, len(names))
    rows_n = (len(names) + cols - 1) // cols
    fig, axes = plt.subplots(rows_n, cols, figsize=(4.2 * cols, 3.2 * rows_n), squeeze=False)
    for ax, name in zip(axes.ravel()[: len(names)], names, strict=True):
        for solver, pts in sorted(series[name].items()):
            pts.sort()
            ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=solver)
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("budget c (parameters)")
        ax.set_ylabel("squared RRE")
        ax.set_yscale("log")
    for ax in axes.ravel()[len(names):]:
        ax.axis("off")
    axes.ravel()[0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out_path, dpi=110)
    plt.close(fig)  # a report run draws many figures: do not keep them open


if __name__ == "__main__":  # pragma: no cover - command-line entry
    if len(sys.argv) != 3:
        raise SystemExit("usage: python -m solverkit_tucker.plot REPORT.json OUT.png")
    import matplotlib

    matplotlib.use("Agg")  # a command-line run needs no display
    plot_report(sys.argv[1], sys.argv[2])
