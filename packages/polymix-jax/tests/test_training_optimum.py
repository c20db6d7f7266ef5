"""Training reaches a known optimum: a PCE on a linear-Gaussian problem, where the answer is closed form.

The data are ``y = Psi w + noise`` with a known noise level ``sigma``; the loss is the Gaussian
negative log-likelihood plus the group's ``distribution_loss()`` against an
``IIDGaussianPrior(m_p, s_p)``. With ``Lambda = Psi^T Psi / sigma^2 + I / s_p^2``:

* a ``DeterministicGroup`` (``-log p(theta)``) is minimised by the MAP estimate
  ``Lambda^-1 (Psi^T y / sigma^2 + m_p / s_p^2)`` (ridge regression towards ``m_p``);
* an ``IIDGaussianGroup`` (analytic KL) by the mean-field Bayesian linear regression posterior:
  the same mean and standard deviations ``1 / sqrt(Lambda_kk)``. Its expected loss is evaluated
  exactly by feeding ``sample_transform`` antithetic, whitened noise (mean 0, second moment ``I``),
  so the optimum is exact and no Monte Carlo tolerance is needed.

A wrong sign or scale of the KL or of ``-log p`` moves the optimum far outside the tolerance.
The basis comes from the independent oracle (``specs/polymix_oracle``), not from polymix.
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
from polymix_jax import StochasticModel, parameter_groups, surrogate_models
from polymix_jax.priors import IIDGaussianPrior
from polymix_oracle import surrogates as oracle

DEGREE, SIGMA, PRIOR_MEAN, PRIOR_STD = 3, 0.3, 0.2, 0.7
NUM_STEPS = 3000


def _problem():
    rng = np.random.default_rng(0)
    x = rng.uniform(-1.0, 1.0, (12, 1))
    basis = oracle.pce_basis({"num_inputs": 1, "degree": DEGREE, "q": 1.0}, x)  # (12, 4)
    y = basis @ np.array([0.5, -1.0, 0.8, 0.3]) + SIGMA * rng.standard_normal(12)
    precision = basis.T @ basis / SIGMA**2 + np.eye(DEGREE + 1) / PRIOR_STD**2
    mean = np.linalg.solve(precision, basis.T @ y / SIGMA**2 + PRIOR_MEAN / PRIOR_STD**2)
    return x, y[:, None], mean, 1.0 / np.sqrt(np.diag(precision))


def _whitened_noise(d: int) -> np.ndarray:
    """``(2 d, d)``: antithetic rows of an orthogonal matrix scaled so that ``mean = 0`` and ``E^T E / 2d = I``."""
    q, _ = np.linalg.qr(np.random.default_rng(1).standard_normal((d, d)))
    half = np.sqrt(d) * q
    return np.concatenate([half, -half])


def _train(model, loss_fn):
    schedule = optax.exponential_decay(0.05, transition_steps=NUM_STEPS, decay_rate=1e-2)
    optimizer = optax.adam(schedule)
    opt_state = optimizer.init(eqx.filter(model, eqx.is_inexact_array))

    @eqx.filter_jit
    def step(model, opt_state):
        grads = eqx.filter_grad(loss_fn)(model)
        with jax.numpy_dtype_promotion("standard"):  # optax's step counter is int32 (see test_training.py)
            updates, opt_state = optimizer.update(grads, opt_state, eqx.filter(model, eqx.is_inexact_array))
        return eqx.apply_updates(model, updates), opt_state

    for _ in range(NUM_STEPS):
        model, opt_state = step(model, opt_state)
    return model


def _negative_log_likelihood(f, y):
    return jnp.sum((y - f) ** 2) / (2 * SIGMA**2) / f.shape[0]  # summed over data, averaged over samples


def test_deterministic_group_reaches_the_map_estimate(x64):
    x, y, mean, _ = _problem()
    pce = surrogate_models.PolynomialChaosExpansion(1, 1, DEGREE)
    group = parameter_groups.DeterministicGroup(
        "w", DEGREE + 1, IIDGaussianPrior(PRIOR_MEAN, PRIOR_STD), key=jax.random.key(0)
    )
    model = StochasticModel(pce, group)

    def loss_fn(model):
        f = model(x, num_samples=1, key=jax.random.key(1))  # a point estimate: the key is unused
        return _negative_log_likelihood(f, y) + model.distribution_loss()

    trained = _train(model, loss_fn)
    np.testing.assert_allclose(np.asarray(trained.parameter_groups[0].params), mean, rtol=1e-6, atol=1e-8)


def test_iid_gaussian_group_reaches_the_mean_field_posterior(x64):
    x, y, mean, std = _problem()
    pce = surrogate_models.PolynomialChaosExpansion(1, 1, DEGREE)
    group = parameter_groups.IIDGaussianGroup(
        "w", DEGREE + 1, IIDGaussianPrior(PRIOR_MEAN, PRIOR_STD), key=jax.random.key(0)
    )
    model = StochasticModel(pce, group)
    noise = jnp.asarray(_whitened_noise(DEGREE + 1))

    def loss_fn(model):
        theta = model.parameter_groups[0].sample_transform(noise)  # (2 d, d)
        return _negative_log_likelihood(model.surrogate_model(x, theta), y) + model.distribution_loss()

    trained = _train(model, loss_fn).parameter_groups[0]
    np.testing.assert_allclose(np.asarray(trained.mean), mean, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(np.exp(np.asarray(trained.log_std)), std, rtol=1e-6)
