"""LangevinGroup: pypolymix 0.1.9's update rule against the reference, score and energy modes."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from polymix_core import (
    ConfigurationError,
    DistributionUnavailableError,
    IIDGaussianPriorSpec,
    PolymixTypeError,
    PolymixValueError,
    ShapeError,
    reference,
)
from polymix_jax.parameter_groups import LangevinGroup
from polymix_jax.priors import IIDGaussianPrior
from polymix_jax.surrogate_models import NeuralNetwork, PolynomialChaosExpansion

D = 3


def _score_group(rng, **kw):
    net = NeuralNetwork(num_inputs=D, num_outputs=D, width=4, depth=1, activation="tanh")
    group = LangevinGroup("coeffs", D, score_model=net, key=jax.random.key(0), **kw)
    return group.with_raw_parameters({"surrogate_params": 0.5 * rng.standard_normal(net.num_params())})


def test_score_mode_trajectory_matches_reference(rng, x64):
    group = _score_group(rng, step_size=0.05)
    w = np.asarray(group.surrogate_params)[None]
    theta0, noise = rng.standard_normal((5, D)), rng.standard_normal((4, 5, D))
    expected = reference.langevin_trajectory(
        lambda t: reference.forward(group.score_model.spec, t, w)[0], theta0, noise, 0.05
    )
    out = group.trajectory(theta0, noise)
    assert out.shape == (5, 5, D) and out.dtype == jnp.float64
    np.testing.assert_allclose(np.asarray(out), expected, rtol=1e-12)
    np.testing.assert_allclose(np.asarray(group.score(theta0)), reference.forward(group.score_model.spec, theta0, w)[0])


def test_energy_mode_score_is_the_energy_gradient(rng, x64):
    # E(theta) = sum_k c_k P_k(theta): a degree-2 PCE; its gradient by central differences of the reference.
    pce = PolynomialChaosExpansion(num_inputs=D, num_outputs=1, degree=2)
    c = rng.standard_normal(pce.num_params())
    group = LangevinGroup("e", D, energy_model=pce, key=jax.random.key(0), step_size=0.1)
    group = group.with_raw_parameters({"surrogate_params": c})
    theta = rng.uniform(-1, 1, (4, D))

    def energy(t):
        return reference.forward(pce.spec, t, c[None])[0, :, 0]

    h = 1e-6
    fd = np.stack([(energy(theta + h * e) - energy(theta - h * e)) / (2 * h) for e in np.eye(D)], axis=1)
    np.testing.assert_allclose(np.asarray(group.score(theta)), fd, rtol=1e-7, atol=1e-8)
    # The trajectory follows +grad E (energy is a log-density surrogate).
    noise = rng.standard_normal((2, 4, D))
    expected = reference.langevin_trajectory(
        lambda t: np.stack([(energy(t + h * e) - energy(t - h * e)) / (2 * h) for e in np.eye(D)], axis=1),
        theta,
        noise,
        0.1,
    )
    np.testing.assert_allclose(np.asarray(group.trajectory(theta, noise)), expected, rtol=1e-7, atol=1e-8)


def test_sample_transform_is_the_final_trajectory_state(rng, x64):
    group = _score_group(rng, num_diffusion_steps=3, init_std=0.5)
    noise = rng.standard_normal((6, 4, D))  # (n, num_diffusion_steps + 1, num_params)
    assert group.noise_shape == (4, D)
    traj = group.trajectory(0.5 * noise[:, 0], np.swapaxes(noise[:, 1:], 0, 1))
    np.testing.assert_allclose(np.asarray(group.sample_transform(noise)), np.asarray(traj[-1]), rtol=1e-12)


def test_sampling_and_defaults(rng):
    net = NeuralNetwork(num_inputs=6, num_outputs=6, width=16, depth=2)
    group = LangevinGroup("coeffs", num_params=6, score_model=net, key=jax.random.key(0))
    assert (group.num_particles, group.num_diffusion_steps, group.step_size, group.init_std) == (32, 50, 1e-3, 1.0)
    assert group.mode == "score"
    assert group.sample_parameters(key=jax.random.key(1)).shape == (32, 6)
    assert group.sample_parameters(num_samples=8, key=jax.random.key(1)).shape == (8, 6)
    with pytest.raises(PolymixValueError, match="key: expected a jax PRNG key"):
        group.sample_parameters(4)


def test_distribution_loss_is_the_prior_cross_entropy_of_fresh_particles(rng, x64):
    group = _score_group(rng, num_particles=7, num_diffusion_steps=2)
    group = LangevinGroup(
        "coeffs",
        D,
        score_model=group.score_model,
        prior=IIDGaussianPrior(0.5, 2.0),
        num_particles=7,
        num_diffusion_steps=2,
        key=jax.random.key(0),
    )
    with pytest.raises(PolymixValueError, match="LangevinGroup 'coeffs' estimates -E_q"):
        group.distribution_loss()
    key = jax.random.key(5)
    particles = np.asarray(group.sample_parameters(7, key=key))
    expected = -reference.prior_log_prob(IIDGaussianPriorSpec(0.5, 2.0), particles).mean()
    np.testing.assert_allclose(float(group.distribution_loss(key=key)), expected, rtol=1e-12)


def test_variational_distribution_raises():
    group = LangevinGroup("c", 2, score_model=NeuralNetwork(2, 2, width=2), key=jax.random.key(0))
    with pytest.raises(DistributionUnavailableError, match="implicit Langevin sampler"):
        group.variational_distribution()
    assert group.analytic_kl() is None


def test_configuration_errors():
    net = NeuralNetwork(2, 2, width=2)
    with pytest.raises(
        ConfigurationError, match="score_model, energy_model: expected exactly one of them, received neither"
    ):
        LangevinGroup("c", 2)
    with pytest.raises(ConfigurationError, match="received both"):
        LangevinGroup("c", 2, score_model=net, energy_model=NeuralNetwork(2, 1, width=2))
    with pytest.raises(ConfigurationError, match=r"score_model: expected num_inputs == num_params \(3\)"):
        LangevinGroup("c", 3, score_model=net, key=jax.random.key(0))
    with pytest.raises(ConfigurationError, match="energy_model: expected num_outputs == 1, received num_outputs=2"):
        LangevinGroup("c", 2, energy_model=net, key=jax.random.key(0))
    with pytest.raises(PolymixValueError, match="step_size: expected a positive finite number, received -0.1"):
        LangevinGroup("c", 2, score_model=net, step_size=-0.1, key=jax.random.key(0))
    with pytest.raises(PolymixTypeError, match="score_model: expected a polymix_jax SurrogateModel"):
        LangevinGroup("c", 2, score_model=lambda t: t)


def test_trajectory_shape_errors(rng):
    group = _score_group(rng)
    with pytest.raises(ShapeError, match=r"theta0: expected a 2-D array of shape \(num_particles, 3\)"):
        group.trajectory(np.zeros((4, 2)), np.zeros((2, 4, 2)))
    with pytest.raises(ShapeError, match=r"noise: expected shape \(num_steps, 4, 3\), received shape \(2, 5, 3\)"):
        group.trajectory(np.zeros((4, 3)), np.zeros((2, 5, 3)))
