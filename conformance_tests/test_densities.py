"""Log-densities, analytic KLs and distribution losses of torch and jax against the reference.

Exact where a closed form exists (Gaussian family vs Gaussian prior, deterministic groups);
within five Monte Carlo standard errors where the backend estimates (Laplace prior on a
Gaussian family: the oracle's exact folded-normal value, standard error of the contract's
estimator ``log q - log p``; Langevin: large-sample reference estimate).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from cases import (
    DTYPES,
    GAUSSIAN_FAMILY_CASES,
    GAUSSIAN_PRIOR_CASES,
    GROUP_DIM,
    LANGEVIN_FAMILY_CASES,
    LAPLACE_PRIOR_CASES,
    PRIOR_CASES,
    f32,
    rng_for,
)
from checks import (
    assert_close,
    assert_scalar_close,
    assert_within_se,
    langevin_samples,
    laplace_kl_exact,
    laplace_kl_term_sd,
)
from polymix_core import IIDGaussianPriorSpec, PolymixError, reference

#: Expected values come from polymix_core.reference: the numpy backend (that reference) is left out.
pytestmark = pytest.mark.reference_expected

#: Seeds averaged in Monte Carlo checks.
MC_SEEDS = tuple(range(100, 104))


def _theta(key, d, n=9):
    return f32(rng_for("theta", key).normal(0.0, 1.5, (n, d)))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("family", GAUSSIAN_FAMILY_CASES, ids=lambda f: f.id)
def test_log_prob(backend, require, family, dtype):
    require(backend, "log_prob", dtype)
    theta = _theta(family.id, family.spec.num_params)
    expected = reference.log_prob(family.spec, family.raw, theta)
    actual = backend.log_prob(family.spec, family.raw, theta, dtype=dtype)
    # Terms that cancel: the quadratic form and the log-determinant.
    assert_close(
        actual, expected, dtype, scale=float(np.max(np.abs(expected))) + GROUP_DIM, what=f"{family.id} log_prob"
    )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("prior", [p for p in PRIOR_CASES if p.id != "default"], ids=lambda p: p.id)
def test_prior_log_prob(backend, require, prior, dtype):
    require(backend, "prior_log_prob", dtype)
    spec = prior.spec(GROUP_DIM)
    theta = _theta(prior.id, GROUP_DIM)
    expected = reference.prior_log_prob(spec, theta)
    actual = backend.prior_log_prob(spec, theta, dtype=dtype)
    assert_close(actual, expected, dtype, scale=float(np.max(np.abs(expected))) + GROUP_DIM, what=f"{prior.id}")


def _kl_scale(family, prior_spec, kl):
    """Magnitude of the terms of the KL formula (trace, quadratic form, log-determinants)."""
    m_q, c_q = reference.moments(family.spec, family.raw)
    m_p, c_p = reference.prior_moments(prior_spec, family.spec.num_params)
    logdets = abs(np.linalg.slogdet(c_q)[1]) + abs(np.linalg.slogdet(c_p)[1])
    quad = float((m_p - m_q) @ np.linalg.solve(c_p, m_p - m_q))
    trace = float(np.trace(np.linalg.solve(c_p, c_q)))
    return abs(kl) + logdets + quad + trace + family.spec.num_params


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("prior", GAUSSIAN_PRIOR_CASES, ids=lambda p: p.id)
@pytest.mark.parametrize("family", GAUSSIAN_FAMILY_CASES, ids=lambda f: f.id)
def test_analytic_kl(backend, require, family, prior, dtype):
    require(backend, "kl", dtype)
    prior_spec = prior.spec(family.spec.num_params)
    p = IIDGaussianPriorSpec(0.0, 1.0) if prior_spec is None else prior_spec
    expected = reference.kl_divergence(family.spec, family.raw, p)
    actual = backend.kl(family.spec, family.raw, prior_spec, dtype=dtype)
    scale = _kl_scale(family, p, expected)
    assert_scalar_close(actual, expected, dtype, scale=scale, what=f"KL({family.id} || {prior.id})")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("prior", GAUSSIAN_PRIOR_CASES, ids=lambda p: p.id)
@pytest.mark.parametrize("family", GAUSSIAN_FAMILY_CASES, ids=lambda f: f.id)
def test_distribution_loss_is_analytic_kl(backend, require, family, prior, dtype):
    require(backend, "distribution_loss", dtype)
    prior_spec = prior.spec(family.spec.num_params)
    p = IIDGaussianPriorSpec(0.0, 1.0) if prior_spec is None else prior_spec
    expected = reference.kl_divergence(family.spec, family.raw, p)
    scale = _kl_scale(family, p, expected)
    for seed in (0, 1):  # analytic: independent of the seed
        actual = backend.distribution_loss(family.spec, family.raw, prior_spec, seed=seed, dtype=dtype)
        assert_scalar_close(actual, expected, dtype, scale=scale, what=f"loss {family.id} || {prior.id} seed {seed}")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("prior", PRIOR_CASES, ids=lambda p: p.id)
def test_distribution_loss_deterministic(backend, require, prior, dtype):
    """A deterministic group's loss is ``-log p(params)``."""
    require(backend, "distribution_loss", dtype)
    from cases import FAMILY_CASES

    family = next(f for f in FAMILY_CASES if f.family == "deterministic")
    prior_spec = prior.spec(family.spec.num_params)
    p = IIDGaussianPriorSpec(0.0, 1.0) if prior_spec is None else prior_spec
    expected = float(-reference.prior_log_prob(p, family.raw["params"][None, :])[0])
    actual = backend.distribution_loss(family.spec, family.raw, prior_spec, seed=0, dtype=dtype)
    assert_scalar_close(actual, expected, dtype, scale=abs(expected) + GROUP_DIM, what=f"-log p(params), {prior.id}")


def _mc_mean(backend, family, prior_spec, dtype):
    values = [backend.distribution_loss(family.spec, family.raw, prior_spec, seed=s, dtype=dtype) for s in MC_SEEDS]
    assert all(np.ndim(v) == 0 and math.isfinite(float(v)) for v in values), values
    return float(np.mean(values)), values


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("prior", LAPLACE_PRIOR_CASES, ids=lambda p: p.id)
@pytest.mark.parametrize("family", GAUSSIAN_FAMILY_CASES, ids=lambda f: f.id)
def test_distribution_loss_laplace_monte_carlo(backend, require, family, prior, dtype):
    """Monte Carlo KL against a Laplace prior: within 5 standard errors of the exact value."""
    require(backend, "distribution_loss", dtype)
    prior_spec = prior.spec(family.spec.num_params)
    exact = laplace_kl_exact(family.spec, family.raw, prior_spec)
    estimate, values = _mc_mean(backend, family, prior_spec, dtype)
    what = f"{backend.name} KL({family.id} || {prior.id}) over seeds {values}"
    if len(set(values)) == 1:  # the backend has a closed form: it must be the exact value
        assert_scalar_close(values[0], exact, dtype, scale=abs(exact) + GROUP_DIM, what=f"closed-form {what}")
    else:
        se = laplace_kl_term_sd(family, prior) / math.sqrt(family.spec.kl_num_mc_samples * len(MC_SEEDS))
        assert_within_se(estimate, exact, se, what=what)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("prior", LAPLACE_PRIOR_CASES, ids=lambda p: p.id)
@pytest.mark.parametrize("family", GAUSSIAN_FAMILY_CASES, ids=lambda f: f.id)
def test_kl_laplace_exact_or_refused(backend, require, family, prior, dtype):
    """``kl`` against a Laplace prior is either the exact value (a closed form) or a clean refusal.

    A refusal is the expected answer here, so an unsupported ``kl`` is no xfail (it would pass).
    """
    require(backend, dtype)
    prior_spec = prior.spec(family.spec.num_params)
    try:
        value = backend.kl(family.spec, family.raw, prior_spec, dtype=dtype)
    except Exception as err:  # noqa: BLE001 - the type is what is checked
        assert isinstance(err, (PolymixError, NotImplementedError)), f"{backend.name} raised {err!r}"
        return
    exact = laplace_kl_exact(family.spec, family.raw, prior_spec)
    assert_scalar_close(value, exact, dtype, scale=abs(exact) + GROUP_DIM, what=f"KL({family.id} || {prior.id})")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("prior", PRIOR_CASES, ids=lambda p: p.id)
@pytest.mark.parametrize("family", LANGEVIN_FAMILY_CASES, ids=lambda f: f.id)
def test_distribution_loss_langevin_cross_entropy(backend, require, family, prior, dtype):
    """``-E[log p(theta)]`` over fresh particles: within 5 standard errors of a 40,000-particle reference."""
    require(backend, "distribution_loss", dtype)
    prior_spec = prior.spec(family.spec.num_params)
    p = IIDGaussianPriorSpec(0.0, 1.0) if prior_spec is None else prior_spec
    terms = -reference.prior_log_prob(p, langevin_samples(family))
    estimate, values = _mc_mean(backend, family, prior_spec, dtype)
    se = float(np.std(terms)) * math.sqrt(1.0 / (family.spec.num_particles * len(MC_SEEDS)) + 1.0 / terms.size)
    assert_within_se(estimate, float(terms.mean()), se, what=f"{backend.name} {family.id} cross-entropy {prior.id}")
