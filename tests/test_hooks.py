"""The wrapper hook around solves, the progress hook, tracing."""

import types

import numpy as np
from _support import PenaltyGD, make_plugin, quadratic_problem, run_cli

import solverkit as sk


def test_wrapper_hook_sees_and_changes_every_solve(registry):
    seen = []

    @sk.hookimpl(wrapper=True)
    def solverkit_solve(solver, problem):
        seen.append((solver.name, type(problem).__name__))
        result = yield
        result.extra["wrapped"] = True
        return result

    registry.add_plugin(make_plugin(PenaltyGD), "t")
    registry.add_plugin(types.SimpleNamespace(solverkit_solve=solverkit_solve), "tracer")
    res = sk.solve(quadratic_problem(), method="test-penalty-gd", max_iter=3)
    assert seen == [("test-penalty-gd", "EqualityConstrained")] and res.extra["wrapped"]


def test_progress_hook_gets_one_event_per_report_plus_final(registry):
    events = []

    @sk.hookimpl
    def solverkit_progress(event):
        events.append(event)

    registry.add_plugin(make_plugin(PenaltyGD), "t")
    registry.add_plugin(types.SimpleNamespace(solverkit_progress=solverkit_progress), "listener")
    res = sk.solve(quadratic_problem(), method="test-penalty-gd", max_iter=4)
    assert [e.nit for e in events] == [1, 2, 3, 4, 4] and events[-1].final
    assert events[0].solver == "test-penalty-gd" and "gnorm" in events[0].info
    assert res.nit == 4


def test_no_listener_means_no_event_built(registry):
    registry.add_plugin(make_plugin(PenaltyGD), "t")
    assert registry.emitter(verbose=False) is None
    assert registry.emitter(verbose=True) is not None


def test_verbose_prints_progress_to_stderr(registry, capsys):
    registry.add_plugin(make_plugin(PenaltyGD), "t")
    sk.solve(quadratic_problem(), method="test-penalty-gd", max_iter=3, verbose=True)
    err = capsys.readouterr().err
    assert "[test-penalty-gd] it      1" in err and "fun" in err


def test_trace_env_prints_hook_calls():
    env = dict(__import__("os").environ, SOLVERKIT_TRACE="1")
    out = run_cli("solve", "--example", "TuckerRank", "--method", "example-svgreedy", env=env)
    assert out.returncode == 0, out.stderr
    assert "solverkit_solve" in out.stderr


def test_history_recorded_when_asked(registry):
    registry.add_plugin(make_plugin(PenaltyGD), "t")
    res = sk.solve(quadratic_problem(), method="test-penalty-gd", max_iter=5, history=True)
    assert [h["nit"] for h in res.history] == [1, 2, 3, 4, 5]
    assert all(np.isfinite(h["gnorm"]) for h in res.history)
    assert sk.solve(quadratic_problem(), method="test-penalty-gd", max_iter=5).history == []
