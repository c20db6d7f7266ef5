"""Surrogates against the numpy float64 reference of polymix_core and against closed forms."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings, strategies as st
from polymix_core import GatingSpec, MixtureSpec, MLPSpec, PCESpec, reference
from polymix_torch import build_surrogate
from polymix_torch.surrogate_models import GatingNetwork, MixtureOfExperts, NeuralNetwork, PolynomialChaosExpansion
from polymix_torch.surrogate_models._polynomial_chaos import legendre_polynomial_p

RNG = np.random.default_rng(0)
TOL = {torch.float64: {"rtol": 1e-12, "atol": 1e-12}, torch.float32: {"rtol": 1e-5, "atol": 1e-5}}

SPECS = [
    MLPSpec(3, 2, width=5, depth=2, activation="tanh"),
    MLPSpec(1, 1, depth=0),
    MLPSpec(2, 1, width=8, depth=2),
    *[
        MLPSpec(2, 3, width=4, depth=1, activation=a)
        for a in ("sigmoid", "gelu", "silu", "softplus", "elu", "identity")
    ],
    PCESpec(3, 2, degree=3),
    PCESpec(1, 1, degree=6),
    PCESpec(4, 1, degree=0),
    PCESpec(2, 1, degree=4, q=0.5),
    GatingSpec(2, 3, width=4, depth=2),
    MixtureSpec((MLPSpec(2, 1, width=3),) * 3, GatingSpec(2, 3)),
    MixtureSpec((MLPSpec(2, 2, width=3), PCESpec(2, 2, degree=2), MLPSpec(2, 2, width=3)), GatingSpec(2, 3, width=5)),
]


def _case(spec: object, dtype: torch.dtype) -> tuple[np.ndarray, np.ndarray, torch.Tensor, torch.Tensor]:
    x = RNG.uniform(-1, 1, (7, spec.num_inputs))  # type: ignore[attr-defined]
    p = RNG.normal(size=(4, spec.num_params))  # type: ignore[attr-defined]
    return x, p, torch.as_tensor(x, dtype=dtype), torch.as_tensor(p, dtype=dtype)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("spec", SPECS, ids=lambda s: type(s).__name__)
def test_forward_matches_reference(spec: object, dtype: torch.dtype) -> None:
    x, p, xt, pt = _case(spec, dtype)
    model = build_surrogate(spec).to(dtype)
    out = model(xt, pt)
    assert out.dtype == dtype
    np.testing.assert_allclose(out.double().numpy(), reference.forward(spec, x, p), **TOL[dtype])


@pytest.mark.parametrize("spec", [s for s in SPECS if isinstance(s, MixtureSpec)], ids=["identical", "mixed"])
def test_mixture_parts_match_reference(spec: MixtureSpec) -> None:
    x, p, xt, pt = _case(spec, torch.float64)
    moe = build_surrogate(spec).double()
    assert isinstance(moe, MixtureOfExperts)
    np.testing.assert_allclose(moe.get_expert_outputs(xt, pt).numpy(), reference.expert_outputs(spec, x, p), 1e-12)
    np.testing.assert_allclose(moe.get_gating_weights(xt, pt).numpy(), reference.gating_weights(spec, x, p), 1e-12)


def test_identical_experts_run_as_one_batched_call() -> None:
    experts = [NeuralNetwork(1, 1, width=4) for _ in range(3)] + [PolynomialChaosExpansion(1, 1, 2)]
    moe = MixtureOfExperts(experts, GatingNetwork(1, 4))
    calls = {id(e): 0 for e in experts}
    for e in experts:
        e.register_forward_hook(lambda m, args, out: calls.__setitem__(id(m), calls[id(m)] + 1))
    moe(torch.zeros(5, 1), torch.randn(2, moe.num_params()))
    assert sorted(calls.values()) == [0, 0, 1, 1]  # one call for the three networks, one for the PCE
    assert moe._layout.batches == ((0, 1, 2), (3,))


def test_custom_activations_are_not_batched_together() -> None:
    experts = [
        NeuralNetwork(1, 1, width=3, activation=lambda t: t.pow(2)),
        NeuralNetwork(1, 1, width=3, activation=torch.abs),
    ]
    moe = MixtureOfExperts(experts, GatingNetwork(1, 2))
    x, p = torch.randn(4, 1, dtype=torch.float64), torch.randn(2, moe.num_params(), dtype=torch.float64)
    moe.double()
    out = moe.get_expert_outputs(x, p)
    for i, e in enumerate(experts):
        a, b = moe.param_slices[i]
        torch.testing.assert_close(out[:, i], e(x, p[:, a:b]))


def test_mlp_layout_closed_form() -> None:
    net = NeuralNetwork(2, 1, width=2, depth=1, activation="identity")
    # weight (2, 2) row-major, bias (2,), out weight (2, 1), bias (1,)
    params = torch.tensor([[1.0, 2.0, 3.0, 4.0, 0.5, -0.5, 1.0, -1.0, 0.25]])
    x = torch.tensor([[1.0, 1.0]])
    hidden = torch.tensor([1 + 3 + 0.5, 2 + 4 - 0.5])
    assert net(x, params).item() == pytest.approx(float(hidden[0] - hidden[1] + 0.25))


def test_pce_layout_closed_form() -> None:
    # 2 inputs, degree 2: terms 00, 01, 10, 02, 11, 20; coefficient of term k, output o at k * 2 + o
    pce = PolynomialChaosExpansion(2, 2, 2).double()
    params = torch.zeros(1, 12, dtype=torch.float64)
    params[0, 4 * 2 + 1] = 1.0  # term 11, output 1: x0 * x1
    params[0, 3 * 2 + 0] = 2.0  # term 02, output 0: 2 P_2(x1)
    x = torch.tensor([[0.3, -0.7]], dtype=torch.float64)
    out = pce(x, params)[0, 0]
    assert out[1].item() == pytest.approx(0.3 * -0.7, abs=1e-15)
    assert out[0].item() == pytest.approx(2 * 0.5 * (3 * 0.49 - 1), abs=1e-15)


def test_pce_runs_in_float64_end_to_end() -> None:
    pce = PolynomialChaosExpansion(3, 1, 4).double()
    x = torch.rand(6, 3, dtype=torch.float64) * 2 - 1
    out = pce(x, torch.randn(2, pce.num_params(), dtype=torch.float64))
    assert out.dtype == torch.float64
    assert pce.basis(x).dtype == torch.float64


def test_pce_index_set_buffer_and_count() -> None:
    pce = PolynomialChaosExpansion(3, 2, 2)
    assert pce.num_terms == 10 and pce.num_params() == 20
    assert pce.multi_indices.tolist() == [[0, 0, 0], [0, 0, 1], [0, 1, 0], [1, 0, 0], [0, 0, 2], [0, 1, 1],
                                          [0, 2, 0], [1, 0, 1], [1, 1, 0], [2, 0, 0]]  # fmt: skip
    assert list(pce.state_dict()) == ["multi_indices"]


def test_legendre_polynomial_p_matches_numpy() -> None:
    z = np.linspace(-1, 1, 11)
    for n in range(6):
        expected = np.polynomial.legendre.legval(z, np.eye(n + 1)[n])
        np.testing.assert_allclose(legendre_polynomial_p(torch.as_tensor(z), n).numpy(), expected, atol=1e-14)


def test_gating_weights_are_a_softmax() -> None:
    gating = GatingNetwork(2, 4, width=3, activation=F.tanh)
    w = gating(torch.randn(5, 2), torch.randn(3, gating.num_params()))
    torch.testing.assert_close(w.sum(-1), torch.ones(3, 5))
    assert gating.num_outputs == gating.num_experts == 4
    assert gating.spec == GatingSpec(2, 4, width=3, activation="tanh")


def test_known_activations_map_to_names_and_custom_ones_are_custom() -> None:
    assert NeuralNetwork(1, activation=torch.nn.ReLU()).spec.activation == "relu"
    assert NeuralNetwork(1, activation=torch.nn.GELU(approximate="tanh")).spec.activation == "custom"
    assert NeuralNetwork(1, activation=torch.sigmoid).spec.activation == "sigmoid"
    assert NeuralNetwork(1, activation=lambda t: t).spec.activation == "custom"


@settings(max_examples=25, deadline=None)
@given(
    num_inputs=st.integers(1, 4),
    num_outputs=st.integers(1, 3),
    width=st.integers(1, 6),
    depth=st.integers(0, 3),
    batch_size=st.integers(0, 5),
    num_samples=st.integers(1, 4),
)
def test_mlp_shapes(
    num_inputs: int, num_outputs: int, width: int, depth: int, batch_size: int, num_samples: int
) -> None:
    net = NeuralNetwork(num_inputs, num_outputs, width, depth)
    assert net.num_params() == MLPSpec(num_inputs, num_outputs, width, depth).num_params
    out = net(torch.zeros(batch_size, num_inputs), torch.zeros(num_samples, net.num_params()))
    assert out.shape == (num_samples, batch_size, num_outputs)


@settings(max_examples=25, deadline=None)
@given(
    num_inputs=st.integers(1, 4),
    num_outputs=st.integers(1, 3),
    degree=st.integers(0, 4),
    batch_size=st.integers(1, 5),
    num_samples=st.integers(1, 4),
)
def test_pce_shapes_and_values(
    num_inputs: int, num_outputs: int, degree: int, batch_size: int, num_samples: int
) -> None:
    pce = PolynomialChaosExpansion(num_inputs, num_outputs, degree).double()
    spec = PCESpec(num_inputs, num_outputs, degree)
    rng = np.random.default_rng(degree * 100 + num_inputs)
    x, p = rng.uniform(-1, 1, (batch_size, num_inputs)), rng.normal(size=(num_samples, spec.num_params))
    out = pce(torch.as_tensor(x), torch.as_tensor(p))
    assert out.shape == (num_samples, batch_size, num_outputs)
    np.testing.assert_allclose(out.numpy(), reference.pce_forward(spec, x, p), rtol=1e-11, atol=1e-11)


@settings(max_examples=15, deadline=None)
@given(num_experts=st.integers(1, 4), batch_size=st.integers(1, 4), num_samples=st.integers(1, 3), mixed=st.booleans())
def test_mixture_shapes(num_experts: int, batch_size: int, num_samples: int, mixed: bool) -> None:
    experts = [
        PolynomialChaosExpansion(2, 2, 2) if mixed and i % 2 else NeuralNetwork(2, 2, width=3)
        for i in range(num_experts)
    ]
    moe = MixtureOfExperts(experts, GatingNetwork(2, num_experts, width=3))
    x, p = torch.randn(batch_size, 2), torch.randn(num_samples, moe.num_params())
    assert moe(x, p).shape == (num_samples, batch_size, 2)
    assert moe.get_expert_outputs(x, p).shape == (num_samples, num_experts, batch_size, 2)
    assert moe.get_gating_weights(x, p).shape == (num_samples, batch_size, num_experts)
