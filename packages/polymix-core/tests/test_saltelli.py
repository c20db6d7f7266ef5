"""Saltelli design and Monte Carlo Sobol' indices against SALib and analytic indices.

* SALib's ``SALib.analyze.sobol`` on the very same function values (its row layout rebuilt from
  ``A``, ``AB``, ``B``): the indices agree to rounding, the standard errors with SALib's bootstrap.
* Ishigami (inputs uniform on [-pi, pi]) and the Sobol' g-function (inputs uniform on [0, 1]): analytic
  indices, within a few of the reported standard errors.
* The standard errors against the spread of the estimates over independent replications.
"""

import math
import sys

import numpy as np
import polymix_core as pc
import pytest
from SALib.analyze import sobol as salib_sobol

# ---------------------------------------------------------------------------------------------------------------------
# test functions and their analytic indices


def ishigami(x, a=7.0, b=0.1):
    return np.sin(x[..., 0]) + a * np.sin(x[..., 1]) ** 2 + b * x[..., 2] ** 4 * np.sin(x[..., 0])


def ishigami_indices(a, b):
    """Analytic ``(first_order, total)`` of Ishigami for inputs uniform on [-pi, pi]."""
    v1 = (1 + b * np.pi**4 / 5) ** 2 / 2
    v2 = a**2 / 8
    v13 = b**2 * np.pi**8 * (1 / 18 - 1 / 50)
    v = v1 + v2 + v13
    return np.array([v1, v2, 0.0]) / v, np.array([v1 + v13, v2, v13]) / v


G_A = np.array([0.0, 1.0, 4.5, 9.0, 99.0, 99.0])


def g_function(x):
    return np.prod((np.abs(4 * x - 2) + G_A) / (1 + G_A), axis=-1)


def g_function_indices():
    """Sobol' g-function on [0, 1]^6: ``V_i = 1 / (3 (1 + a_i)^2)``, ``V = prod(1 + V_i) - 1``,
    ``S_i = V_i / V`` and ``S_i^T = V_i prod_{j != i} (1 + V_j) / V``."""
    partial = 1 / (3 * (1 + G_A) ** 2)
    total_variance = np.prod(1 + partial) - 1
    return partial / total_variance, partial * np.prod(1 + partial) / (1 + partial) / total_variance


def evaluate(design, functions):
    """``f_A, f_B, f_AB`` with one 'posterior draw' per function, one output."""
    f_a = np.stack([f(design.A) for f in functions])[..., None]  # (num_samples, num_base, 1)
    f_b = np.stack([f(design.B) for f in functions])[..., None]
    f_ab = np.stack([f(design.AB) for f in functions], axis=1)[..., None]  # (num_inputs, num_samples, num_base, 1)
    return f_a, f_b, f_ab


# ---------------------------------------------------------------------------------------------------------------------
# design


def test_design_shapes_bounds_and_pick_freeze_structure():
    bounds = [(0.0, 1.0), (-np.pi, np.pi), (10.0, 12.0)]
    design = pc.saltelli_design(3, 256, seed=1, bounds=bounds)
    assert design.A.shape == design.B.shape == (256, 3) and design.AB.shape == (3, 256, 3)
    assert design.num_evaluations == 256 * 5
    for i, (low, high) in enumerate(bounds):
        for points in (design.A, design.B):
            assert low <= points[:, i].min() and points[:, i].max() < high
            # a scrambled Sobol' sequence is stratified: every quarter of [low, high] holds 64 points
            counts = np.histogram(points[:, i], bins=4, range=(low, high))[0]
            assert counts.tolist() == [64, 64, 64, 64]
    for i in range(3):
        for j in range(3):
            np.testing.assert_array_equal(design.AB[i][:, j], (design.B if i == j else design.A)[:, j])
    assert not np.allclose(design.A, design.B)
    again = pc.saltelli_design(3, 256, seed=1, bounds=bounds)
    np.testing.assert_array_equal(again.AB, design.AB)
    assert not np.allclose(pc.saltelli_design(3, 256, seed=2, bounds=bounds).A, design.A)
    default = pc.saltelli_design(2, 64, seed=0)
    assert default.A.min() >= -1.0 and default.A.max() < 1.0


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"bounds": [(0.0, 1.0)]}, pc.ShapeError, r"bounds: expected shape \(2, 2\)"),
        ({"bounds": [(0.0, 1.0), (2.0, 2.0)]}, pc.PolymixValueError, "low < high"),
        ({"bounds": [(0.0, np.inf), (0.0, 1.0)]}, pc.PolymixValueError, "finite"),
        ({"num_base": 0}, pc.PolymixValueError, "num_base: expected a positive integer"),
        ({"num_inputs": 1.5}, pc.PolymixTypeError, "num_inputs"),
    ],
)
def test_design_rejects_bad_arguments(kwargs, error, message):
    arguments = {"num_inputs": 2, "num_base": 8, **kwargs}
    with pytest.raises(error, match=message):
        pc.saltelli_design(arguments.pop("num_inputs"), arguments.pop("num_base"), seed=0, **arguments)


def test_design_without_scipy_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "scipy.stats.qmc", None)  # import of scipy.stats.qmc fails
    with pytest.raises(pc.PolymixError, match=r"polymix-core\[sensitivity\]") as info:
        pc.saltelli_design(2, 8, seed=0)
    assert isinstance(info.value, ImportError)


# ---------------------------------------------------------------------------------------------------------------------
# SALib


@pytest.mark.parametrize(
    ("function", "bounds"),
    [(ishigami, [(-np.pi, np.pi)] * 3), (g_function, [(0.0, 1.0)] * 6), (lambda x: 100.0 + ishigami(x), None)],
    ids=["ishigami", "g-function", "offset-ishigami"],
)
def test_estimators_match_salib_on_the_same_values(function, bounds):
    num_inputs = 3 if bounds is None else len(bounds)
    design = pc.saltelli_design(num_inputs, 1024, seed=3, bounds=bounds)
    f_a, f_b, f_ab = evaluate(design, [function])
    # SALib's row order without second order: A_j, AB_j^1, ..., AB_j^d, B_j for every base point j
    y = np.concatenate([f_a[0], f_ab[:, 0, :, 0].T, f_b[0]], axis=1).reshape(-1)
    problem = {
        "num_vars": num_inputs,
        "names": [f"x{i}" for i in range(num_inputs)],
        "bounds": [[-1.0, 1.0]] * num_inputs if bounds is None else [list(b) for b in bounds],
    }
    expected = salib_sobol.analyze(problem, y, calc_second_order=False, num_resamples=1000, seed=4)
    result = pc.saltelli_indices(f_a, f_b, f_ab)
    np.testing.assert_allclose(result.first_order[0, :, 0], expected["S1"], rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(result.total[0, :, 0], expected["ST"], rtol=1e-10, atol=1e-13)
    # SALib's 95% bootstrap half-widths over 1000 resamples: z * standard error, to within bootstrap noise
    z = 1.959963984540054
    np.testing.assert_allclose(result.first_order_se[0, :, 0], expected["S1_conf"] / z, rtol=0.15, atol=1e-6)
    np.testing.assert_allclose(result.total_se[0, :, 0], expected["ST_conf"] / z, rtol=0.15, atol=1e-6)


# ---------------------------------------------------------------------------------------------------------------------
# analytic indices


def test_ishigami_indices_for_two_draws_within_standard_errors():
    design = pc.saltelli_design(3, 2**14, seed=5, bounds=[(-np.pi, np.pi)] * 3)
    draws = [(7.0, 0.1), (5.0, 0.05)]  # (a, b) of two posterior draws
    f_a, f_b, f_ab = evaluate(design, [lambda x, a=a, b=b: ishigami(x, a, b) for a, b in draws])
    result = pc.saltelli_indices(f_a, f_b, f_ab)
    assert result.first_order.shape == result.total_se.shape == (2, 3, 1)
    first_7, total_7 = ishigami_indices(7.0, 0.1)
    np.testing.assert_allclose(first_7, [0.3139, 0.4424, 0.0], atol=1e-4)  # the published values
    np.testing.assert_allclose(total_7, [0.5576, 0.4424, 0.2437], atol=1e-4)
    for s, (a, b) in enumerate(draws):
        first, total = ishigami_indices(a, b)
        assert np.all(np.abs(result.first_order[s, :, 0] - first) < 4 * result.first_order_se[s, :, 0])
        assert np.all(np.abs(result.total[s, :, 0] - total) < 4 * result.total_se[s, :, 0])
        assert np.all(result.first_order_se[s] < 0.02) and np.all(result.total_se[s] < 0.02)


def test_g_function_indices_within_standard_errors():
    design = pc.saltelli_design(6, 2**14, seed=6, bounds=[(0.0, 1.0)] * 6)
    f_a, f_b, f_ab = evaluate(design, [g_function])
    result = pc.saltelli_indices(f_a, f_b, f_ab)
    first, total = g_function_indices()
    np.testing.assert_allclose(first[:3], [0.7163, 0.1791, 0.0237], atol=1e-4)
    assert np.all(np.abs(result.first_order[0, :, 0] - first) < 4 * result.first_order_se[0, :, 0])
    assert np.all(np.abs(result.total[0, :, 0] - total) < 4 * result.total_se[0, :, 0])


def test_standard_errors_match_the_spread_of_independent_replications():
    """Independent uniform points (plain Monte Carlo): one replication per 'posterior draw'."""
    replications, num_base, d = 300, 512, 3
    rng = np.random.default_rng(7)
    a = rng.uniform(-np.pi, np.pi, (replications, num_base, d))
    b = rng.uniform(-np.pi, np.pi, (replications, num_base, d))
    ab = np.repeat(a[None], d, axis=0)  # (d, replications, num_base, d)
    for i in range(d):
        ab[i, ..., i] = b[..., i]
    result = pc.saltelli_indices(ishigami(a)[..., None], ishigami(b)[..., None], ishigami(ab)[..., None])
    for estimate, se in ((result.first_order, result.first_order_se), (result.total, result.total_se)):
        ratio = estimate[..., 0].std(axis=0, ddof=1) / se[..., 0].mean(axis=0)  # (d,)
        # the sample standard deviation of 300 replications is within ~12% (3 of its own errors) of the truth
        np.testing.assert_allclose(ratio, 1.0, atol=0.15)


# ---------------------------------------------------------------------------------------------------------------------
# degenerate and bad input


def test_constant_output_gives_nan_without_a_warning():
    design = pc.saltelli_design(2, 64, seed=8)
    f_a, f_b, f_ab = evaluate(design, [lambda x: x[..., 0] + x[..., 1] ** 2, lambda x: np.full(x.shape[:-1], 3.0)])
    result = pc.saltelli_indices(f_a, f_b, f_ab)
    for values in result:
        assert np.isnan(values[1]).all() and np.isfinite(values[0]).all()


def test_float32_values_keep_their_dtype():
    design = pc.saltelli_design(2, 64, seed=9)
    f_a, f_b, f_ab = (v.astype(np.float32) for v in evaluate(design, [lambda x: x[..., 0] + 0.5 * x[..., 1]]))
    result = pc.saltelli_indices(f_a, f_b, f_ab)
    assert all(v.dtype == np.float32 for v in result)
    # f = x1 + x2 / 2 is additive: S = S^T = (1, 1/4) / (5/4), estimated well even at 64 points
    np.testing.assert_allclose(result.total[0, :, 0], [0.8, 0.2], atol=0.05)
    assert math.isfinite(float(result.first_order_se.max()))


@pytest.mark.parametrize(
    ("shapes", "error", "message"),
    [
        (((4, 8), (4, 8), (2, 4, 8)), pc.ShapeError, "f_A: expected a 3-D array"),
        (((4, 8, 1), (4, 7, 1), (2, 4, 8, 1)), pc.ShapeError, r"f_B: expected shape \(4, 8, 1\)"),
        (((4, 8, 1), (4, 8, 1), (4, 8, 1)), pc.ShapeError, r"f_AB: expected .*\(num_inputs, 4, 8, 1\)"),
        (((4, 1, 1), (4, 1, 1), (2, 4, 1, 1)), pc.PolymixValueError, "at least 2 base points"),
    ],
)
def test_bad_values_raise_the_polymix_family(shapes, error, message):
    with pytest.raises(error, match=message):
        pc.saltelli_indices(*(np.zeros(s) for s in shapes))


def test_integer_values_are_rejected():
    with pytest.raises(pc.PolymixTypeError, match="f_A: expected a real floating-point array"):
        pc.saltelli_indices(np.zeros((1, 4, 1), int), np.zeros((1, 4, 1)), np.zeros((2, 1, 4, 1)))
