"""The solve() path: common options honoured through Progress, failures as failed Results."""

import numpy as np
import pytest
from _support import PenaltyGD, make_plugin, quadratic_problem

import solverkit as sk


class Exploding(PenaltyGD):
    name = "test-exploding"

    def solve(self, problem, options, progress):
        if options.step > 1:
            raise np.linalg.LinAlgError("singular matrix in the test solver")
        return progress.result(x=np.array([np.nan, 1.0]), fun=np.nan)  # claims success


@pytest.fixture
def reg(registry):
    registry.add_plugin(make_plugin(PenaltyGD, Exploding), "t")
    return registry


def test_converges_and_reports(reg):
    res = sk.solve(quadratic_problem(), method="test-penalty-gd", tol=1e-6, seed=0)
    assert res.success and res.status is sk.Status.CONVERGED
    np.testing.assert_allclose(res.x, [10 / 22, 10 / 22], atol=1e-4)  # penalty optimum
    assert res.time > 0 and res.nit > 0


def test_max_iter(reg):
    res = sk.solve(quadratic_problem(), method="test-penalty-gd", max_iter=3)
    assert res.status is sk.Status.MAX_ITER and not res.success and res.nit == 3
    assert "max_iter=3" in res.message


def test_callback_stop_keeps_best_point(reg):
    states = []

    def cb(state):
        states.append(state.nit)
        if state.nit == 2:
            raise StopIteration

    res = sk.solve(quadratic_problem(), method="test-penalty-gd", callback=cb)
    assert states == [1, 2] and res.status is sk.Status.CALLBACK and res.nit == 2
    assert res.x.shape == (2,)


def test_time_limit(reg):
    res = sk.solve(quadratic_problem(), method="test-penalty-gd", time_limit=1e-9)
    assert res.status is sk.Status.TIME_LIMIT and res.nit == 1 and "time limit" in res.message


def test_seed_reproducible_and_distinct(reg):
    a = sk.solve(quadratic_problem(), method="test-penalty-gd", seed=1, max_iter=3)
    b = sk.solve(quadratic_problem(), method="test-penalty-gd", seed=1, max_iter=3)
    c = sk.solve(quadratic_problem(), method="test-penalty-gd", seed=2, max_iter=3)
    assert np.array_equal(a.x, b.x) and not np.array_equal(a.x, c.x)
    g = np.random.default_rng(5)
    sk.solve(quadratic_problem(), method="test-penalty-gd", seed=g, max_iter=1)


def test_nan_success_is_turned_into_failure(reg):
    res = sk.solve(quadratic_problem(), method="test-exploding")
    assert not res.success and res.status is sk.Status.NUMERICAL
    assert "not finite" in res.message


def test_numerical_exception_becomes_failed_result(reg):
    res = sk.solve(quadratic_problem(), method="test-exploding", step=2.0)
    assert not res.success and res.status is sk.Status.NUMERICAL
    assert "LinAlgError: singular matrix" in res.message


def test_open_refuses_non_stateful(reg):
    with pytest.raises(TypeError, match="not stateful"):
        sk.open("test-penalty-gd")


def test_problem_kinds_lists_core_kinds():
    assert set(sk.problem_kinds()) >= {"EqualityConstrained", "StructureLearning"}
