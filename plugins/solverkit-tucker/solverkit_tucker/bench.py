"""Benchmark suites for ``solverkit bench`` (quick and full).

* ``tucker`` -- budget sweeps on real and synthetic tensors: squared RRE of
  each solver's fit (and, for ``tucker-shape``, of its shapes refitted with
  the paper's HOOI: 20 sweeps, random start, seed 0), time per budget and
  ratios against the true-loss greedy (``tucker-greedy``) in the same run,
  plus one ``sweep`` row per tensor with the wall time of the whole sweep.
* ``tucker-spectra`` -- Gram + eigvalsh against an SVD of each unfolding
  (with vectors, the reference, and values only).
* ``tucker-search`` -- search time and surrogate value after the spectra on
  the paper's tensor shapes (synthetic spectra), exact DP against the
  paper's integer program.

Real tensors are loaded only from files shipped in installed wheels
(tensorly, scikit-learn); a missing package gives a row note, not a crash.
BLAS is pinned to one thread (threadpoolctl when installed) while timing.
"""

from __future__ import annotations

import contextlib
import statistics
import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from solverkit.bench import Benchmark, median_time

from . import data
from .plot import error_vs_budget_figure

__all__ = ["BENCHMARKS", "tensors", "run_tucker", "run_spectra", "run_search"]

Row = dict[str, Any]


@contextlib.contextmanager
def _one_thread() -> Iterator[None]:
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # solverkit bench sets the env vars; nothing more to do
        yield
        return
    with threadpool_limits(limits=1):
        yield


def tensors(quick: bool) -> list[tuple[str, Callable[[], np.ndarray], list[int]]]:
    """(name, loader, budgets) of the test tensors."""
    lr = data.low_rank_plus_noise
    if quick:
        return [
            ("lowrank-30x30x30", lambda: lr((30, 30, 30), (3, 5, 8), 0.1, seed=0),
             [250, 500, 900]),
            ("lowrank-10^4", lambda: lr((10,) * 4, (2, 3, 3, 4), 0.1, seed=1), [200, 400]),
        ]
    return [
        ("lowrank-50^3", lambda: lr((50, 50, 50), (5, 10, 15), 0.1, seed=0),
         [1000, 2000, 3000, 5000]),
        ("indian-pines-145x145x200", data.indian_pines, [2000, 5000, 10000]),
        ("kinetic-64x12x10x60", data.kinetic, [1000, 2000, 4000]),
        ("digits-1797x8x8", data.digits, [2000, 4000, 8000]),
        ("uniform-40^3", lambda: np.random.default_rng(0).random((40, 40, 40)), [1000, 3000]),
        ("lowrank-12^5", lambda: lr((12,) * 5, (2, 3, 4, 5, 6), 0.1, seed=2), [800, 2000]),
        ("lowrank-8^6", lambda: lr((8,) * 6, (2, 2, 3, 3, 4, 4), 0.1, seed=3), [600, 1500]),
    ]


#: (label, solver name, options). The greedy is the reference; tucker-shape[hooi] is the
#: previous default (surrogate candidates, each scored by a full paper-setting HOOI fit).
SOLVERS: list[tuple[str, str, dict[str, Any]]] = [
    ("tucker-greedy", "tucker-greedy", {}),
    ("tucker-shape", "tucker-shape", {}),
    ("tucker-shape[hooi]", "tucker-shape", {"score": "hooi"}),
    ("tucker-packing", "tucker-packing", {"backend": "scipy"}),
    ("tucker-greedy-sv", "tucker-greedy-sv", {}),
]


#: Sweeps faster than this (seconds) are timed as the median of _REPEATS solves.
_REPEAT_BELOW = 1.0
_REPEATS = 5


def _paper_rre(x: np.ndarray, shapes: list[tuple[int, ...]]) -> list[float]:
    """The paper's evaluation of each shape (random start, 20 sweeps, the greedy's seeds).

    Run outside every timed solve: it shows the chosen *shape* is as good under the
    metric the greedy optimises, whatever start the solver's own fit used.
    """
    from .evaluate import Evaluator

    seed = int(np.random.default_rng(0).integers(2**31))  # what seed=0 gives every solver
    ev = Evaluator(x, 20, "random", seed)
    with _one_thread():
        return [ev.fit(s).rre for s in shapes]


def run_tucker(quick: bool) -> list[Row]:
    """Budget sweeps: one solve per (tensor, solver) over all its budgets."""
    import solverkit as sk

    from .spectra import clear_cache

    rows: list[Row] = []
    gaps: list[float] = []
    gaps_ref: list[float] = []
    speed: list[float] = []
    for name, load, budgets in tensors(quick):
        try:
            x = load()
        except ImportError as exc:
            rows.append({"case": name, "solver": "-", "notes": f"{name} skipped: {exc}"})
            continue
        per_budget: dict[str, list[dict[str, Any]]] = {}
        sweep_time: dict[str, float] = {}
        for label, method, opts in SOLVERS:
            clear_cache()  # every solver pays for its own spectra
            prob = sk.TuckerRank(x, budgets, name=name)
            with _one_thread():
                res = sk.solve(prob, method=method, seed=0, keep_factors=False, **opts)
                wall = [res.time]
                # A sweep under a second is timed as the median of 5 identical solves (each
                # pays for its own spectra): one short run on a shared, loaded machine is
                # mostly noise. Longer ones (the greedy: seconds) are timed once.
                while wall[0] < _REPEAT_BELOW and len(wall) < _REPEATS:
                    clear_cache()
                    wall.append(sk.solve(prob, method=method, seed=0, keep_factors=False,
                                         **opts).time)
            recs = res.extra["budgets"] if len(budgets) > 1 else [res.extra]
            spectra_share = 0.0 if method == "tucker-greedy" else \
                res.extra["time_spectra"] / len(budgets)
            per_budget[label] = recs
            ref = _paper_rre(x, [r["ranks"] for r in recs]) if label == "tucker-shape" else \
                [r["rre"] for r in recs]
            for rec, rre_ref in zip(recs, ref, strict=True):
                rows.append({
                    "case": f"{name} c={rec['budget']}", "solver": label,
                    "rre": rec["rre"], "rre_paper": rre_ref,
                    "time": rec["seconds"] + spectra_share,
                    "t_select": rec["search_seconds"] + spectra_share,
                    "hooi": rec["solves"], "util": rec["utilisation"],
                    "ranks": "x".join(map(str, rec["ranks"])), "surrogate": rec["surrogate"],
                })
                if label == "tucker-shape":
                    rec["rre_paper"] = rre_ref
            t_select = sum(r["search_seconds"] for r in recs) + (
                0.0 if method == "tucker-greedy" else res.extra["time_spectra"])
            rows.append({"case": f"{name} sweep", "solver": label,
                         "rre": float(np.mean([r["rre"] for r in recs])),
                         "time": statistics.median(wall), "t_select": t_select,
                         "hooi": res.nfev, "sweeps": res.extra.get("hooi_sweeps")})
            sweep_time[label] = statistics.median(wall)
        for a, b in zip(per_budget["tucker-shape"], per_budget["tucker-greedy"], strict=True):
            gaps.append((a["rre"] - b["rre"]) / b["rre"])
            gaps_ref.append((a["rre_paper"] - b["rre"]) / b["rre"])
        speed.append(sweep_time["tucker-greedy"] / sweep_time["tucker-shape"])
    if quick:
        rows.append({
            "case": "note", "solver": "-",
            "notes": ("quick tensors are tiny on purpose (CI speed): the whole greedy sweep takes "
                      "well under a second there, so tucker-shape's fixed costs (spectra, table, "
                      "a few short HOOI runs dominated by per-call overhead) weigh more and its "
                      "speed-up is lower than on the full suite's tensors, where the >= 100x "
                      "target applies"),
        })
    if gaps:
        rows.append({
            "case": "summary", "solver": "tucker-shape",
            "notes": (f"tucker-shape vs true-loss greedy over {len(gaps)} budgets: RRE gap median "
                      f"{100 * statistics.median(gaps):+.2f}%, worst {100 * max(gaps):+.2f}%, best "
                      f"{100 * min(gaps):+.2f}% (its shapes under the paper's evaluation: median "
                      f"{100 * statistics.median(gaps_ref):+.2f}%, worst "
                      f"{100 * max(gaps_ref):+.2f}%); whole sweep end to end (spectra, search "
                      f"and every HOOI fit) vs greedy: median {statistics.median(speed):.0f}x, "
                      f"min {min(speed):.0f}x faster"),
        })
    return rows


def run_spectra(quick: bool) -> list[Row]:
    """Gram + eigvalsh against an SVD of each unfolding (median CPU time of 3-15 runs).

    Two SVD baselines: ``full-svd`` computes what an SVD-based HOSVD computes (singular values
    and vectors, economy size; the reference of the ratios), ``svd-values`` only the singular
    values (LAPACK's cheapest full SVD). On short, wide unfoldings the latter costs about a
    constant times the Gram product, so its ratio is bounded by a small factor there.
    """
    from .spectra import mode_spectra

    def unfoldings(x: np.ndarray) -> Iterator[np.ndarray]:
        return (np.moveaxis(x, n, 0).reshape(x.shape[n], -1) for n in range(x.ndim))

    def svd_values(x: np.ndarray) -> list[np.ndarray]:
        return [np.linalg.svd(a, compute_uv=False) ** 2 for a in unfoldings(x)]

    def svd_vectors(x: np.ndarray) -> list[np.ndarray]:
        return [np.linalg.svd(a, full_matrices=False)[1] ** 2 for a in unfoldings(x)]

    rows: list[Row] = []
    cases = tensors(quick)[:2] if quick else tensors(False)
    for name, load, _ in cases:
        try:
            x = load()
        except ImportError as exc:
            rows.append({"case": name, "solver": "-", "notes": f"{name} skipped: {exc}"})
            continue
        repeat = 3 if x.size > 1_000_000 else 15  # millisecond timings need more samples
        with _one_thread():
            timed = {label: median_time(lambda f=f, x=x: f(x), repeat, time.process_time)
                     for label, f in (("full-svd", svd_vectors), ("svd-values", svd_values),
                                      ("gram-eigvalsh", mode_spectra))}
        spec = timed["gram-eigvalsh"][1]
        ref = timed["svd-values"][1]
        err = max(float(np.max(np.abs(s[: r.size] - r)) / spec.total)
                  for s, r in zip(spec.sigma2, ref, strict=True))
        for label, (seconds, _) in timed.items():
            rows.append({"case": name, "solver": label, "time": seconds,
                         "max_rel_diff": err if label == "gram-eigvalsh" else 0.0})
    return rows


def run_search(quick: bool) -> list[Row]:
    """Search time after the spectra on the paper's shapes (synthetic spectra)."""
    from .packing import PackingModel
    from .search import exact_shape, greedy_shape, tucker_size

    shapes = [((256, 256, 14, 20), [10_000, 50_000, 100_000]),
              ((1024, 1344, 33), [100_000]),
              ((1084, 2033, 96), [100_000]),
              ((7200, 128, 128, 3), [100_000]),
              ((20,) * 6, [10_000, 100_000]),
              ((100,) * 5, [10_000, 100_000])]
    if quick:
        shapes = [((256, 256, 14, 20), [10_000]), ((20,) * 6, [10_000])]
    rows: list[Row] = []
    for shape, budgets in shapes:
        spec = data.synthetic_spectra(shape, seed=0)
        model = PackingModel(spec, "scipy", split_time_limit=30.0)
        for c in budgets:
            case = f"{'x'.join(map(str, shape))} c={c}"
            with _one_thread():
                t_ex, (r_ex, _) = median_time(lambda s=spec, c=c: exact_shape(s, c), 3)
                t_ip, out = median_time(lambda m=model, c=c: m.solve(c, 0.5), 1)
                t_gr, r_gr = median_time(lambda s=spec, c=c: greedy_shape(s, c, True), 3)
            for solver, t, r in (("tucker-packing", t_ip, out.ranks),
                                 ("tucker-shape", t_ex, r_ex), ("tucker-greedy-sv", t_gr, r_gr)):
                rows.append({"case": case, "solver": solver, "time": t,
                             "tail": spec.sum_tail(r), "util": tucker_size(shape, r) / c,
                             "ranks": "x".join(map(str, r))})
    return rows


def _uniform_tt(shape: tuple[int, ...], max_rank: list[int], budget: int) -> tuple[int, ...]:
    """Common practice: one inner rank for every edge, the largest that fits (capped per edge)."""
    from .tt import tt_size, valid_tt

    best = tuple(1 for _ in max_rank)
    for r in range(1, max(max_rank) + 1):
        cand = [min(r, m) for m in max_rank]
        for k in range(len(cand)):  # TT-SVD realises r_k <= r_{k-1} I_k only
            cand[k] = min(cand[k], (1 if k == 0 else cand[k - 1]) * shape[k])
        if tt_size(shape, tuple(cand)) > budget:
            break
        if valid_tt(shape, tuple(cand)):
            best = tuple(cand)
    return best


def run_tt(quick: bool) -> list[Row]:
    """Tensor-train ranks under a budget: exact DP vs greedy vs one uniform rank (TT-SVD)."""
    from .tt import tt_exact, tt_greedy, tt_size, tt_spectra, tt_svd

    lr = data.low_rank_plus_noise
    cases = [("lowrank-10^5", lambda: lr((10,) * 5, (3,) * 5, 0.1, seed=0), [500, 2000, 8000])]
    if not quick:
        cases += [("indian-pines-145x145x200", data.indian_pines, [5000, 20000, 60000]),
                  ("kinetic-64x12x10x60", data.kinetic, [1000, 4000, 10000])]
    rows: list[Row] = []
    for name, load, budgets in cases:
        try:
            x = load()
        except ImportError as exc:
            rows.append({"case": name, "solver": "-", "notes": f"{name} skipped: {exc}"})
            continue
        with _one_thread():
            t_spec, spec = median_time(lambda x=x: tt_spectra(x), 1)
            for c in budgets:
                choices = [
                    ("tt-greedy", lambda c=c, s=spec: tt_greedy(s, c)),
                    ("tt-shape", lambda c=c, s=spec: tt_exact(s, c)[0]),
                    ("tt-uniform", lambda c=c, s=spec: _uniform_tt(s.shape, s.max_rank, c)),
                ]
                for solver, pick in choices:
                    t, ranks = median_time(pick, 3)
                    rre = tt_svd(x, ranks)[1]
                    rows.append({"case": f"{name} c={c}", "solver": solver, "rre": rre,
                                 "time": t + t_spec, "util": tt_size(spec.shape, ranks) / c,
                                 "tail": spec.sum_tail(ranks) / spec.total,
                                 "ranks": "x".join(map(str, ranks))})
    return rows



BENCHMARKS = [
    Benchmark(
        name="tucker", run=run_tucker, reference="tucker-greedy",
        metrics=("rre", "rre_paper", "time", "t_select", "hooi", "sweeps", "util"),
        ratios=("rre", "time", "t_select"),
        figures=error_vs_budget_figure,
        description="Tucker core shape under a budget: squared RRE of each solver's own fit "
                    "(rre_paper: the shape refitted untimed with HOOI 20 sweeps, random start, "
                    "seed 0 -- the greedy's metric); time = s per budget incl. spectra share and "
                    "HOOI fits, t_select = spectra share + search (greedy: its HOOI fits); "
                    "'sweep' rows: the whole sweep's wall time (median of 5 solves when under "
                    "1 s), HOOI runs and sweeps",
    ),
    Benchmark(
        name="tucker-spectra", run=run_spectra, reference="full-svd",
        metrics=("time", "max_rel_diff"), ratios=("time",),
        description=("mode spectra: Gram + eigvalsh vs an SVD per unfolding, with vectors (ref) "
                     "and values only (median CPU time of 3-15)"),
    ),
    Benchmark(
        name="tt-shape", run=run_tt, reference="tt-greedy",
        metrics=("rre", "tail", "time", "util"), ratios=("rre", "tail"),
        description="tensor-train ranks under a budget (TT-SVD squared RRE): exact DP vs "
                    "bang-for-buck greedy vs one uniform rank; time = spectra + search",
    ),
    Benchmark(
        name="tucker-search", run=run_search, reference="tucker-packing",
        metrics=("time", "tail", "util"), ratios=("time", "tail"),
        description="search after the spectra (synthetic spectra, paper shapes): exact DP vs "
                    "the paper's IP (eps 0.5, HiGHS)",
    ),
]
