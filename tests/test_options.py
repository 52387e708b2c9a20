import numpy as np
import pytest
from _support import GDOptions, PenaltyGD, make_plugin, quadratic_problem

import solverkit as sk
from solverkit.options import CommonOptions, split_options


def test_unknown_option_lists_valid_ones_and_close_match(registry):
    registry.add_plugin(make_plugin(PenaltyGD), "t")
    with pytest.raises(TypeError) as info:
        sk.solve(quadratic_problem(), method="test-penalty-gd", stpe=0.1)
    msg = str(info.value)
    assert "'stpe'" in msg and "Did you mean 'step'" in msg and "max_iter" in msg


def test_wrong_type_and_range_fail_before_work(registry):
    registry.add_plugin(make_plugin(PenaltyGD), "t")
    with pytest.raises(TypeError, match="step.*must be float"):
        sk.solve(quadratic_problem(), method="test-penalty-gd", step="big")
    with pytest.raises(ValueError, match="step must be > 0"):
        sk.solve(quadratic_problem(), method="test-penalty-gd", step=-1.0)


@pytest.mark.parametrize("bad", [{"max_iter": 0}, {"max_iter": 2.5}, {"max_iter": True},
                                 {"tol": 0.0}, {"tol": float("nan")}, {"time_limit": -1},
                                 {"seed": -3}, {"seed": "abc"}])
def test_common_option_validation(bad):
    with pytest.raises(ValueError):
        CommonOptions(**bad)


def test_callback_and_flags_types():
    with pytest.raises(TypeError, match="callable"):
        CommonOptions(callback=3)
    with pytest.raises(TypeError, match="verbose"):
        CommonOptions(verbose="yes")


def test_seed_accepts_int_generator_and_seedsequence():
    for seed in (0, np.random.default_rng(1), np.random.SeedSequence(2)):
        CommonOptions(seed=seed)


def test_split_options():
    common, specific = split_options("s", GDOptions, {"step": 0.5, "max_iter": 3})
    assert common.max_iter == 3 and specific.step == 0.5
