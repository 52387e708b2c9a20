import numpy as np
import pytest

import solverkit as sk
from solverkit.testing import conformance_cases


@pytest.mark.parametrize("name, check", conformance_cases(["$name"]))
def test_conformance(name, check):
    check(name)


def test_solves_hs6():
    res = sk.solve(sk.EqualityConstrained.example(), method="$name")
    assert res.success, res.message
    np.testing.assert_allclose(res.x, [1.0, 1.0], atol=1e-6)
