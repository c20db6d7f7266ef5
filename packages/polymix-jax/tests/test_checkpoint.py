"""Checkpoints: polymix_core's format with state_dict keys, round trips, cross-backend files."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from polymix_core import (
    ConfigurationError,
    GaussianPriorSpec,
    GroupEntry,
    IIDGaussianGroupSpec,
    LowRankGaussianGroupSpec,
    MLPSpec,
    ModelSpec,
    read_checkpoint,
    reference,
    write_checkpoint,
)
from polymix_jax import (
    StochasticModel,
    build_model,
    load_checkpoint,
    parameter_groups,
    priors,
    save_checkpoint,
    state_dict,
    surrogate_models,
)


def _model():
    k1, k2, k3 = jax.random.split(jax.random.key(0), 3)
    experts = [surrogate_models.NeuralNetwork(1, 1, width=2), surrogate_models.PolynomialChaosExpansion(1, 1, degree=2)]
    moe = surrogate_models.MixtureOfExperts(experts, surrogate_models.GatingNetwork(1, 2, width=2))
    n = moe.num_params()  # 7 + 3 + 10 = 20
    score = surrogate_models.NeuralNetwork(4, 4, width=3, activation="tanh")
    groups = [
        parameter_groups.IIDGaussianGroup("a", 6, priors.IIDGaussianPrior(0.5, 2.0), key=k1),
        parameter_groups.LowRankGaussianGroup("b", 5, rank=2, key=k2),
        parameter_groups.GaussianGroup("c", 3, priors.GaussianPrior(np.zeros(3), scale_tril=np.eye(3))),
        parameter_groups.DeterministicGroup("d", 2, priors.LaplacePrior(0.0, 0.3), key=k3),
        parameter_groups.LangevinGroup("e", 4, score_model=score, num_diffusion_steps=3, key=k3),
    ]
    assert sum(g.num_params for g in groups) == n
    return StochasticModel(moe, groups)


def test_round_trip_preserves_everything(tmp_path):
    model = _model()
    path = tmp_path / "model.npz"
    save_checkpoint(model, path)
    loaded = load_checkpoint(path)
    assert loaded.spec.to_dict() == model.spec.to_dict()
    # Same spec and same raw arrays: the same model (the forward map is checked in the next tests).
    for k, v in state_dict(model).items():
        np.testing.assert_array_equal(np.asarray(state_dict(loaded)[k]), np.asarray(v))
    assert [type(g.prior) for g in loaded.parameter_groups] == [type(g.prior) for g in model.parameter_groups]


def test_file_is_the_core_format_with_state_dict_keys(tmp_path):
    model = _model()
    save_checkpoint(model, tmp_path / "m.npz")
    spec, arrays = read_checkpoint(tmp_path / "m.npz")
    assert sorted(arrays) == sorted(model.spec.raw_keys())
    assert "parameter_groups.1.cov_factor" in arrays and "parameter_groups.4.surrogate_params" in arrays
    assert all(a.dtype == np.float64 for a in arrays.values())


def test_loads_a_file_written_by_another_backend(tmp_path, rng):
    # What polymix-torch writes: polymix_core.write_checkpoint with float64 arrays and state_dict keys.
    mlp = MLPSpec(2, 1, width=3)
    spec = ModelSpec(
        mlp,
        (
            GroupEntry(
                "w", LowRankGaussianGroupSpec(10, rank=2), GaussianPriorSpec(np.zeros(10), scale_tril=np.eye(10))
            ),
            GroupEntry("rest", IIDGaussianGroupSpec(3)),
        ),
    )
    raw = {
        "parameter_groups.0.mean": rng.standard_normal(10),
        "parameter_groups.0.cov_factor": rng.standard_normal((10, 2)),
        "parameter_groups.0.raw_cov_diag": rng.standard_normal(10),
        "parameter_groups.1.mean": rng.standard_normal(3),
        "parameter_groups.1.log_std": rng.standard_normal(3),
    }
    write_checkpoint(tmp_path / "torch.npz", spec, raw)
    with jax.enable_x64(True):
        model = load_checkpoint(tmp_path / "torch.npz")
        noise0, noise1 = rng.standard_normal((2, 12)), rng.standard_normal((2, 3))
        theta = np.concatenate(
            [
                reference.sample_transform(
                    spec.groups[0].spec, {k.split(".")[-1]: raw[k] for k in list(raw)[:3]}, noise0
                ),
                reference.sample_transform(
                    spec.groups[1].spec, {k.split(".")[-1]: raw[k] for k in list(raw)[3:]}, noise1
                ),
            ],
            axis=1,
        )
        thetas = [g.sample_transform(n) for g, n in zip(model.parameter_groups, (noise0, noise1))]
        np.testing.assert_allclose(np.asarray(jnp.concatenate(thetas, axis=1)), theta, rtol=1e-12)
        assert isinstance(model.parameter_groups[0].prior, priors.GaussianPrior)


def test_build_model_from_spec_and_raw(rng):
    spec = ModelSpec(MLPSpec(1, 1, width=2), (GroupEntry("nn", IIDGaussianGroupSpec(7)),))
    model = build_model(spec, key=jax.random.key(0))
    assert model.num_params() == 7
    with pytest.raises(Exception, match="expected exactly the keys"):
        build_model(spec, {"parameter_groups.0.mean": np.zeros(7)})


def test_custom_activation_cannot_be_saved(tmp_path):
    net = surrogate_models.NeuralNetwork(1, 1, width=2, activation=jnp.sin)
    model = StochasticModel(net, parameter_groups.GaussianGroup("g", net.num_params()))
    with pytest.raises(ConfigurationError, match="activation: expected a named activation"):
        save_checkpoint(model, tmp_path / "x.npz")
    assert not (tmp_path / "x.npz").exists()
