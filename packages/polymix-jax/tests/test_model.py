"""StochasticModel: composition, keys, losses, spec."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from polymix_core import (
    ConfigurationError,
    GroupEntry,
    IIDGaussianGroupSpec,
    ModelSpec,
    PolymixTypeError,
    PolymixValueError,
    reference,
)
from polymix_jax import StochasticModel, parameter_groups, priors, surrogate_models


def _pce_model():
    k1, k2 = jax.random.split(jax.random.key(0))
    pce = surrogate_models.PolynomialChaosExpansion(num_inputs=1, num_outputs=1, degree=5)
    groups = [
        parameter_groups.IIDGaussianGroup("stochastic", num_params=2, key=k1),
        parameter_groups.DeterministicGroup("deterministic", num_params=4, key=k2),
    ]
    return StochasticModel(pce, groups)


def test_seed_example_shapes():
    k1, k2, k3 = jax.random.split(jax.random.key(0), 3)
    surrogate = surrogate_models.NeuralNetwork(num_inputs=1, num_outputs=1)
    group = parameter_groups.IIDGaussianGroup("nn", surrogate.num_params(), key=k1)
    model = StochasticModel(surrogate, [group])
    x = jnp.linspace(-1, 1, 32)[:, None]
    y = model(x, num_samples=8, key=k2)
    assert y.shape == (8, 32, 1)
    loss = y.mean() + model.distribution_loss(key=k3)
    assert loss.shape == ()
    assert model.num_params() == surrogate.num_params() == 49


def test_single_group_and_forward_alias():
    pce = surrogate_models.PolynomialChaosExpansion(num_inputs=1, degree=1)
    model = StochasticModel(pce, parameter_groups.GaussianGroup("c", 2))
    assert len(model.parameter_groups) == 1
    x, k = jnp.zeros((3, 1)), jax.random.key(0)
    np.testing.assert_array_equal(np.asarray(model.forward(x, 2, key=k)), np.asarray(model(x, 2, key=k)))


def test_forward_is_the_surrogate_on_the_concatenated_samples(x64):
    model = _pce_model()
    key = jax.random.key(7)
    theta = model.sample_parameters(5, key=key)
    assert theta.shape == (5, 6)
    # The deterministic block repeats the point estimate in every sample.
    np.testing.assert_array_equal(
        np.asarray(theta[:, 2:]), np.broadcast_to(np.asarray(model.parameter_groups[1].params), (5, 4))
    )
    x = np.linspace(-1, 1, 9)[:, None]
    expected = reference.forward(model.surrogate_model.spec, x, np.asarray(theta))
    np.testing.assert_allclose(np.asarray(model(x, 5, key=key)), expected, rtol=1e-12)


def test_distribution_loss_sums_the_groups(x64):
    model = _pce_model()
    expected = sum(float(g.distribution_loss()) for g in model.parameter_groups)
    np.testing.assert_allclose(float(model.distribution_loss()), expected, rtol=1e-12)


def test_keys_are_needed_only_for_randomness():
    k = jax.random.key(0)
    pce = surrogate_models.PolynomialChaosExpansion(num_inputs=1, degree=1)
    deterministic = StochasticModel(pce, parameter_groups.DeterministicGroup("d", 2, key=k))
    assert deterministic(jnp.zeros((3, 1)), num_samples=2).shape == (2, 3, 1)
    stochastic = StochasticModel(pce, parameter_groups.IIDGaussianGroup("s", 2, key=k))
    with pytest.raises(PolymixValueError, match="key: expected a jax PRNG key .* IIDGaussianGroup 's' draws"):
        stochastic(jnp.zeros((3, 1)), num_samples=2)
    # A full-covariance family has no closed-form KL to a Laplace prior: Monte Carlo, so a key.
    laplace = StochasticModel(pce, parameter_groups.GaussianGroup("s", 2, priors.LaplacePrior()))
    with pytest.raises(PolymixValueError, match="by Monte Carlo"):
        laplace.distribution_loss()
    assert laplace.distribution_loss(key=k).shape == ()
    with pytest.raises(PolymixTypeError, match="key: expected a jax PRNG key"):
        stochastic(jnp.zeros((3, 1)), num_samples=2, key=0)


def test_group_total_mismatch_names_both_counts():
    pce = surrogate_models.PolynomialChaosExpansion(num_inputs=1, degree=5)
    groups = [parameter_groups.GaussianGroup("a", 2), parameter_groups.GaussianGroup("b", 3)]
    with pytest.raises(ConfigurationError, match=r"num_params\(\) = 6, received 5 \(a: 2, b: 3\)"):
        StochasticModel(pce, groups)


def test_constructor_type_errors():
    pce = surrogate_models.PolynomialChaosExpansion(num_inputs=1, degree=1)
    with pytest.raises(PolymixTypeError, match="surrogate_model: expected a polymix_jax SurrogateModel"):
        StochasticModel(object(), [parameter_groups.GaussianGroup("a", 2)])
    with pytest.raises(PolymixTypeError, match=r"parameter_groups\[0\]: expected a polymix_jax ParameterGroup"):
        StochasticModel(pce, ["a"])


def test_spec_describes_the_model():
    model = _pce_model()
    spec = model.spec
    assert isinstance(spec, ModelSpec)
    assert spec.raw_keys() == [
        "parameter_groups.0.mean",
        "parameter_groups.0.log_std",
        "parameter_groups.1.params",
    ]
    assert spec.groups[0] == GroupEntry("stochastic", IIDGaussianGroupSpec(2), None)
    with_prior = StochasticModel(
        model.surrogate_model,
        [parameter_groups.GaussianGroup("a", 2, priors.LaplacePrior(0.0, 0.5)), parameter_groups.GaussianGroup("b", 4)],
    )
    assert with_prior.spec.groups[0].prior.kind == "laplace"
