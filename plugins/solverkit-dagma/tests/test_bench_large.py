"""The dagma-large suite: one row per case, judged against the issue's wall targets."""

import pytest

pytest.importorskip("threadpoolctl")  # the suite's bench extra; the `all` env installs it

from solverkit_dagma import bench_large  # noqa: E402


def test_quick_suite_rows():
    rows = bench_large.run(quick=True)
    assert [r["solver"] for r in rows] == ["dagma[1 BLAS thread]"]
    for r in rows:
        assert r["case"] == "ER2 d=50 seed=1" and r["success"]
        assert r["met"] == (r["wall"] < r["target_s"])
        assert r["tpr"] >= 0.9 and r["steps"] > 0
