"""Checkpoints, builders, specs and the conformance adapter."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polymix_torch
import pytest
import torch
from polymix_core import (
    BackendAdapter,
    ConfigurationError,
    GatingSpec,
    GaussianGroupSpec,
    GroupEntry,
    IIDGaussianGroupSpec,
    IIDGaussianPriorSpec,
    LangevinGroupSpec,
    LaplacePriorSpec,
    LowRankGaussianGroupSpec,
    MixtureSpec,
    MLPSpec,
    ModelSpec,
    PCESpec,
    read_checkpoint,
    reference,
)
from polymix_torch import StochasticModel, build_group, build_model, build_prior, build_surrogate
from polymix_torch.conformance import adapter
from polymix_torch.parameter_groups import DeterministicGroup, GaussianGroup, IIDGaussianGroup, LangevinGroup
from polymix_torch.priors import GaussianPrior, IIDGaussianPrior, LaplacePrior
from polymix_torch.surrogate_models import GatingNetwork, MixtureOfExperts, NeuralNetwork, PolynomialChaosExpansion


def _model() -> StochasticModel:
    experts = [NeuralNetwork(2, 1, width=3, activation="tanh"), PolynomialChaosExpansion(2, 1, 2)]
    moe = MixtureOfExperts(experts, GatingNetwork(2, 2, width=3))
    score = NeuralNetwork(3, 3, width=4)
    groups = [
        GaussianGroup("a", 5, GaussianPrior(torch.zeros(5), covariance_matrix=torch.eye(5) * 2)),
        LangevinGroup("l", 3, score_model=score, num_diffusion_steps=4),
        DeterministicGroup("d", 4, LaplacePrior(0.0, 0.5)),
        IIDGaussianGroup("b", moe.num_params() - 12, IIDGaussianPrior(0.1, 0.3)),
    ]
    return StochasticModel(moe, groups)


def test_checkpoint_roundtrip(tmp_path: Path) -> None:
    model = _model()
    path = tmp_path / "m.npz"
    polymix_torch.save_checkpoint(model, path)
    spec, arrays = read_checkpoint(path)
    assert sorted(arrays) == sorted(model.spec.raw_keys())
    loaded = polymix_torch.load_checkpoint(path, dtype=torch.float64)
    assert loaded.spec.to_dict() == model.spec.to_dict()
    for key in spec.raw_keys():
        torch.testing.assert_close(loaded.get_parameter(key), model.get_parameter(key).double())
    assert loaded.parameter_groups[0].prior.spec.covariance_matrix.tolist() == (np.eye(5) * 2).tolist()
    x = torch.rand(3, 2, dtype=torch.float64)
    torch.manual_seed(1)
    a = loaded(x, num_samples=2)
    model.double()
    torch.manual_seed(1)
    torch.testing.assert_close(a, model(x, num_samples=2))


def test_custom_activation_cannot_be_saved_or_rebuilt(tmp_path: Path) -> None:
    net = NeuralNetwork(1, width=2, activation=lambda t: t.abs())
    model = StochasticModel(net, IIDGaussianGroup("w", net.num_params()))
    # refused at save time, as in every backend: a checkpoint stores names, not code
    with pytest.raises(ConfigurationError, match="activation.*'custom'"):
        polymix_torch.save_checkpoint(model, tmp_path / "c.npz")
    assert not (tmp_path / "c.npz").exists()


def test_builders_invert_specs() -> None:
    for spec in (MLPSpec(2, 3, width=4, depth=2, activation="gelu"), PCESpec(3, 2, degree=2, q=0.5),
                 GatingSpec(1, 3, width=5), MixtureSpec((MLPSpec(1, 1), PCESpec(1, 1)), GatingSpec(1, 2))):  # fmt: skip
        assert build_surrogate(spec).spec == spec
    for prior in (IIDGaussianPriorSpec(0.2, 0.5), LaplacePriorSpec(0.0, 2.0)):
        assert build_prior(prior).spec.to_dict() == prior.to_dict()
    for gspec in (GaussianGroupSpec(3, jitter=1e-5), LowRankGaussianGroupSpec(4, rank=2), IIDGaussianGroupSpec(2)):
        assert build_group(GroupEntry("g", gspec)).spec == gspec
    model_spec = _model().spec
    assert build_model(model_spec).spec.to_dict() == model_spec.to_dict()


def test_adapter_implements_the_protocol() -> None:
    a = adapter()
    assert isinstance(a, BackendAdapter)
    assert a.name == "torch" and dict(a.unsupported) == {}


def test_adapter_gradients_match_finite_differences() -> None:
    a = adapter()
    surrogate, spec = PCESpec(2, 1, degree=2), GaussianGroupSpec(6)
    rng = np.random.default_rng(0)
    raw = {k: rng.normal(scale=0.3, size=s) for k, s in spec.raw_shapes.items()}
    x, noise = rng.uniform(-1, 1, (5, 2)), rng.normal(size=(4, 6))
    prior = IIDGaussianPriorSpec(0.0, 2.0)

    def loss(r: dict[str, np.ndarray]) -> float:
        theta = reference.sample_transform(spec, r, noise)
        return float(np.mean(reference.forward(surrogate, x, theta) ** 2) + reference.kl_divergence(spec, r, prior))

    grads = a.loss_gradients(surrogate, spec, raw, prior, x, noise, dtype="float64")
    for name, g in grads.items():
        fd = np.zeros_like(raw[name])
        for i in np.ndindex(raw[name].shape):
            hi, lo = {k: v.copy() for k, v in raw.items()}, {k: v.copy() for k, v in raw.items()}
            hi[name][i] += 1e-6
            lo[name][i] -= 1e-6
            fd[i] = (loss(hi) - loss(lo)) / 2e-6
        np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-7)


def test_adapter_checkpoint_and_langevin_paths(tmp_path: Path) -> None:
    a = adapter()
    mlp = MLPSpec(2, 2, width=3)
    lspec = LangevinGroupSpec(2, surrogate_num_inputs=2, surrogate_num_outputs=2, surrogate_num_params=mlp.num_params,
                              num_diffusion_steps=3, surrogate=mlp)  # fmt: skip
    surrogate = PCESpec(1, 1, degree=3)
    model_spec = ModelSpec(surrogate, (GroupEntry("a", IIDGaussianGroupSpec(2)), GroupEntry("l", lspec)))
    rng = np.random.default_rng(3)
    raw = {"parameter_groups.0.mean": rng.normal(size=2), "parameter_groups.0.log_std": rng.normal(size=2),
           "parameter_groups.1.surrogate_params": rng.normal(size=mlp.num_params)}  # fmt: skip
    a.save_checkpoint(model_spec, raw, tmp_path / "x.npz")
    x = rng.uniform(-1, 1, (4, 1))
    noises = [rng.normal(size=(3, 2)), rng.normal(size=(3, 4, 2))]
    out = a.load_checkpoint_forward(tmp_path / "x.npz", x, noises, dtype="float64")
    theta_a = reference.sample_transform(
        IIDGaussianGroupSpec(2), {"mean": raw["parameter_groups.0.mean"], "log_std": raw["parameter_groups.0.log_std"]},
        noises[0],
    )  # fmt: skip
    params = raw["parameter_groups.1.surrogate_params"][None]
    traj = reference.langevin_trajectory(
        lambda t: reference.forward(mlp, t, params)[0], noises[1][:, 0], noises[1][:, 1:].transpose(1, 0, 2), 1e-3
    )
    expected = reference.forward(surrogate, x, np.concatenate([theta_a, traj[-1]], axis=1))
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)
    t = a.langevin_trajectory(
        lspec,
        mlp,
        {"surrogate_params": params[0]},
        noises[1][:, 0],
        noises[1][:, 1:].transpose(1, 0, 2),
        dtype="float32",
    )
    np.testing.assert_allclose(t, traj, rtol=1e-5, atol=1e-5)
