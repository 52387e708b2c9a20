"""Generate one page per installed solver from its class, so the docs cannot drift.

Each page shows the solver's summary, the paper it implements, the problem kinds it accepts,
its capability flags, when to pick it, its options table (from the ``Options`` dataclass: name,
type, default, and the description from the dataclass's numpydoc ``Parameters`` section), the
benchmark section of its plugin's README, and its plugin's benchmark figures: the committed ones
and those of the latest committed report (see ``benchfigures``). Also writes the "Benchmark
report" page.
"""

from __future__ import annotations

import dataclasses
import typing
from pathlib import Path

import benchfigures
from sphinx.util import logging

ROOT = Path(__file__).resolve().parents[2]
BENCH_START, BENCH_END = "<!-- benchmark-start -->", "<!-- benchmark-end -->"
logger = logging.getLogger(__name__)


def option_rows(options_cls: type) -> list[tuple[str, str, str, str]]:
    """(name, type, default, description) for every option field."""
    from numpydoc.docscrape import ClassDoc

    described = {}
    if options_cls.__doc__:
        for param in ClassDoc(options_cls, config={"show_class_members": False})["Parameters"]:
            for name in param.name.split(","):  # "mu_init, mu_factor : float" documents both
                described[name.strip()] = " ".join(param.desc)
    hints = typing.get_type_hints(options_cls)
    rows = []
    for field in dataclasses.fields(options_cls):
        if not field.init:
            continue
        if field.default is not dataclasses.MISSING:
            default = repr(field.default)
        elif field.default_factory is not dataclasses.MISSING:
            default = repr(field.default_factory())
        else:
            default = "(required)"
        kind = hints.get(field.name, field.type)
        if isinstance(kind, type):
            kind_text = kind.__name__
        else:
            kind_text = str(kind).replace("typing.", "")
        rows.append((field.name, kind_text, default, described.get(field.name, "")))
    return rows


def _cell(text: str) -> str:
    """Escape what would end a Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def benchmark_section(info) -> str:
    """The part of the plugin's README between the benchmark markers, if any."""
    if not info.distribution:
        return ""
    readme = ROOT / "plugins" / info.distribution / "README.md"
    if not readme.exists():
        return ""
    text = readme.read_text(encoding="utf-8")
    if BENCH_START not in text:
        return ""
    return text.split(BENCH_START, 1)[1].split(BENCH_END, 1)[0].strip()


def solver_page(info, figures: benchfigures.PluginFigures | None = None,
                page_dir: Path | None = None) -> str:
    cls = info.cls
    caps = [flag for flag, on in cls.capabilities().items() if on] or ["none"]
    lines = [f"# `{info.name}`", "", cls.summary, "",
             f"- **Plugin:** `{info.distribution}` {info.version or ''}",
             f"- **Problem kinds:** {', '.join(f'`{k}`' for k in info.kinds)}",
             f"- **Implements:** {cls.reference or '-'}",
             f"- **Capabilities:** {', '.join(caps)}",
             f"- **Defaults:** `max_iter={cls.default_max_iter}`, `tol={cls.default_tol:g}`", ""]
    guidance = getattr(cls, "when_to_use", "")
    if guidance:
        lines += ["## When to pick it", "", guidance, ""]
    lines += ["## Options", "",
              "Besides the common options (`max_iter`, `time_limit`, `tol`, `seed`, `callback`, "
              "`verbose`, `history`):", ""]
    rows = option_rows(cls.Options)
    if rows:
        lines += ["| option | type | default | meaning |", "|---|---|---|---|"]
        lines += [f"| `{n}` | `{_cell(t)}` | `{_cell(d)}` | {_cell(m)} |" for n, t, d, m in rows]
    else:
        lines.append("This solver has no options of its own.")
    lines += ["", "## Usage", "", "```python", "import solverkit as sk",
              f"res = sk.solve(problem, method={info.name!r})", "```", ""]
    bench = benchmark_section(info)
    shown = figures is not None and (figures.committed or figures.report)
    if bench or shown:
        lines += ["## Benchmark", ""]
    if bench:
        lines += [f"From the `{info.distribution}` README:", "", bench, ""]
    if shown:
        lines += benchfigures.figures_markdown(figures, page_dir)
    return "\n".join(lines)


def plugin_suites() -> dict[str, list[str]]:
    """Benchmark suite names by plugin name, from the registry."""
    from solverkit.registry import get_registry

    return {name: list(p.benchmarks) for name, p in get_registry().plugins.items()}


def generate(app) -> None:
    import solverkit

    out = Path(app.srcdir) / "solvers"
    out.mkdir(exist_ok=True)
    for stale in out.glob("*.md"):  # pages of solvers no longer installed
        stale.unlink()
    infos = solverkit.solvers()
    suites = plugin_suites()
    all_suites = [s for names in suites.values() for s in names]
    by_plugin: dict[str, benchfigures.PluginFigures] = {}
    names = []
    for info in infos:
        if info.plugin not in by_plugin:
            by_plugin[info.plugin] = benchfigures.plugin_figures(
                suites.get(info.plugin, []), all_suites, benchmark_section(info))
            for problem in by_plugin[info.plugin].problems:  # drift: an error under -W
                logger.warning(f"{info.distribution}: {problem}")
        page = solver_page(info, by_plugin[info.plugin], out)
        (out / f"{info.name}.md").write_text(page, encoding="utf-8")
        names.append(info.name)
    index = ["# Solvers", "", "Generated from the installed solver classes.", "",
             "| solver | kinds | plugin | summary |", "|---|---|---|---|"]
    index += [f"| [{i.name}]({i.name}.md) | {', '.join(i.kinds)} | `{i.distribution}` | "
              f"{i.summary} |" for i in infos]
    index += ["", "```{toctree}", ":hidden:", "", *names, "```", ""]
    (out / "index.md").write_text("\n".join(index), encoding="utf-8")
    benchfigures.report_page(Path(app.srcdir))


def setup(app):
    app.connect("builder-inited", generate)
    return {"parallel_read_safe": True, "version": "1"}
