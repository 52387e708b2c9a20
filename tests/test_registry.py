"""Registry behaviour with in-process plugins: isolation, conflicts, the three missing cases."""

import types
import warnings

import pytest
from _support import PenaltyGD, make_plugin, quadratic_problem

import solverkit as sk
from solverkit.registry import Registry


class Other(PenaltyGD):
    name = "test-other"


def test_register_and_solve_by_name(registry):
    info = registry.add_plugin(make_plugin(PenaltyGD, Other), "mine", "dist-mine", "9.9")
    assert info.solvers == ["test-penalty-gd", "test-other"] and not info.broken
    assert [s.name for s in sk.solvers()] == ["test-other", "test-penalty-gd"]
    assert [s.name for s in sk.solvers(kind=sk.EqualityConstrained)] == ["test-other",
                                                                         "test-penalty-gd"]
    assert sk.solvers(kind=sk.TuckerRank) == []
    got = sk.get_solver("test-penalty-gd")
    assert (got.plugin, got.distribution, got.version) == ("mine", "dist-mine", "9.9")
    res = sk.solve(quadratic_problem(), method="test-penalty-gd", seed=0, tol=1e-8)
    assert res.solver == "test-penalty-gd" and res.success


def test_same_name_in_two_plugins_names_both(registry):
    registry.add_plugin(make_plugin(PenaltyGD), "first")
    with pytest.warns(sk.PluginLoadWarning, match="first.*second"):
        registry.add_plugin(make_plugin(PenaltyGD), "second")
    with pytest.raises(sk.SolverNameConflictError, match="'first', 'second'"):
        sk.get_solver("test-penalty-gd")


def test_plugin_raising_in_register_is_isolated(registry):
    @sk.hookimpl
    def solverkit_register_solvers(register):
        register(Other)
        raise RuntimeError("boom while registering")

    with pytest.warns(sk.PluginLoadWarning, match="boom"):
        bad = registry.add_plugin(types.SimpleNamespace(
            solverkit_register_solvers=solverkit_register_solvers), "bad")
    good = registry.add_plugin(make_plugin(PenaltyGD), "good")
    assert bad.broken and "RuntimeError: boom" in bad.error and bad.solvers == []
    assert not good.broken
    assert [s.name for s in sk.solvers()] == ["test-penalty-gd"]  # the half-registered one is gone


def test_misspelled_hook_marks_plugin_broken(registry):
    @sk.hookimpl
    def solverkit_register_solver(register):  # missing "s"
        register(PenaltyGD)

    with pytest.warns(sk.PluginLoadWarning, match="solverkit_register_solver"):
        info = registry.add_plugin(types.SimpleNamespace(
            solverkit_register_solver=solverkit_register_solver), "typo")
    assert info.broken and registry.pm.get_plugin("typo") is None


def test_hookimpl_with_default_argument_is_rejected(registry):
    @sk.hookimpl
    def solverkit_register_solvers(register=None):
        register(PenaltyGD)

    with pytest.warns(sk.PluginLoadWarning, match="default values"):
        info = registry.add_plugin(types.SimpleNamespace(
            solverkit_register_solvers=solverkit_register_solvers), "defaults")
    assert info.broken


def test_registering_a_non_solver_is_an_error(registry):
    class NotASolver:
        name = "x"

    with pytest.warns(sk.PluginLoadWarning, match="Solver subclass"):
        info = registry.add_plugin(make_plugin(NotASolver), "bad")
    assert info.broken


def test_unknown_name_gives_close_matches_and_installed(registry):
    registry.add_plugin(make_plugin(PenaltyGD), "t")
    with pytest.raises(sk.UnknownSolverError) as info:
        sk.get_solver("test-penalty-dg")
    msg = str(info.value)
    assert "Did you mean 'test-penalty-gd'" in msg and "Installed solvers: test-penalty-gd" in msg


def test_first_party_not_installed_gives_pip_line(registry):
    with pytest.raises(sk.PluginNotInstalledError, match="pip install solverkit-dagma"):
        sk.get_solver("dagma")
    with pytest.raises(sk.PluginNotInstalledError, match="pip install solverkit-alsketch"):
        sk.solve(quadratic_problem())  # the kind's default, not installed here


def test_broken_first_party_plugin_reports_its_import_error(registry):
    info = registry.plugins["dagma"] = sk.registry.PluginInfo(
        "dagma", "solverkit-dagma", "0.1.0", "solverkit_dagma.plugin",
        error="ImportError: no module named scipy")
    assert info.broken
    with pytest.raises(sk.BrokenPluginError, match="no module named scipy"):
        sk.get_solver("notears")


def test_default_method_falls_back_to_installed_solver(registry):
    registry.add_plugin(make_plugin(PenaltyGD), "t")
    assert sk.solve(quadratic_problem(), max_iter=5).solver == "test-penalty-gd"


def test_wrong_problem_kind_is_refused(registry):
    registry.add_plugin(make_plugin(PenaltyGD), "t")
    with pytest.raises(sk.ProblemKindError, match="accepts EqualityConstrained"):
        sk.solve(sk.TuckerRank.example(), method="test-penalty-gd")


def test_allow_and_block_lists(monkeypatch):
    monkeypatch.setenv("SOLVERKIT_LOAD_PLUGINS", "")
    assert Registry().plugins == {}
    monkeypatch.delenv("SOLVERKIT_LOAD_PLUGINS")
    monkeypatch.setenv("SOLVERKIT_BLOCK_PLUGINS", "scipy,example,broken")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # blocked plugins are never imported
        reg = Registry()
    assert not {"scipy", "example", "broken"} & set(reg.plugins)
