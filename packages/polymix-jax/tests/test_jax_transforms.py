"""jit, grad, vmap and float64 through every layer of the API."""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from polymix_jax import StochasticModel, parameter_groups, priors, surrogate_models


def _model(key=None):
    key = jax.random.key(0) if key is None else key
    net = surrogate_models.NeuralNetwork(num_inputs=2, num_outputs=1, width=3)
    return StochasticModel(net, parameter_groups.IIDGaussianGroup("nn", net.num_params(), key=key))


def test_plain_jax_jit_takes_the_module_as_an_argument():
    model = _model()
    x, key = jnp.ones((4, 2)), jax.random.key(1)
    jitted = jax.jit(lambda m, x, k: m(x, 3, key=k))  # every static field is static in the pytree
    np.testing.assert_allclose(np.asarray(jitted(model, x, key)), np.asarray(model(x, 3, key=key)), rtol=1e-6)


def test_filter_jit_surrogates_and_groups():
    moe = surrogate_models.MixtureOfExperts(
        [surrogate_models.NeuralNetwork(1, 1, width=2)] * 2, surrogate_models.GatingNetwork(1, 2, width=2)
    )
    x, p = jnp.ones((3, 1)), jnp.ones((2, moe.num_params()))
    np.testing.assert_allclose(np.asarray(eqx.filter_jit(moe)(x, p)), np.asarray(moe(x, p)), rtol=1e-6)
    group = parameter_groups.LowRankGaussianGroup("g", 4, rank=2, key=jax.random.key(0))
    np.testing.assert_allclose(
        float(eqx.filter_jit(lambda g: g.distribution_loss())(group)), float(group.distribution_loss()), rtol=1e-6
    )


def test_grad_of_the_closed_form_kl(x64):
    # d/dmean KL(N(m, s^2) || N(mu, sigma^2)) = (m - mu) / sigma^2; d/dlog_std = s^2 / sigma^2 - 1.
    group = parameter_groups.IIDGaussianGroup("g", 3, priors.IIDGaussianPrior(0.5, 2.0), key=jax.random.key(0))
    grads = eqx.filter_grad(lambda g: g.distribution_loss())(group)
    np.testing.assert_allclose(np.asarray(grads.mean), (np.asarray(group.mean) - 0.5) / 4.0, rtol=1e-12)
    np.testing.assert_allclose(np.asarray(grads.log_std), np.exp(2 * np.asarray(group.log_std)) / 4.0 - 1.0, rtol=1e-12)


def test_grad_flows_into_exactly_the_raw_parameters():
    model = _model()
    grads = eqx.filter_grad(lambda m: m(jnp.ones((4, 2)), 2, key=jax.random.key(2)).sum())(model)
    leaves = jax.tree_util.tree_leaves(grads)
    assert len(leaves) == 2 and all(leaf.shape == (model.num_params(),) for leaf in leaves)
    trainable = jax.tree_util.tree_leaves(eqx.filter(model, eqx.is_inexact_array))
    assert [leaf.shape for leaf in trainable] == [(13,), (13,)]  # mean and log_std, nothing static


def test_vmap_over_keys_is_an_ensemble_of_calls():
    model = _model()
    x, keys = jnp.ones((4, 2)), jax.random.split(jax.random.key(3), 5)
    out = jax.vmap(lambda k: model(x, 2, key=k))(keys)
    assert out.shape == (5, 2, 4, 1)
    np.testing.assert_allclose(np.asarray(out[3]), np.asarray(model(x, 2, key=keys[3])), rtol=1e-6)


def test_vmap_over_inputs_and_over_stacked_groups():
    pce = surrogate_models.PolynomialChaosExpansion(num_inputs=2, degree=2)
    params = jnp.ones((1, pce.num_params()))
    xs = jnp.linspace(-1, 1, 12).reshape(3, 2, 2)  # (num_batches, batch_size, num_inputs)
    out = jax.vmap(lambda x: pce(x, params))(xs)
    assert out.shape == (3, 1, 2, 1)
    np.testing.assert_allclose(np.asarray(out[1]), np.asarray(pce(xs[1], params)), rtol=1e-6)
    # A stack of groups (e.g. an ensemble): vmap over their raw arrays.
    keys = jax.random.split(jax.random.key(0), 4)
    stacked = eqx.filter_vmap(lambda k: parameter_groups.IIDGaussianGroup("g", 3, key=k))(keys)
    assert stacked.mean.shape == (4, 3)
    kls = eqx.filter_vmap(lambda g: g.distribution_loss())(stacked)
    assert kls.shape == (4,)
    one = parameter_groups.IIDGaussianGroup("g", 3, key=keys[2])
    np.testing.assert_allclose(float(kls[2]), float(one.distribution_loss()), rtol=1e-6)


def test_float64_end_to_end(x64):
    model = _model()
    assert model.parameter_groups[0].mean.dtype == jnp.float64
    y = model(jnp.ones((4, 2)), 2, key=jax.random.key(0))
    assert y.dtype == jnp.float64
    loss, grads = eqx.filter_value_and_grad(lambda m: m.distribution_loss())(model)
    assert loss.dtype == jnp.float64 and grads.parameter_groups[0].mean.dtype == jnp.float64
    for family in (
        parameter_groups.GaussianGroup("a", 2),
        parameter_groups.LowRankGaussianGroup("b", 2, 1, key=jax.random.key(0)),
        parameter_groups.DeterministicGroup("c", 2, key=jax.random.key(0)),
    ):
        assert family.sample_parameters(3, key=jax.random.key(1)).dtype == jnp.float64
        assert family.distribution_loss().dtype == jnp.float64


def test_float32_by_default():
    model = _model()
    assert model(jnp.ones((4, 2)), 2, key=jax.random.key(0)).dtype == jnp.float32
    assert model.distribution_loss().dtype == jnp.float32
