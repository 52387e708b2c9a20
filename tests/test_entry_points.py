"""Discovery of real installed distributions, and the core alone (phase 'bare')."""

import json
import os
import warnings

import pytest
from _support import run_cli

import solverkit as sk
from solverkit.registry import Registry


@pytest.mark.bare
def test_core_alone_lists_nothing_and_reports_no_error():
    out = run_cli("plugins")
    assert out.returncode == 0 and out.stderr == ""
    assert "no solverkit plugins installed" in out.stdout
    assert json.loads(run_cli("plugins", "--json").stdout) == []
    assert Registry().plugins == {}


def test_example_plugin_discovered_and_solvable_with_broken_one_installed():
    with pytest.warns(sk.PluginLoadWarning, match="'broken'.*fails to import on purpose"):
        reg = Registry()
    assert reg.plugins["broken"].broken and not reg.plugins["example"].broken
    assert reg.solvers["example-svgreedy"].distribution == "solverkit-example"
    res = sk.solve(sk.TuckerRank.example(), method="example-svgreedy")
    assert res.success and res.x == (4, 3, 5)


def test_broken_plugin_warns_once_per_process():
    env = dict(os.environ, PYTHONWARNINGS="default")
    code = ("import solverkit as sk; sk.solvers(); sk.solvers(); "
            "sk.solve(sk.TuckerRank.example(), method='example-svgreedy')")
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.returncode == 0 and out.stderr.count("PluginLoadWarning") == 1


def test_allow_list_by_distribution_name(monkeypatch):
    monkeypatch.setenv("SOLVERKIT_LOAD_PLUGINS", "solverkit-example")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        reg = Registry()
    assert set(reg.plugins) == {"example"} and "broken" in reg.disabled
