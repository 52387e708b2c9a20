"""The benchmark report writer: per-suite merge, figures, failures noted, machine recorded."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from solverkit import _reportfig, report
from solverkit.bench import Benchmark, add_ratios, run_benchmarks

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _rows(scale: float, case: str = "c1") -> list[dict]:
    return [{"case": case, "solver": "ref", "time": 2.0, "err": 1e-9},
            {"case": case, "solver": "fast", "time": 2.0 * scale, "err": 1e-8}]


def _bench(name: str, rows: list[dict], figures=None) -> Benchmark:
    return Benchmark(name=name, run=lambda quick: rows, reference="ref", metrics=("time", "err"),
                     ratios=("time",), description=f"suite {name}", figures=figures)


def _merge(directory: Path, bench: Benchmark, quick: bool = True, **suite) -> Path:
    if not suite:
        suite = {"rows": add_ratios(bench, bench.run(quick)), "seconds": 1.5}
    return report.merge_suite(directory, bench, suite, quick=quick, command="solverkit bench x")


def _line_plot(name: str):
    """A figure callable writing one PNG named ``name`` into the report directory."""
    def figures(rows, directory):
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots()
        ax.plot([r["time"] for r in rows])
        path = Path(directory) / name
        fig.savefig(path)
        plt.close(fig)
        return [path]
    return figures


def _section(text: str, name: str) -> str:
    """The Markdown of one suite's section."""
    return text.split(f"\n## {name}\n", 1)[1].split("\n## ", 1)[0]


def _images(text: str) -> list[str]:
    return re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)


def test_merge_replaces_the_suites_run_and_keeps_the_others(tmp_path):
    _merge(tmp_path, _bench("alpha", _rows(0.5)))
    _merge(tmp_path, _bench("beta", _rows(3.0, case="b1")), quick=False)
    beta_before = _section((tmp_path / "report.md").read_text(), "beta")
    _merge(tmp_path, _bench("alpha", _rows(0.25, case="a2")), quick=False)

    text = (tmp_path / "report.md").read_text()
    assert _section(text, "beta") == beta_before  # untouched, byte for byte
    alpha = _section(text, "alpha")
    assert "| a2 | fast |" in alpha and "| c1 |" not in alpha  # replaced, not appended
    assert "| 0.25 |" in alpha  # its ratio column: 0.5 / 2.0
    state = json.loads((tmp_path / "report.json").read_text())
    assert sorted(state["suites"]) == ["alpha", "beta"]
    assert {n: s["mode"] for n, s in state["suites"].items()} == {"alpha": "full",
                                                                 "beta": "full"}
    assert text == report.render_markdown(state)  # report.md is a function of the state


def test_quick_sections_are_labelled(tmp_path):
    _merge(tmp_path, _bench("alpha", _rows(0.5)), quick=True)
    assert "**Quick runs only**" in (tmp_path / "report.md").read_text()
    _merge(tmp_path, _bench("beta", _rows(0.5)), quick=False)
    text = (tmp_path / "report.md").read_text()
    assert "**Mixed**" in text and "| [alpha](#alpha) | quick |" in text
    assert "| [beta](#beta) | full |" in text


def test_figures_are_written_per_suite_and_referenced(tmp_path):
    _merge(tmp_path, _bench("alpha", _rows(0.5), figures=_line_plot("alpha-profile.png")))
    text = (tmp_path / "report.md").read_text()
    images = _images(text)
    assert images == ["alpha/alpha-ratios.png", "alpha/alpha-profile.png"]
    for image in images:
        assert (tmp_path / image).read_bytes()[:8] == PNG_MAGIC


def test_a_rerun_removes_its_stale_figures_and_keeps_other_suites_figures(tmp_path):
    _merge(tmp_path, _bench("alpha", _rows(0.5), figures=_line_plot("old.png")))
    _merge(tmp_path, _bench("beta", _rows(2.0), figures=_line_plot("beta.png")))
    _merge(tmp_path, _bench("alpha", _rows(0.5), figures=_line_plot("new.png")))
    assert not (tmp_path / "alpha" / "old.png").exists()
    assert (tmp_path / "alpha" / "new.png").exists() and (tmp_path / "beta" / "beta.png").exists()
    for image in _images((tmp_path / "report.md").read_text()):
        assert (tmp_path / image).is_file(), image


def test_a_figure_callable_that_raises_is_noted_and_the_report_still_written(tmp_path):
    import matplotlib.pyplot as plt

    def broken(rows, directory):
        plt.figure()  # left open by the failure: the writer must close it
        raise RuntimeError("no budgets in these rows")

    _merge(tmp_path, _bench("alpha", _rows(0.5), figures=broken))
    _merge(tmp_path, _bench("beta", _rows(2.0)))
    text = (tmp_path / "report.md").read_text()
    alpha = _section(text, "alpha")
    assert "*Figure not drawn:* figure callable" in alpha
    assert "RuntimeError: no budgets in these rows" in alpha
    assert _images(alpha) == ["alpha/alpha-ratios.png"]  # the other figure is still there
    assert "1 figure(s) failed" in text and "## beta" in text
    assert plt.get_fignums() == []


def test_figure_paths_returned_but_missing_are_noted_and_outside_ones_copied_in(tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    draw_outside = _line_plot("x.png")
    _merge(tmp_path / "rep", _bench("alpha", _rows(0.5),
                                    figures=lambda rows, d: draw_outside(rows, outside)))
    assert (tmp_path / "rep" / "alpha" / "x.png").read_bytes()[:8] == PNG_MAGIC
    _merge(tmp_path / "rep", _bench("beta", _rows(0.5),
                                    figures=lambda rows, d: [Path(d) / "ghost.png"]))
    text = (tmp_path / "rep" / "report.md").read_text()
    assert "](alpha/x.png)" in text
    assert "returned ghost.png but did not write it" in _section(text, "beta")


def test_figure_callables_get_a_copy_of_the_rows(tmp_path):
    def mutating(rows, directory):
        rows[0]["time"] = -1.0
        return []

    _merge(tmp_path, _bench("alpha", _rows(0.5), figures=mutating))
    state = report.load_state(tmp_path)
    assert state["suites"]["alpha"]["rows"][0]["time"] == 2.0


def test_without_matplotlib_the_report_says_so(tmp_path, monkeypatch):
    monkeypatch.setattr(_reportfig, "_pyplot", lambda: None)
    _merge(tmp_path, _bench("alpha", _rows(0.5)))
    text = (tmp_path / "report.md").read_text()
    assert "matplotlib is not installed" in text and _images(text) == []
    assert not (tmp_path / "alpha").exists()


def test_machine_versions_and_settings_are_recorded_per_section(tmp_path, monkeypatch):
    monkeypatch.setenv("SOLVERKIT_DAGMA_BENCH_SEEDS", "1,2")
    rows = [{**r, "seed": s} for s in (3, 4) for r in _rows(0.5, case=f"c{s}")]
    _merge(tmp_path, _bench("alpha", rows))
    section = report.load_state(tmp_path)["suites"]["alpha"]
    assert {"python", "platform", "cpus", "load_average", "numpy", "blas_threads",
            "date"} <= set(section["machine"])
    assert {"solverkit", "numpy", "scipy", "pluggy"} <= set(section["versions"])
    assert section["settings"]["SOLVERKIT_DAGMA_BENCH_SEEDS"] == "1,2"
    assert section["settings"]["seeds (from the rows)"] == "3, 4"
    text = _section((tmp_path / "report.md").read_text(), "alpha")
    assert "`solverkit bench x`" in text and f"Python {section['machine']['python']}" in text
    assert "`SOLVERKIT_DAGMA_BENCH_SEEDS=1,2`" in text


def test_a_failed_suite_replaces_its_section_with_the_error(tmp_path):
    _merge(tmp_path, _bench("alpha", _rows(0.5), figures=_line_plot("a.png")))
    _merge(tmp_path, _bench("alpha", _rows(0.5)), error="ValueError: no data", seconds=0.1)
    text = (tmp_path / "report.md").read_text()
    assert "**The suite failed:** `ValueError: no data`" in text and "| failed |" in text
    assert not (tmp_path / "alpha" / "a.png").exists() and _images(text) == []


def test_table_cells_are_escaped_and_notes_listed(tmp_path):
    rows = _rows(0.5) + [{"case": "-", "solver": "-", "notes": "a|b skipped"}]
    rows[1]["solver"] = "fast|variant"
    _merge(tmp_path, _bench("alpha", rows))
    text = (tmp_path / "report.md").read_text()
    assert "| c1 | fast\\|variant |" in text and "- note: a\\|b skipped" in text


def test_a_foreign_or_broken_state_is_refused_not_overwritten(tmp_path):
    (tmp_path / "report.json").write_text("[1, 2]")
    with pytest.raises(ValueError, match="not a solverkit report"):
        _merge(tmp_path, _bench("alpha", _rows(0.5)))
    (tmp_path / "report.json").write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        report.load_state(tmp_path)
    assert (tmp_path / "report.json").read_text() == "{not json"


def test_write_report_merges_a_whole_run_and_on_suite_sees_each_suite(tmp_path):
    seen = []
    benches = [_bench("alpha", _rows(0.5)),
               Benchmark(name="broken", run=lambda quick: 1 / 0, description="fails")]
    run = run_benchmarks(benches, quick=True, echo=lambda line: None,
                         on_suite=lambda b, s: seen.append((b.name, sorted(s))))
    assert seen == [("alpha", ["reference", "rows", "seconds"]), ("broken", ["error", "seconds"])]
    path = report.write_report(run, {b.name: b for b in benches}, tmp_path, "solverkit bench")
    text = path.read_text()
    assert "## alpha" in text and "ZeroDivisionError" in _section(text, "broken")


def test_an_empty_directory_renders_an_empty_report():
    assert "No suite has been run" in report.render_markdown({"format": 1, "suites": {}})


def test_rerender_rewrites_the_markdown_from_the_state_only(tmp_path):
    _merge(tmp_path, _bench("alpha", _rows(0.5)))
    expected = (tmp_path / "report.md").read_text()
    (tmp_path / "report.md").write_text("edited by hand")
    assert report.rerender(tmp_path).read_text() == expected
    with pytest.raises(FileNotFoundError, match="nothing to render"):
        report.rerender(tmp_path / "empty")
