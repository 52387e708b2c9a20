import json
import math

import numpy as np
import pytest

from solverkit import Result, Status
from solverkit.result import FIELDS


def test_every_field_present_with_defaults():
    res = Result(x=np.zeros(2))
    assert list(res) == list(FIELDS)
    assert res.success and res.status is Status.CONVERGED and res.message == "converged"
    assert math.isnan(Result(status=Status.NUMERICAL).fun)
    assert not Result(status=Status.MAX_ITER).success


def test_attribute_and_key_access_like_optimizeresult():
    res = Result(x=[1.0], fun=2.0)
    assert res.fun == res["fun"] == 2.0
    res.nit = 7
    assert res["nit"] == 7
    with pytest.raises(AttributeError):
        _ = res.not_a_field


def test_unknown_field_is_rejected_with_guidance():
    with pytest.raises(TypeError, match="extra="):
        Result(multipliers=[1.0])


def test_json_round_trip_keeps_arrays_status_and_nan():
    res = Result(x=np.arange(6.0).reshape(2, 3), fun=float("nan"), status=Status.TIME_LIMIT,
                 extra={"lam": np.array([1, 2], dtype=np.int32), "ranks": (2, 3)},
                 history=[{"nit": 1, "fun": 3.0}])
    text = json.dumps(res.to_dict())
    back = Result.from_dict(json.loads(text))
    np.testing.assert_array_equal(back.x, res.x)
    assert back.x.dtype == res.x.dtype
    assert back.extra["lam"].dtype == np.int32
    assert back.status is Status.TIME_LIMIT and not back.success
    assert math.isnan(back.fun) and back.history == res.history


def test_repr_summarises_large_arrays():
    assert "shape=(100,)" in repr(Result(x=np.zeros(100)))
