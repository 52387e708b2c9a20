"""Committed benchmark figures and the committed report: nothing referenced is missing,
and every committed figure is shown on some solver page (the naming convention in
docs/_ext/benchfigures.py)."""

import json
import pathlib
import re
import sys

import pytest

from solverkit.registry import Registry
from solverkit.report import render_markdown

ROOT = pathlib.Path(__file__).resolve().parents[1]
REPORT = ROOT / "benchmarks" / "results" / "report"
sys.path.insert(0, str(ROOT / "docs" / "_ext"))
import benchfigures  # noqa: E402 - the docs extension module, importable without sphinx


def test_suite_of_takes_the_longest_suite_prefix():
    suites = ["tucker", "tucker-search", "alsketch-c1", "alsketch-c10"]
    assert benchfigures.suite_of("tucker-error-vs-budget.png", suites) == "tucker"
    assert benchfigures.suite_of("tucker-search-time.png", suites) == "tucker-search"
    assert benchfigures.suite_of("alsketch-c10-profile.png", suites) == "alsketch-c10"
    assert benchfigures.suite_of("alsketch-c1.png", suites) is None  # no '-' after the name
    assert benchfigures.suite_of("other.png", suites) is None


def test_mentioned_pngs_skip_code_blocks():
    section = ("Raw output and the plot `tucker-error-vs-budget.png`; see also "
               "benchmarks/results/report/tucker/x.png.\n```bash\npython plot.py out.png\n```\n")
    assert benchfigures.mentioned_pngs(section) == ["tucker-error-vs-budget.png",
                                                   "benchmarks/results/report/tucker/x.png"]


def test_committed_report_is_consistent_and_self_contained():
    state = json.loads((REPORT / "report.json").read_text(encoding="utf-8"))
    text = (REPORT / "report.md").read_text(encoding="utf-8")
    assert text == render_markdown(state), ("report.md was edited by hand or its layout is "
                                            "stale: python -m solverkit.report " + str(REPORT))
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    listed = [f for s in state["suites"].values() for f in s.get("figures", [])]
    assert sorted(images) == sorted(listed)
    missing = [f for f in images if not (REPORT / f).is_file()]
    assert not missing, f"figures referenced by report.md but not committed: {missing}"


@pytest.mark.all_plugins
def test_every_committed_results_figure_belongs_to_a_registered_suite():
    suites = list(Registry().benchmarks)
    orphans = [p.name for p in sorted((ROOT / "benchmarks" / "results").glob("*.png"))
               if benchfigures.suite_of(p.name, suites) is None]
    assert not orphans, (f"{orphans}: name them <suite>-<what>.png so the solver pages of the "
                         "suite's plugin show them")


def test_plugin_figures_finds_committed_and_report_figures_and_flags_missing_names():
    found = benchfigures.plugin_figures(
        ["alsketch-c1", "alsketch-c3"], ["alsketch-c1", "alsketch-c3", "tucker"],
        "Profile: `alsketch-c1-profile.png`; old plot `alsketch-c1-gone.png`.")
    committed = sorted(p.name for suite in ("alsketch-c1", "alsketch-c3")
                       for p in (ROOT / "benchmarks" / "results").glob(f"{suite}-*.png"))
    assert "alsketch-c1-profile.png" in committed
    assert sorted(p.name for p in found.committed) == committed
    assert sorted(found.report) == ["alsketch-c1", "alsketch-c3"]
    assert len(found.problems) == 1 and "alsketch-c1-gone.png" in found.problems[0]
    page = "\n".join(benchfigures.figures_markdown(found, ROOT / "docs" / "solvers"))
    assert "](../../benchmarks/results/alsketch-c1-profile.png)" in page
    assert "](../../benchmarks/results/report/alsketch-c1/alsketch-c1-profile.png)" in page
    mode = found.report["alsketch-c3"]["mode"]  # whatever the committed report holds
    assert f"](../benchmark-report.md#alsketch-c3): {mode} run" in page
