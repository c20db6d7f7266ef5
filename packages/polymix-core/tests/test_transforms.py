"""softplus, its inverse and the positive transform of the Gaussian families."""

import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from polymix_core import PolymixValueError, inverse_softplus, positive_from_raw, raw_from_positive, softplus


@given(x=st.floats(-50.0, 50.0))
@settings(max_examples=200, deadline=None)
def test_softplus_matches_closed_form(x):
    assert float(softplus(np.array(x))) == pytest.approx(math.log1p(math.exp(x)), rel=1e-13, abs=1e-300)


def test_softplus_is_stable_at_extremes():
    out = softplus(np.array([-1000.0, 0.0, 1000.0]))
    assert np.all(np.isfinite(out))
    np.testing.assert_allclose(out, [0.0, math.log(2.0), 1000.0], rtol=1e-15, atol=1e-300)


def test_softplus_preserves_float32():
    out = softplus(np.linspace(-3, 3, 5, dtype=np.float32))
    assert out.dtype == np.float32


@given(y=st.floats(1e-10, 700.0))
@settings(max_examples=200, deadline=None)
def test_inverse_softplus_round_trip(y):
    x = inverse_softplus(y)
    assert math.isfinite(x)
    assert float(softplus(np.array(x))) == pytest.approx(y, rel=1e-10)


@given(x=st.floats(-20.0, 60.0))
@settings(max_examples=200, deadline=None)
def test_softplus_then_inverse_round_trip(x):
    assert inverse_softplus(float(softplus(np.array(x)))) == pytest.approx(x, rel=1e-8, abs=1e-8)


def test_inverse_softplus_branch_point_is_continuous():
    below, above = inverse_softplus(30.0 - 1e-9), inverse_softplus(30.0 + 1e-9)
    assert above - below == pytest.approx(2e-9, rel=1e-3)


@pytest.mark.parametrize("y", [0.0, -1.0, math.nan, math.inf], ids=["zero", "negative", "nan", "inf"])
def test_inverse_softplus_rejects_non_positive(y):
    with pytest.raises(PolymixValueError, match=r"^y: expected a positive finite number"):
        inverse_softplus(y)


@pytest.mark.parametrize(("value", "jitter"), [(0.1, 1e-6), (1.0, 0.0), (3.0, 1e-3), (50.0, 1e-6)])
def test_positive_from_raw_inverts_raw_from_positive(value, jitter):
    raw = raw_from_positive(value, jitter)
    got = positive_from_raw(np.array(raw), jitter)
    assert float(got) == pytest.approx(value, rel=1e-12)


def test_raw_from_positive_floors_below_jitter():
    # A value at (or below) the jitter maps to the raw value of 1e-12 (pypolymix's floor).
    raw = raw_from_positive(1e-6, 1e-6)
    assert raw == pytest.approx(math.log(math.expm1(1e-12)))
    assert float(positive_from_raw(np.array(raw), 1e-6)) == pytest.approx(1e-6 + 1e-12, rel=1e-9)
