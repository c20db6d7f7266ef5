"""The examples of the pypolymix 0.1.9 API reference, run unchanged through ``pypolymix`` and ``polymix_torch``."""

from __future__ import annotations

import doctest
import importlib

import pytest
import torch
import torch.distributions as td

# The reference's examples, verbatim except: the IIDGaussianPrior example is split into its lines
# (the reference lost the line breaks), and the symbolic `torch.Size([10, x.shape[0], ...])` output
# of StochasticModel.forward is compared with `==`.
EXAMPLES = {
    "quick_start": """
>>> import torch
>>> from pypolymix import StochasticModel, parameter_groups, surrogate_models
>>> surrogate = surrogate_models.NeuralNetwork(num_inputs=1, num_outputs=1)
>>> group = parameter_groups.IIDGaussianGroup("nn", surrogate.num_params())
>>> model = StochasticModel(surrogate, [group])
>>> x = torch.linspace(-1, 1, 32).unsqueeze(-1)
>>> y = model(x, num_samples=8) # (8, 32, 1)
>>> loss = y.mean() + model.distribution_loss()
>>> y.shape, loss.shape
(torch.Size([8, 32, 1]), torch.Size([]))
""",
    "stochastic_model": """
>>> from pypolymix import StochasticModel
>>> from pypolymix import parameter_groups, surrogate_models
>>> surrogate = surrogate_models.NeuralNetwork(num_inputs=1, num_outputs=1)
>>> groups = [parameter_groups.IIDGaussianGroup("nn", surrogate.num_params())]
>>> model = StochasticModel(surrogate, groups)
>>> x = torch.linspace(-1, 1, 32).unsqueeze(-1)
>>> y = model(x, num_samples=4) # (4, 32, 1)
>>> surrogate_model = surrogate
>>> y = model(x, num_samples=10)
>>> y.shape == torch.Size([10, x.shape[0], surrogate_model.num_outputs])
True
""",
    "deterministic": """
>>> from pypolymix.parameter_groups import DeterministicGroup
>>> group = DeterministicGroup("weights", num_params=3)
>>> theta = group.sample_parameters(2)
>>> theta.shape
torch.Size([2, 3])
""",
    "iid": """
>>> from pypolymix.parameter_groups import IIDGaussianGroup
>>> group = IIDGaussianGroup("weights", num_params=4)
>>> samples = group.sample_parameters(16)
>>> samples.shape
torch.Size([16, 4])
""",
    "gaussian": """
>>> from pypolymix.parameter_groups import GaussianGroup
>>> group = GaussianGroup("weights", num_params=2)
>>> group.variational_distribution().rsample().shape
torch.Size([2])
""",
    "low_rank": """
>>> from pypolymix.parameter_groups import LowRankGaussianGroup
>>> group = LowRankGaussianGroup("weights", num_params=8, rank=3)
>>> samples = group.sample_parameters(4)
>>> samples.shape
torch.Size([4, 8])
""",
    "langevin": """
>>> from pypolymix.parameter_groups import LangevinGroup
>>> from pypolymix.surrogate_models import NeuralNetwork
>>> score_model = NeuralNetwork(num_inputs=6, num_outputs=6, width=16, depth=2)
>>> group = LangevinGroup("coeffs", num_params=6, score_model=score_model)
>>> samples = group.sample_parameters(num_samples=8)
>>> samples.shape
torch.Size([8, 6])
""",
    "iid_prior": """
>>> from pypolymix.priors import IIDGaussianPrior
>>> prior = IIDGaussianPrior(mean=0.0, std=0.5)
>>> prior.distribution(torch.Size([4]), None, None).sample().shape
torch.Size([4])
""",
    "gaussian_prior": """
>>> from pypolymix.priors import GaussianPrior
>>> mean = torch.zeros(2)
>>> cov = torch.eye(2)
>>> prior = GaussianPrior(mean, covariance_matrix=cov)
>>> isinstance(prior.distribution(torch.Size([2]), None, None), td.MultivariateNormal)
True
""",
    "laplace_prior": """
>>> from pypolymix.priors import LaplacePrior
>>> prior = LaplacePrior(loc=0.0, scale=1e-1)
>>> prior.distribution(torch.Size([3]), None, None).sample().shape
torch.Size([3])
""",
    "neural_network": """
>>> from pypolymix.surrogate_models import NeuralNetwork
>>> surrogate = NeuralNetwork(num_inputs=2, num_outputs=1, width=8, depth=2)
>>> surrogate.num_params()
105
>>> params = torch.randn(3, surrogate.num_params())
>>> x = torch.randn(5, 2)
>>> surrogate(x, params).shape
torch.Size([3, 5, 1])
""",
    "pce": """
>>> from pypolymix.surrogate_models import PolynomialChaosExpansion
>>> surrogate = PolynomialChaosExpansion(num_inputs=1, degree=2)
>>> params = torch.randn(5, surrogate.num_params())
>>> x = torch.linspace(-1, 1, 20).unsqueeze(-1)
>>> surrogate(x, params).shape
torch.Size([5, 20, 1])
>>> surrogate.num_terms
3
""",
    "gating": """
>>> from pypolymix.surrogate_models.mixture import GatingNetwork
>>> gating = GatingNetwork(num_inputs=1, num_experts=3, width=8)
>>> params = torch.randn(2, gating.num_params())
>>> x = torch.zeros(4, 1)
>>> gating(x, params).shape
torch.Size([2, 4, 3])
""",
    "mixture": """
>>> from pypolymix.surrogate_models import NeuralNetwork
>>> from pypolymix.surrogate_models.mixture import GatingNetwork, MixtureOfExperts
>>> experts = [NeuralNetwork(num_inputs=1, num_outputs=1, width=4) for _ in range(2)]
>>> gating = GatingNetwork(num_inputs=1, num_experts=len(experts))
>>> moe = MixtureOfExperts(experts, gating)
>>> params = torch.randn(3, moe.num_params())
>>> x = torch.randn(5, 1)
>>> moe(x, params).shape
torch.Size([3, 5, 1])
""",
}


@pytest.mark.parametrize("package", ["pypolymix", "polymix_torch"])
@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_reference_example(example: str, package: str) -> None:
    source = EXAMPLES[example].replace("pypolymix", package)
    importlib.import_module(package)
    test = doctest.DocTestParser().get_doctest(source, {"torch": torch, "td": td}, example, None, 0)
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.attempted == source.count(">>> ")
    assert result.failed == 0
