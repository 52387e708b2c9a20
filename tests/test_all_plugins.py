"""With every plugin of this repository installed: no clash, no broken plugin, names advertised."""

import pathlib

import pytest

from solverkit.firstparty import FIRST_PARTY
from solverkit.registry import Registry

pytestmark = pytest.mark.all_plugins

PLUGINS = sorted(p.name for p in (pathlib.Path(__file__).resolve().parents[1] / "plugins").iterdir()
                 if (p / "pyproject.toml").exists())


def test_every_repository_plugin_loads_without_clashes():
    reg = Registry()
    assert reg.conflicts == {}
    by_dist = {p.distribution: p for p in reg.plugins.values()}
    for dist in PLUGINS:
        assert dist in by_dist, f"{dist} is not installed in this environment"
        plugin = by_dist[dist]
        assert not plugin.broken, plugin.error
        assert plugin.solvers, f"{dist} registers no solver"
        # every registered name is advertised in firstparty.py (for install hints)
        assert set(plugin.solvers) <= set(FIRST_PARTY[dist]), set(plugin.solvers)
        assert plugin.benchmarks, f"{dist} registers no benchmark suite"
