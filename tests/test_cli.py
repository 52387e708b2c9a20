"""The solverkit command, run as a user would (subprocess)."""

import json
import os

import numpy as np
from _support import run_cli


def test_plugins_table_and_json_show_example_and_broken():
    out = run_cli("plugins")
    assert out.returncode == 0
    assert "example" in out.stdout and "example-svgreedy" in out.stdout
    assert "BROKEN: ImportError: solverkit-broken fails to import on purpose" in out.stdout
    data = {p["name"]: p for p in json.loads(run_cli("plugins", "--json").stdout)}
    assert data["example"]["distribution"] == "solverkit-example"
    assert data["example"]["version"] == "1.2.3"
    assert data["example"]["hooks"] == ["solverkit_register_benchmarks",
                                        "solverkit_register_solvers"]
    assert data["broken"]["error"].startswith("ImportError")


def test_solvers_by_kind():
    out = run_cli("solvers", "--kind", "TuckerRank")
    assert out.returncode == 0 and "example-svgreedy" in out.stdout
    bad = run_cli("solvers", "--kind", "Nope")
    assert bad.returncode == 1 and "unknown problem kind 'Nope'" in bad.stderr


def test_solve_from_npy_and_csv(tmp_path):
    tensor = np.random.default_rng(0).standard_normal((6, 5, 4))
    np.save(tmp_path / "t.npy", tensor)
    out = run_cli("solve", "--kind", "TuckerRank", "--data", str(tmp_path / "t.npy"),
                  "--param", "budget=60", "--method", "example-svgreedy", "--json")
    assert out.returncode == 0, out.stderr
    res = json.loads(out.stdout)
    assert res["solver"] == "example-svgreedy" and res["extra"]["size"] <= 60
    np.savetxt(tmp_path / "m.csv", tensor[:, :, 0], delimiter=",", header="a,b,c,d,e",
               comments="")
    out = run_cli("solve", "--kind", "TuckerRank", "--data", str(tmp_path / "m.csv"),
                  "--param", "budget=30", "--method", "example-svgreedy",
                  "--option", "start_rank=2")
    assert out.returncode == 0 and "example-svgreedy" in out.stdout


def test_pickled_npy_is_refused(tmp_path):
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    out = run_cli("solve", "--kind", "TuckerRank", "--data", str(tmp_path / "obj.npy"),
                  "--param", "budget=10")
    assert out.returncode == 1 and "pickle" in out.stderr and "Traceback" not in out.stderr


def test_errors_are_one_line_unless_debug():
    out = run_cli("solve", "--example", "TuckerRank", "--method", "no-such")
    assert out.returncode == 1
    last = out.stderr.strip().splitlines()[-1]
    assert last.startswith("solverkit: error: unknown solver 'no-such'")
    assert "Traceback" not in out.stderr
    assert all(line.startswith("solverkit: ") for line in out.stderr.strip().splitlines())
    debug = run_cli("--debug", "solve", "--example", "TuckerRank", "--method", "no-such")
    assert "Traceback" in debug.stderr
    bad_option = run_cli("solve", "--example", "TuckerRank", "--method", "example-svgreedy",
                         "--option", "start_rank=0")
    assert bad_option.returncode == 1 and "start_rank must be >= 1" in bad_option.stderr


def test_bench_runs_registered_suites_with_pinned_blas(tmp_path):
    out = run_cli("bench", "example", "--quick", "--out", str(tmp_path / "b.json"),
                  env={k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"})
    assert out.returncode == 0, out.stderr
    assert "== example" in out.stdout and "time/ref" in out.stdout
    report = json.loads((tmp_path / "b.json").read_text())
    assert report["machine"]["blas_threads"] == "1"
    assert report["suites"]["example"]["rows"][0]["time/ref"] == 1.0
    listing = run_cli("bench", "--list")
    assert "core" in listing.stdout and "example" in listing.stdout


def test_bench_report_writes_markdown_with_tables_machine_and_versions(tmp_path):
    out = run_cli("bench", "example", "--full", "--report", str(tmp_path / "rep"))
    assert out.returncode == 0, out.stderr
    text = (tmp_path / "rep" / "report.md").read_text()
    assert "## example" in text and "| case | solver |" in text and "**Machine:**" in text
    assert "solverkit bench example --full --report" in text
    assert "solverkit-example 1.2.3" in text  # the suite's own distribution and version
    assert "BLAS threads 1" in text


def test_bench_report_draws_ratio_chart_and_merges_reruns(tmp_path):
    rep = tmp_path / "rep"
    out = run_cli("bench", "example", "--quick", "--report", str(rep))
    assert out.returncode == 0, out.stderr
    assert (rep / "example" / "example-ratios.png").stat().st_size > 0
    text = (rep / "report.md").read_text()
    assert "](example/example-ratios.png)" in text and "**Quick runs only**" in text
    out = run_cli("bench", "example", "--full", "--report", str(rep))
    assert out.returncode == 0, out.stderr
    state = json.loads((rep / "report.json").read_text())
    assert list(state["suites"]) == ["example"] and state["suites"]["example"]["mode"] == "full"
    assert "**Quick runs only**" not in (rep / "report.md").read_text()


def test_bench_report_refuses_a_foreign_report_json_before_running(tmp_path):
    (tmp_path / "report.json").write_text('{"something": "else"}')
    out = run_cli("bench", "example", "--quick", "--report", str(tmp_path))
    assert out.returncode == 1 and "not a solverkit report" in out.stderr
    assert "== example" not in out.stdout  # nothing ran
    assert (tmp_path / "report.json").read_text() == '{"something": "else"}'
