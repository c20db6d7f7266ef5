"""A jit-compiled optax training step for every group family and every surrogate: it compiles once and the loss falls.

That the loss falls says nothing about where training ends (a KL with the wrong sign, weighted
by 1e-3 here, would still pass); ``test_training_optimum.py`` checks the end point against a
closed-form optimum.
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from polymix_jax import StochasticModel, parameter_groups, surrogate_models

NUM_STEPS = 60


def _pce():
    return surrogate_models.PolynomialChaosExpansion(num_inputs=1, num_outputs=1, degree=2)


def _group(family, num_params, key):
    if family == "deterministic":
        return parameter_groups.DeterministicGroup("g", num_params, key=key)
    if family == "iid":
        return parameter_groups.IIDGaussianGroup("g", num_params, key=key)
    if family == "gaussian":
        return parameter_groups.GaussianGroup("g", num_params)
    if family == "low_rank":
        return parameter_groups.LowRankGaussianGroup("g", num_params, rank=1, key=key)
    score = surrogate_models.NeuralNetwork(num_params, num_params, width=4, depth=0)
    return parameter_groups.LangevinGroup(
        "g", num_params, score_model=score, num_particles=8, num_diffusion_steps=4, step_size=0.1, key=key
    )


def _surrogate(kind):
    if kind == "neural_network":
        return surrogate_models.NeuralNetwork(num_inputs=1, num_outputs=1, width=4)
    if kind == "gating":
        return surrogate_models.GatingNetwork(num_inputs=1, num_experts=2, width=4)
    experts = [surrogate_models.NeuralNetwork(1, 1, width=3), surrogate_models.PolynomialChaosExpansion(1, 1, degree=2)]
    return surrogate_models.MixtureOfExperts(experts, surrogate_models.GatingNetwork(1, 2, width=3))


CASES = [(f, "pce") for f in ("deterministic", "iid", "gaussian", "low_rank", "langevin")] + [
    ("iid", s) for s in ("neural_network", "gating", "mixture")
]


@pytest.mark.parametrize(("family", "surrogate_kind"), CASES)
def test_optax_training_reduces_the_loss(family, surrogate_kind):
    k_init, k_train = jax.random.split(jax.random.key(0))
    surrogate = _pce() if surrogate_kind == "pce" else _surrogate(surrogate_kind)
    model = StochasticModel(surrogate, _group(family, surrogate.num_params(), k_init))
    x = jnp.linspace(-1, 1, 16)[:, None]
    y = jnp.broadcast_to(0.5 + 0.3 * x, (16, surrogate.num_outputs))  # reachable by every surrogate

    def loss_fn(model, key):
        k_fwd, k_reg = jax.random.split(key)
        f = model(x, num_samples=8, key=k_fwd)  # (num_samples, batch_size, num_outputs)
        return jnp.mean((f - y) ** 2) + 1e-3 * model.distribution_loss(key=k_reg)

    optimizer = optax.adam(0.05)
    opt_state = optimizer.init(eqx.filter(model, eqx.is_inexact_array))

    traces = []

    @eqx.filter_jit
    def step(model, opt_state, key):
        traces.append(1)  # runs only while tracing
        loss, grads = eqx.filter_value_and_grad(loss_fn)(model, key)
        # optax's Adam computes decay ** int32_count, which strict promotion (conftest) rejects;
        # only the third-party update runs under standard promotion, polymix-jax stays strict.
        with jax.numpy_dtype_promotion("standard"):
            updates, opt_state = optimizer.update(grads, opt_state, eqx.filter(model, eqx.is_inexact_array))
        return eqx.apply_updates(model, updates), opt_state, loss

    losses = []
    for key in jax.random.split(k_train, NUM_STEPS):
        model, opt_state, loss = step(model, opt_state, key)
        losses.append(float(loss))
    assert len(traces) == 1  # one compilation: nothing static changed during training
    first, last = np.mean(losses[:5]), np.mean(losses[-5:])
    assert np.isfinite(losses).all()
    assert last < 0.5 * first, (first, last)
