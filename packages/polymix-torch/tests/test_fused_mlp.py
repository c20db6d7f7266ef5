"""The MLP's bmm + in-place bias/ReLU path equals the plain baddbmm/relu evaluation, values and gradients."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from polymix_torch.surrogate_models import NeuralNetwork


def _reference(net: NeuralNetwork, x: torch.Tensor, params: torch.Tensor) -> torch.Tensor:
    s = params.shape[0]
    h = x.unsqueeze(0).expand(s, -1, -1)
    for j, (w0, w1, fi, fo, b0, b1) in enumerate(net._layers):
        h = torch.baddbmm(params[:, b0:b1].unsqueeze(1), h, params[:, w0:w1].reshape(s, fi, fo))
        if j < len(net._layers) - 1:
            h = net.activation(h)
    return h


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("activation", [F.relu, "relu", torch.tanh, "gelu"])
def test_mlp_forward_and_grads_match_reference(dtype: torch.dtype, activation: object) -> None:
    torch.manual_seed(0)
    net = NeuralNetwork(3, 2, width=8, depth=2, activation=activation)  # type: ignore[arg-type]
    x = torch.randn(5, 3, dtype=dtype, requires_grad=True)
    params = torch.randn(4, net.num_params(), dtype=dtype, requires_grad=True)
    y = net(x, params)
    gx, gp = torch.autograd.grad(y.pow(2).sum(), (x, params))
    y_ref = _reference(net, x, params)
    gx_ref, gp_ref = torch.autograd.grad(y_ref.pow(2).sum(), (x, params))
    tol = {"rtol": 1e-5, "atol": 1e-6} if dtype == torch.float32 else {"rtol": 1e-12, "atol": 1e-12}
    torch.testing.assert_close(y, y_ref, **tol)
    torch.testing.assert_close(gx, gx_ref, **tol)
    torch.testing.assert_close(gp, gp_ref, **tol)
