"""``solverkit bench dagma-mlp``: ``dagma-mlp`` against the reference ``DagmaNonlinear`` (torch).

Protocol (the reference README's nonlinear example): ER graph with d edges, the
``mlp`` nonlinear SEM (this plugin's simulator, the NOTEARS / DAGMA convention),
n = 1000, dims [d, 10, 1], lambda1 = 0.02, lambda2 = 0.005, threshold 0.3,
other options at the reference defaults; d in {10, 20}; both solvers get the
same array in the same run. The reference's second layer is initialised by
``torch.manual_seed(seed)``, ours from the seed's Generator: the two starts
differ, as two runs of the reference with different seeds would.

torch is never a dependency: without it (or without ``dagma``) the reference
rows say why they were skipped. The reference runs up to 230k Adam steps per
fit (minutes per case), so ``--quick`` runs ``dagma-mlp`` alone on a small case.
Timing: BLAS pinned to one thread (threadpoolctl) and ``torch.set_num_threads(1)``;
CPU time is ``time.process_time``.

Knobs: ``SOLVERKIT_DAGMA_MLP_BENCH_SEEDS`` (default ``1``),
``SOLVERKIT_DAGMA_MLP_BENCH_DIMS`` (default ``10,20``),
``SOLVERKIT_DAGMA_MLP_BENCH_REF_DIR`` (reuse reference runs stored there by
``record_reference`` / ``python -m solverkit_dagma.bench_mlp OUTDIR d:seed ...``
instead of re-running them; every such row says so in the output).
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Callable
from typing import Any

import numpy as np

from solverkit.bench import Benchmark

from .bench import _limits, _row, _timed
from .utils import simulate_dag, simulate_nonlinear_sem

__all__ = ["BENCHMARKS", "run", "make_data", "reference_objective"]

REF = "dagma-mlp-ref"
N = 1000
HIDDEN = 10
LAMBDA1, LAMBDA2 = 0.02, 0.005
MU_T = 0.1 * 0.1**3  # mu of the last stage at the reference defaults (mu_init 0.1, factor 0.1, T 4)


def make_data(d: int, seed: int, n: int = N, sem: str = "mlp") -> tuple[np.ndarray, np.ndarray]:
    """(B_true, X): ER graph with d edges, nonlinear SEM, one seeded Generator."""
    rng = np.random.default_rng(seed)
    B = simulate_dag(d, d, "ER", rng=rng)
    return B, simulate_nonlinear_sem(B, n, sem, rng=rng)


def _ours(X: np.ndarray, seed: int) -> tuple[np.ndarray, dict[str, Any]]:
    import solverkit as sk

    res = sk.solve(sk.StructureLearning(X), method="dagma-mlp", hidden=HIDDEN, lambda1=LAMBDA1,
                   lambda2=LAMBDA2, w_threshold=0.3, seed=seed)
    return res.x, {"h_final": res.extra["h_final"], "steps": sum(res.extra["steps_per_stage"]),
                   "objective": res.extra["objective_final"]}


def reference_objective(params: dict[str, Any], X: np.ndarray) -> float:
    """The reference's fitted point scored on this plugin's final-stage objective
    score + lambda1 ||U||_1 + lambda2/2 ||theta||^2 + h_1 / mu_T (mu_T = 1e-4), on X as
    both fit it; comparable with ``dagma-mlp``'s ``objective_final``."""
    from .mlp import final_objective

    return final_objective(reference_model({"params": params}, X, centre=False), X, LAMBDA1,
                           LAMBDA2, MU_T, 1.0)


def _reference(X: np.ndarray, seed: int) -> tuple[np.ndarray, dict[str, Any]]:
    import torch
    from dagma.nonlinear import DagmaMLP, DagmaNonlinear

    dtype, threads = torch.get_default_dtype(), torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        torch.manual_seed(seed)
        eq = DagmaMLP(dims=[X.shape[1], HIDDEN, 1], bias=True, dtype=torch.double)
        model = DagmaNonlinear(eq, dtype=torch.double)
        with contextlib.redirect_stderr(io.StringIO()):  # its progress bar cannot be turned off
            W = model.fit(X.copy(), lambda1=LAMBDA1, lambda2=LAMBDA2, w_threshold=0.3)
        from .functions import LogDet

        W_raw = eq.fc1_to_adj()
        h = LogDet(W_raw.shape[0])(W_raw, 1.0, grad=False)
        params = {k: v.detach().numpy() for k, v in eq.state_dict().items()}
    finally:
        torch.set_default_dtype(dtype)  # DagmaMLP sets the global default dtype
        torch.set_num_threads(threads)
    return W, {"h_final": None if h is None else h[0], "steps": None,
               "objective": reference_objective(params, X)}


def record_reference(d: int, seed: int, path: str) -> dict[str, Any]:
    """Run the reference on ``make_data(d, seed)`` once and store everything as JSON.

    The record holds the metrics, CPU / wall time, the thresholded and raw
    adjacency and every parameter of the fitted ``DagmaMLP`` (so its point can be
    scored on this plugin's objective). Single-threaded (BLAS and torch).
    """
    import json
    import time

    import torch
    from dagma.nonlinear import DagmaMLP, DagmaNonlinear

    from .utils import count_accuracy

    B, X = make_data(d, seed)
    torch.set_num_threads(1)
    with _limits():
        c0, w0 = time.process_time(), time.perf_counter()
        torch.manual_seed(seed)
        eq = DagmaMLP(dims=[d, HIDDEN, 1], bias=True, dtype=torch.double)
        model = DagmaNonlinear(eq, dtype=torch.double)
        with contextlib.redirect_stderr(io.StringIO()):
            W = model.fit(X.copy(), lambda1=LAMBDA1, lambda2=LAMBDA2, w_threshold=0.3)
        cpu, wall = time.process_time() - c0, time.perf_counter() - w0
    acc = count_accuracy(B, (W != 0).astype(float))
    rec = {"solver": REF, "d": d, "seed": seed, "n": N, "hidden": HIDDEN, "lambda1": LAMBDA1,
           "lambda2": LAMBDA2, "w_threshold": 0.3, "torch": torch.__version__,
           "cpu": cpu, "wall": wall, **{k: float(v) for k, v in acc.items()},
           "W_est": W.tolist(), "W_raw": eq.fc1_to_adj().tolist(),
           "params": {k: v.detach().numpy().tolist() for k, v in eq.state_dict().items()}}
    with open(path, "w") as fh:
        json.dump(rec, fh)
    return rec


def shift_model(model: Any, mean: np.ndarray) -> Any:
    """The same function on data shifted by ``-mean``: a += U mean, b -= mean.

    ``shift_model(m, X.mean(0))`` turns a model of the raw data into one of the
    centred data; ``shift_model(m, -X.mean(0))`` goes back.
    """
    from .mlp import MLPModel

    layers = list(model.layers)
    V, b = layers[-1]
    layers[-1] = (V, b - mean[:, None])
    return MLPModel(model.U.copy(), model.a + model.U @ mean, layers)


def reference_model(rec: dict[str, Any], X: np.ndarray, centre: bool = True) -> Any:
    """The reference's fitted ``DagmaMLP`` (from a ``record_reference`` JSON) as an
    ``MLPModel`` acting on the centred data ``X - X.mean(0)``.

    The reference fits the raw X; shifting the two biases (a += U mean, b -= mean)
    gives the same function of the centred data, so the score is unchanged.
    """
    from .mlp import MLPModel

    P = {k: np.asarray(v, dtype=float) for k, v in rec["params"].items()}
    d = X.shape[1]
    m = P["fc1.bias"].size // d
    U = P["fc1.weight"].reshape(d, m, d)
    n_layers = len([k for k in P if k.startswith("fc2.") and k.endswith(".weight")])
    layers = [(P[f"fc2.{i}.weight"], P[f"fc2.{i}.bias"]) for i in range(n_layers)]
    raw = MLPModel(U.copy(), P["fc1.bias"].reshape(d, m).copy(), layers)
    return shift_model(raw, X.mean(axis=0)) if centre else raw


def compare_with_reference(path: str) -> dict[str, Any]:
    """Score the reference's final point and ours on this plugin's final-stage objective.

    Diagnosis for the README: both points are evaluated on the same data (raw X,
    as both fit it, and centred, biases shifted) with
    score + lambda1 ||U||_1 + lambda2/2 ||theta||^2 + h_s / mu_T (mu_T = 1e-4). The
    reference's self-loop weights U[j, :, j] (it does not fix them at zero) are kept
    as they are and, separately, zeroed.
    """
    import json

    import solverkit as sk

    from .mlp import final_objective
    from .utils import count_accuracy

    with open(path) as fh:
        rec = json.load(fh)
    d, seed = rec["d"], rec["seed"]
    B, X = make_data(d, seed)
    Xc = X - X.mean(axis=0)
    mu_T = MU_T
    ref = reference_model(rec, X)
    ref0 = reference_model(rec, X)
    ref0.U[np.arange(d), :, np.arange(d)] = 0.0
    res = sk.solve(sk.StructureLearning(X), method="dagma-mlp", hidden=HIDDEN, lambda1=LAMBDA1,
                   lambda2=LAMBDA2, w_threshold=0.3, seed=seed)
    ours = res.extra["model"]

    def parts(model: Any, data: np.ndarray | None = None) -> dict[str, float]:
        from .functions import LogDet
        from .mlp import objective

        data = Xc if data is None else data
        out = objective(model, data, 0.0, mu_T, 1.0, LogDet(d))
        return {"objective": final_objective(model, data, LAMBDA1, LAMBDA2, mu_T, 1.0),
                "score": np.nan if out is None else out[2],
                "h": np.nan if out is None else out[3],
                "l1": LAMBDA1 * float(np.abs(model.U).sum()),
                "l2": 0.5 * LAMBDA2 * sum(float(np.sum(p * p)) for p in model.params())}

    W_ref = np.sqrt(ref.adjacency())
    return {"d": d, "seed": seed, "mu_T": mu_T,
            "reference": {**parts(ref), "shd": rec["shd"], "tpr": rec["tpr"],
                          "self_loop_max": float(np.abs(np.diagonal(W_ref)).max())},
            "reference_self_loops_zeroed": parts(ref0),
            # the reference fits the raw X: its own objective differs from ours only in the
            # L2 of the biases (the same functions, biases shifted by the mean)
            "reference_on_raw_X": parts(reference_model(rec, X, centre=False), X),
            "ours_on_raw_X": parts(ours, X),
            "ours_centred": parts(shift_model(ours, X.mean(axis=0))),
            "ours": {**parts(ours, X), **{k: float(v) for k, v in
                                       count_accuracy(B, res.x != 0).items()}}}


def _reference_missing() -> str | None:
    if os.environ.get("SOLVERKIT_DAGMA_BENCH_NOREF"):
        return "reference skipped (SOLVERKIT_DAGMA_BENCH_NOREF)"
    try:
        import torch  # noqa: F401
    except Exception as exc:  # noqa: BLE001 - any import problem means "not available"
        return (f"reference DagmaNonlinear skipped: torch not importable ({type(exc).__name__}); "
                "install the CPU build of torch in the benchmark environment only")
    try:
        import dagma.nonlinear  # noqa: F401
    except Exception as exc:  # noqa: BLE001
        return (f"reference DagmaNonlinear skipped: dagma.nonlinear not importable "
                f"({type(exc).__name__}); pip install --no-deps dagma tqdm")
    return None


def _recorded(d: int, seed: int) -> Callable[[str, np.ndarray], dict[str, Any]] | None:
    """A row builder for a reference run stored by ``record_reference``, if asked for.

    With ``SOLVERKIT_DAGMA_MLP_BENCH_REF_DIR`` set, the reference is not re-run when
    ``dagma-mlp-ref-d{d}-seed{seed}.json`` exists there; the row says so in its notes.
    """
    import json

    folder = os.environ.get("SOLVERKIT_DAGMA_MLP_BENCH_REF_DIR")
    path = os.path.join(folder, f"dagma-mlp-ref-d{d}-seed{seed}.json") if folder else None
    if path is None or not os.path.exists(path):
        return None
    with open(path) as fh:
        rec = json.load(fh)

    def build(case: str, B: np.ndarray, X: np.ndarray) -> dict[str, Any]:
        W = np.asarray(rec["W_est"])
        from .functions import LogDet

        h = LogDet(d)(np.asarray(rec["W_raw"]), 1.0, grad=False)
        row = _row(case, REF, B, W, rec["cpu"], rec["wall"],
                   {"h_final": None if h is None else h[0], "steps": None})
        row["objective"] = reference_objective(rec["params"], X)
        row["notes"] = (f"{REF} rows are RECORDED runs read from {folder} (not re-run here; "
                        "same data, torch " + rec.get("torch", "?") + ")")
        return row

    return build


def _log(row: dict[str, Any]) -> dict[str, Any]:
    """Each row on stderr as it completes: a full run takes many minutes."""
    import sys

    print(f"   {row['case']}  {row['solver']}: cpu {row['cpu']:.1f} s, wall {row['wall']:.1f} s, "
          f"shd {row['shd']}", file=sys.stderr, flush=True)
    return row


def run(quick: bool) -> list[dict[str, Any]]:
    """Rows per (d, seed) for ``dagma-mlp`` and the reference ``DagmaNonlinear``."""
    seeds = [int(v) for v in os.environ.get("SOLVERKIT_DAGMA_MLP_BENCH_SEEDS", "1").split(",")]
    dims = [int(v) for v in os.environ.get("SOLVERKIT_DAGMA_MLP_BENCH_DIMS", "10,20").split(",")]
    missing = _reference_missing()
    if quick:
        seeds, dims = [1], [4]
        missing = ("reference not run in --quick (up to 230k Adam steps, minutes per case); "
                   "run the full suite")
    rows: list[dict[str, Any]] = []
    with _limits():
        for d in dims:
            for seed in seeds:
                B, X = make_data(d, seed, n=200 if quick else N)
                case = f"ER1 mlp d={d} seed={seed}"
                (W, info), cpu, wall = _timed(lambda X=X, seed=seed: _ours(X, seed))
                rows.append(_log(_row(case, "dagma-mlp", B, W, cpu, wall, info)))
                rows[-1]["objective"] = info["objective"]
                recorded = _recorded(d, seed) if not quick else None
                if recorded is not None:
                    rows.append(_log(recorded(case, B, X)))
                elif missing is None:
                    (W, info), cpu, wall = _timed(lambda X=X, seed=seed: _reference(X, seed))
                    rows.append(_log(_row(case, REF, B, W, cpu, wall, info)))
                    rows[-1]["objective"] = info["objective"]
                else:
                    rows.append({"case": case, "solver": REF, "notes": missing})
                ours, ref = rows[-2], rows[-1]
                if ref.get("objective") is not None:
                    # < 0: our point is lower on the shared objective (the table's 4 digits
                    # hide differences of 1e-3)
                    ours["obj-ref"] = ours["objective"] - ref["objective"]
    return rows


BENCHMARKS = [
    Benchmark(
        name="dagma-mlp",
        run=run,
        reference=REF,
        metrics=("cpu", "wall", "shd", "tpr", "fdr", "nnz", "objective", "obj-ref", "h_final",
                 "steps", "dag"),
        ratios=("cpu", "wall"),
        description=(f"nonlinear (mlp) SEM, ER1, n={N}, dims [d, {HIDDEN}, 1], lambda1={LAMBDA1}, "
                     f"lambda2={LAMBDA2}; solverkit dagma-mlp vs reference DagmaNonlinear (torch)"),
    ),
]


if __name__ == "__main__":  # python -m solverkit_dagma.bench_mlp OUTDIR d:seed [d:seed ...]
    import json
    import sys

    if sys.argv[1] == "compare":  # python -m solverkit_dagma.bench_mlp compare REF.json ...
        for p in sys.argv[2:]:
            print(json.dumps(compare_with_reference(p)), flush=True)
        sys.exit(0)

    for spec in sys.argv[2:]:
        d_, seed_ = (int(v) for v in spec.split(":"))
        out = os.path.join(sys.argv[1], f"dagma-mlp-ref-d{d_}-seed{seed_}.json")
        r = record_reference(d_, seed_, out)
        print(f"d={d_} seed={seed_}: shd {r['shd']} tpr {r['tpr']} cpu {r['cpu']:.1f} s "
              f"wall {r['wall']:.1f} s -> {out}", flush=True)
