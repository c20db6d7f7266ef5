"""jax.grad through the Monte Carlo losses: Gaussian families with a Laplace prior, Langevin groups.

With a fixed key a Monte Carlo loss is a smooth function of the raw parameters, so its
gradient must equal central differences of that very function; averaged over keys, the
Laplace KL's gradient must be within 5 standard errors of the exact KL's (the independent
oracle's folded-normal closed form, differentiated numerically).
"""

from __future__ import annotations

import math

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from polymix_jax.parameter_groups import GaussianGroup, LangevinGroup, LowRankGaussianGroup
from polymix_jax.priors import IIDGaussianPrior, LaplacePrior
from polymix_jax.surrogate_models import NeuralNetwork, PolynomialChaosExpansion
from polymix_oracle import divergences

D = 3
LOC, SCALE = [0.1, -0.3, 0.4], [0.5, 1.0, 0.7]
STEP = 1e-6


def _with_random_raw(group, seed):
    rng = np.random.default_rng(seed)
    return group.with_raw_parameters({n: rng.normal(-0.4, 0.5, v.shape) for n, v in group.raw_parameters().items()})


def _gaussian(family):
    prior = LaplacePrior(np.array(LOC), np.array(SCALE))
    if family == "gaussian":
        group = GaussianGroup("g", D, prior)
    else:
        group = LowRankGaussianGroup("g", D, 2, prior, key=jax.random.key(0))
    return _with_random_raw(group, 3)


def _gradient(loss, group, key):
    grads = eqx.filter_jit(eqx.filter_grad(loss))(group, key)
    return {n: np.asarray(getattr(grads, n)) for n in group.raw_names}


def _finite_differences(loss, group, key, *, jit=True):
    """Central differences of ``loss(group, key)`` w.r.t. every raw entry."""
    value = eqx.filter_jit(loss) if jit else loss
    raw = {n: np.asarray(v, dtype=np.float64) for n, v in group.raw_parameters().items()}
    out = {}
    for name, base in raw.items():
        g = np.zeros(base.size)
        for k in range(base.size):
            moved = []
            for shift in (STEP, -STEP):
                flat = base.ravel().copy()
                flat[k] += shift
                moved.append(float(value(group.with_raw_parameters({**raw, name: flat.reshape(base.shape)}), key)))
            g[k] = (moved[0] - moved[1]) / (2 * STEP)
        out[name] = g.reshape(base.shape)
    return out


def _kl(group, key):
    return group.distribution_loss(key=key)


@pytest.mark.parametrize("family", ["gaussian", "low_rank"])
def test_laplace_kl_grad_equals_differences_of_the_keyed_estimate(family, x64):
    group, key = _gaussian(family), jax.random.key(4)
    assert group.analytic_kl() is None  # the Monte Carlo path
    expected = _finite_differences(_kl, group, key)
    for name, actual in _gradient(_kl, group, key).items():
        np.testing.assert_allclose(actual, expected[name], rtol=1e-6, atol=1e-8, err_msg=name)


@pytest.mark.parametrize("family", ["gaussian", "low_rank"])
def test_laplace_kl_grad_is_unbiased(family, x64):
    group = _gaussian(family)
    prior = {"kind": "laplace", "loc": LOC, "scale": SCALE}

    def exact(g, key):
        del key
        q = g.variational_distribution()
        return divergences.laplace_kl(np.asarray(q.mean), np.asarray(q.covariance_matrix), prior)

    expected = _finite_differences(exact, group, None, jit=False)
    draws = [_gradient(_kl, group, key) for key in jax.random.split(jax.random.key(11), 64)]
    for name in group.raw_names:
        per_key = np.stack([d[name] for d in draws])
        se = per_key.std(axis=0, ddof=1) / math.sqrt(len(draws))
        z = np.abs(per_key.mean(axis=0) - expected[name]) / se
        assert np.all(z <= 5.0), (family, name, z.max())


def _langevin(mode):
    net = NeuralNetwork(D, D if mode == "score" else 1, width=4, depth=1, activation="tanh")
    group = LangevinGroup(
        "c", D, **{f"{mode}_model": net}, prior=IIDGaussianPrior(0.2, 0.7), num_particles=5,
        num_diffusion_steps=4, step_size=0.05, init_std=0.8, key=jax.random.key(0),
    )  # fmt: skip
    return _with_random_raw(group, 5)


@pytest.mark.parametrize("mode", ["score", "energy"])
def test_langevin_losses_grad_equals_differences(mode, x64):
    """A data term through fresh particles plus the cross-entropy: energy mode differentiates twice."""
    group = _langevin(mode)
    pce = PolynomialChaosExpansion(1, 1, D - 1)
    x = jnp.linspace(-1.0, 1.0, 7)[:, None]

    def loss(g, key):
        k_sample, k_loss = jax.random.split(key)
        return jnp.mean(pce(x, g.sample_parameters(5, key=k_sample)) ** 2) + g.distribution_loss(key=k_loss)

    key = jax.random.key(2)
    expected = _finite_differences(loss, group, key)["surrogate_params"]
    actual = _gradient(loss, group, key)["surrogate_params"]
    assert np.abs(expected).max() > 1e-3
    np.testing.assert_allclose(actual, expected, rtol=1e-6, atol=1e-8)
