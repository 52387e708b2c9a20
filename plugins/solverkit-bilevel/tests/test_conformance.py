"""The core's conformance kit on every solver of the plugin."""

from __future__ import annotations

import pytest
from solverkit.testing import conformance_cases

from solverkit_bilevel.problems import box_quadratic

SOLVERS = ["bilevel-penalty"]


@pytest.mark.parametrize("name, check", conformance_cases(SOLVERS))
def test_conformance_on_toy(name, check):
    check(name)
