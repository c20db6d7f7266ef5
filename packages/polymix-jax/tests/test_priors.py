"""Priors: numpyro distributions whose log-densities equal the reference's."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import numpyro.distributions as dist
import pytest
from polymix_core import GaussianPriorSpec, IIDGaussianPriorSpec, LaplacePriorSpec, ShapeError, reference
from polymix_jax.priors import GaussianPrior, IIDGaussianPrior, LaplacePrior, Prior

COV = np.array([[2.0, 0.3, 0.0], [0.3, 1.0, 0.2], [0.0, 0.2, 0.5]])


def _priors():
    return [
        (IIDGaussianPrior(mean=0.5, std=2.0), IIDGaussianPriorSpec(0.5, 2.0)),
        (IIDGaussianPrior(mean=np.arange(3.0), std=[1.0, 2.0, 3.0]), IIDGaussianPriorSpec(np.arange(3.0), [1, 2, 3])),
        (GaussianPrior(np.ones(3), covariance_matrix=COV), GaussianPriorSpec(np.ones(3), covariance_matrix=COV)),
        (
            GaussianPrior(jnp.ones(3), scale_tril=np.linalg.cholesky(COV)),
            GaussianPriorSpec(np.ones(3), scale_tril=np.linalg.cholesky(COV)),
        ),
        (LaplacePrior(loc=0.1, scale=0.5), LaplacePriorSpec(0.1, 0.5)),
    ]


@pytest.mark.parametrize("index", range(5))
def test_log_prob_matches_reference(rng, index):
    prior, spec = _priors()[index]
    theta = rng.standard_normal((4, 3))
    expected = reference.prior_log_prob(spec, theta)
    with jax.enable_x64(True):
        d = prior.distribution((3,), None, None)
        assert d.event_shape == (3,)
        np.testing.assert_allclose(np.asarray(d.log_prob(jnp.asarray(theta))), expected, rtol=1e-12)
    d32 = prior.distribution((3,), dtype=jnp.float32)
    np.testing.assert_allclose(np.asarray(d32.log_prob(jnp.asarray(theta, jnp.float32))), expected, rtol=1e-5)


def test_distribution_types_and_seed_examples():
    assert isinstance(IIDGaussianPrior(0.0, 0.5).distribution((4,), None, None), dist.Independent)
    assert IIDGaussianPrior(0.0, 0.5).distribution((4,), None, None).sample(jax.random.key(0)).shape == (4,)
    prior = GaussianPrior(jnp.zeros(2), covariance_matrix=jnp.eye(2))
    assert isinstance(prior.distribution((2,), None, None), dist.MultivariateNormal)
    assert LaplacePrior(loc=0.0, scale=1e-1).distribution((3,), None, None).sample(jax.random.key(0)).shape == (3,)
    assert isinstance(prior, Prior)


def test_dtype_defaults_follow_x64():
    assert IIDGaussianPrior().distribution((2,)).mean.dtype == jnp.float32
    with jax.enable_x64(True):
        assert IIDGaussianPrior().distribution((2,)).mean.dtype == jnp.float64


def test_device_argument_places_the_parameters():
    device = jax.devices()[0]
    d = LaplacePrior().distribution((2,), device=device)
    assert d.base_dist.loc.devices() == {device}


def test_priors_are_not_trainable():
    for prior, _ in _priors():
        assert jax.tree_util.tree_leaves(prior) == []


@pytest.mark.parametrize("event_shape", [(2, 2), (), (0,), "3"])
def test_bad_event_shape_is_a_shape_error(event_shape):
    with pytest.raises(ShapeError, match="event_shape: expected"):
        IIDGaussianPrior().distribution(event_shape)


def test_mismatched_hyper_parameter_shapes_raise():
    with pytest.raises(ShapeError, match=r"mean: expected a scalar or shape \(4,\), received shape \(3,\)"):
        IIDGaussianPrior(mean=np.zeros(3)).distribution((4,))
    with pytest.raises(ShapeError, match="prior: expected a GaussianPrior over 4 parameters"):
        GaussianPrior(np.zeros(3), covariance_matrix=np.eye(3)).distribution((4,))
