"""The core's own benchmark: start-up cost and solve() dispatch overhead."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from typing import Any

from .bench import Benchmark, Row

IMPORT_BUDGET = 0.3  # seconds, cold `import solverkit`
PLUGINS_BUDGET = 0.5  # seconds, `solverkit plugins` with every plugin installed
DISPATCH_BUDGET = 50e-6  # seconds of solve() overhead over calling the solver directly


def _subprocess_seconds(code: str, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _dispatch_overhead(repeat: int) -> tuple[float, float]:
    """Median seconds of solve() and of the bare solver call, on a no-op solver."""
    from .api import run
    from .problems import TuckerRank
    from .registry import SolverInfo
    from .solver import Solver

    class Noop(Solver):
        name = "noop"
        kinds = (TuckerRank,)

        def solve(self, problem: Any, options: Any, progress: Any) -> Any:
            progress.report(1)
            return progress.result(x=None, fun=0.0, nit=1)

    info = SolverInfo("noop", Noop, "corebench", None, None)
    problem = TuckerRank.example()
    from .options import CommonOptions
    from .solver import Progress

    def bare() -> Any:
        solver = Noop()
        return solver.solve(problem, None, Progress(solver, CommonOptions()))

    def timed(fn: Any) -> float:
        samples = []
        for _ in range(repeat):
            start = time.perf_counter()
            for _ in range(100):
                fn()
            samples.append((time.perf_counter() - start) / 100)
        return statistics.median(samples)

    return timed(lambda: run(info, problem, {})), timed(bare)


def run_core(quick: bool) -> list[Row]:
    repeat = 3 if quick else 9
    # Python startup alone, so the table separates interpreter cost from ours.
    python_only = _subprocess_seconds("pass", repeat)
    numpy_only = _subprocess_seconds("import numpy", repeat)
    imp = _subprocess_seconds("import solverkit", repeat)
    plugins = _subprocess_seconds("import sys; from solverkit.cli import main; "
                                  "sys.argv=['solverkit','plugins']; main()", repeat)
    full, bare = _dispatch_overhead(5 if quick else 20)
    return [
        {"case": "import solverkit (cold, incl. python)", "solver": "core", "time": imp,
         "budget": IMPORT_BUDGET, "within": imp <= IMPORT_BUDGET},
        {"case": "python -c pass", "solver": "python", "time": python_only},
        {"case": "import numpy (for scale: machine load)", "solver": "numpy", "time": numpy_only},
        {"case": "solverkit plugins (cold)", "solver": "core", "time": plugins,
         "budget": PLUGINS_BUDGET, "within": plugins <= PLUGINS_BUDGET},
        {"case": "solve() dispatch overhead", "solver": "core", "time": full - bare,
         "budget": DISPATCH_BUDGET, "within": (full - bare) <= DISPATCH_BUDGET},
    ]


CORE_BENCHMARK = Benchmark(
    name="core",
    run=run_core,
    reference=None,
    metrics=("time", "budget", "within"),
    ratios=(),
    description="start-up cost and dispatch overhead (seconds, medians)",
)
