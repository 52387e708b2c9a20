"""``solverkit bench --report DIR``: one Markdown report with PNG figures, merged per suite.

``DIR`` holds three things:

- ``report.json``: the state, one section per suite (rows, columns, mode, command, machine,
  versions, settings, figure files and figure failures);
- ``<suite>/*.png``: that suite's figures (the ratio chart and the suite's own ``figures``);
- ``report.md``: rendered from ``report.json`` alone, so it never disagrees with it.

Running ``--report DIR`` for some suites replaces only their sections (and their figures) and
keeps every other suite's section, so each plugin's full suite can be run on its own and the
report stays one document. Each section carries its own machine and versions block, since
sections may come from different runs. A figure that cannot be drawn never aborts the report:
the failure is written into the suite's section instead.
"""

from __future__ import annotations

import functools
import importlib.metadata
import json
import os
import re
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from . import _reportfig
from .bench import Benchmark, Row, _fmt, _jsonable, machine_info, table_columns

__all__ = ["write_report", "merge_suite", "load_state", "render_markdown", "rerender",
           "REPORT_FORMAT"]

REPORT_FORMAT = 1
STATE_FILE = "report.json"
MARKDOWN_FILE = "report.md"
_CORE_PACKAGES = ("solverkit", "numpy", "scipy", "cvxpy", "pluggy", "matplotlib")


def write_report(report: Mapping[str, Any], benchmarks: Mapping[str, Benchmark],
                 directory: str | os.PathLike[str], command: str) -> Path:
    """Merge every suite of a ``run_benchmarks`` report into ``DIR`` and render ``report.md``.

    Parameters
    ----------
    report : mapping
        The value returned by :func:`solverkit.bench.run_benchmarks`.
    benchmarks : mapping of str to Benchmark
        The suites by name (at least those in ``report["suites"]``).
    directory : path
        The report directory; created if missing. Sections of suites not in ``report``
        are kept.
    command : str
        The command line, recorded in each section.

    Returns
    -------
    Path
        ``DIR/report.md``.
    """
    path = Path(directory) / MARKDOWN_FILE
    for name, suite in report["suites"].items():
        path = merge_suite(directory, benchmarks[name], suite, quick=bool(report["quick"]),
                           command=command)
    if not report["suites"]:
        Path(directory).mkdir(parents=True, exist_ok=True)
        path = _save(Path(directory), load_state(directory))
    return path


def merge_suite(directory: str | os.PathLike[str], bench: Benchmark, suite: Mapping[str, Any],
                quick: bool, command: str) -> Path:
    """Replace one suite's section (and figures) in ``DIR``, keep the others, re-render.

    Parameters
    ----------
    directory : path
        The report directory; created if missing.
    bench : Benchmark
        The suite that just ran.
    suite : mapping
        Its result from :func:`solverkit.bench.run_benchmarks`: ``rows`` and ``seconds``, or
        ``error``.
    quick : bool
        Whether the suite ran in its quick version (written into the section).
    command : str
        The command line, recorded in the section.

    Returns
    -------
    Path
        ``DIR/report.md``.
    """
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    state = load_state(out)
    old = state["suites"].get(bench.name)
    if old:  # its figures are redrawn below; stale ones must not linger
        for figure in old.get("figures", []):
            stale = (out / figure).resolve()
            if stale.is_relative_to(out.resolve()):  # never delete outside the report
                stale.unlink(missing_ok=True)
    section = _section(bench, suite, quick, command)
    if "rows" in suite:
        figure_dir = out / suite_dirname(bench.name)
        files, errors = _reportfig.draw(bench, list(suite["rows"]), figure_dir)
        section["figures"] = [f.relative_to(out).as_posix() for f in files]
        section["figure_errors"] = errors
    state["suites"][bench.name] = section
    return _save(out, state)


def load_state(directory: str | os.PathLike[str]) -> dict[str, Any]:
    """The report's state from ``DIR/report.json``; an empty state when there is none.

    Raises
    ------
    ValueError
        When ``report.json`` exists but is not a solverkit report of a known format
        (it is never silently overwritten).
    """
    path = Path(directory) / STATE_FILE
    if not path.exists():
        return {"format": REPORT_FORMAT, "suites": {}}
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path} is not valid JSON ({exc}); move it away to start a new "
                         "report") from exc
    if not isinstance(state, dict) or state.get("format") != REPORT_FORMAT:
        raise ValueError(f"{path} is not a solverkit report of format {REPORT_FORMAT}; move it "
                         "away to start a new report")
    return state


def rerender(directory: str | os.PathLike[str]) -> Path:
    """Write ``DIR/report.md`` again from ``DIR/report.json`` (after a change of the layout).

    Also ``python -m solverkit.report DIR``. Nothing is run and no figure is redrawn.
    """
    out = Path(directory)
    if not (out / STATE_FILE).is_file():
        raise FileNotFoundError(f"{out / STATE_FILE} does not exist: nothing to render")
    path = out / MARKDOWN_FILE
    _write_atomic(path, render_markdown(load_state(out)))
    return path


def suite_dirname(name: str) -> str:
    """The sub-directory holding a suite's figures (the suite name, made path-safe)."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name).lstrip(".") or "_"


def _section(bench: Benchmark, suite: Mapping[str, Any], quick: bool,
             command: str) -> dict[str, Any]:
    """A suite's section: what ran, where, with which versions and settings, and its rows."""
    section: dict[str, Any] = {
        "description": bench.description,
        "reference": bench.reference,
        "metrics": list(bench.metrics),
        "ratios": list(bench.ratios),
        "mode": "quick" if quick else "full",
        "command": command,
        "seconds": suite.get("seconds"),
        "machine": machine_info(),
        "versions": _versions(bench),
        "settings": _settings(suite.get("rows", [])),
        "figures": [],
        "figure_errors": [],
    }
    if "error" in suite:
        section["error"] = str(suite["error"])
    else:
        # JSON round trip now: numpy scalars and arrays become plain values in the state
        section["rows"] = json.loads(json.dumps(list(suite["rows"]), default=_jsonable))
    return section


def _versions(bench: Benchmark) -> dict[str, str]:
    """Versions of the core packages and of the distribution that defines the suite."""
    found = {name: v for name in _CORE_PACKAGES if (v := _version(name))}
    package = (getattr(bench.run, "__module__", None) or "").split(".")[0]
    for dist in _packages_distributions().get(package, []):
        if version := _version(dist):
            found[dist] = version
            break
    return found


# Cached: scanning the installed distributions takes ~0.1-0.5 s, and nothing is installed
# while a benchmark run is going on.
@functools.cache
def _version(distribution: str) -> str | None:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


@functools.cache
def _packages_distributions() -> Mapping[str, list[str]]:
    return importlib.metadata.packages_distributions()


def _settings(rows: Any) -> dict[str, str]:
    """What else shapes the numbers: seeds found in the rows, SOLVERKIT_* and hash-seed env."""
    settings = {k: v for k, v in sorted(os.environ.items())
                if k.startswith("SOLVERKIT_") or k == "PYTHONHASHSEED"}
    seeds = sorted({str(r[key]) for r in rows for key in ("seed", "seeds") if key in r})
    if seeds:
        settings["seeds (from the rows)"] = ", ".join(seeds)
    return settings


def _save(out: Path, state: dict[str, Any]) -> Path:
    """Write ``report.json`` and ``report.md`` (each via a temporary file, then rename)."""
    state["updated"] = time.strftime("%Y-%m-%d %H:%M:%S")
    _write_atomic(out / STATE_FILE, json.dumps(state, indent=1, default=_jsonable))
    path = out / MARKDOWN_FILE
    _write_atomic(path, render_markdown(state))
    return path


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


# -- rendering -------------------------------------------------------------------------------
def render_markdown(state: Mapping[str, Any]) -> str:
    """``report.md`` from the state: an overview table, then one section per suite."""
    suites = state["suites"]
    names = sorted(suites, key=lambda n: (n != "core", n))
    modes = {suites[n]["mode"] for n in names}
    lines = ["# solverkit benchmark report", ""]
    if modes == {"quick"}:
        lines += ["**Quick runs only**: every section comes from the short version of its suite "
                  "(`--quick`), made to check that things work, not to measure. The numbers the "
                  "plugin READMEs quote come from full runs.", ""]
    elif "quick" in modes:
        lines += ["**Mixed**: some sections come from quick runs (`--quick`, the short version "
                  "of a suite); the *mode* column says which.", ""]
    lines += ["Written by `solverkit bench --report DIR`, which replaces the sections of the "
              "suites it runs and keeps the others. Each section records its own command, "
              "machine and versions. Ratio columns (`metric/ref`) divide by the suite's reference "
              "solver on the same case in the same run; read ratios rather than absolute times "
              "on a shared machine.", ""]
    if not names:
        return "\n".join(lines + ["No suite has been run into this report yet.", ""])
    lines += ["| suite | mode | finished | seconds | status |", "|---|---|---|---|---|"]
    for name in names:
        s = suites[name]
        status = "failed" if "error" in s else f"ok, {len(s.get('rows', []))} rows"
        if s.get("figure_errors"):
            status += f", {len(s['figure_errors'])} figure(s) failed"
        seconds = f"{s['seconds']:.1f}" if isinstance(s.get("seconds"), float) else "-"
        lines.append(f"| [{name}](#{_anchor(name)}) | {s['mode']} | {s['machine'].get('date')} "
                     f"| {seconds} | {status} |")
    lines.append("")
    for name in names:
        lines += _suite_markdown(name, suites[name])
    return "\n".join(lines)


def _suite_markdown(name: str, s: Mapping[str, Any]) -> list[str]:
    machine = s["machine"]
    lines = [f"## {name}", ""]
    if s.get("description"):
        lines += [_cell(s["description"]), ""]
    lines += [f"- **Run:** {s['mode']}, `{s['command']}`, finished {machine.get('date')}"
              + (f", {s['seconds']:.1f} s" if isinstance(s.get("seconds"), float) else ""),
              f"- **Machine:** {machine.get('platform')}, {machine.get('cpus')} CPUs, load "
              f"average {machine.get('load_average') or '-'}, Python {machine.get('python')}, "
              f"BLAS threads {machine.get('blas_threads') or 'not pinned'}",
              "- **Versions:** " + ", ".join(f"{k} {v}" for k, v in s["versions"].items())]
    if s.get("settings"):
        lines.append("- **Settings:** " + ", ".join(f"`{k}={v}`" if " " not in k else f"{k}: {v}"
                                                    for k, v in s["settings"].items()))
    lines.append("")
    if "error" in s:
        return lines + [f"**The suite failed:** `{s['error']}`", ""]
    rows: list[Row] = s["rows"]
    columns = table_columns(s["metrics"], s["ratios"], s["reference"], rows)
    lines += ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_cell(_fmt(row.get(c))) for c in columns) + " |" for row in rows]
    lines.append("")
    if s["reference"]:
        lines += [f"Ratios are against `{s['reference']}` on the same case in the same run.", ""]
    notes = list(dict.fromkeys(str(r["notes"]) for r in rows if r.get("notes")))
    lines += [f"- note: {_cell(n)}" for n in notes] + ([""] if notes else [])
    for figure in s.get("figures", []):
        lines += [f"![{name}: {Path(figure).stem}]({figure})", ""]
    for error in s.get("figure_errors", []):
        lines += [f"*Figure not drawn:* {_cell(error)}", ""]
    return lines


def _anchor(heading: str) -> str:
    """The anchor GitHub and MyST give a heading (lower case, punctuation dropped, - for space)."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _cell(text: str) -> str:
    """Escape what would end a Markdown table cell or line."""
    return str(text).replace("|", "\\|").replace("\n", " ")


if __name__ == "__main__":  # pragma: no cover - python -m solverkit.report DIR
    import sys

    if len(sys.argv) != 2:
        raise SystemExit("usage: python -m solverkit.report DIR  (re-renders DIR/report.md)")
    print(f"written {rerender(sys.argv[1])}")
