"""Closed-form PCE moments and Sobol' indices against independent oracles.

* OpenTURNS (``FunctionalChaosSobolIndices`` and ``FunctionalChaosRandomVector``) on a chaos result
  built from the same coefficients: OpenTURNS' Legendre basis is orthonormal, so its coefficient is
  ``c_alpha * sqrt(E[Psi_alpha^2])``.
* chaospy (``Sens_m``, ``Sens_t``, ``E``, ``Var``) on an expansion of monic orthogonal polynomials in
  chaospy's own term order: terms are matched by their leading exponent and the coefficients scaled by
  the leading coefficients of the Legendre polynomials.
* A brute-force pick-freeze Monte Carlo of the PCE evaluated with ``numpy.polynomial.legendre``.
* Ishigami's analytic indices from a least-squares PCE fitted with numpy.
"""

import dataclasses
import json
import math
import subprocess
import sys
from itertools import combinations
from types import SimpleNamespace

import chaospy
import numpy as np
import openturns as ot
import polymix_core as pc
import pytest
from numpy.polynomial import legendre as npleg
from polymix_oracle import surrogates

# ---------------------------------------------------------------------------------------------------------------------
# oracles


def legendre_basis(x, multi_indices):
    """``(n, num_terms)`` products of Legendre polynomials, one numpy.polynomial ``legval`` per input and degree."""
    degree = int(multi_indices.max(initial=0))
    values = np.empty((x.shape[1], degree + 1, x.shape[0]))  # (num_inputs, degree + 1, n)
    for n in range(degree + 1):
        unit = np.zeros(n + 1)
        unit[n] = 1.0
        values[:, n, :] = npleg.legval(x.T, unit)
    out = np.ones((x.shape[0], multi_indices.shape[0]))
    for i in range(x.shape[1]):
        out *= values[i, multi_indices[:, i], :].T
    return out


def openturns_indices(spec, coefficients):
    """OpenTURNS' Sobol' indices and moments of one draw ``coefficients (num_terms, num_outputs)``."""
    d = spec.num_inputs
    enumerate_function = ot.LinearEnumerateFunction(d)
    basis = ot.OrthogonalProductPolynomialFactory([ot.LegendreFactory()] * d, enumerate_function)
    joint = getattr(ot, "JointDistribution", None) or ot.ComposedDistribution
    distribution = joint([ot.Uniform(-1.0, 1.0)] * d)
    indices = [int(enumerate_function.inverse([int(a) for a in alpha])) for alpha in spec.multi_indices]
    orthonormal = np.sqrt(np.prod(2.0 * spec.multi_indices + 1.0, axis=1))  # Psi_OT = Psi * orthonormal
    alpha = coefficients / orthonormal[:, None]
    names = [f"x{i}" for i in range(d)]
    identity = ot.SymbolicFunction(names, names)
    result = ot.FunctionalChaosResult(
        ot.Sample(np.zeros((1, d))),
        ot.Sample(np.zeros((1, spec.num_outputs))),
        distribution,
        identity,
        identity,
        basis,
        indices,
        ot.Sample(alpha),
        [basis.build(k) for k in indices],
    )
    return ot.FunctionalChaosSobolIndices(result), ot.FunctionalChaosRandomVector(result)


def chaospy_polynomial(spec, coefficients):
    """The PCE of one draw as a chaospy polynomial ``(num_outputs,)`` on chaospy's own expansion."""
    d = spec.num_inputs
    distribution = chaospy.Iid(chaospy.Uniform(-1.0, 1.0), d)
    expansion = chaospy.generate_expansion(spec.degree, distribution, normed=False)  # monic, chaospy's order
    position = {tuple(map(int, alpha)): k for k, alpha in enumerate(spec.multi_indices)}
    n = np.arange(spec.degree + 1)
    leading = np.array([math.comb(2 * m, m) / 2.0**m for m in n])  # P_n = leading[n] * monic_n
    chaospy_coefficients = np.zeros((len(expansion), spec.num_outputs))
    for j, term in enumerate(expansion):
        exponents = np.asarray(term.exponents)
        alpha = tuple(int(a) for a in exponents[np.argmax(exponents.sum(axis=1))])
        k = position.get(alpha)
        if k is not None:  # chaospy's total-order expansion holds every term of a hyperbolic-cross spec
            chaospy_coefficients[j] = coefficients[k] * np.prod(leading[list(alpha)])
    polynomial = chaospy.sum(expansion[:, None] * chaospy_coefficients, axis=0)  # (num_outputs,)
    return polynomial, distribution


def pick_freeze(spec, coefficients, num_points, seed):
    """Monte Carlo (plain uniform) estimates with their standard errors, for one output of one draw."""
    rng = np.random.default_rng(seed)
    d = spec.num_inputs
    a, b = rng.uniform(-1, 1, (num_points, d)), rng.uniform(-1, 1, (num_points, d))

    def f(x):
        return legendre_basis(x, spec.multi_indices) @ coefficients

    f_a, f_b = f(a), f(b)
    variance = np.var(np.concatenate([f_a, f_b]))
    out = {"mean": (f_a.mean(), f_a.std(ddof=1) / math.sqrt(num_points)), "variance": variance}

    def estimate(terms):
        return terms.mean() / variance, terms.std(ddof=1) / math.sqrt(num_points) / variance

    for i in range(d):
        ab = a.copy()
        ab[:, i] = b[:, i]
        f_ab = f(ab)
        out[("first", i)] = estimate(f_b * (f_ab - f_a))  # Saltelli 2010
        out[("total", i)] = estimate((f_a - f_ab) ** 2 / 2)  # Jansen
    for u in combinations(range(d), 2):
        ab = a.copy()
        ab[:, list(u)] = b[:, list(u)]
        out[("closed", u)] = estimate(f_b * (f(ab) - f_a))
    return out


# ---------------------------------------------------------------------------------------------------------------------
# fixtures

SPECS = [
    pc.PCESpec(3, 2, degree=3),
    pc.PCESpec(4, 1, degree=4, q=0.6),
    pc.PCESpec(1, 3, degree=5),
]


def random_coefficients(spec, num_samples, seed):
    rng = np.random.default_rng(seed)
    decay = 1.0 / (1.0 + spec.multi_indices.sum(axis=1))  # (num_terms,) smaller high-order terms
    return rng.normal(size=(num_samples, spec.num_terms, spec.num_outputs)) * decay[None, :, None]


def subsets(d):
    return [list(u) for r in range(1, d + 1) for u in combinations(range(d), r)]


# ---------------------------------------------------------------------------------------------------------------------
# norms and layout


@pytest.mark.parametrize("spec", SPECS, ids=str)
def test_term_norms_match_gauss_legendre_quadrature(spec):
    nodes, weights = npleg.leggauss(spec.degree + 1)  # exact for P_n^2, n <= degree
    squares = legendre_basis(nodes[:, None], np.arange(spec.degree + 1)[:, None]) ** 2  # (nodes, degree + 1)
    one_d = weights @ squares / 2  # E[P_n(x)^2], x uniform on [-1, 1]
    expected = np.prod(one_d[spec.multi_indices], axis=1)
    norms = pc.pce_term_norms(spec)
    np.testing.assert_allclose(norms, expected, rtol=1e-13)
    assert norms.shape == (spec.num_terms,) and not norms.flags.writeable
    assert pc.pce_term_norms(spec) is norms  # cached per spec


def test_full_coefficients_follow_the_term_major_layout_of_the_oracle_forward():
    spec = pc.PCESpec(3, 2, degree=2)
    rng = np.random.default_rng(0)
    params = rng.normal(size=(4, spec.num_params))
    x = rng.uniform(-1, 1, (6, 3))
    full = pc.pce_to_full_coefficients(spec, params)
    assert full.shape == (4, spec.num_terms, 2)
    expected = surrogates.forward(spec.to_dict(), x, params)  # (num_samples, batch_size, num_outputs)
    np.testing.assert_allclose(np.einsum("nk,sko->sno", legendre_basis(x, spec.multi_indices), full), expected)
    with pytest.raises(pc.ShapeError, match=r"params: expected .*\(num_samples, 20\)"):
        pc.pce_to_full_coefficients(spec, params[:, :-1])


# ---------------------------------------------------------------------------------------------------------------------
# OpenTURNS and chaospy


@pytest.mark.parametrize("spec", SPECS, ids=str)
def test_indices_and_moments_match_openturns(spec):
    coefficients = random_coefficients(spec, 3, seed=1)
    first = pc.pce_sobol_first_order(spec, coefficients)
    total = pc.pce_sobol_total(spec, coefficients)
    mean, variance = pc.pce_mean_variance(spec, coefficients)
    assert first.shape == total.shape == (3, spec.num_inputs, spec.num_outputs)
    assert mean.shape == variance.shape == (3, spec.num_outputs)
    for s in range(3):
        sobol, vector = openturns_indices(spec, coefficients[s])
        np.testing.assert_allclose(mean[s], np.array(vector.getMean()), rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(variance[s], np.diag(np.array(vector.getCovariance())), rtol=1e-12)
        for o in range(spec.num_outputs):
            for i in range(spec.num_inputs):
                assert first[s, i, o] == pytest.approx(sobol.getSobolIndex(i, o), rel=1e-10, abs=1e-14)
                assert total[s, i, o] == pytest.approx(sobol.getSobolTotalIndex(i, o), rel=1e-10, abs=1e-14)
            for u in subsets(spec.num_inputs):
                interaction = pc.pce_sobol_interaction(spec, coefficients, u)[s, o]
                closed = pc.pce_sobol_closed(spec, coefficients, u)[s, o]
                assert interaction == pytest.approx(sobol.getSobolIndex(u, o), rel=1e-10, abs=1e-14)
                assert closed == pytest.approx(sobol.getSobolGroupedIndex(u, o), rel=1e-10, abs=1e-14)


@pytest.mark.parametrize("spec", [pc.PCESpec(3, 2, degree=3), pc.PCESpec(2, 1, degree=4, q=0.5)], ids=str)
def test_indices_and_moments_match_chaospy(spec):
    coefficients = random_coefficients(spec, 2, seed=2)
    first = pc.pce_sobol_first_order(spec, coefficients)
    total = pc.pce_sobol_total(spec, coefficients)
    mean, variance = pc.pce_mean_variance(spec, coefficients)
    for s in range(2):
        polynomial, distribution = chaospy_polynomial(spec, coefficients[s])
        np.testing.assert_allclose(mean[s], chaospy.E(polynomial, distribution), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(variance[s], chaospy.Var(polynomial, distribution), rtol=1e-10)
        np.testing.assert_allclose(first[s], chaospy.Sens_m(polynomial, distribution), rtol=1e-8, atol=1e-12)
        np.testing.assert_allclose(total[s], chaospy.Sens_t(polynomial, distribution), rtol=1e-8, atol=1e-12)


# ---------------------------------------------------------------------------------------------------------------------
# brute-force Monte Carlo of the expansion


def test_indices_and_moments_match_a_pick_freeze_monte_carlo_of_the_expansion():
    spec = pc.PCESpec(3, 1, degree=3)
    coefficients = random_coefficients(spec, 1, seed=3)
    mc = pick_freeze(spec, coefficients[0, :, 0], num_points=100_000, seed=4)
    first = pc.pce_sobol_first_order(spec, coefficients)[0, :, 0]
    total = pc.pce_sobol_total(spec, coefficients)[0, :, 0]
    mean, variance = pc.pce_mean_variance(spec, coefficients)
    bound = 4.5  # standard errors: 14 comparisons, a false alarm has probability below 1e-4
    assert abs(mean[0, 0] - mc["mean"][0]) < bound * mc["mean"][1]
    assert variance[0, 0] == pytest.approx(mc["variance"], rel=0.03)
    for i in range(3):
        estimate, se = mc[("first", i)]
        assert abs(first[i] - estimate) < bound * se, (i, first[i], estimate, se)
        estimate, se = mc[("total", i)]
        assert abs(total[i] - estimate) < bound * se, (i, total[i], estimate, se)
    for u in combinations(range(3), 2):
        estimate, se = mc[("closed", u)]
        assert abs(pc.pce_sobol_closed(spec, coefficients, u)[0, 0] - estimate) < bound * se, u


# ---------------------------------------------------------------------------------------------------------------------
# Ishigami


def test_ishigami_indices_from_a_least_squares_pce():
    a, b = 7.0, 0.1
    spec = pc.PCESpec(3, 1, degree=10)  # 286 terms
    rng = np.random.default_rng(5)
    x = rng.uniform(-1.0, 1.0, (2000, 3))
    theta = np.pi * x  # inputs uniform on [-pi, pi], mapped linearly onto [-1, 1]
    y = np.sin(theta[:, 0]) + a * np.sin(theta[:, 1]) ** 2 + b * theta[:, 2] ** 4 * np.sin(theta[:, 0])
    coefficients, *_ = np.linalg.lstsq(legendre_basis(x, spec.multi_indices), y, rcond=None)
    coefficients = coefficients[None, :, None]  # (1, num_terms, 1)
    # analytic: V1 = (1 + b pi^4 / 5)^2 / 2, V2 = a^2 / 8, V13 = b^2 pi^8 (1/18 - 1/50)
    v1, v2, v13 = (1 + b * np.pi**4 / 5) ** 2 / 2, a**2 / 8, b**2 * np.pi**8 * (1 / 18 - 1 / 50)
    v = v1 + v2 + v13
    np.testing.assert_allclose([v1 / v, v2 / v, 0.0], [0.3139, 0.4424, 0.0], atol=1e-4)  # the stated values
    first = pc.pce_sobol_first_order(spec, coefficients)[0, :, 0]
    total = pc.pce_sobol_total(spec, coefficients)[0, :, 0]
    np.testing.assert_allclose(first, [0.3139, 0.4424, 0.0], atol=0.01)
    np.testing.assert_allclose(total, [0.5576, 0.4424, 0.2437], atol=0.01)
    assert pc.pce_sobol_interaction(spec, coefficients, [0, 2])[0, 0] == pytest.approx(v13 / v, abs=0.01)
    assert pc.pce_sobol_interaction(spec, coefficients, [0, 1])[0, 0] == pytest.approx(0.0, abs=0.01)
    mean, variance = pc.pce_mean_variance(spec, coefficients)
    assert mean[0, 0] == pytest.approx(a / 2, rel=0.01)
    assert variance[0, 0] == pytest.approx(v, rel=0.01)


# ---------------------------------------------------------------------------------------------------------------------
# output affine map, degenerate variance, vectorisation, errors


@dataclasses.dataclass(frozen=True)
class AffineSpec:
    """A spec with the output affine map ``y = shift + scale * f`` (the fields a later PCESpec carries)."""

    base: pc.PCESpec
    output_shift: tuple = (1.0, -2.0)
    output_scale: tuple = (3.0, 0.5)

    @property
    def multi_indices(self):
        return self.base.multi_indices

    @property
    def num_outputs(self):
        return self.base.num_outputs


def unhashable_affine_spec(base):
    affine = {"output_shift": (1.0, -2.0), "output_scale": [3.0, 0.5]}  # a list: unhashable
    return SimpleNamespace(multi_indices=base.multi_indices, num_outputs=base.num_outputs, **affine)


@pytest.mark.parametrize("make", [AffineSpec, unhashable_affine_spec], ids=["hashable", "unhashable"])
def test_output_affine_map_moves_the_moments_and_leaves_the_indices(make):
    base = pc.PCESpec(3, 2, degree=2)
    spec = make(base)
    coefficients = random_coefficients(base, 2, seed=6)
    mean, variance = pc.pce_mean_variance(spec, coefficients)
    mean0, variance0 = pc.pce_mean_variance(base, coefficients)
    np.testing.assert_allclose(mean, np.array([1.0, -2.0]) + np.array([3.0, 0.5]) * mean0)
    np.testing.assert_allclose(variance, np.array([9.0, 0.25]) * variance0)
    for function in (pc.pce_sobol_first_order, pc.pce_sobol_total):
        np.testing.assert_allclose(function(spec, coefficients), function(base, coefficients))


def test_affine_map_with_a_wrong_length_is_a_configuration_error():
    spec = AffineSpec(pc.PCESpec(2, 2, degree=1), output_shift=(1.0, 2.0, 3.0))
    with pytest.raises(pc.ConfigurationError, match="spec.output_shift: expected one value per output"):
        pc.pce_mean_variance(spec, np.zeros((1, 3, 2)))


def test_zero_variance_gives_nan_without_a_warning():
    spec = pc.PCESpec(2, 2, degree=2)
    coefficients = random_coefficients(spec, 3, seed=7)
    coefficients[1, 1:, 0] = 0.0  # draw 1, output 0: a constant
    for values in (
        pc.pce_sobol_first_order(spec, coefficients),
        pc.pce_sobol_total(spec, coefficients),
        pc.pce_sobol_interaction(spec, coefficients, [0, 1])[:, None, :],
        pc.pce_sobol_closed(spec, coefficients, [1])[:, None, :],
    ):
        assert np.isnan(values[1, :, 0]).all()
        assert np.isfinite(np.delete(values.reshape(3, -1, 2), 1, axis=0)).all() and np.isfinite(values[1, :, 1]).all()
    assert pc.pce_mean_variance(spec, coefficients)[1][1, 0] == 0.0


def test_interactions_partition_the_variance_and_closed_indices_sum_them():
    spec = pc.PCESpec(4, 1, degree=3)
    coefficients = random_coefficients(spec, 2, seed=8)
    interactions = {tuple(u): pc.pce_sobol_interaction(spec, coefficients, u) for u in subsets(4)}
    np.testing.assert_allclose(sum(interactions.values()), 1.0, rtol=1e-12)
    closed = pc.pce_sobol_closed(spec, coefficients, [3, 1])
    np.testing.assert_allclose(closed, interactions[(1,)] + interactions[(3,)] + interactions[(1, 3)], rtol=1e-12)
    np.testing.assert_allclose(pc.pce_sobol_closed(spec, coefficients, [0, 1, 2, 3]), 1.0, rtol=1e-12)


def test_large_spec_runs_vectorised():
    spec = pc.PCESpec(20, 2, degree=4)
    assert spec.num_terms == 10626
    coefficients = random_coefficients(spec, 256, seed=9).astype(np.float32)
    first = pc.pce_sobol_first_order(spec, coefficients)
    total = pc.pce_sobol_total(spec, coefficients)
    mean, variance = pc.pce_mean_variance(spec, coefficients)
    assert first.shape == total.shape == (256, 20, 2) and first.dtype == np.float32
    assert mean.shape == variance.shape == (256, 2)
    assert np.all(first <= total + 1e-6) and np.all(first.sum(axis=1) <= 1 + 1e-5)
    assert pc.pce_sobol_closed(spec, coefficients, list(range(20))).shape == (256, 2)


def test_closed_forms_do_not_import_scipy():
    code = (
        "import json, sys, numpy as np, polymix_core as pc\n"
        "s = pc.PCESpec(2, 1, degree=2)\n"
        "c = np.ones((1, s.num_terms, 1))\n"
        "pc.pce_sobol_total(s, c), pc.pce_mean_variance(s, c), pc.pce_sobol_closed(s, c, [0])\n"
        "print(json.dumps(sorted(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert not [m for m in json.loads(out.strip().splitlines()[-1]) if m.split(".")[0] == "scipy"]


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda s: pc.pce_sobol_total(s, np.zeros((2, 6))), pc.ShapeError, r"coefficients: expected a 3-D array"),
        (lambda s: pc.pce_sobol_total(s, np.zeros((2, 5, 1))), pc.ShapeError, r"\(num_samples, 6, 1\).*\(2, 5, 1\)"),
        (lambda s: pc.pce_sobol_total(s, np.zeros((2, 6, 1), int)), pc.PolymixTypeError, "real floating"),
        (lambda s: pc.pce_sobol_interaction(s, np.ones((1, 6, 1)), []), pc.PolymixValueError, "non-empty"),
        (lambda s: pc.pce_sobol_interaction(s, np.ones((1, 6, 1)), [0, 2]), pc.PolymixValueError, r"in \[0, 2\)"),
        (lambda s: pc.pce_sobol_closed(s, np.ones((1, 6, 1)), [1, 1]), pc.PolymixValueError, "distinct"),
        (lambda s: pc.pce_sobol_closed(s, np.ones((1, 6, 1)), [0.5]), pc.PolymixTypeError, "integer"),
        (lambda s: pc.pce_sobol_closed(s, np.ones((1, 6, 1)), 1), pc.PolymixTypeError, "sequence"),
        (lambda s: pc.pce_sobol_total(pc.MLPSpec(2, 1), np.ones((1, 6, 1))), pc.PolymixTypeError, "PCESpec"),
    ],
)
def test_bad_arguments_raise_the_polymix_family(call, error, message):
    with pytest.raises(error, match=message):
        call(pc.PCESpec(2, 1, degree=2))


def test_lists_are_read_as_float64_numpy():
    spec = pc.PCESpec(1, 1, degree=1)
    mean, variance = pc.pce_mean_variance(spec, [[[2.0], [3.0]]])
    assert isinstance(mean, np.ndarray) and mean.tolist() == [[2.0]] and variance.tolist() == [[3.0]]
