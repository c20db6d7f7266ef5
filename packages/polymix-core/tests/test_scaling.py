"""Input bounds and output scaling: validation, the maps, the bounds check, specs, checkpoints and the reference."""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pytest
from numpy.polynomial import legendre as npleg
from polymix_core import (
    CheckpointError,
    ConfigurationError,
    DomainError,
    GatingSpec,
    IIDGaussianGroupSpec,
    MixtureSpec,
    MLPSpec,
    PCESpec,
    PolymixWarning,
    Scaling,
    reference,
    surrogate_spec_from_dict,
)
from polymix_core._checkpoint_schema import CheckpointLimits, expected_raw_shapes

PI_BOUNDS = [(-math.pi, math.pi)] * 3


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"input_bounds": [(-1, 1)] * 2}, "3 \\(low, high\\) pairs"),
        ({"input_bounds": [(1, -1)] * 3}, "low < high"),
        ({"input_bounds": [(0, 0)] * 3}, "low < high"),
        ({"input_bounds": [(0, math.inf)] * 3}, "finite real"),
        ({"input_bounds": [(0, float("nan"))] * 3}, "finite real"),
        ({"input_bounds": [(-1e308, 1e308)] * 3}, "finite range"),
        ({"input_bounds": [(0, 1, 2)] * 3}, "pair"),
        ({"input_bounds": "abc"}, "pairs"),
        ({"input_bounds": [(True, 2)] * 3}, "finite real"),
        ({"output_shift": [1.0, 2.0]}, "1 numbers"),
        ({"output_shift": [math.nan]}, "finite real"),
        ({"output_scale": [0.0]}, "positive"),
        ({"output_scale": [-2.0]}, "positive"),
        ({"extrapolation": "ignore"}, "extrapolation"),
    ],
)
@pytest.mark.parametrize("make", [lambda **k: PCESpec(3, 1, 2, **k), lambda **k: MLPSpec(3, 1, **k)])
def test_invalid_scaling_is_refused(make, kwargs, match):
    with pytest.raises(ConfigurationError, match=match):
        make(**kwargs)


def test_unset_scaling_keeps_the_pypolymix_layout():
    spec = PCESpec(3, 2, 4)
    assert spec.scaling is None
    assert spec.to_dict() == {"kind": "pce", "num_inputs": 3, "num_outputs": 2, "degree": 4, "q": 1.0}
    assert spec.init_kwargs() == {"num_inputs": 3, "num_outputs": 2, "degree": 4, "q": 1.0}
    assert MLPSpec(2, 1).init_kwargs() == {
        "num_inputs": 2,
        "num_outputs": 1,
        "width": 16,
        "depth": 1,
        "activation": "relu",
    }


def test_scaling_round_trips_through_json_and_numpy_bounds():
    bounds = np.array(PI_BOUNDS)
    spec = PCESpec(3, 1, 8, input_bounds=bounds, output_shift=[1e5], output_scale=[1e4], extrapolation="warn")
    assert spec.input_bounds == tuple((float(a), float(b)) for a, b in PI_BOUNDS)
    again = surrogate_spec_from_dict(json.loads(json.dumps(spec.to_dict())))
    assert again == spec and hash(again) == hash(spec)
    assert again.scaling == spec.scaling
    assert spec.with_scaling(output_shift=None).output_shift is None
    with pytest.raises(ConfigurationError, match="degree"):
        spec.with_scaling(degree=2)


def test_mixture_scales_as_a_whole():
    bounds = [(0.0, 2.0)]
    with pytest.raises(ConfigurationError, match="experts\\[1\\]: expected an expert without"):
        MixtureSpec((MLPSpec(1, 1), PCESpec(1, 1, 2, input_bounds=bounds)), GatingSpec(1, 2))
    spec = MixtureSpec((MLPSpec(1, 1), PCESpec(1, 1, 2)), GatingSpec(1, 2), input_bounds=bounds, output_scale=[3.0])
    assert surrogate_spec_from_dict(json.loads(json.dumps(spec.to_dict()))) == spec


def test_maps_against_closed_forms():
    rng = np.random.default_rng(0)
    low, high = np.array([-3.0, 10.0]), np.array([5.0, 10.5])
    s = Scaling(tuple(zip(low, high)), (100.0, -1.0), (4.0, 0.5))
    x = low + (high - low) * rng.random((50, 2))
    z = s.map_inputs(x)
    np.testing.assert_allclose(z, (x - (low + high) / 2) / ((high - low) / 2), rtol=1e-14, atol=1e-14)
    np.testing.assert_allclose(s.map_inputs(np.stack([low, high])), [[-1, -1], [1, 1]], atol=1e-14)
    y = rng.normal(size=(3, 50, 2))
    np.testing.assert_allclose(s.map_outputs(y), np.array([100.0, -1.0]) + np.array([4.0, 0.5]) * y)
    # float32 in, float32 out
    assert s.map_inputs(x.astype(np.float32)).dtype == np.float32


def test_bounds_check_names_rows_and_tolerates_rounding():
    s = Scaling(((0.0, 1.0), (-1.0, 1.0)))
    ok = np.array([[0.0, -1.0], [1.0 + 1e-9, 1.0], [0.5, 0.0]])
    s.check_inputs(ok)  # within the relative tolerance
    bad = np.array([[0.5, 0.0], [1.5, 0.0], [0.5, -3.0], [0.2, 0.2]])
    with pytest.raises(DomainError, match=r"x: expected inputs within input_bounds.*2 row\(s\) outside \(rows 1, 2;"):
        s.check_inputs(bad)
    with pytest.raises(DomainError, match="x_test"):
        s.check_inputs(bad, name="x_test")


def test_extrapolation_warns_once_per_spec():
    spec = PCESpec(1, 1, 2, input_bounds=[(0.0, 1.0)], extrapolation="warn")
    x = np.array([[2.0]])
    with pytest.warns(PolymixWarning, match="extrapolating"):
        spec.scaling.check_inputs(x)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        spec.scaling.check_inputs(x)  # once only


def _legendre_pce(spec: PCESpec, z: np.ndarray, coeffs: np.ndarray) -> np.ndarray:
    """Independent evaluation: products of numpy Legendre series, one term at a time."""
    out = np.zeros((z.shape[0], spec.num_outputs))
    c = coeffs.reshape(spec.num_terms, spec.num_outputs)
    for k, alpha in enumerate(spec.multi_indices):
        term = np.ones(z.shape[0])
        for i, n in enumerate(alpha):
            term = term * npleg.legval(z[:, i], np.eye(n + 1)[n])
        out += term[:, None] * c[k]
    return out


def test_reference_pce_on_bounds_equals_the_unit_pce_on_mapped_inputs():
    rng = np.random.default_rng(1)
    spec = PCESpec(3, 2, 3, input_bounds=PI_BOUNDS, output_shift=[1e5, -2.0], output_scale=[1e4, 0.5])
    x = rng.uniform(-math.pi, math.pi, (40, 3))
    params = rng.normal(size=(2, spec.num_params))
    y = reference.forward(spec, x, params)
    for s in range(2):
        expected = _legendre_pce(spec, x / math.pi, params[s])
        np.testing.assert_allclose(y[s], [1e5, -2.0] + np.array([1e4, 0.5]) * expected, rtol=1e-12)
    with pytest.raises(DomainError):
        reference.forward(spec, np.full((1, 3), 4.0), params)


def test_reference_mlp_and_mixture_scaling():
    rng = np.random.default_rng(2)
    bounds = [(10.0, 20.0), (-5.0, 5.0)]
    net = MLPSpec(2, 1, width=4, input_bounds=bounds, output_scale=[3.0])
    plain = MLPSpec(2, 1, width=4)
    x = rng.uniform([10, -5], [20, 5], (7, 2))
    z = (x - [15.0, 0.0]) / [5.0, 5.0]
    p = rng.normal(size=(3, net.num_params))
    np.testing.assert_allclose(reference.forward(net, x, p), 3.0 * reference.forward(plain, z, p), rtol=1e-12)
    experts = (MLPSpec(2, 1, width=4), PCESpec(2, 1, 2))
    mix = MixtureSpec(experts, GatingSpec(2, 2), input_bounds=bounds, output_shift=[7.0])
    mix0 = MixtureSpec(experts, GatingSpec(2, 2))
    pm = rng.normal(size=(3, mix.num_params))
    np.testing.assert_allclose(reference.forward(mix, x, pm), 7.0 + reference.forward(mix0, z, pm), rtol=1e-12)
    np.testing.assert_allclose(reference.gating_weights(mix, x, pm), reference.gating_weights(mix0, z, pm))


def _model_dict(surrogate: dict, n: int) -> dict:
    return {
        "format": "polymix-checkpoint-v1",
        "surrogate": surrogate,
        "groups": [{"name": "g", "spec": IIDGaussianGroupSpec(n).to_dict(), "prior": None}],
    }


def test_checkpoint_schema_accepts_scaling_and_files_without_it():
    scaled = PCESpec(3, 1, 2, input_bounds=PI_BOUNDS, output_scale=[2.0]).to_dict()
    limits = CheckpointLimits()
    assert expected_raw_shapes(_model_dict(scaled, 10), limits)
    assert expected_raw_shapes(_model_dict(PCESpec(3, 1, 2).to_dict(), 10), limits)


@pytest.mark.parametrize(
    ("field", "value", "match"),
    [
        ("input_bounds", [[0, 1]] * 2, "input_bounds"),
        ("input_bounds", [[1, 0]] * 3, "low < high"),
        ("input_bounds", [[0, "1"]] * 3, "finite real"),
        ("output_scale", [-1.0], "positive"),
        ("output_shift", [1.0] * 10_000, "1 numbers"),
        ("extrapolation", "always", "extrapolation"),
        ("input_range", [[0, 1]] * 3, "unknown \\['input_range'\\]"),
    ],
)
def test_checkpoint_schema_refuses_bad_scaling(field, value, match):
    d = PCESpec(3, 1, 2).to_dict()
    d[field] = value
    with pytest.raises(CheckpointError, match=match):
        expected_raw_shapes(_model_dict(d, 10), CheckpointLimits())


def test_checkpoint_schema_refuses_scaling_on_a_gating_network():
    d = MixtureSpec((MLPSpec(1, 1),), GatingSpec(1, 1)).to_dict()
    n = MixtureSpec((MLPSpec(1, 1),), GatingSpec(1, 1)).num_params
    d["gating"]["input_bounds"] = [[0, 1]]
    with pytest.raises(CheckpointError, match="unknown \\['input_bounds'\\]"):
        expected_raw_shapes(_model_dict(d, n), CheckpointLimits())
