"""polymix_core's sensitivity functions, written once against the array API, on numpy, torch and jax arrays.

Every function returns an array of its input's framework and dtype, equal to the numpy float64 result
(within the float32 tolerance for float32 inputs): ``pce_to_full_coefficients``, ``pce_mean_variance``,
the closed-form Sobol' indices of a PCE and ``saltelli_indices``. The numpy results themselves are judged
by independent oracles in polymix-core's tests (test_sobol.py, test_saltelli.py). The framework is a
plain parameter, ``array_module``: the ``backend`` fixture of this suite is the adapters'.
"""

from __future__ import annotations

import contextlib
import importlib
from types import SimpleNamespace
from typing import Any

import array_api_compat
import numpy as np
import polymix_core as pc
import pytest

MODULES = ["numpy", "torch", "jax"]
DTYPES = ["float64", "float32"]
TOLERANCE = {"float64": {"rtol": 1e-12, "atol": 1e-14}, "float32": {"rtol": 2e-5, "atol": 1e-6}}
IS_ARRAY = {
    "numpy": array_api_compat.is_numpy_array,
    "torch": array_api_compat.is_torch_array,
    "jax": array_api_compat.is_jax_array,
}


def precision(array_module: str, dtype: str) -> Any:
    """jax computes in float64 only under ``jax.enable_x64``."""
    if array_module == "jax":
        return importlib.import_module("jax").enable_x64(dtype == "float64")
    return contextlib.nullcontext()


def native(array_module: str, values: np.ndarray, dtype: str) -> Any:
    values = values.astype(dtype)
    if array_module == "torch":
        torch = importlib.import_module("torch")
        return torch.asarray(values, dtype=getattr(torch, dtype))
    if array_module == "jax":
        return importlib.import_module("jax.numpy").asarray(values)
    return values


def check(array_module: str, dtype: str, actual: Any, expected: np.ndarray, tolerance: dict | None = None) -> None:
    assert IS_ARRAY[array_module](actual), type(actual)
    assert str(actual.dtype).removeprefix("torch.") == dtype
    np.testing.assert_allclose(np.asarray(actual), expected, equal_nan=True, **(tolerance or TOLERANCE[dtype]))


def coefficients(spec: pc.PCESpec, num_samples: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    values = rng.normal(size=(num_samples, spec.num_terms, spec.num_outputs))
    values[-1, 1:, 0] = 0.0  # the last draw's first output is constant: NaN indices
    return values


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("array_module", MODULES)
def test_pce_moments_and_indices(array_module: str, dtype: str) -> None:
    spec = pc.PCESpec(3, 2, degree=3)
    params = coefficients(spec, 4, seed=0).reshape(4, spec.num_params)
    full = pc.pce_to_full_coefficients(spec, params)  # numpy float64: the expected values below
    expected = {
        "mean_variance": pc.pce_mean_variance(spec, full),
        "first": pc.pce_sobol_first_order(spec, full),
        "total": pc.pce_sobol_total(spec, full),
        "interaction": pc.pce_sobol_interaction(spec, full, [0, 2]),
        "closed": pc.pce_sobol_closed(spec, full, [2, 1]),
    }
    with precision(array_module, dtype):
        c = pc.pce_to_full_coefficients(spec, native(array_module, params, dtype))
        check(array_module, dtype, c, full)
        mean, variance = pc.pce_mean_variance(spec, c)
        check(array_module, dtype, mean, expected["mean_variance"][0])
        check(array_module, dtype, variance, expected["mean_variance"][1])
        check(array_module, dtype, pc.pce_sobol_first_order(spec, c), expected["first"])
        check(array_module, dtype, pc.pce_sobol_total(spec, c), expected["total"])
        check(array_module, dtype, pc.pce_sobol_interaction(spec, c, [0, 2]), expected["interaction"])
        check(array_module, dtype, pc.pce_sobol_closed(spec, c, [2, 1]), expected["closed"])
    assert np.isnan(expected["total"][-1, :, 0]).all()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("array_module", MODULES)
def test_saltelli_indices(array_module: str, dtype: str) -> None:
    design = pc.saltelli_design(3, 256, seed=1, bounds=[(-np.pi, np.pi)] * 3)

    def model(x: np.ndarray) -> np.ndarray:  # two 'posterior draws', two outputs (the second constant for draw 1)
        ishigami = np.sin(x[..., 0]) + 7 * np.sin(x[..., 1]) ** 2 + 0.1 * x[..., 2] ** 4 * np.sin(x[..., 0])
        draws = np.stack([ishigami, 0.5 * ishigami + x[..., 2]])  # (2, ...)
        return np.stack([draws, np.stack([x[..., 0], np.full(x.shape[:-1], 2.0)])], axis=-1)  # (2, ..., 2)

    f_a, f_b = model(design.A), model(design.B)  # (2, 256, 2)
    f_ab = np.moveaxis(model(design.AB), 1, 0)  # (3, 2, 256, 2)
    expected = pc.saltelli_indices(f_a, f_b, f_ab)
    with precision(array_module, dtype):
        result = pc.saltelli_indices(*(native(array_module, v, dtype) for v in (f_a, f_b, f_ab)))
        # float32: means of 256 products of values of size ~10 are good to ~1e-6 relative to the output's scale,
        # and the indices and standard errors are those means over the variance
        tolerance = None if dtype == "float64" else {"rtol": 1e-3, "atol": 1e-4}
        for actual, wanted in zip(result, expected):
            check(array_module, dtype, actual, wanted, tolerance)
    assert np.isnan(expected.total[1, :, 1]).all()


def test_jax_indices_run_under_jit() -> None:
    jax = importlib.import_module("jax")
    spec = pc.PCESpec(2, 1, degree=4)
    c = coefficients(spec, 3, seed=2)
    with jax.enable_x64(True):
        jitted = jax.jit(lambda values: (pc.pce_sobol_total(spec, values), pc.pce_mean_variance(spec, values)))
        total, (mean, variance) = jitted(jax.numpy.asarray(c))
        np.testing.assert_allclose(np.asarray(total), pc.pce_sobol_total(spec, c), equal_nan=True, rtol=1e-12)
        np.testing.assert_allclose(np.asarray(variance), pc.pce_mean_variance(spec, c)[1], rtol=1e-12)


def test_torch_indices_are_differentiable() -> None:
    torch = importlib.import_module("torch")
    spec = pc.PCESpec(2, 1, degree=2)
    c = torch.asarray(coefficients(spec, 2, seed=3)[:1], dtype=torch.float64).requires_grad_(True)
    total = pc.pce_sobol_total(spec, c)
    total[0, 0, 0].backward()
    assert c.grad is not None and torch.isfinite(c.grad).all() and c.grad[0, 0, 0] == 0  # the mean has no say


@pytest.mark.parametrize("array_module", MODULES)
def test_output_affine_map(array_module: str) -> None:
    base = pc.PCESpec(2, 2, degree=2)
    spec = SimpleNamespace(
        multi_indices=base.multi_indices, num_outputs=2, output_shift=(1.0, -2.0), output_scale=(3.0, 0.5)
    )
    c = coefficients(base, 2, seed=4)
    expected = pc.pce_mean_variance(spec, c)
    with precision(array_module, "float64"):
        actual = pc.pce_mean_variance(spec, native(array_module, c, "float64"))
        for a, e in zip(actual, expected):
            check(array_module, "float64", a, e)
