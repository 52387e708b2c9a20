"""The core's conformance kit on every solver of the plugin."""

from __future__ import annotations

import pytest
from solverkit_bilevel.problems import box_quadratic, quadratic_benchopt

from solverkit.testing import conformance_cases

# bilevel-aid and itd need Hessian-vector products, which the core's toy example lacks.
SOLVERS = ["bilevel-penalty", "bilevel-penalty-sl", "f2sa", "bome"]


@pytest.mark.parametrize("name, check", conformance_cases(SOLVERS))
def test_conformance_on_toy(name, check):
    check(name)


@pytest.mark.parametrize("name, check", conformance_cases(
    ["bilevel-penalty"], problem=box_quadratic(0, dx=3, dy=6).problem))
def test_conformance_on_box_quadratic(name, check):
    check(name)


@pytest.mark.parametrize("name, check", conformance_cases(
    ["bilevel-aid", "bilevel-penalty-sl", "itd"],
    problem=quadratic_benchopt(0, dx=3, dy=6, n_inner=64, n_outer=16, reg=2.0).problem))
def test_conformance_on_stochastic_quadratic(name, check):
    check(name)
