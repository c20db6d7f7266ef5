"""Autograd through the Monte Carlo losses: Gaussian families with a Laplace prior, Langevin groups.

A seeded loss is a smooth function of the raw parameters (the same noise at each evaluation),
so its autograd gradient must equal central differences of that very function; and averaged
over seeds, the Laplace KL's gradient must be within 5 standard errors of the exact KL's
(the independent oracle's folded-normal closed form, differentiated numerically).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from polymix_oracle import divergences
from polymix_torch.parameter_groups import GaussianGroup, LangevinGroup, LowRankGaussianGroup, ParameterGroup
from polymix_torch.priors import IIDGaussianPrior, LaplacePrior
from polymix_torch.surrogate_models import NeuralNetwork, PolynomialChaosExpansion

D = 3
LOC, SCALE = [0.1, -0.3, 0.4], [0.5, 1.0, 0.7]
STEP = 1e-6


def _gaussian(family: str) -> ParameterGroup:
    prior = LaplacePrior(torch.tensor(LOC), torch.tensor(SCALE))
    group = GaussianGroup("g", D, prior) if family == "gaussian" else LowRankGaussianGroup("g", D, 2, prior)
    group.double()
    rng = np.random.default_rng(3)
    with torch.no_grad():
        for p in group.parameters():
            p.copy_(torch.as_tensor(rng.normal(-0.4, 0.5, tuple(p.shape))))
    return group


def _seeded(fn, seed: int) -> torch.Tensor:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return fn()


def _finite_differences(fn, params: list[torch.nn.Parameter], seed: int) -> list[np.ndarray]:
    """Central differences of the seeded ``fn`` w.r.t. every entry of ``params``."""
    out = []
    with torch.no_grad():
        for p in params:
            flat, g = p.view(-1), np.zeros(p.numel())
            for k in range(p.numel()):
                flat[k] += STEP
                up = float(_seeded(fn, seed))
                flat[k] -= 2 * STEP
                down = float(_seeded(fn, seed))
                flat[k] += STEP
                g[k] = (up - down) / (2 * STEP)
            out.append(g.reshape(p.shape))
    return out


def _autograd(fn, params: list[torch.nn.Parameter], seed: int) -> list[np.ndarray]:
    return [g.numpy() for g in torch.autograd.grad(_seeded(fn, seed), params)]


@pytest.mark.parametrize("family", ["gaussian", "low_rank"])
def test_laplace_kl_autograd_equals_differences_of_the_seeded_estimate(family: str) -> None:
    group = _gaussian(family)
    params = list(group.parameters())
    expected = _finite_differences(group.distribution_loss, params, 4)
    for actual, fd in zip(_autograd(group.distribution_loss, params, 4), expected):
        np.testing.assert_allclose(actual, fd, rtol=1e-6, atol=1e-8)


def _exact_kl_gradient(group: ParameterGroup) -> list[np.ndarray]:
    """Central differences of the oracle's exact ``KL(q || Laplace)`` w.r.t. every raw parameter."""
    prior = {"kind": "laplace", "loc": LOC, "scale": SCALE}

    def exact() -> float:
        q = group.variational_distribution()
        return divergences.laplace_kl(q.mean.detach().numpy(), q.covariance_matrix.detach().numpy(), prior)

    return _finite_differences(exact, list(group.parameters()), 0)


@pytest.mark.parametrize("family", ["gaussian", "low_rank"])
def test_laplace_kl_autograd_is_unbiased(family: str) -> None:
    group = _gaussian(family)
    params = list(group.parameters())
    per_seed = [_autograd(group.distribution_loss, params, seed) for seed in range(64)]
    for i, expected in enumerate(_exact_kl_gradient(group)):
        draws = np.stack([g[i] for g in per_seed])
        se = draws.std(axis=0, ddof=1) / math.sqrt(len(per_seed))
        z = np.abs(draws.mean(axis=0) - expected) / se
        assert np.all(z <= 5.0), (family, i, z.max())


def _langevin(mode: str) -> LangevinGroup:
    torch.manual_seed(0)
    net = NeuralNetwork(D, D if mode == "score" else 1, width=4, activation="tanh")
    group = LangevinGroup(
        "c", D, **{f"{mode}_model": net}, prior=IIDGaussianPrior(0.2, 0.7),  # type: ignore[arg-type]
        num_particles=5, num_diffusion_steps=4, step_size=0.05, init_std=0.8,
    )  # fmt: skip
    group.double()
    with torch.no_grad():
        group.surrogate_params.normal_(0.0, 0.5)
    return group


@pytest.mark.parametrize("mode", ["score", "energy"])
def test_langevin_losses_autograd_equals_differences(mode: str) -> None:
    """A data term through fresh particles plus the cross-entropy: energy mode differentiates twice."""
    group = _langevin(mode)
    pce = PolynomialChaosExpansion(1, 1, D - 1).double()
    x = torch.linspace(-1, 1, 7, dtype=torch.float64)[:, None]

    def loss() -> torch.Tensor:
        theta = group.sample_parameters(5)
        return pce(x, theta).pow(2).mean() + group.distribution_loss()

    params = [group.surrogate_params]
    (actual,), (expected,) = _autograd(loss, params, 2), _finite_differences(loss, params, 2)
    assert np.abs(expected).max() > 1e-3
    np.testing.assert_allclose(actual, expected, rtol=1e-6, atol=1e-8)
