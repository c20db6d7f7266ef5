"""Reference forward maps against hand computations and numpy.polynomial."""

import math

import numpy as np
import pytest
from numpy.polynomial import legendre as npleg
from polymix_core import (
    ACTIVATIONS,
    GatingSpec,
    MixtureSpec,
    MLPSpec,
    PCESpec,
    PolymixTypeError,
    ShapeError,
    reference as ref,
)

SCALAR_ACTIVATIONS = {
    "relu": lambda v: max(v, 0.0),
    "tanh": math.tanh,
    "sigmoid": lambda v: 1.0 / (1.0 + math.exp(-v)),
    "gelu": lambda v: 0.5 * v * (1.0 + math.erf(v / math.sqrt(2.0))),
    "silu": lambda v: v / (1.0 + math.exp(-v)),
    "softplus": lambda v: math.log1p(math.exp(v)),
    "elu": lambda v: v if v > 0 else math.expm1(v),
    "identity": lambda v: v,
}


def oracle_mlp(x, theta, sizes, act):
    """Neuron-by-neuron loops over the documented flat layout (weight (in, out) row-major, then bias)."""
    pos = 0
    h = [list(row) for row in x]
    for j, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        W = [[theta[pos + i * fan_out + o] for o in range(fan_out)] for i in range(fan_in)]
        pos += fan_in * fan_out
        b = [theta[pos + o] for o in range(fan_out)]
        pos += fan_out
        last = j == len(sizes) - 2
        h = [
            [
                (lambda z: z if last else act(z))(sum(row[i] * W[i][o] for i in range(fan_in)) + b[o])
                for o in range(fan_out)
            ]
            for row in h
        ]
    assert pos == len(theta)
    return np.array(h)


def test_activation_table_matches_scalar_formulas():
    assert set(ref.ACTIVATION_FUNCTIONS) == set(ACTIVATIONS) - {"custom"}
    z = np.linspace(-6, 6, 25)
    for name, f in SCALAR_ACTIVATIONS.items():
        np.testing.assert_allclose(ref.ACTIVATION_FUNCTIONS[name](z), [f(v) for v in z], rtol=1e-13, atol=1e-15)


def test_mlp_hand_computed_tiny_network():
    # 2 inputs -> 2 hidden (relu) -> 1 output; layout: W0 (2, 2) row-major, b0 (2,), W1 (2, 1), b1 (1,)
    spec = MLPSpec(2, 1, width=2, depth=1)
    theta = np.array([1.0, -1.0, 2.0, 0.5, 0.0, -1.0, 3.0, -2.0, 0.25])
    x = np.array([[1.0, 1.0], [-1.0, 2.0]])
    # x0 = (1, 1): pre = (1 + 2, -1 + 0.5) + (0, -1) = (3, -1.5) -> relu (3, 0) -> 3*3 + 0*(-2) + 0.25 = 9.25
    # x1 = (-1, 2): pre = (-1 + 4, 1 + 1) + (0, -1) = (3, 1) -> relu (3, 1) -> 9 - 2 + 0.25 = 7.25
    out = ref.forward(spec, x, theta[None, :])
    assert out.shape == (1, 2, 1)
    np.testing.assert_allclose(out[0, :, 0], [9.25, 7.25], rtol=1e-15)


def test_mlp_without_hidden_layers_is_affine():
    spec = MLPSpec(3, 2, depth=0)
    rng = np.random.default_rng(0)
    W, b = rng.normal(size=(3, 2)), rng.normal(size=2)
    x = rng.normal(size=(4, 3))
    out = ref.mlp_forward(spec, x, np.concatenate([W.ravel(), b])[None, :])
    np.testing.assert_allclose(out[0], x @ W + b, rtol=1e-14)


@pytest.mark.parametrize("activation", sorted(SCALAR_ACTIVATIONS))
@pytest.mark.parametrize(
    ("n_in", "n_out", "width", "depth"),
    [(1, 1, 3, 1), (2, 3, 4, 2), (3, 1, 2, 3)],
    ids=["1-1-3-1", "2-3-4-2", "3-1-2-3"],
)
def test_mlp_matches_loop_oracle(activation, n_in, n_out, width, depth):
    spec = MLPSpec(n_in, n_out, width=width, depth=depth, activation=activation)
    rng = np.random.default_rng([sorted(SCALAR_ACTIVATIONS).index(activation), n_in, width])
    x = rng.uniform(-1, 1, size=(5, n_in))
    params = rng.normal(size=(3, spec.num_params))
    out = ref.forward(spec, x, params)
    assert out.shape == (3, 5, n_out)
    for s in range(3):
        expected = oracle_mlp(x, params[s], spec.layer_sizes, SCALAR_ACTIVATIONS[activation])
        np.testing.assert_allclose(out[s], expected, rtol=1e-12, atol=1e-13)


def test_mlp_custom_activation_has_no_reference():
    spec = MLPSpec(1, 1, activation="custom")
    with pytest.raises(PolymixTypeError, match="spec.activation: expected a named activation, received 'custom'"):
        ref.forward(spec, np.zeros((1, 1)), np.zeros((1, spec.num_params)))


@pytest.mark.parametrize(("degree", "n_out"), [(0, 1), (3, 1), (5, 2), (8, 3)])
def test_pce_one_dimensional_vs_legvander(degree, n_out):
    spec = PCESpec(1, n_out, degree=degree)
    rng = np.random.default_rng(degree)
    x = rng.uniform(-1, 1, size=(9, 1))
    params = rng.normal(size=(2, spec.num_params))
    V = npleg.legvander(x[:, 0], degree)  # (batch, degree + 1)
    out = ref.forward(spec, x, params)
    for s in range(2):
        coeffs = params[s].reshape(degree + 1, n_out)  # term-major: [k * num_outputs + o]
        np.testing.assert_allclose(out[s], V @ coeffs, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize(("d", "degree", "q"), [(2, 3, 1.0), (2, 4, 0.5), (3, 2, 1.0), (3, 3, 0.7)], ids=str)
def test_pce_multivariate_vs_legval_nd(d, degree, q):
    spec = PCESpec(d, 2, degree=degree, q=q)
    rng = np.random.default_rng(d * 10 + degree)
    x = rng.uniform(-1, 1, size=(6, d))
    params = rng.normal(size=(1, spec.num_params))
    coeffs = params[0].reshape(spec.num_terms, 2)
    out = ref.forward(spec, x, params)
    legval = npleg.legval2d if d == 2 else npleg.legval3d
    for o in range(2):
        C = np.zeros((degree + 1,) * d)  # C[alpha] multiplies prod_i P_{alpha_i}(x_i)
        for k, alpha in enumerate(spec.multi_indices):
            C[tuple(alpha)] = coeffs[k, o]
        np.testing.assert_allclose(out[0, :, o], legval(*x.T, C), rtol=1e-11, atol=1e-12)


def test_pce_coefficients_are_term_major():
    spec = PCESpec(3, 2, degree=2)
    x = np.array([[0.3, -0.5, 0.9]])
    for k, alpha in enumerate(spec.multi_indices):
        expected = np.prod([npleg.legval(x[0, i], np.eye(n + 1)[n]) for i, n in enumerate(alpha)])
        for o in range(2):
            theta = np.zeros((1, spec.num_params))
            theta[0, k * 2 + o] = 1.0
            out = ref.forward(spec, x, theta)[0, 0]
            assert out[o] == pytest.approx(expected, rel=1e-13, abs=1e-15)
            assert out[1 - o] == 0.0


def test_gating_is_softmax_of_mlp_logits():
    spec = GatingSpec(2, 3, width=4, depth=1)
    rng = np.random.default_rng(11)
    x = rng.uniform(-1, 1, size=(5, 2))
    params = rng.normal(size=(2, spec.num_params))
    w = ref.forward(spec, x, params)
    assert w.shape == (2, 5, 3)
    for s in range(2):
        logits = oracle_mlp(x, params[s], spec.network.layer_sizes, SCALAR_ACTIVATIONS["relu"])
        e = np.exp(logits)
        np.testing.assert_allclose(w[s], e / e.sum(axis=1, keepdims=True), rtol=1e-12)
    np.testing.assert_allclose(w.sum(axis=-1), 1.0, rtol=1e-14)


def test_gating_is_stable_for_huge_logits():
    spec = GatingSpec(1, 2, depth=0)
    params = np.array([[0.0, 0.0, 1000.0, -1000.0]])  # W (1, 2), b (2,)
    w = ref.forward(spec, np.zeros((1, 1)), params)
    np.testing.assert_allclose(w[0, 0], [1.0, 0.0], atol=1e-300)


@pytest.mark.parametrize(
    "experts",
    [
        (MLPSpec(1, 1, width=4), MLPSpec(1, 1, width=4)),
        (MLPSpec(2, 2, width=3, activation="tanh"), PCESpec(2, 2, degree=2), MLPSpec(2, 2, width=2, depth=2)),
    ],
    ids=["two-mlps", "mlp-pce-mlp"],
)
def test_mixture_is_gated_sum_of_experts(experts):
    n_in = experts[0].num_inputs
    spec = MixtureSpec(experts, GatingSpec(n_in, len(experts), width=3))
    rng = np.random.default_rng(12)
    x = rng.uniform(-1, 1, size=(4, n_in))
    params = rng.normal(size=(3, spec.num_params))
    # independent slicing of the flat vector: expert 0, expert 1, ..., then gating
    offsets = np.cumsum([0] + [e.num_params for e in experts])
    outs = np.stack([ref.forward(e, x, params[:, a:b]) for e, a, b in zip(experts, offsets[:-1], offsets[1:])], axis=1)
    gates = ref.forward(spec.gating, x, params[:, offsets[-1] :])
    np.testing.assert_allclose(ref.expert_outputs(spec, x, params), outs, rtol=1e-15)
    np.testing.assert_allclose(ref.gating_weights(spec, x, params), gates, rtol=1e-15)
    expected = np.einsum("sbe,sebo->sbo", gates, outs)
    out = ref.forward(spec, x, params)
    assert out.shape == (3, 4, experts[0].num_outputs)
    np.testing.assert_allclose(out, expected, rtol=1e-13)
    # explicit loop, no einsum
    for s in range(3):
        for bb in range(4):
            manual = sum(gates[s, bb, e] * outs[s, e, bb] for e in range(len(experts)))
            np.testing.assert_allclose(out[s, bb], manual, rtol=1e-13)


@pytest.mark.parametrize(
    "spec",
    [
        MLPSpec(2, 1, width=8, depth=2),
        PCESpec(2, 1, degree=2),
        GatingSpec(2, 2),
        MixtureSpec((MLPSpec(2, 1),) * 2, GatingSpec(2, 2)),
    ],
    ids=["mlp", "pce", "gating", "mixture"],
)
def test_forward_rejects_bad_shapes(spec):
    good_p = np.zeros((1, spec.num_params))
    with pytest.raises(ShapeError, match=r"^x: expected a 2-D array of shape \(batch_size, 2\), received shape \(5,\)"):
        ref.forward(spec, np.zeros(5), good_p)
    with pytest.raises(ShapeError, match=r"^x: expected .* received shape \(5, 3\)"):
        ref.forward(spec, np.zeros((5, 3)), good_p)
    n = spec.num_params
    with pytest.raises(ShapeError, match=rf"^params: expected a 2-D array of shape \(num_samples, {n}\), received"):
        ref.forward(spec, np.zeros((5, 2)), np.zeros((1, n + 1)))
    with pytest.raises(ShapeError, match=r"^params: .* received shape \(\d+,\)"):
        ref.forward(spec, np.zeros((5, 2)), np.zeros(n))


def test_forward_rejects_unknown_spec():
    with pytest.raises(PolymixTypeError, match="spec: expected an MLPSpec, PCESpec, GatingSpec or MixtureSpec"):
        ref.forward(object(), np.zeros((1, 1)), np.zeros((1, 1)))


@pytest.mark.parametrize("activation", sorted(SCALAR_ACTIVATIONS))
def test_empty_batch_is_allowed(activation):
    spec = MLPSpec(2, 3, width=4, activation=activation)
    assert ref.forward(spec, np.zeros((0, 2)), np.zeros((2, spec.num_params))).shape == (2, 0, 3)
