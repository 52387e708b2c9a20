"""`solverkit new-plugin` renders a plugin that installs and passes its own tests."""

import os
import subprocess
import sys

import pytest

from solverkit.scaffold import render


def test_render_install_and_run_its_tests(tmp_path):
    path = render("kkt-demo", tmp_path)
    assert (path / "solverkit_kkt_demo" / "plugin.py").exists()
    site = tmp_path / "site"
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-build-isolation",
         "--target", str(site), str(path)], capture_output=True, text=True)
    assert install.returncode == 0, install.stderr[-2000:]
    env = dict(os.environ, PYTHONPATH=str(site))
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          str(path / "tests")], capture_output=True, text=True, env=env,
                         cwd=tmp_path)
    assert run.returncode == 0, run.stdout[-3000:]
    assert "8 passed" in run.stdout


def test_bad_names_and_existing_targets(tmp_path):
    with pytest.raises(ValueError, match="lowercase"):
        render("Bad_Name", tmp_path)
    render("ok", tmp_path)
    with pytest.raises(FileExistsError):
        render("ok", tmp_path)
