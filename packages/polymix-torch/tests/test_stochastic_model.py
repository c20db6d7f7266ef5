"""StochasticModel: concatenation order, losses, shapes, dtype and device following."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from polymix_core import MLPSpec, reference
from polymix_torch import StochasticModel
from polymix_torch.parameter_groups import DeterministicGroup, GaussianGroup, IIDGaussianGroup, LowRankGaussianGroup
from polymix_torch.surrogate_models import NeuralNetwork, PolynomialChaosExpansion


def test_groups_are_concatenated_in_order() -> None:
    net = NeuralNetwork(2, 1, width=3)
    a, b = DeterministicGroup("a", 4), DeterministicGroup("b", net.num_params() - 4)
    model = StochasticModel(net, [a, b]).double()
    theta = model.sample_parameters(2)
    expected = np.concatenate([a.params.detach().numpy(), b.params.detach().numpy()])
    np.testing.assert_array_equal(theta.detach().numpy(), np.stack([expected, expected]))
    x = np.random.default_rng(0).normal(size=(5, 2))
    out = model(torch.as_tensor(x), num_samples=2).detach().numpy()
    np.testing.assert_allclose(out, reference.forward(MLPSpec(2, 1, width=3), x, np.stack([expected] * 2)), 1e-12)


def test_single_group_and_loss_is_the_sum() -> None:
    pce = PolynomialChaosExpansion(1, 1, 5)
    g1, g2 = IIDGaussianGroup("s", 2), DeterministicGroup("d", 4)
    model = StochasticModel(pce, [g1, g2])
    assert model.num_params() == 6
    torch.testing.assert_close(model.distribution_loss(), g1.distribution_loss() + g2.distribution_loss())
    single = StochasticModel(pce, IIDGaussianGroup("all", 6))
    assert len(single.parameter_groups) == 1
    assert single(torch.zeros(3, 1), num_samples=5).shape == (5, 3, 1)


def test_state_dict_keys() -> None:
    model = StochasticModel(PolynomialChaosExpansion(2, 1, 1), [IIDGaussianGroup("a", 1), GaussianGroup("b", 2)])
    assert list(model.state_dict()) == [
        "surrogate_model.multi_indices",
        "parameter_groups.0.mean",
        "parameter_groups.0.log_std",
        "parameter_groups.1.mean",
        "parameter_groups.1.raw_tril",
    ]


def test_double_runs_end_to_end_in_float64() -> None:
    net = NeuralNetwork(2, 1, width=8, depth=2)
    model = StochasticModel(net, [LowRankGaussianGroup("hidden", 96, rank=4), IIDGaussianGroup("output", 9)]).double()
    x = torch.rand(16, 2, dtype=torch.float64)
    loss = model(x, num_samples=8).pow(2).mean() + model.distribution_loss()
    loss.backward()
    assert loss.dtype == torch.float64
    assert all(p.grad is not None and p.grad.dtype == torch.float64 for p in model.parameters())


def test_to_device_moves_every_tensor_the_forward_uses() -> None:
    # the meta device runs shape-only kernels: any tensor left behind on the CPU would make the call fail
    moe_experts = [NeuralNetwork(1, 1, width=3), NeuralNetwork(1, 1, width=3), PolynomialChaosExpansion(1, 1, 2)]
    from polymix_torch.surrogate_models import GatingNetwork, MixtureOfExperts

    moe = MixtureOfExperts(moe_experts, GatingNetwork(1, 3))
    model = StochasticModel(moe, [GaussianGroup("a", 5), IIDGaussianGroup("b", moe.num_params() - 5)]).to("meta")
    out = model(torch.zeros(4, 1, device="meta"), num_samples=2)
    assert out.device.type == "meta" and out.shape == (2, 4, 1)
    assert model.distribution_loss().device.type == "meta"


@pytest.mark.parametrize("num_samples", [1, 3])
def test_torch_func_grad_and_vmap(num_samples: int) -> None:
    net = NeuralNetwork(1, 1, width=4)
    group = IIDGaussianGroup("nn", net.num_params())
    model = StochasticModel(net, group)
    params = {k: v.detach() for k, v in model.named_parameters()}
    x = torch.linspace(-1, 1, 5).unsqueeze(-1)

    def loss(p: dict[str, torch.Tensor]) -> torch.Tensor:
        torch.manual_seed(0)
        return torch.func.functional_call(model, p, (x,), {"num_samples": num_samples}).pow(2).mean()

    grads = torch.func.grad(loss)(params)
    torch.manual_seed(0)
    model(x, num_samples=num_samples).pow(2).mean().backward()
    for k, p in model.named_parameters():
        torch.testing.assert_close(grads[k], p.grad)
    theta = torch.randn(num_samples, net.num_params())
    batched = torch.func.vmap(lambda xs: net(xs, theta))(torch.randn(2, 5, 1))
    assert batched.shape == (2, num_samples, 5, 1)
