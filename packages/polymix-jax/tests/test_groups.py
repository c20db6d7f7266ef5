"""Parameter groups against the reference: transforms, densities, closed-form KL, initial values."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import numpyro.distributions as dist
import pytest
from _jax_cases import ALL_SPECS, GAUSSIAN_SPECS, PRIOR_SPECS, make_group, random_raw
from polymix_core import (
    DistributionUnavailableError,
    IIDGaussianPriorSpec,
    LaplacePriorSpec,
    PolymixValueError,
    reference,
)
from polymix_jax.parameter_groups import (
    DeterministicGroup,
    GaussianGroup,
    IIDGaussianGroup,
    LowRankGaussianGroup,
    ParameterGroup,
)
from polymix_jax.priors import GaussianPrior, IIDGaussianPrior, LaplacePrior


@pytest.mark.parametrize("family", list(ALL_SPECS))
def test_sample_transform_matches_reference(rng, family):
    spec = ALL_SPECS[family]
    raw = random_raw(spec, rng)
    noise = rng.standard_normal((5, *spec.noise_shape))
    expected = reference.sample_transform(spec, raw, noise)
    with jax.enable_x64(True):
        group = make_group(spec, raw)
        assert group.noise_shape == spec.noise_shape
        out = group.sample_transform(jnp.asarray(noise))
        assert out.dtype == jnp.float64
        np.testing.assert_allclose(np.asarray(out), expected, rtol=1e-12, atol=1e-14)
    out32 = make_group(spec, raw).sample_transform(noise)
    assert out32.dtype == jnp.float32
    np.testing.assert_allclose(np.asarray(out32), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("family", list(GAUSSIAN_SPECS))
def test_log_prob_matches_reference(rng, family):
    spec = GAUSSIAN_SPECS[family]
    raw = random_raw(spec, rng)
    theta = rng.standard_normal((3, spec.num_params))
    with jax.enable_x64(True):
        q = make_group(spec, raw).variational_distribution()
        np.testing.assert_allclose(
            np.asarray(q.log_prob(jnp.asarray(theta))), reference.log_prob(spec, raw, theta), rtol=1e-10
        )


@pytest.mark.parametrize("prior_name", list(PRIOR_SPECS))
@pytest.mark.parametrize("family", list(GAUSSIAN_SPECS))
def test_closed_form_kl_matches_reference(rng, family, prior_name):
    spec, prior = GAUSSIAN_SPECS[family], PRIOR_SPECS[prior_name]
    raw = random_raw(spec, rng)
    expected = reference.kl_divergence(spec, raw, prior)
    with jax.enable_x64(True):
        group = make_group(spec, raw, prior)
        # No key: a closed form never needs one.
        np.testing.assert_allclose(float(group.distribution_loss()), expected, rtol=1e-10)
        np.testing.assert_allclose(float(group.analytic_kl()), expected, rtol=1e-10)
    np.testing.assert_allclose(float(make_group(spec, raw, prior).distribution_loss()), expected, rtol=2e-4)


@pytest.mark.parametrize("family", list(GAUSSIAN_SPECS))
def test_kl_is_zero_between_equal_distributions(family, x64):
    spec = GAUSSIAN_SPECS[family]
    raw = {name: np.full(shape, 0.3) for name, shape in spec.raw_shapes.items()}
    group = make_group(spec, raw)
    mean, cov = reference.moments(spec, raw)
    prior = GaussianPrior(mean, covariance_matrix=cov)
    assert abs(float(make_group(spec, raw, prior.spec).distribution_loss())) < 1e-10
    assert float(group.distribution_loss()) > 0.0  # default prior N(0, I) differs


def test_default_prior_kl_closed_form_iid(x64):
    # KL(N(m, s^2) || N(0, 1)) = 0.5 * sum(s^2 + m^2 - 1 - 2 log s), written out by hand.
    group = IIDGaussianGroup("g", 2, key=jax.random.key(0)).with_raw_parameters(
        {"mean": np.array([1.0, -2.0]), "log_std": np.log([0.5, 2.0])}
    )
    s, m = np.array([0.5, 2.0]), np.array([1.0, -2.0])
    expected = 0.5 * np.sum(s**2 + m**2 - 1 - 2 * np.log(s))
    np.testing.assert_allclose(float(group.distribution_loss()), expected, rtol=1e-12)


@pytest.mark.parametrize("family", [f for f in GAUSSIAN_SPECS if f != "iid"])
def test_monte_carlo_kl_with_laplace_prior(rng, family):
    spec = GAUSSIAN_SPECS[family]
    raw = random_raw(spec, rng)
    prior = LaplacePriorSpec(0.2, 0.7)
    group = make_group(spec, raw, prior)
    assert group.analytic_kl() is None
    with pytest.raises(PolymixValueError, match="key: expected a jax PRNG key .* by Monte Carlo"):
        group.distribution_loss()
    # Reference: a large numpy Monte Carlo estimate from the reference transform and densities.
    noise = rng.standard_normal((200_000, *spec.noise_shape))
    theta = reference.sample_transform(spec, raw, noise)
    kl = reference.log_prob(spec, raw, theta) - reference.prior_log_prob(prior, theta)
    estimate = float(make_group(spec, raw, prior).distribution_loss(key=jax.random.key(0)))
    # kl_num_mc_samples = 64 draws: allow 5 standard errors of a 64-sample mean.
    assert abs(estimate - kl.mean()) < 5 * kl.std() / np.sqrt(64)


def test_iid_group_kl_to_laplace_prior_is_closed_form(rng, x64):
    spec = GAUSSIAN_SPECS["iid"]
    raw = random_raw(spec, rng)
    loc, scale = np.linspace(-0.3, 0.3, spec.num_params), np.linspace(0.2, 1.5, spec.num_params)
    group = make_group(spec, raw, LaplacePriorSpec(loc, scale))
    kl = group.analytic_kl()
    assert kl is not None
    # Oracle: per-coordinate numerical quadrature of q log(q / p) on a fine grid.
    expected = 0.0
    for m, s, a, b in zip(raw["mean"], np.exp(raw["log_std"]), loc, scale):
        t = np.linspace(m - 30 * s, m + 30 * s, 400_001)
        log_q = -0.5 * ((t - m) / s) ** 2 - np.log(s * np.sqrt(2 * np.pi))
        log_p = -np.abs(t - a) / b - np.log(2 * b)
        expected += np.trapezoid(np.exp(log_q) * (log_q - log_p), t)
    np.testing.assert_allclose(float(kl), expected, rtol=1e-8)
    # distribution_loss uses it: no key needed
    np.testing.assert_allclose(float(group.distribution_loss()), float(kl), rtol=1e-12)


def test_deterministic_group_loss_is_negative_log_prior(rng, x64):
    spec = ALL_SPECS["deterministic"]
    raw = random_raw(spec, rng)
    for prior in (None, *PRIOR_SPECS.values(), LaplacePriorSpec(0.0, 0.3)):
        group = make_group(spec, raw, prior)
        p = prior if prior is not None else IIDGaussianPriorSpec(0.0, 1.0)
        expected = -reference.prior_log_prob(p, raw["params"][None])[0]
        np.testing.assert_allclose(float(group.distribution_loss()), expected, rtol=1e-12)


def test_deterministic_group_repeats_its_point():
    group = DeterministicGroup("weights", num_params=3, key=jax.random.key(0))
    theta = group.sample_parameters(2)
    assert theta.shape == (2, 3)
    np.testing.assert_array_equal(np.asarray(theta), np.asarray(jnp.stack([group.params] * 2)))
    with pytest.raises(
        DistributionUnavailableError, match="DeterministicGroup 'weights': expected a group with a variational"
    ):
        group.variational_distribution()


def test_variational_distribution_types():
    k = jax.random.key(0)
    assert isinstance(IIDGaussianGroup("a", 3, key=k).variational_distribution(), dist.Independent)
    assert isinstance(GaussianGroup("b", 3).variational_distribution(), dist.MultivariateNormal)
    assert isinstance(LowRankGaussianGroup("c", 3, 1, key=k).variational_distribution(), dist.LowRankMultivariateNormal)
    assert GaussianGroup("weights", num_params=2).variational_distribution().rsample(k).shape == (2,)


def test_initial_values_follow_the_core_spec():
    k = jax.random.key(3)
    d = 4000
    iid = IIDGaussianGroup("a", d, key=k)
    np.testing.assert_array_equal(np.asarray(iid.log_std), -0.5)
    # 5 standard errors: sigma / sqrt(n) for a sample mean, sigma / sqrt(2 n) for a sample standard deviation.
    assert abs(float(iid.mean.std()) - 1.0) < 5 / np.sqrt(2 * d) and abs(float(iid.mean.mean())) < 5 / np.sqrt(d)
    det = DeterministicGroup("b", d, key=k)
    assert abs(float(det.params.std()) - 1.0) < 5 / np.sqrt(2 * d)
    lr = LowRankGaussianGroup("c", d, rank=2, key=k)
    assert abs(float(lr.cov_factor.std()) - 0.1) < 5 * 0.1 / np.sqrt(2 * 2 * d)
    np.testing.assert_allclose(np.asarray(lr.cov_diag), 0.1, rtol=1e-5)
    np.testing.assert_array_equal(np.asarray(lr.mean), 0.0)
    full = GaussianGroup("d", 3, init_scale_diag=0.2)
    np.testing.assert_allclose(np.asarray(full.scale_tril), 0.2 * np.eye(3), rtol=1e-5, atol=1e-7)
    np.testing.assert_array_equal(np.asarray(full.mean), 0.0)
    # Different keys give different starts; the same key the same one.
    assert not np.array_equal(np.asarray(iid.mean), np.asarray(IIDGaussianGroup("a", d, key=jax.random.key(4)).mean))
    np.testing.assert_array_equal(np.asarray(iid.mean), np.asarray(IIDGaussianGroup("a", d, key=k).mean))


@pytest.mark.parametrize("family", list(GAUSSIAN_SPECS))
def test_sample_statistics_match_moments(rng, family):
    spec = GAUSSIAN_SPECS[family]
    raw = random_raw(spec, rng)
    mean, cov = reference.moments(spec, raw)
    with jax.enable_x64(True):
        theta = np.asarray(make_group(spec, raw).sample_parameters(100_000, key=jax.random.key(0)))
    # Standard errors: sqrt(S_ii / n) of each mean, sqrt((S_ii S_jj + S_ij^2) / n) of each covariance entry.
    n, var = theta.shape[0], np.diag(cov)
    np.testing.assert_array_less(np.abs(theta.mean(0) - mean), 5 * np.sqrt(var / n))
    np.testing.assert_array_less(np.abs(np.cov(theta.T) - cov), 5 * np.sqrt((np.outer(var, var) + cov**2) / n))


def test_properties_and_aliases():
    k = jax.random.key(0)
    iid = IIDGaussianGroup("a", 2, key=k)
    np.testing.assert_allclose(np.asarray(iid.std), np.exp(-0.5), rtol=1e-6)
    full = GaussianGroup("b", 2)
    np.testing.assert_array_equal(np.asarray(full._scale_tril), np.asarray(full.scale_tril))
    lr = LowRankGaussianGroup("c", 3, 2, key=k)
    np.testing.assert_array_equal(np.asarray(lr._cov_diag), np.asarray(lr.cov_diag))
    assert (lr.rank, lr.jitter, lr.init_scale_diag, lr.init_scale_factor) == (2, 1e-6, 0.1, 0.1)
    for g in (iid, full, lr):
        assert isinstance(g, ParameterGroup)
        assert g.kl_num_mc_samples == 64
        assert isinstance(g.prior, IIDGaussianPrior)


def test_prior_is_used():
    prior = LaplacePrior(0.0, 0.1)
    group = IIDGaussianGroup("a", 2, prior, key=jax.random.key(0))
    assert group.prior is prior
