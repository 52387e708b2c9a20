"""Which benchmark figures belong to which plugin, and the "Benchmark report" page.

Two places hold committed benchmark figures, and both are found, never listed by hand:

- ``benchmarks/results/<suite>-*.png``: figures of the full runs a plugin README quotes. A file
  belongs to the suite whose name is the longest prefix of the file name followed by ``-``
  (``alsketch-c1-profile.png`` -> suite ``alsketch-c1``), hence to the plugin that registers
  that suite. A README benchmark section may also name a PNG outright (e.g.
  ```alsketch-c1-profile.png```, outside code blocks): such a file must exist, else the build
  warns (an error under ``-W``).
- ``benchmarks/results/report/``: the committed ``solverkit bench --report`` output;
  ``report.json`` says which figures belong to which suite.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "benchmarks" / "results"
REPORT = RESULTS / "report"
PAGE = "benchmark-report"  # the docs page (docs/benchmark-report.md, generated)


@dataclass
class PluginFigures:
    """The figures a plugin's solver pages show."""

    committed: list[Path] = field(default_factory=list)
    report: dict[str, dict] = field(default_factory=dict)  # suite -> its report section
    problems: list[str] = field(default_factory=list)  # drift: each becomes a build warning


def suite_of(filename: str, suites: list[str]) -> str | None:
    """The suite a ``results/`` file belongs to: the longest ``<suite>-`` prefix."""
    matches = [s for s in suites if filename.startswith(s + "-")]
    return max(matches, key=len) if matches else None


def mentioned_pngs(section: str) -> list[str]:
    """PNG file names a README benchmark section names in prose (code blocks are commands)."""
    prose = re.sub(r"```.*?```", "", section, flags=re.S)
    return list(dict.fromkeys(re.findall(r"[\w./-]+\.png\b", prose)))


def plugin_figures(own_suites: list[str], all_suites: list[str], section: str) -> PluginFigures:
    """Committed and report figures of the plugin that registers ``own_suites``."""
    found = PluginFigures()
    if RESULTS.is_dir():
        found.committed = [p for p in sorted(RESULTS.glob("*.png"))
                           if suite_of(p.name, all_suites) in own_suites]
    for name in mentioned_pngs(section):
        path = ROOT / name if "/" in name else RESULTS / name
        if not path.is_file():
            found.problems.append(f"the README benchmark section names {name}, which is not "
                                  f"committed as {_rel(path, ROOT)}")
        elif path not in found.committed:
            found.committed.append(path)
    state = load_report()
    for suite in own_suites:
        section_of_suite = state.get("suites", {}).get(suite)
        if section_of_suite is None:
            continue
        for figure in section_of_suite.get("figures", []):
            if not (REPORT / figure).is_file():
                found.problems.append(f"report.json lists {figure} for suite {suite}, but "
                                      f"{REPORT.relative_to(ROOT)}/{figure} is missing")
        found.report[suite] = section_of_suite
    return found


def load_report() -> dict:
    """The committed report's state, or an empty one when no report is committed."""
    path = REPORT / "report.json"
    if not path.is_file():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


def figures_markdown(found: PluginFigures, page_dir: Path) -> list[str]:
    """Markdown for a solver page: committed figures, then the latest report's."""
    lines: list[str] = []
    if found.committed:
        lines += ["### Figures", "", "Committed with the results above "
                  "(`benchmarks/results/`):", ""]
        lines += [f"![{p.stem}]({_rel(p, page_dir)})" + "\n" for p in found.committed]
    if found.report:
        lines += ["### Latest report", ""]
        for suite, section in found.report.items():
            machine = section.get("machine", {})
            status = "**failed**" if "error" in section else f"{len(section.get('rows', []))} rows"
            lines += [f"- [`{suite}`](../{PAGE}.md#{_anchor(suite)}): {section['mode']} run, "
                      f"finished {machine.get('date', '?')}, {status}"]
        lines.append("")
        for suite, section in found.report.items():
            lines += [f"![{suite}: {Path(f).stem}]({_rel(REPORT / f, page_dir)})" + "\n"
                      for f in section.get("figures", [])]
            lines += [f"*{suite}: figure not drawn:* {e}\n" for e in section.get("figure_errors",
                                                                                  [])]
    return lines


def report_page(srcdir: Path) -> None:
    """Write ``docs/benchmark-report.md``: the committed report, or a note that there is none."""
    text = [f"({PAGE})=", ""]
    report_md = REPORT / "report.md"
    if report_md.is_file():
        # relative-images: the report's figure paths are relative to the report directory
        text += ["```{include} " + _rel(report_md, srcdir), ":relative-images:", "```", ""]
    else:
        text += ["# Benchmark report", "",
                 "No report is committed yet. Write one with "
                 "`solverkit bench --quick --report benchmarks/results/report` (or `--full`, one "
                 "suite at a time: each run replaces only its suites' sections).", ""]
    (srcdir / f"{PAGE}.md").write_text("\n".join(text), encoding="utf-8")


def _rel(path: Path, start: Path) -> str:
    return Path(os.path.relpath(path, start)).as_posix()


def _anchor(heading: str) -> str:
    """The anchor MyST gives a heading with ``myst_heading_anchors`` (as in solverkit.report)."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
