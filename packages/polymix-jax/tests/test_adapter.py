"""The conformance adapter, spot-checked against polymix_core's reference adapter."""

from __future__ import annotations

import numpy as np
import pytest
from polymix_core import (
    BackendAdapter,
    GaussianGroupSpec,
    GroupEntry,
    IIDGaussianGroupSpec,
    IIDGaussianPriorSpec,
    LangevinGroupSpec,
    MLPSpec,
    ModelSpec,
    PCESpec,
    PolymixValueError,
    conformance as core_conformance,
)
from polymix_jax import conformance


@pytest.fixture(scope="module")
def adapters():
    return conformance.adapter(), core_conformance.adapter()


def test_is_a_backend_adapter_with_every_feature(adapters):
    jax_adapter, _ = adapters
    assert isinstance(jax_adapter, BackendAdapter)
    assert jax_adapter.name == "jax" and dict(jax_adapter.unsupported) == {}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_forward_and_kl_agree_with_the_reference(adapters, rng, dtype):
    ours, ref = adapters
    spec = PCESpec(2, 1, degree=2)
    x, params = rng.uniform(-1, 1, (4, 2)), rng.standard_normal((3, spec.num_params))
    rtol = 1e-10 if dtype == "float64" else 1e-5
    out = ours.forward(spec, x, params, dtype=dtype)
    assert out.dtype == np.float64
    np.testing.assert_allclose(out, ref.forward(spec, x, params, dtype=dtype), rtol=rtol, atol=rtol)
    g = GaussianGroupSpec(3)
    raw = {"mean": rng.standard_normal(3), "raw_tril": rng.standard_normal(6)}
    prior = IIDGaussianPriorSpec(0.1, 1.5)
    np.testing.assert_allclose(ours.kl(g, raw, prior, dtype=dtype), ref.kl(g, raw, prior, dtype=dtype), rtol=rtol)


def test_loss_gradients_agree_with_the_reference(adapters, rng):
    ours, ref = adapters
    surrogate = MLPSpec(1, 1, width=2)
    spec = IIDGaussianGroupSpec(surrogate.num_params)
    raw = {"mean": rng.standard_normal(7), "log_std": 0.3 * rng.standard_normal(7)}
    x, noise = rng.uniform(-1, 1, (5, 1)), rng.standard_normal((4, 7))
    a = ours.loss_gradients(surrogate, spec, raw, None, x, noise, dtype="float64")
    b = ref.loss_gradients(surrogate, spec, raw, None, x, noise, dtype="float64")
    for name in spec.raw_shapes:
        np.testing.assert_allclose(a[name], b[name], rtol=1e-6, atol=1e-8)


def test_langevin_and_checkpoint(adapters, rng, tmp_path):
    ours, ref = adapters
    surrogate = MLPSpec(2, 2, width=3, activation="tanh")
    spec = LangevinGroupSpec(
        2,
        mode="score",
        surrogate_num_inputs=2,
        surrogate_num_outputs=2,
        surrogate_num_params=surrogate.num_params,
        step_size=0.05,
        surrogate=surrogate,
    )
    raw = {"surrogate_params": rng.standard_normal(surrogate.num_params)}
    theta0, noise = rng.standard_normal((3, 2)), rng.standard_normal((2, 3, 2))
    np.testing.assert_allclose(
        ours.langevin_trajectory(spec, surrogate, raw, theta0, noise, dtype="float64"),
        ref.langevin_trajectory(spec, surrogate, raw, theta0, noise, dtype="float64"),
        rtol=1e-10,
    )
    model = ModelSpec(PCESpec(1, 1, degree=1), (GroupEntry("g", IIDGaussianGroupSpec(2)),))
    mraw = {"parameter_groups.0.mean": np.array([0.5, -1.0]), "parameter_groups.0.log_std": np.array([0.1, -0.2])}
    ours.save_checkpoint(model, mraw, tmp_path / "c.npz")
    x, noises = rng.uniform(-1, 1, (3, 1)), [rng.standard_normal((2, 2))]
    np.testing.assert_allclose(
        ours.load_checkpoint_forward(tmp_path / "c.npz", x, noises, dtype="float64"),
        ref.load_checkpoint_forward(tmp_path / "c.npz", x, noises, dtype="float64"),
        rtol=1e-12,
    )


def test_bad_dtype_is_rejected(adapters):
    with pytest.raises(PolymixValueError, match="dtype: expected 'float32' or 'float64', received 'float16'"):
        adapters[0].forward(PCESpec(1, 1, degree=1), np.zeros((1, 1)), np.zeros((1, 2)), dtype="float16")
