"""The ``solverkit`` command: list plugins and solvers, solve, benchmark, scaffold.

Errors print one line (``solverkit: error: ...``) and exit non-zero; pass
``--debug`` for the traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import warnings
from collections.abc import Sequence
from typing import Any

__all__ = ["main"]

BLAS_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


class CLIError(Exception):
    """A user error: printed as one line."""


def _table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [[str(c) for c in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths)),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in cells]
    return "\n".join(lines)


# -- plugins / solvers ---------------------------------------------------------
def cmd_plugins(args: argparse.Namespace) -> int:
    import warnings

    from .registry import get_registry

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # shown in the table instead
        registry = get_registry()
    plugins = list(registry.plugins.values())
    if args.json:
        payload = [p.to_dict() for p in plugins]
        payload += [{**p.to_dict(), "error": "disabled by SOLVERKIT_LOAD_PLUGINS/BLOCK"}
                    for p in registry.disabled.values()]
        print(json.dumps(payload, indent=1))
        return 0
    if not plugins and not registry.disabled:
        print("no solverkit plugins installed (try: pip install solverkit-scipy)")
        return 0
    rows = []
    for p in plugins:
        status = f"BROKEN: {p.error}" if p.broken else "ok"
        rows.append([p.name, p.distribution or "-", p.version or "-",
                     ", ".join(p.solvers) or "-", status])
    for p in registry.disabled.values():
        rows.append([p.name, p.distribution or "-", p.version or "-", "-", "disabled"])
    print(_table(["plugin", "distribution", "version", "solvers", "status"], rows))
    for name, owners in registry.conflicts.items():
        print(f"conflict: solver {name!r} is registered by {', '.join(owners)}")
    return 0


def cmd_solvers(args: argparse.Namespace) -> int:
    from . import api

    kind = _kind(args.kind) if args.kind else None
    infos = api.solvers(kind)
    if args.json:
        print(json.dumps([{"name": s.name, "kinds": list(s.kinds), "plugin": s.plugin,
                           "distribution": s.distribution, "version": s.version,
                           "summary": s.summary, "capabilities": s.cls.capabilities()}
                          for s in infos], indent=1))
        return 0
    if not infos:
        print("no solvers installed" + (f" for {args.kind}" if args.kind else ""))
        return 0
    print(_table(["solver", "kinds", "plugin", "version", "summary"],
                 [[s.name, ",".join(s.kinds), s.plugin, s.version or "-", s.summary]
                  for s in infos]))
    return 0


def _kind(name: str) -> type:
    from .api import problem_kinds

    kinds = problem_kinds()
    if name not in kinds:
        raise CLIError(f"unknown problem kind {name!r}; expected one of {', '.join(kinds)}")
    return kinds[name]


# -- solve -----------------------------------------------------------------------
def parse_value(text: str) -> Any:
    """Parse an option value: JSON (numbers, true/false/null, lists), else the raw string."""
    lowered = {"True": True, "False": False, "None": None}
    if text in lowered:
        return lowered[text]
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def parse_pairs(pairs: Sequence[str], what: str) -> dict[str, Any]:
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise CLIError(f"{what} must look like key=value, got {pair!r}")
        out[key.strip()] = parse_value(value)
    return out


def load_array(path: str) -> Any:
    """Load .npy / .npz / .csv data without pickle. An .npz must hold one array."""
    import numpy as np

    if not os.path.exists(path):
        raise CLIError(f"data file {path!r} does not exist")
    lower = path.lower()
    try:
        if lower.endswith(".npy"):
            return np.load(path, allow_pickle=False)
        if lower.endswith(".npz"):
            with np.load(path, allow_pickle=False) as archive:
                if len(archive.files) != 1:
                    raise CLIError(f"{path}: expected one array in the .npz, found "
                                   f"{archive.files}")
                return archive[archive.files[0]]
        if lower.endswith(".csv"):
            with open(path, encoding="utf-8") as fh:
                first = fh.readline()
            has_header = any(c.isalpha() for c in first.replace("e", "").replace("E", ""))
            return np.loadtxt(path, delimiter=",", skiprows=1 if has_header else 0, ndmin=2)
    except ValueError as exc:
        raise CLIError(f"{path}: cannot read data ({exc}); pickled object arrays are refused") \
            from exc
    raise CLIError(f"{path}: unsupported data file; expected .npy, .npz or .csv")


DATA_ARGUMENT = {"StructureLearning": "X", "TuckerRank": "tensor"}


def cmd_solve(args: argparse.Namespace) -> int:
    from . import api

    if bool(args.example) == bool(args.data):
        raise CLIError("give either --example KIND or --kind KIND --data FILE")
    params = parse_pairs(args.param, "--param")
    if args.example:
        problem = _kind(args.example).example(seed=int(params.pop("seed", 0)))
        if params:
            raise CLIError("--param is only used with --data")
    else:
        if not args.kind:
            raise CLIError("--data needs --kind (StructureLearning or TuckerRank)")
        if args.kind not in DATA_ARGUMENT:
            raise CLIError(f"problems of kind {args.kind!r} contain functions and cannot be read "
                           f"from a data file; file-backed kinds: {', '.join(DATA_ARGUMENT)}")
        problem = _kind(args.kind)(load_array(args.data), **params)
    options = parse_pairs(args.option, "--option")
    result = api.solve(problem, method=args.method, **options)
    if args.json:
        print(json.dumps(result.to_dict()))
    else:
        print(repr(result))
    return 0 if result.success else 2


# -- bench ---------------------------------------------------------------------------
def cmd_bench(args: argparse.Namespace) -> int:
    from .bench import run_benchmarks
    from .registry import get_registry

    registry = get_registry()
    available = registry.benchmarks
    if args.list:
        for name, bench in sorted(available.items()):
            print(f"{name:<14} {bench.description}")
        return 0
    names = args.suites or sorted(available, key=lambda n: (n != "core", n))
    missing = [n for n in names if n not in available]
    if missing:
        raise CLIError(f"unknown benchmark suite(s) {missing}; available: "
                       f"{', '.join(sorted(available))}")
    print(f"solverkit bench ({'quick' if args.quick else 'full'}): suites {', '.join(names)}; "
          f"BLAS threads pinned to {os.environ.get('OPENBLAS_NUM_THREADS')}\n", flush=True)
    on_suite = None
    if args.report:
        from .report import load_state, merge_suite

        load_state(args.report)  # an unreadable report.json fails now, not after the run
        command = "solverkit " + " ".join(args.argv)

        def on_suite(bench: Any, suite: dict[str, Any]) -> None:
            # merged as each suite ends: an interrupted long run keeps what finished
            path = merge_suite(args.report, bench, suite, quick=args.quick, command=command)
            print(f"report: section {bench.name!r} written to {path}", flush=True)

    report = run_benchmarks([available[n] for n in names], quick=args.quick, out=args.out,
                            on_suite=on_suite)
    failed = [n for n, s in report["suites"].items() if "error" in s]
    return 1 if failed else 0


def _pin_blas_and_reexec(argv: Sequence[str]) -> None:
    """Benchmarks must time single-threaded BLAS; numpy reads these only at import."""
    if all(os.environ.get(v) == "1" for v in BLAS_VARS):
        return
    env = dict(os.environ, **{v: "1" for v in BLAS_VARS})
    sys.stdout.flush()
    os.execve(sys.executable, [sys.executable, "-m", "solverkit", *argv], env)


# -- new-plugin -----------------------------------------------------------------------
def cmd_new_plugin(args: argparse.Namespace) -> int:
    from .scaffold import render

    path = render(args.name, args.dir)
    print(f"created {path}\nnext: pip install -e {path}[test] && pytest {path}/tests")
    return 0


# -- main -------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="solverkit", description=__doc__.splitlines()[0])
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("plugins", help="list installed plugins (and broken ones)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_plugins)

    p = sub.add_parser("solvers", help="list installed solvers")
    p.add_argument("--kind", help="only solvers accepting this problem kind")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_solvers)

    p = sub.add_parser("solve", help="solve a built-in example or a problem from a data file")
    p.add_argument("--example", metavar="KIND", help="solve KIND.example()")
    p.add_argument("--kind", help="problem kind of --data (StructureLearning, TuckerRank)")
    p.add_argument("--data", metavar="FILE", help=".npy, .npz (one array) or .csv")
    p.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                   help="problem argument, e.g. budget=500 or loss=logistic")
    p.add_argument("--method", help="solver name (default: the kind's default)")
    p.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                   help="solver option, value parsed as JSON (e.g. max_iter=50)")
    p.add_argument("--json", action="store_true", help="print the Result as JSON")
    p.set_defaults(func=cmd_solve)

    p = sub.add_parser("bench", help="run registered benchmark suites")
    p.add_argument("suites", nargs="*", metavar="SUITE")
    speed = p.add_mutually_exclusive_group()
    speed.add_argument("--quick", action="store_true", help="the short version of each suite")
    speed.add_argument("--full", action="store_true", help="the full version (the default)")
    p.add_argument("--report", metavar="DIR",
                   help="merge the results into the report in DIR (DIR/report.md + figures): "
                        "sections of the suites run are replaced, the others kept")
    p.add_argument("--out", metavar="FILE", help="also write the results as JSON")
    p.add_argument("--list", action="store_true", help="list the suites and exit")
    p.set_defaults(func=cmd_bench)

    p = sub.add_parser("new-plugin", help="create a plugin distribution from the template")
    p.add_argument("name", help="plugin name, e.g. mysolver (lowercase letters, digits, -)")
    p.add_argument("--dir", default=".", help="where to create solverkit-NAME/")
    p.set_defaults(func=cmd_new_plugin)
    return parser


def _one_line_warning(message: Warning | str, category: type[Warning], *args: Any,
                      **kwargs: Any) -> None:
    print(f"solverkit: warning: {message}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    warnings.showwarning = _one_line_warning
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = argv
    if args.command == "bench" and not args.list:
        _pin_blas_and_reexec(argv)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("solverkit: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - one line for users, traceback with --debug
        if args.debug:
            raise
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        print(f"solverkit: error: {message}", file=sys.stderr)
        return 1
