"""Fit the README quickstart with polymix-jax (Equinox + optax, jit-compiled step)."""

from __future__ import annotations

import time

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
import quickstart_problem as qp
from polymix_jax import StochasticModel, parameter_groups, surrogate_models


def fit(data: qp.Data, seed: int = 0) -> dict[str, object]:
    """Train, then draw predictive samples on the held-out points and the grid."""
    k_stoch, k_det, k_train, k_test, k_grid = jax.random.split(jax.random.key(seed), 5)
    x = jnp.asarray(data.x_train, dtype=jnp.float32)
    y = jnp.asarray(data.y_train, dtype=jnp.float32)
    pce = surrogate_models.PolynomialChaosExpansion(num_inputs=1, num_outputs=1, degree=qp.DEGREE)
    model = StochasticModel(
        pce,
        [
            parameter_groups.IIDGaussianGroup("stochastic", num_params=qp.NUM_STOCHASTIC, key=k_stoch),
            parameter_groups.DeterministicGroup("deterministic", num_params=qp.NUM_DETERMINISTIC, key=k_det),
        ],
    )

    def loss_fn(model: StochasticModel, key: jax.Array) -> jax.Array:
        f = model(x, num_samples=qp.NUM_SAMPLES, key=key)  # (num_samples, batch_size, 1)
        mean, var = f.mean(0), f.var(0, ddof=1) + 1e-6
        nll = 0.5 * (jnp.log(var) + (y - mean) ** 2 / var).mean()
        return nll + model.distribution_loss() / x.shape[0]

    optimizer = optax.adam(qp.LEARNING_RATE)
    opt_state = optimizer.init(eqx.filter(model, eqx.is_inexact_array))

    @eqx.filter_jit
    def train_step(model, opt_state, key):  # type: ignore[no-untyped-def]
        loss, grads = eqx.filter_value_and_grad(loss_fn)(model, key)
        updates, opt_state = optimizer.update(grads, opt_state, eqx.filter(model, eqx.is_inexact_array))
        return eqx.apply_updates(model, updates), opt_state, loss

    keys = jax.random.split(k_train, qp.NUM_STEPS)
    start = time.perf_counter()  # compile time included: it is part of what a user waits for
    for key in keys:
        model, opt_state, loss = train_step(model, opt_state, key)
    loss.block_until_ready()
    train_time = time.perf_counter() - start
    test = model(jnp.asarray(data.x_test, dtype=jnp.float32), num_samples=qp.NUM_PREDICTIVE_SAMPLES, key=k_test)
    grid = model(jnp.asarray(data.x_grid, dtype=jnp.float32), num_samples=qp.NUM_PREDICTIVE_SAMPLES, key=k_grid)
    return {
        "train_time": train_time,
        "test_samples": np.asarray(test, dtype=np.float64),
        "grid_samples": np.asarray(grid, dtype=np.float64),
        "final_loss": float(loss),
    }
