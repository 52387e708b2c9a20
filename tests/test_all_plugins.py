"""With every first-party plugin installed: no clash, no broken plugin, names as advertised."""

import pytest

from solverkit.firstparty import FIRST_PARTY
from solverkit.registry import Registry

pytestmark = pytest.mark.all_plugins


def test_first_party_plugins_load_together_without_clashes():
    reg = Registry()
    assert reg.conflicts == {}
    by_dist = {p.distribution: p for p in reg.plugins.values()}
    for dist, names in FIRST_PARTY.items():
        assert dist in by_dist, f"{dist} is not installed in this environment"
        plugin = by_dist[dist]
        assert not plugin.broken, plugin.error
        # every registered name is advertised (for install hints), and vice versa
        assert set(plugin.solvers) <= set(names), set(plugin.solvers) - set(names)
    assert all(b in reg.benchmarks for b in ("core",))
