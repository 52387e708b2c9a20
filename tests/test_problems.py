"""Validation at construction: every bad input fails with a message saying what and why."""

import numpy as np
import pytest

import solverkit as sk
from solverkit.problems import KINDS


@pytest.mark.parametrize("kind", KINDS)
def test_examples_are_valid_instances(kind):
    problem = getattr(sk, kind).example(seed=1)
    assert isinstance(problem, getattr(sk, kind)) and repr(problem).startswith(kind)


# -- StructureLearning ------------------------------------------------------------------
def _X(n=50, d=4, seed=0):
    return np.random.default_rng(seed).standard_normal((n, d))


@pytest.mark.parametrize("kwargs, match", [
    ({"X": np.array([[1.0, np.nan], [2.0, 3.0], [1.0, 1.0]])}, "finite"),
    ({"X": _X(n=1)}, "at least 2 samples"),
    ({"X": np.c_[_X(), np.ones(50)]}, r"constant column\(s\) \[4\]"),
    ({"X": _X(), "include_edges": [(0, 9)]}, "outside 0..3"),
    ({"X": _X(), "exclude_edges": [(1, 1)]}, "self-loop"),
    ({"X": _X(), "include_edges": [(0, 1)], "exclude_edges": [(0, 1)]},
     "both included and excluded"),
    ({"X": _X(), "include_edges": [(0, 1), (1, 2), (2, 0)]}, "cycle 0 -> 1 -> 2 -> 0"),
    ({"X": _X(), "loss": "logistic"}, "0/1 data"),
    ({"X": _X(), "loss": "poisson"}, "'l2' or 'logistic'"),
    ({"X": np.zeros(5)}, "2-D"),
])
def test_structure_learning_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        sk.StructureLearning(**kwargs)


def test_structure_learning_keeps_data_untouched():
    X = _X()
    before = X.copy()
    prob = sk.StructureLearning(X, include_edges=[(0, 1)], exclude_edges=[(2, 3)])
    assert prob.include_edges == ((0, 1),) and np.array_equal(X, before)


# -- TuckerRank ---------------------------------------------------------------------------
@pytest.mark.parametrize("tensor, budget, match", [
    (np.ones(5), 10, "at least 2 modes"),
    (np.ones((0, 3, 2)), 10, "empty"),
    (np.full((3, 3, 3), np.inf), 100, "finite"),
    (np.ones((4, 5, 6)), 15, r"all ranks 1 needs 1 \+ sum\(I_n\) = 16"),
    (np.ones((4, 5, 6)), 20.5, "whole number"),
    (np.ones((4, 5, 6)), [], "non-empty"),
])
def test_tucker_bad_input(tensor, budget, match):
    with pytest.raises(ValueError, match=match):
        sk.TuckerRank(tensor, budget)


def test_tucker_budget_sweep():
    prob = sk.TuckerRank(np.ones((4, 5, 6)), [16, 50, 200])
    assert prob.budgets == (16, 50, 200) and prob.min_budget == 16 and prob.ndim == 3


# -- EqualityConstrained --------------------------------------------------------------------
def _eq(**over):
    A = np.array([[1.0, 1.0, 0.0]])
    kw = dict(fun=lambda x: float(x @ x), grad=lambda x: 2 * x, cons=lambda x: A @ x - 1,
              jac=lambda x: A, x0=np.zeros(3))
    kw.update(over)
    return sk.EqualityConstrained(**kw)


@pytest.mark.parametrize("over, match", [
    ({"x0": np.zeros(4)}, r"cons\(x0\) raised ValueError.*\(4,\)"),
    ({"grad": lambda x: np.zeros(2)}, r"grad\(x0\).*shape \(3,\)"),
    ({"jac": lambda x: np.ones((2, 3))}, r"1 x 3 matrix, got shape \(2, 3\)"),
    ({"cons": lambda x: np.zeros(0)}, "m >= 1"),
    ({"fun": lambda x: np.nan}, "finite"),
    ({"x0": [0.0, np.inf, 0.0]}, "finite"),
    ({"hessp": lambda x, lam, v: np.zeros(2)}, r"hessp.*shape \(3,\)"),
    ({"lam0": [1.0, 2.0]}, "m = 1"),
])
def test_equality_constrained_bad_input(over, match):
    with pytest.raises((ValueError, TypeError), match=match):
        _eq(**over)


def test_equality_constrained_accepts_sparse_and_operator_jacobians():
    import scipy.sparse as sp
    from scipy.sparse.linalg import aslinearoperator

    A = np.array([[1.0, 1.0, 0.0]])
    assert _eq(jac=lambda x: sp.csr_matrix(A)).m == 1
    assert _eq(jac=lambda x: aslinearoperator(A)).at_x0["jac"].shape == (1, 3)
    assert not _eq().x0.flags.writeable


# -- Bilevel ------------------------------------------------------------------------------------
def test_bilevel_validation_and_projection_warning():
    ex = sk.Bilevel.example()
    with pytest.raises(ValueError, match=r"grad_x, dx = 1"):
        sk.Bilevel(ex.f, ex.g, lambda x, y: (np.zeros(2), np.zeros(1)), ex.grad_g, [1.0], [0.0])
    with pytest.raises(TypeError, match="pair"):
        sk.Bilevel(ex.f, ex.g, lambda x, y: np.zeros(2), ex.grad_g, [1.0], [0.0])
    with pytest.warns(UserWarning, match="outside"):
        prob = sk.Bilevel(ex.f, ex.g, ex.grad_f, ex.grad_g, [5.0], [0.0], X=ex.X)
    assert prob.x0[0] == 3.0
    with pytest.raises(ValueError, match="n_samples"):
        sk.Bilevel(ex.f, ex.g, ex.grad_f, ex.grad_g, [1.0], [0.0],
                   stochastic_grad_f=lambda x, y, i: ex.grad_f(x, y),
                   stochastic_grad_g=lambda x, y, i: ex.grad_g(x, y))


def test_bilevel_toy_gradients_match_finite_differences():
    prob = sk.Bilevel.example(seed=3)
    x, y, h = np.array([0.7]), np.array([-0.2]), 1e-6
    for fun, grad in ((prob.f, prob.grad_f), (prob.g, prob.grad_g)):
        gx, gy = grad(x, y)
        assert gx[0] == pytest.approx((fun(x + h, y) - fun(x - h, y)) / (2 * h), rel=1e-6)
        assert gy[0] == pytest.approx((fun(x, y + h) - fun(x, y - h)) / (2 * h), rel=1e-6)


# -- Submodular ------------------------------------------------------------------------------------
def test_submodular_bad_input():
    f = lambda S: float(len(S))  # noqa: E731
    with pytest.raises(ValueError, match="k must be an integer >= 1"):
        sk.SubmodularMax(f, 10, 0)
    with pytest.raises(ValueError, match="not monotone"):
        sk.SubmodularMax(lambda S: -float(len(S)), 10, 2)
    with pytest.raises(ValueError, match="non-finite|finite"):
        sk.SubmodularMax(lambda S: float("nan"), 10, 2)
    with pytest.raises(ValueError, match=r"ops\[1\] deletes element 7, which is not live"):
        sk.SubmodularStream(f, [("insert", 1), ("delete", 7)], 2)
    with pytest.raises(ValueError, match=r"ops\[1\] inserts element 1, which is already live"):
        sk.SubmodularStream(f, [("insert", 1), ("insert", 1)], 2)
    with pytest.raises(ValueError, match="'insert' or 'delete'"):
        sk.SubmodularStream(f, [("add", 1)], 2)


def test_stream_default_checkpoints_cover_the_end():
    prob = sk.SubmodularStream.example()
    assert prob.checkpoints[-1] == len(prob.ids) - 1 and prob.ops[0] == ("insert", 0)
