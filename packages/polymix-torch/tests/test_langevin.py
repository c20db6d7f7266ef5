"""LangevinGroup: pypolymix 0.1.9's update rule, public trajectory and score, loss semantics."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from polymix_core import IIDGaussianPriorSpec, MLPSpec, reference
from polymix_torch.parameter_groups import LangevinGroup
from polymix_torch.priors import IIDGaussianPrior
from polymix_torch.surrogate_models import NeuralNetwork

D = 3


def _group(mode: str, **kwargs: object) -> LangevinGroup:
    torch.manual_seed(0)
    model = NeuralNetwork(D, D if mode == "score" else 1, width=5, activation="tanh")
    group = LangevinGroup("c", D, **{f"{mode}_model": model}, **kwargs)  # type: ignore[arg-type]
    with torch.no_grad():
        group.surrogate_params.normal_(0.0, 0.5)
    return group.double()


def _reference_score(group: LangevinGroup) -> object:
    """numpy score: the surrogate itself, or central differences of the energy (independent of autograd)."""
    spec = group.surrogate.spec
    params = group.surrogate_params.detach().numpy()[None]
    if group.mode == "score":
        return lambda t: reference.forward(spec, t, params)[0]

    def grad(t: np.ndarray, h: float = 1e-6) -> np.ndarray:
        out = np.zeros_like(t)
        for j in range(t.shape[1]):
            e = np.zeros(t.shape[1])
            e[j] = h
            out[:, j] = (
                reference.forward(spec, t + e, params)[0, :, 0] - reference.forward(spec, t - e, params)[0, :, 0]
            ) / (2 * h)
        return out

    return grad


@pytest.mark.parametrize("mode", ["score", "energy"])
def test_trajectory_matches_reference(mode: str) -> None:
    group = _group(mode, step_size=0.05)
    rng = np.random.default_rng(0)
    theta0, noise = rng.normal(size=(4, D)), rng.normal(size=(5, 4, D))
    out = group.trajectory(torch.as_tensor(theta0), torch.as_tensor(noise)).detach().numpy()
    expected = reference.langevin_trajectory(_reference_score(group), theta0, noise, 0.05)  # type: ignore[arg-type]
    tol = 1e-12 if mode == "score" else 1e-7
    np.testing.assert_allclose(out, expected, rtol=tol, atol=tol)


@pytest.mark.parametrize("mode", ["score", "energy"])
def test_score_is_the_model_or_the_energy_gradient(mode: str) -> None:
    group = _group(mode)
    theta = np.random.default_rng(1).normal(size=(6, D))
    out = group.score(torch.as_tensor(theta)).detach().numpy()
    np.testing.assert_allclose(out, _reference_score(group)(theta), rtol=1e-7, atol=1e-8)  # type: ignore[operator]


def test_sample_parameters_follows_the_seed_draw_order() -> None:
    group = _group("score", num_diffusion_steps=4, step_size=0.02, init_std=0.7)
    torch.manual_seed(9)
    samples = group.sample_parameters(5).detach().numpy()
    torch.manual_seed(9)
    theta0 = 0.7 * torch.randn(5, D, dtype=torch.float64).numpy()
    noise = np.stack([torch.randn(5, D, dtype=torch.float64).numpy() for _ in range(4)])
    expected = reference.langevin_trajectory(_reference_score(group), theta0, noise, 0.02)[-1]  # type: ignore[arg-type]
    np.testing.assert_allclose(samples, expected, rtol=1e-12, atol=1e-12)


def test_sample_transform_uses_initial_row_and_step_rows() -> None:
    group = _group("score", num_diffusion_steps=3, init_std=2.0)
    noise = np.random.default_rng(2).normal(size=(4, 4, D))
    assert group.noise_shape == (4, D)
    out = group.sample_transform(torch.as_tensor(noise)).detach().numpy()
    expected = reference.langevin_trajectory(
        _reference_score(group),
        2.0 * noise[:, 0],
        noise[:, 1:].transpose(1, 0, 2),
        group.step_size,  # type: ignore[arg-type]
    )[-1]
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)


def test_distribution_loss_is_cross_entropy_over_latest_particles() -> None:
    prior_spec = IIDGaussianPriorSpec(0.5, 2.0)
    group = _group("score", prior=IIDGaussianPrior(0.5, 2.0), num_diffusion_steps=2)
    samples = group.sample_parameters(6)
    expected = -reference.prior_log_prob(prior_spec, samples.detach().numpy()).mean()
    assert group.distribution_loss().item() == pytest.approx(expected, rel=1e-12)
    assert group.distribution_loss().requires_grad  # gradients reach the score model through the particles


def test_distribution_loss_samples_num_particles_when_none_are_kept() -> None:
    group = _group("score", num_particles=7, num_diffusion_steps=2)
    group.distribution_loss()
    assert group._last_samples is not None and group._last_samples.shape == (7, D)
    assert group.sample_parameters().shape == (7, D)


def test_spec_and_state_dict() -> None:
    group = _group("energy")
    spec = group.spec
    assert spec.mode == "energy" and spec.surrogate == MLPSpec(D, 1, width=5, activation="tanh")
    assert list(group.state_dict()) == ["surrogate_params"]
    assert spec.raw_shapes == {"surrogate_params": (group.surrogate.num_params(),)}
