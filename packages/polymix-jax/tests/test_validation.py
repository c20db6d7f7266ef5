"""Bad input gets the polymix_core error family, from static shapes, with actionable messages."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from polymix_core import ConfigurationError, PolymixTypeError, PolymixValueError, ShapeError
from polymix_jax import StochasticModel, parameter_groups, priors, surrogate_models


def _leaves(tree):
    return [np.asarray(a) for a in jax.tree_util.tree_leaves(tree)]


@pytest.mark.parametrize(
    "surrogate",
    [
        surrogate_models.NeuralNetwork(2, 1, width=3),
        surrogate_models.PolynomialChaosExpansion(2, 1, degree=2),
        surrogate_models.GatingNetwork(2, 3, width=3),
        surrogate_models.MixtureOfExperts(
            [surrogate_models.NeuralNetwork(2, 1, width=2)] * 2, surrogate_models.GatingNetwork(2, 2, width=2)
        ),
    ],
    ids=["nn", "pce", "gating", "moe"],
)
def test_surrogate_input_shapes(surrogate):
    n = surrogate.num_params()
    with pytest.raises(
        ShapeError, match=r"^x: expected a 2-D array of shape \(batch_size, 2\), received shape \(5, 3\)$"
    ):
        surrogate(jnp.zeros((5, 3)), jnp.zeros((1, n)))
    with pytest.raises(ShapeError, match=r"received shape \(5,\)$"):
        surrogate(jnp.zeros(5), jnp.zeros((1, n)))
    with pytest.raises(
        ShapeError,
        match=rf"^params: expected a 2-D array of shape \(num_samples, {n}\), received shape \(1, {n + 1}\)$",
    ):
        surrogate(jnp.zeros((5, 2)), jnp.zeros((1, n + 1)))
    with pytest.raises(ShapeError, match=r"params: expected a 2-D array"):
        surrogate(jnp.zeros((5, 2)), jnp.zeros(n))
    with pytest.raises(PolymixTypeError, match="x: expected a real floating or integer array"):
        surrogate(jnp.zeros((5, 2), jnp.complex64), jnp.zeros((1, n)))


def test_shape_errors_are_raised_at_trace_time_under_jit():
    net = surrogate_models.NeuralNetwork(2, 1, width=3)
    with pytest.raises(ShapeError, match="x: expected a 2-D array"):
        jax.jit(net)(jnp.zeros((5, 3)), jnp.zeros((1, net.num_params())))


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (
            lambda: surrogate_models.NeuralNetwork(0),
            PolymixValueError,
            "num_inputs: expected a positive integer, received 0",
        ),
        (lambda: surrogate_models.NeuralNetwork(2, width=0), PolymixValueError, "width: expected a positive integer"),
        (
            lambda: surrogate_models.NeuralNetwork(2, depth=-1),
            PolymixValueError,
            "depth: expected a non-negative integer",
        ),
        (lambda: surrogate_models.NeuralNetwork(2.0), PolymixTypeError, "num_inputs: expected a positive integer"),
        (
            lambda: surrogate_models.NeuralNetwork(2, activation="swish"),
            ConfigurationError,
            "activation: expected a callable or one of",
        ),
        (lambda: surrogate_models.NeuralNetwork(2, activation=3), PolymixTypeError, "activation: expected a callable"),
        (
            lambda: surrogate_models.PolynomialChaosExpansion(2, degree=-1),
            PolymixValueError,
            "degree: expected a non-negative",
        ),
        (lambda: surrogate_models.GatingNetwork(1, 0), PolymixValueError, "num_experts: expected a positive integer"),
        (
            lambda: surrogate_models.MixtureOfExperts(
                [surrogate_models.NeuralNetwork(1), surrogate_models.NeuralNetwork(2)],
                surrogate_models.GatingNetwork(1, 2),
            ),
            ConfigurationError,
            r"experts: expected every expert to have the same num_inputs, received \[1, 2\]",
        ),
        (
            lambda: surrogate_models.MixtureOfExperts(
                [surrogate_models.NeuralNetwork(1)] * 2, surrogate_models.GatingNetwork(1, 3)
            ),
            ConfigurationError,
            r"gating_network: expected num_experts == 2 \(the number of experts\), received num_experts=3",
        ),
        (
            lambda: surrogate_models.MixtureOfExperts([object()], surrogate_models.GatingNetwork(1, 1)),
            PolymixTypeError,
            r"experts\[0\]: expected a NeuralNetwork or PolynomialChaosExpansion, received object",
        ),
    ],
)
def test_surrogate_configuration(make, error, message):
    with pytest.raises(error, match=message):
        make()


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (
            lambda k: parameter_groups.IIDGaussianGroup("g", 0, key=k),
            PolymixValueError,
            "num_params: expected a positive integer, received 0",
        ),
        (
            lambda k: parameter_groups.IIDGaussianGroup(3, 2, key=k),
            PolymixTypeError,
            "name: expected a string, received int",
        ),
        (
            lambda k: parameter_groups.IIDGaussianGroup("g", 2),
            PolymixValueError,
            "key: expected a jax PRNG key .* initialises mean randomly, received None",
        ),
        (
            lambda k: parameter_groups.DeterministicGroup("g", 2),
            PolymixValueError,
            "DeterministicGroup 'g' initialises params randomly",
        ),
        (
            lambda k: parameter_groups.LowRankGaussianGroup("g", 3, rank=4, key=k),
            ConfigurationError,
            r"rank: expected an integer in \[1, num_params=3\], received 4",
        ),
        (
            lambda k: parameter_groups.LowRankGaussianGroup("g", 3, rank=0, key=k),
            PolymixValueError,
            "rank: expected a positive integer",
        ),
        (
            lambda k: parameter_groups.GaussianGroup("g", 3, jitter=-1.0),
            PolymixValueError,
            "jitter: expected a positive finite number",
        ),
        (
            lambda k: parameter_groups.GaussianGroup("g", 3, init_scale_diag=float("nan")),
            PolymixValueError,
            "init_scale_diag: expected a positive finite number, received nan",
        ),
        (
            lambda k: parameter_groups.GaussianGroup("g", 3, prior="normal"),
            PolymixTypeError,
            "prior: expected a polymix_jax.priors.Prior or None",
        ),
        (
            lambda k: parameter_groups.IIDGaussianGroup("g", 2, kl_num_mc_samples=0, key=k),
            PolymixValueError,
            "kl_num_mc_samples: expected a positive integer",
        ),
        (lambda k: priors.IIDGaussianPrior(std=-1.0), ConfigurationError, "std: expected positive values"),
        (lambda k: priors.LaplacePrior(scale=float("nan")), ConfigurationError, "scale: expected finite values"),
        (
            lambda k: priors.GaussianPrior(np.zeros(2)),
            ConfigurationError,
            "covariance_matrix, scale_tril: expected exactly one of them, received neither",
        ),
        (
            lambda k: priors.GaussianPrior(np.zeros(2), covariance_matrix=np.eye(3)),
            ShapeError,
            r"covariance_matrix: expected shape \(2, 2\) to match mean, received shape \(3, 3\)",
        ),
        (
            lambda k: priors.GaussianPrior(np.zeros(2), covariance_matrix=-np.eye(2)),
            ConfigurationError,
            "expected a positive-definite matrix",
        ),
    ],
)
def test_group_and_prior_configuration(make, error, message):
    with pytest.raises(error, match=message):
        make(jax.random.key(0))


def test_mismatched_prior_shape_is_reported_when_the_loss_is_built():
    group = parameter_groups.GaussianGroup("g", 3, priors.GaussianPrior(np.zeros(2), covariance_matrix=np.eye(2)))
    with pytest.raises(ShapeError, match="prior: expected a GaussianPrior over 3 parameters"):
        group.distribution_loss()


def test_rejected_calls_leave_the_model_unchanged():
    k = jax.random.key(0)
    net = surrogate_models.NeuralNetwork(2, 1, width=3)
    model = StochasticModel(net, parameter_groups.IIDGaussianGroup("nn", net.num_params(), key=k))
    before = _leaves(model)
    for bad in (
        lambda: model(jnp.zeros((4, 3)), 2, key=k),
        lambda: model(jnp.zeros((4, 2)), 0, key=k),
        lambda: model(jnp.zeros((4, 2)), 2.5, key=k),
        lambda: model(jnp.zeros((4, 2)), True, key=k),
        lambda: model.sample_parameters(-1, key=k),
    ):
        with pytest.raises((ShapeError, PolymixValueError, PolymixTypeError)):
            bad()
    for a, b in zip(before, _leaves(model)):
        np.testing.assert_array_equal(a, b)


def test_num_samples_messages():
    group = parameter_groups.GaussianGroup("g", 2)
    with pytest.raises(PolymixValueError, match="num_samples: expected a positive integer, received 0 "):
        group.sample_parameters(0, key=jax.random.key(0))
    with pytest.raises(
        PolymixTypeError, match=r"num_samples: expected a positive integer, received 2.5 \(type float\)"
    ):
        group.sample_parameters(2.5, key=jax.random.key(0))


def test_noise_and_raw_parameter_shapes():
    group = parameter_groups.LowRankGaussianGroup("g", 3, rank=2, key=jax.random.key(0))
    with pytest.raises(ShapeError, match=r"noise: expected shape \(num_samples, 5\), received shape \(4, 3\)"):
        group.sample_transform(jnp.zeros((4, 3)))
    with pytest.raises(ShapeError, match=r"raw\['cov_factor'\]: expected shape \(3, 2\), received shape \(2, 3\)"):
        group.with_raw_parameters({"mean": np.zeros(3), "cov_factor": np.zeros((2, 3)), "raw_cov_diag": np.zeros(3)})
    with pytest.raises(PolymixValueError, match=r"raw: expected exactly the keys .* \(missing \['raw_cov_diag'\]"):
        group.with_raw_parameters({"mean": np.zeros(3), "cov_factor": np.zeros((3, 2))})


def test_variational_distribution_of_gaussian_families_needs_no_validation_errors():
    # A correct call still works after all the rejected ones above (no hidden state).
    group = parameter_groups.GaussianGroup("g", 2)
    assert group.variational_distribution().event_shape == (2,)
