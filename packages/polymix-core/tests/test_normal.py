"""The array-API normal CDF (Cody's erfc) against scipy.special."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from polymix_core._normal import erfc, normal_cdf, normal_logpdf
from scipy import special, stats

#: Every interval boundary of Cody's approximation (|x| = 0.46875, 4 and the cut-off 27, for erfc; times sqrt(2)
#: for the CDF), the infinities and huge values.
EDGES = np.array([0.46875, 4.0, 27.0, 0.46875 * np.sqrt(2), 4.0 * np.sqrt(2), 27.0 * np.sqrt(2), 1e300, np.inf])
GRID = np.concatenate([np.linspace(-40.0, 40.0, 400_001), EDGES, -EDGES, [0.0, -0.0, 1e-300, -1e-300]])


def test_normal_cdf_float64_max_abs_error_below_1e_15():
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # no inf * 0 or overflow in any branch
        phi = normal_cdf(GRID)
    err = np.max(np.abs(phi - special.ndtr(GRID)))
    assert err < 1e-15, err  # measured 2.2e-16


def test_normal_cdf_keeps_relative_accuracy_in_the_lower_tail():
    x = np.linspace(-37.5, 0.0, 200_001)  # ndtr(-37.5) ~ 5e-309 is still a normal double
    rel = np.abs(normal_cdf(x) / special.ndtr(x) - 1.0)
    # scipy's own tail error grows like x^2 eps (erfc's exp(-x^2) from a rounded x^2); a few ulps elsewhere.
    assert np.all(rel <= 2e-15 + 2 * x**2 * np.finfo(float).eps), np.max(rel)
    assert normal_cdf(np.array(-30.0)) > 0.0


def test_erfc_matches_scipy_relatively():
    x = np.concatenate([np.linspace(-6.0, 26.0, 320_001), EDGES[:2], -EDGES[:2]])
    ref = special.erfc(x)  # > 5e-296 on this range
    rel = np.abs(erfc(x) - ref) / ref
    assert np.all(rel <= 2e-15 + 2 * x**2 * np.finfo(float).eps), np.max(rel)  # as above: scipy's x^2 eps
    assert erfc(np.array([np.inf, -np.inf, 1e300])).tolist() == [0.0, 2.0, 0.0]


@given(x=st.floats(-38.0, 38.0, allow_nan=False))
@settings(max_examples=300, deadline=None)
def test_normal_cdf_at_any_point(x):
    assert abs(float(normal_cdf(np.array(x))) - special.ndtr(x)) <= 1e-15


def test_normal_cdf_float32_stays_float32_and_accurate():
    x32 = GRID[np.abs(GRID) < 1e30].astype(np.float32)
    phi = normal_cdf(x32)
    assert phi.dtype == np.float32
    err = np.max(np.abs(phi.astype(np.float64) - special.ndtr(x32.astype(np.float64))))
    assert err < 2e-7, err  # measured 1.1e-7: float32 rounding (eps / 2 = 6e-8) of values near 1


def test_normal_cdf_symmetry_and_monotonicity():
    x = np.linspace(-10.0, 10.0, 100_001)
    phi = normal_cdf(x)
    assert np.all(np.diff(phi) >= 0.0)
    np.testing.assert_allclose(phi + normal_cdf(-x), 1.0, rtol=0, atol=2e-16)


def test_normal_logpdf_matches_scipy():
    rng = np.random.default_rng(1)
    x, mean, var = rng.normal(size=50), rng.normal(size=50), rng.uniform(0.01, 4.0, size=50)
    np.testing.assert_allclose(normal_logpdf(x, mean, var), stats.norm.logpdf(x, mean, np.sqrt(var)), rtol=1e-13)


@pytest.mark.parametrize("shape", [(), (3,), (2, 3, 4)])
def test_shapes_are_kept(shape):
    x = np.zeros(shape)
    assert normal_cdf(x).shape == shape
    assert np.all(normal_cdf(x) == 0.5)
