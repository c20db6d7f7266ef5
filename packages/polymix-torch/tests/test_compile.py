"""torch.compile: every surrogate's forward traces as one graph; a training step compiles with inductor.

Kept small: compilation is slow on a 2-core machine. The forwards use the ``aot_eager``
backend with ``fullgraph=True`` (Dynamo and AOTAutograd must trace the whole call, no
graph break); the training step uses the default inductor backend.
"""

from __future__ import annotations

import pytest
import torch
from polymix_torch import StochasticModel
from polymix_torch.parameter_groups import DeterministicGroup, GaussianGroup, IIDGaussianGroup, LowRankGaussianGroup
from polymix_torch.surrogate_models import GatingNetwork, MixtureOfExperts, NeuralNetwork, PolynomialChaosExpansion

SURROGATES = {
    "mlp": lambda: NeuralNetwork(2, 1, width=4, depth=2),
    "pce": lambda: PolynomialChaosExpansion(2, 2, 3),
    "gating": lambda: GatingNetwork(2, 3, width=3),
    "mixture": lambda: MixtureOfExperts(
        [NeuralNetwork(2, 1, width=3), NeuralNetwork(2, 1, width=3), PolynomialChaosExpansion(2, 1, 2)],
        GatingNetwork(2, 3, width=3),
    ),
}


@pytest.mark.parametrize("name", sorted(SURROGATES))
def test_forward_compiles_without_graph_breaks(name: str) -> None:
    torch._dynamo.reset()
    model = SURROGATES[name]()
    compiled = torch.compile(model, backend="aot_eager", fullgraph=True)
    x, params = torch.rand(5, 2), torch.randn(3, model.num_params(), requires_grad=True)
    out = compiled(x, params)
    torch.testing.assert_close(out, model(x, params))
    (grad,) = torch.autograd.grad(out.sum(), params)
    (expected,) = torch.autograd.grad(model(x, params).sum(), params)
    torch.testing.assert_close(grad, expected)


# inductor itself (not polymix) calls deprecated torch internals while compiling
@pytest.mark.filterwarnings("ignore:`torch.jit.script_method` is deprecated:DeprecationWarning")
@pytest.mark.filterwarnings("ignore:`torch._prims_common.check` is deprecated:FutureWarning")
def test_training_step_compiles_with_inductor() -> None:
    torch._dynamo.reset()
    pce = PolynomialChaosExpansion(1, 1, 3)
    model = StochasticModel(pce, [IIDGaussianGroup("a", 1), GaussianGroup("b", 1), LowRankGaussianGroup("c", 1, 1),
                                  DeterministicGroup("d", 1)])  # fmt: skip
    x, y = torch.linspace(-1, 1, 8).unsqueeze(-1), torch.linspace(0, 1, 8).unsqueeze(-1)

    def loss_fn() -> torch.Tensor:
        return (model(x, num_samples=4) - y).pow(2).mean() + model.distribution_loss()

    compiled = torch.compile(loss_fn, fullgraph=True)
    torch.manual_seed(0)
    # inductor draws from its own generator unless told to use eager's: compare on equal noise
    with torch._inductor.config.patch(fallback_random=True):
        loss = compiled()
    loss.backward()
    grads = {k: p.grad.clone() for k, p in model.named_parameters()}  # type: ignore[union-attr]
    model.zero_grad()
    torch.manual_seed(0)
    eager = loss_fn()
    eager.backward()
    torch.testing.assert_close(loss, eager)
    for k, p in model.named_parameters():
        torch.testing.assert_close(grads[k], p.grad)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    before = model.parameter_groups[0].mean.detach().clone()
    optimizer.step()
    assert not torch.equal(model.parameter_groups[0].mean, before)
