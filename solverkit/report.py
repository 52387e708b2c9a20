"""``solverkit bench --report DIR``: a self-contained Markdown report with PNG figures.

One run of the suites produces the tables (the same ones printed), the machine, package
versions and the command line, a ratio chart per suite, and each suite's own figures.
"""

from __future__ import annotations

import importlib.metadata
from pathlib import Path
from typing import Any

from .bench import Benchmark, Row, _fmt

__all__ = ["write_report"]


def write_report(report: dict[str, Any], benchmarks: dict[str, Benchmark], directory: str,
                 command: str) -> Path:
    """Write ``DIR/report.md`` (and ``DIR/*.png``) from a ``run_benchmarks`` report."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    plt = _pyplot()
    lines = ["# solverkit benchmark report", "", f"Command: `{command}`", "",
             "## Machine and versions", "", "| item | value |", "|---|---|"]
    for key, value in report["machine"].items():
        lines.append(f"| {key} | {value} |")
    for dist in _distributions():
        lines.append(f"| {dist[0]} | {dist[1]} |")
    lines.append("")
    if plt is None:
        lines += ["*matplotlib is not installed: figures were skipped.*", ""]
    for name, suite in report["suites"].items():
        bench = benchmarks[name]
        lines += [f"## {name}", "", bench.description, ""]
        if "error" in suite:
            lines += [f"**Failed:** `{suite['error']}`", ""]
            continue
        rows: list[Row] = suite["rows"]
        lines += _markdown_table(bench, rows)
        lines.append(f"\n({suite['seconds']:.1f} s; ratios are against `{bench.reference}` on the "
                     "same case in the same run)\n" if bench.reference else
                     f"\n({suite['seconds']:.1f} s)\n")
        if plt is not None:
            for figure in _figures(plt, bench, rows, out):
                lines += [f"![{name}]({figure.name})", ""]
    path = out / "report.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _markdown_table(bench: Benchmark, rows: list[Row]) -> list[str]:
    columns = ["case", "solver", *bench.metrics]
    if bench.reference:
        columns += [f"{m}/ref" for m in bench.ratios]
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        lines.append("| " + " | ".join(_fmt(row.get(c)) for c in columns) + " |")
    return lines


def _figures(plt: Any, bench: Benchmark, rows: list[Row], out: Path) -> list[Path]:
    paths: list[Path] = []
    if bench.reference and bench.ratios and any(
            isinstance(r.get(f"{bench.ratios[0]}/ref"), (int, float)) for r in rows):
        paths.append(_ratio_chart(plt, bench, rows, out))
    if bench.figures is not None:
        paths += [Path(p) for p in bench.figures(rows, out)]
    return paths


def _ratio_chart(plt: Any, bench: Benchmark, rows: list[Row], out: Path) -> Path:
    """Grouped bars of the first ratio metric per case and solver (log scale)."""
    metric = f"{bench.ratios[0]}/ref"
    rows = [r for r in rows if isinstance(r.get(metric), (int, float))]  # drop note rows
    cases = list(dict.fromkeys(r["case"] for r in rows))
    solvers = list(dict.fromkeys(r["solver"] for r in rows))
    width = 0.8 / max(1, len(solvers))
    fig, ax = plt.subplots(figsize=(max(6.0, 0.9 * len(cases) + 2), 3.6))
    for i, solver in enumerate(solvers):
        values = [next((r.get(metric) for r in rows if r["case"] == c and r["solver"] == solver),
                       None) for c in cases]
        xs = [j + i * width for j, v in enumerate(values) if isinstance(v, (int, float))]
        ys = [v for v in values if isinstance(v, (int, float))]
        ax.bar(xs, ys, width=width, label=solver)
    ax.axhline(1.0, color="black", linewidth=0.8)
    ax.set_yscale("log")
    ax.set_xticks([j + width * (len(solvers) - 1) / 2 for j in range(len(cases))])
    ax.set_xticklabels(cases, rotation=30, ha="right", fontsize=8)
    ax.set_ylabel(f"{metric} ({bench.reference} = 1)")
    ax.set_title(f"{bench.name}: {metric}")
    ax.legend(fontsize=7)
    fig.tight_layout()
    path = out / f"{bench.name}-ratios.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _pyplot() -> Any:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    return plt


def _distributions() -> list[tuple[str, str]]:
    wanted = ("solverkit", "scipy", "cvxpy", "pluggy", "matplotlib")
    found = []
    for dist in importlib.metadata.distributions():
        name = dist.metadata["Name"]
        if name and (name in wanted or name.startswith("solverkit-")):
            found.append((name, dist.version))
    return sorted(set(found))
