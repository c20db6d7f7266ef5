"""Surrogate forward maps against the numpy float64 reference of polymix-core."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from polymix_core import ACTIVATIONS, MixtureSpec, reference
from polymix_jax.surrogate_models import (
    GatingNetwork,
    MixtureOfExperts,
    NeuralNetwork,
    PolynomialChaosExpansion,
    SurrogateModel,
    mixture,
)


def _check(surrogate, rng, num_samples=3, batch_size=5, rtol64=1e-12, rtol32=2e-5, float32=True):
    x = rng.uniform(-1, 1, (batch_size, surrogate.num_inputs))
    params = rng.standard_normal((num_samples, surrogate.num_params()))
    expected = reference.forward(surrogate.spec, x, params)
    if float32:
        out32 = surrogate(jnp.asarray(x, jnp.float32), jnp.asarray(params, jnp.float32))
        assert out32.dtype == jnp.float32
        np.testing.assert_allclose(np.asarray(out32), expected, rtol=rtol32, atol=1e-5)
    with jax.enable_x64(True):
        out64 = surrogate(jnp.asarray(x), jnp.asarray(params))
        assert out64.dtype == jnp.float64
        np.testing.assert_allclose(np.asarray(out64), expected, rtol=rtol64, atol=1e-13)
    return expected


@pytest.mark.parametrize("depth", [0, 1, 3])
def test_neural_network_matches_reference(rng, depth):
    net = NeuralNetwork(num_inputs=2, num_outputs=3, width=4, depth=depth)
    out = _check(net, rng)
    assert out.shape == (3, 5, 3)


@pytest.mark.parametrize("name", [a for a in ACTIVATIONS if a != "custom"])
def test_every_named_activation_matches_reference(rng, name):
    net = NeuralNetwork(num_inputs=2, num_outputs=1, width=3, depth=1, activation=name)
    assert net.spec.activation == name
    _check(net, rng, float32=False)  # float32 is covered by the depth tests; this checks the formula


def test_known_callables_map_to_names_and_others_to_custom():
    assert NeuralNetwork(1, activation=jax.nn.relu).spec.activation == "relu"
    assert NeuralNetwork(1, activation=jnp.tanh).spec.activation == "tanh"
    # jax.nn.gelu defaults to the tanh approximation, which is not the reference's exact gelu.
    assert NeuralNetwork(1, activation=jax.nn.gelu).spec.activation == "custom"
    assert NeuralNetwork(1, activation=jnp.sin).spec.activation == "custom"


def test_custom_activation_is_used(rng):
    net = NeuralNetwork(num_inputs=1, num_outputs=1, width=2, depth=1, activation=jnp.sin)
    x = rng.uniform(-1, 1, (4, 1))
    p = rng.standard_normal((2, net.num_params()))
    w0, b0, w1, b1 = p[:, 0:2], p[:, 2:4], p[:, 4:6], p[:, 6:7]
    # Closed form for width 2, depth 1: sin(x w0 + b0) . w1 + b1, per sample.
    expected = np.einsum("sbj,sj->sb", np.sin(x[None, :, :] * w0[:, None, :] + b0[:, None, :]), w1) + b1
    with jax.enable_x64(True):
        np.testing.assert_allclose(np.asarray(net(x, p))[..., 0], expected, rtol=1e-12)


def test_neural_network_seed_example():
    surrogate = NeuralNetwork(num_inputs=2, num_outputs=1, width=8, depth=2)
    assert surrogate.num_params() == 105
    assert (surrogate.num_inputs, surrogate.num_outputs, surrogate.width, surrogate.depth) == (2, 1, 8, 2)


def test_defaults_are_the_seeds():
    net = NeuralNetwork(num_inputs=3)
    assert (net.num_outputs, net.width, net.depth, net.activation) == (1, 16, 1, jax.nn.relu)
    pce = PolynomialChaosExpansion(num_inputs=2)
    assert (pce.num_outputs, pce.degree) == (1, 3)


@pytest.mark.parametrize(("num_inputs", "num_outputs", "degree"), [(1, 1, 4), (3, 2, 3), (2, 1, 0)])
def test_pce_matches_reference(rng, num_inputs, num_outputs, degree):
    pce = PolynomialChaosExpansion(num_inputs=num_inputs, num_outputs=num_outputs, degree=degree)
    _check(pce, rng)


def test_pce_terms_and_closed_form():
    pce = PolynomialChaosExpansion(num_inputs=3, num_outputs=2, degree=2)
    assert pce.num_terms == 10 and pce.num_params() == 20
    # Contract order for 3 inputs, degree 2: 000, 001, 010, 100, 002, 011, 020, 101, 110, 200.
    assert [tuple(int(v) for v in row) for row in pce.multi_indices] == [
        (0, 0, 0), (0, 0, 1), (0, 1, 0), (1, 0, 0), (0, 0, 2), (0, 1, 1), (0, 2, 0), (1, 0, 1), (1, 1, 0), (2, 0, 0),
    ]  # fmt: skip
    # Coefficient 1 on term "002" for output 1 (index 4 * 2 + 1) gives P_2(x_3) = (3 x^2 - 1) / 2.
    params = np.zeros((1, 20))
    params[0, 9] = 1.0
    x = np.array([[0.1, 0.2, 0.5]])
    with jax.enable_x64(True):
        out = np.asarray(pce(x, params))
    np.testing.assert_allclose(out, [[[0.0, (3 * 0.25 - 1) / 2]]], atol=1e-15)


def test_pce_float64_end_to_end(x64):
    pce = PolynomialChaosExpansion(num_inputs=2, degree=3)
    out = pce(jnp.ones((4, 2)), jnp.ones((2, pce.num_params())))
    assert out.dtype == jnp.float64


def test_gating_matches_reference_and_sums_to_one(rng):
    gating = GatingNetwork(num_inputs=2, num_experts=3, width=4)
    out = _check(gating, rng)
    np.testing.assert_allclose(out.sum(-1), 1.0)
    assert gating.num_outputs == 3


def _mixed_experts():
    # Two identical MLPs that are not adjacent, and a PCE between them: two batches.
    return [
        NeuralNetwork(num_inputs=2, num_outputs=2, width=3),
        PolynomialChaosExpansion(num_inputs=2, num_outputs=2, degree=2),
        NeuralNetwork(num_inputs=2, num_outputs=2, width=3),
    ]


@pytest.mark.parametrize("kind", ["identical", "mixed"])
def test_mixture_matches_reference(rng, kind):
    experts = [NeuralNetwork(2, 2, width=3) for _ in range(3)] if kind == "identical" else _mixed_experts()
    moe = MixtureOfExperts(experts, GatingNetwork(num_inputs=2, num_experts=3, width=4))
    assert moe._layout.batches == (((0, 1, 2),) if kind == "identical" else ((0, 2), (1,)))
    _check(moe, rng)
    x = rng.uniform(-1, 1, (5, 2))
    params = rng.standard_normal((3, moe.num_params()))
    with jax.enable_x64(True):
        np.testing.assert_allclose(
            np.asarray(moe.get_expert_outputs(x, params)), reference.expert_outputs(moe.spec, x, params), rtol=1e-12
        )
        np.testing.assert_allclose(
            np.asarray(moe.get_gating_weights(x, params)), reference.gating_weights(moe.spec, x, params), rtol=1e-12
        )


def test_mixture_splits_batches_by_custom_activation(rng):
    experts = [NeuralNetwork(1, 1, width=2, activation=jnp.sin), NeuralNetwork(1, 1, width=2, activation=jnp.cos)]
    moe = MixtureOfExperts(experts, GatingNetwork(1, 2, width=2))
    assert moe.spec.expert_batches == ((0, 1),)  # equal specs ("custom") ...
    assert moe._layout.batches == ((0,), (1,))  # ... but different callables
    x = rng.uniform(-1, 1, (3, 1))
    params = rng.standard_normal((2, moe.num_params()))
    with jax.enable_x64(True):
        outs = np.asarray(moe.get_expert_outputs(x, params))
        for i, e in enumerate(experts):
            sl = moe.spec.slices[i]
            np.testing.assert_array_equal(outs[:, i], np.asarray(e(x, params[:, sl.start : sl.stop])))


def test_mixture_seed_example_and_layout():
    experts = [NeuralNetwork(num_inputs=1, num_outputs=1, width=4) for _ in range(2)]
    gating = mixture.GatingNetwork(num_inputs=1, num_experts=len(experts))
    moe = mixture.MixtureOfExperts(experts, gating)
    assert isinstance(moe.spec, MixtureSpec)
    assert moe.num_params() == 2 * 13 + gating.num_params()
    assert moe.param_slices == [(0, 13), (13, 26), (26, 26 + gating.num_params())]
    assert (moe.num_inputs, moe.num_outputs, moe.num_experts) == (1, 1, 2)


def test_forward_is_call(rng):
    net = NeuralNetwork(2, 1, width=3)
    x, p = rng.standard_normal((4, 2)), rng.standard_normal((2, net.num_params()))
    np.testing.assert_array_equal(np.asarray(net.forward(x, p)), np.asarray(net(x, p)))


def test_integer_inputs_use_the_default_float():
    pce = PolynomialChaosExpansion(num_inputs=1, degree=1)
    out = pce(jnp.ones((2, 1), jnp.int32), jnp.ones((1, 2), jnp.float32))
    assert out.dtype == jnp.float32
    np.testing.assert_allclose(np.asarray(out), [[[2.0], [2.0]]])


def test_mixed_precision_inputs_compute_in_the_wider_dtype(x64):
    net = NeuralNetwork(1, 1, width=2)
    out = net(jnp.ones((2, 1), jnp.float32), jnp.ones((1, net.num_params()), jnp.float64))
    assert out.dtype == jnp.float64


def test_surrogates_hold_no_trainable_arrays():
    moe = MixtureOfExperts(_mixed_experts(), GatingNetwork(2, 3))
    for s in (NeuralNetwork(2), PolynomialChaosExpansion(2), GatingNetwork(2, 3), moe):
        assert isinstance(s, SurrogateModel)
        assert jax.tree_util.tree_leaves(s) == []
