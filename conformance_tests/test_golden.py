"""torch and jax against the golden vectors of ``specs/golden`` (generated from polymix-core).

The golden values themselves are checked case by case against the independent oracle
(``packages/polymix-core/tests/test_golden_oracle.py``); the numpy reference, which generates
them, is not compared with its own output here.
Golden values are rounded to 12 significant digits, well inside the float64 tolerance.
They are checked in float64 (the case table of the other modules covers float32).
Index sets are checked in ``test_specs.py``; here: layouts, forward maps, sample transforms,
log-densities, KLs and Langevin trajectories.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from checks import assert_close, assert_scalar_close
from polymix_core import (
    LangevinGroupSpec,
    MixtureSpec,
    group_spec_from_dict,
    prior_spec_from_dict,
    surrogate_spec_from_dict,
)

#: Expected values come from polymix_core.reference: the numpy backend (that reference) is left out.
pytestmark = pytest.mark.reference_expected

GOLDEN_DIR = Path(__file__).resolve().parents[1] / "specs" / "golden"
#: Golden inputs are exact in float32 too, but the case table covers float32; golden checks run in float64.
GOLDEN_DTYPES = ("float64",)
FILES = (
    "surrogate_layouts",
    "group_layouts",
    "forward",
    "sample_transform",
    "prior_log_prob",
    "kl",
    "langevin",
)


def _cases(name: str) -> list[dict]:
    path = GOLDEN_DIR / f"{name}.json"
    return json.loads(path.read_text())["cases"] if path.exists() else []


GOLDEN = {name: _cases(name) for name in FILES}


def _ids(case: dict) -> str:
    return case["id"]


def _raw(pairs: list) -> dict[str, np.ndarray]:
    return {name: np.asarray(value, dtype=np.float64) for name, value in pairs}


def _arr(value) -> np.ndarray:
    return np.asarray(value, dtype=np.float64)


@pytest.mark.parametrize("name", FILES)
def test_golden_file_present(name):
    assert GOLDEN[name], f"{GOLDEN_DIR / name}.json is missing or has no cases (run specs/generate_golden.py)"


@pytest.mark.parametrize("case", GOLDEN["surrogate_layouts"], ids=_ids)
def test_surrogate_layout(backend, require, case):
    """polymix-core's layout is the golden one, and the backend takes exactly ``num_params``."""
    require(backend, "forward", "float64")
    spec = surrogate_spec_from_dict(case["spec"])
    assert spec.num_params == case["num_params"]
    assert [[s.name, s.start, s.stop, list(s.shape)] for s in spec.slices] == [
        [s["name"], s["start"], s["stop"], s["shape"]] for s in case["slices"]
    ]
    x = np.zeros((2, spec.num_inputs))
    out = backend.forward(spec, x, np.zeros((1, case["num_params"])), dtype="float64")
    assert out.shape == (1, 2, spec.num_outputs)


@pytest.mark.parametrize("case", GOLDEN["group_layouts"], ids=_ids)
def test_group_layout(backend, require, case):
    spec = group_spec_from_dict(case["spec"])
    assert [[n, list(s)] for n, s in spec.raw_shapes.items()] == case["raw_shapes"]
    assert list(spec.noise_shape) == case["noise_shape"]
    raw = {n: np.zeros(s) for n, s in spec.raw_shapes.items()}
    noise = np.zeros((2, *spec.noise_shape))
    if isinstance(spec, LangevinGroupSpec):
        require(backend, "langevin_trajectory", "float64")
        steps = noise[:, 1:].transpose(1, 0, 2)
        out = backend.langevin_trajectory(spec, spec.surrogate, raw, noise[:, 0], steps, dtype="float64")
        assert out.shape == (spec.num_diffusion_steps + 1, 2, spec.num_params)
    else:
        require(backend, "sample_transform", "float64")
        out = backend.sample_transform(spec, raw, noise, dtype="float64")
        assert out.shape == (2, spec.num_params)


@pytest.mark.parametrize("dtype", GOLDEN_DTYPES)
@pytest.mark.parametrize("case", GOLDEN["forward"], ids=_ids)
def test_forward(backend, require, case, dtype):
    require(backend, "forward", dtype)
    spec = surrogate_spec_from_dict(case["spec"])
    x, params = _arr(case["x"]), _arr(case["params"])
    assert_close(backend.forward(spec, x, params, dtype=dtype), _arr(case["output"]), dtype, what=case["id"])
    if isinstance(spec, MixtureSpec):
        experts = backend.expert_outputs(spec, x, params, dtype=dtype)
        assert_close(experts, _arr(case["expert_outputs"]), dtype, what=f"{case['id']} expert outputs")
        weights = backend.gating_weights(spec, x, params, dtype=dtype)
        assert_close(weights, _arr(case["gating_weights"]), dtype, what=f"{case['id']} gating weights")


@pytest.mark.parametrize("dtype", GOLDEN_DTYPES)
@pytest.mark.parametrize("case", GOLDEN["sample_transform"], ids=_ids)
def test_sample_transform(backend, require, case, dtype):
    require(backend, "sample_transform", dtype)
    spec, raw = group_spec_from_dict(case["spec"]), _raw(case["raw"])
    noise = _arr(case["noise"]).reshape(len(case["noise"]), *spec.noise_shape)
    actual = backend.sample_transform(spec, raw, noise, dtype=dtype)
    assert_close(actual, _arr(case["samples"]), dtype, what=f"{case['id']} samples")
    if "log_prob" in case:
        require(backend, "log_prob", dtype)
        expected = _arr(case["log_prob"])
        actual = backend.log_prob(spec, raw, _arr(case["theta"]), dtype=dtype)
        scale = float(np.max(np.abs(expected))) + spec.num_params
        assert_close(actual, expected, dtype, scale=scale, what=f"{case['id']} log_prob")


@pytest.mark.parametrize("dtype", GOLDEN_DTYPES)
@pytest.mark.parametrize("case", GOLDEN["prior_log_prob"], ids=_ids)
def test_prior_log_prob(backend, require, case, dtype):
    require(backend, "prior_log_prob", dtype)
    prior = prior_spec_from_dict(case["prior"])
    expected = _arr(case["log_prob"])
    actual = backend.prior_log_prob(prior, _arr(case["theta"]), dtype=dtype)
    assert_close(actual, expected, dtype, scale=float(np.max(np.abs(expected))) + case["num_params"], what=case["id"])


@pytest.mark.parametrize("dtype", GOLDEN_DTYPES)
@pytest.mark.parametrize("case", GOLDEN["kl"], ids=_ids)
def test_kl(backend, require, case, dtype):
    require(backend, "kl", dtype)
    spec, raw, prior = group_spec_from_dict(case["spec"]), _raw(case["raw"]), prior_spec_from_dict(case["prior"])
    actual = backend.kl(spec, raw, prior, dtype=dtype)
    # float32: the KL's terms (trace, quadratic form, log-determinants) are of the order of num_params.
    assert_scalar_close(actual, case["kl"], dtype, scale=abs(case["kl"]) + 10 * spec.num_params, what=case["id"])


@pytest.mark.parametrize("dtype", GOLDEN_DTYPES)
@pytest.mark.parametrize("case", GOLDEN["langevin"], ids=_ids)
def test_langevin_trajectory(backend, require, case, dtype):
    require(backend, "langevin_trajectory", dtype)
    spec, raw = group_spec_from_dict(case["spec"]), _raw(case["raw"])
    theta0, noise = _arr(case["theta0"]), _arr(case["noise"])
    actual = backend.langevin_trajectory(spec, spec.surrogate, raw, theta0, noise, dtype=dtype)
    assert_close(actual, _arr(case["trajectory"]), dtype, factor=10.0, what=case["id"])
