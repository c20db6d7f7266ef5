"""polymix_core.Prediction and polymix_core.metrics on numpy, torch and jax arrays.

The functions are written once against the array API: on torch and jax arrays they must give the numpy
float64 results, and return arrays of the input's type, dtype and device (float32 in, float32 out). Only
arrays are built here, never a backend's model. Devices: the CPU, plus CUDA for torch and the default jax
device when there is an accelerator.
"""

from __future__ import annotations

import contextlib
import importlib
from typing import Any

import numpy as np
import pytest
from polymix_core import PolymixTypeError, PolymixValueError, Prediction, metrics

ARRAY_MODULES = ["numpy", "torch", "jax"]
DTYPES = ["float32", "float64"]
NOISE = ["none", "noise_std", "heteroscedastic+observations", "noise_var+observations"]
#: (relative, absolute) tolerance of continuous results against the numpy float64 results
TOLERANCE = {"float64": (1e-10, 1e-12), "float32": (2e-5, 2e-5)}
#: mixture quantiles are found to 1e-6 of the noise scale; different frameworks may stop at different steps
QUANTILE_ATOL = {"float64": 3e-6, "float32": 1e-4}
SHAPE = (40, 24, 2)  # (num_samples, batch_size, num_outputs)


class Arrays:
    """numpy -> one framework's arrays of one dtype on one device, and the checks of what comes back."""

    def __init__(self, module: str, dtype: str, device: Any) -> None:
        self.module, self.dtype_name, self.device = module, dtype, device
        if module == "numpy":
            self.dtype = np.dtype(dtype)
        elif module == "torch":
            import torch

            self.dtype = getattr(torch, dtype)
        else:
            import jax.numpy as jnp

            self.dtype = jnp.dtype(dtype)

    def __call__(self, a: np.ndarray) -> Any:
        a = np.asarray(a, dtype=self.dtype_name)  # cast in numpy first: jax would warn about float64 data
        if self.module == "numpy":
            return a
        if self.module == "torch":
            import torch

            return torch.asarray(a, dtype=self.dtype, device=self.device)
        import jax

        return jax.device_put(a, self.device)

    def check(self, x: Any, what: str) -> np.ndarray:
        """``x`` is this framework's array of this dtype on this device; returned as float64 numpy."""
        if self.module == "numpy":
            assert isinstance(x, np.ndarray), what
            assert x.dtype == self.dtype, (what, x.dtype)
            return x.astype(np.float64)
        if self.module == "torch":
            import torch

            assert isinstance(x, torch.Tensor), what
            assert x.dtype == self.dtype, (what, x.dtype)
            assert x.device == torch.device(self.device), (what, x.device)
            return x.detach().cpu().double().numpy()
        import jax

        assert isinstance(x, jax.Array), what
        assert x.dtype == self.dtype, (what, x.dtype)
        assert x.devices() == {self.device}, (what, x.devices())
        return np.asarray(x, dtype=np.float64)


def devices(module: str) -> list[Any]:
    """The CPU, and an accelerator when one is present."""
    if module == "numpy":
        return ["cpu"]
    if module == "torch":
        torch = importlib.import_module("torch")
        return ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    jax = importlib.import_module("jax")
    out = [jax.devices("cpu")[0]]
    if jax.default_backend() != "cpu":
        out.append(jax.devices()[0])
    return out


@contextlib.contextmanager
def precision(module: str, dtype: str):
    """jax computes in float64 only under ``jax.enable_x64``."""
    if module != "jax":
        yield
        return
    jax = importlib.import_module("jax")
    with jax.enable_x64(dtype == "float64"):
        yield


def case(noise: str, seed: int = 0) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """float64 numpy arguments of ``Prediction`` and observations ``y``."""
    r = np.random.default_rng(seed)
    S, B, K = SHAPE
    samples = 2.0 * r.normal(size=(1, B, K)) + r.normal(size=SHAPE)
    y = samples[0] + 0.8 * r.normal(size=(B, K))
    obs = samples[r.integers(S, size=30)] + 0.8 * r.normal(size=(30, B, K))
    kwargs: dict[str, np.ndarray] = {"samples": samples}
    if noise == "noise_std":
        kwargs["noise_std"] = np.array([0.5, 1.2])
    elif noise == "heteroscedastic+observations":
        kwargs["noise_std"] = r.uniform(0.2, 1.5, size=SHAPE)
        kwargs["observations"] = obs
    elif noise == "noise_var+observations":
        kwargs["noise_var"] = np.array([0.3, 0.9])
        kwargs["observations"] = obs
    return kwargs, y


def summaries(p: Prediction, y: Any) -> tuple[dict[str, Any], dict[str, float]]:
    """Every array a prediction and the metrics return, and every scalar metric."""
    lower, upper = p.interval(0.8)
    nominal, observed = metrics.calibration_curve(p, y)
    arrays = {
        "mean": p.mean,
        "epistemic_var": p.epistemic_var,
        "aleatoric_var": p.aleatoric_var,
        "var": p.var,
        "std": p.std,
        "quantile(0.3)": p.quantile(0.3),
        "quantiles": p.quantile([0.05, 0.5, 0.95]),
        "interval.lower": lower,
        "interval.upper": upper,
        "cdf": p.cdf(y),
        "pit": metrics.pit(p, y),
        "calibration_curve.nominal": nominal,
        "calibration_curve.observed": observed,
    }
    scalars = {
        **metrics.evaluate(p, y, levels=(0.5, 0.8, 0.9)),
        "crps_fair": metrics.crps(p, y, estimator="fair"),
        "coverage(0.7)": metrics.coverage(p, y, 0.7),
        "sharpness(0.5)": metrics.sharpness(p, 0.5),
    }
    return arrays, scalars


#: Coverage-type results count points inside intervals: exact in float64; in float32 a point may sit within
#: rounding of a bound, so one point of difference is allowed there.
COUNTS = {"calibration_curve.observed", "coverage_50", "coverage_80", "coverage_90", "coverage(0.7)"}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("noise", NOISE)
@pytest.mark.parametrize("array_module", ARRAY_MODULES)
def test_prediction_and_metrics_match_numpy(array_module, noise, dtype):
    kwargs, y = case(noise)
    expected_arrays, expected_scalars = summaries(Prediction(**kwargs), y)  # numpy float64
    rtol, atol = TOLERANCE[dtype]
    one_point = 1.0 / (SHAPE[1] * SHAPE[2])
    for device in devices(array_module):
        arrays = Arrays(array_module, dtype, device)
        with precision(array_module, dtype):
            p = Prediction(**{k: arrays(v) for k, v in kwargs.items()})
            got_arrays, got_scalars = summaries(p, arrays(y))
            for name, value in got_arrays.items():
                got = arrays.check(value, name)
                expected = expected_arrays[name]
                assert got.shape == expected.shape, name
                if name in COUNTS:
                    np.testing.assert_allclose(got, expected, rtol=0, atol=0 if dtype == "float64" else one_point)
                elif name.startswith(("quantile", "interval")) and "noise_std" in kwargs:
                    np.testing.assert_allclose(got, expected, rtol=0, atol=QUANTILE_ATOL[dtype], err_msg=name)
                else:
                    np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol, err_msg=name)
            assert set(got_scalars) == set(expected_scalars)
            for name, value in got_scalars.items():
                assert isinstance(value, float), name
                expected = expected_scalars[name]
                if name in COUNTS or name == "calibration_error":
                    tol = 0.0 if dtype == "float64" else one_point
                elif name == "sharpness_90" or name == "sharpness(0.5)":
                    tol = 2 * QUANTILE_ATOL[dtype] + rtol * abs(expected)
                else:
                    tol = atol + rtol * abs(expected)
                assert abs(value - expected) <= tol, (name, value, expected)


@pytest.mark.parametrize("array_module", ["torch", "jax"])
def test_float32_in_float32_out_for_python_noise_and_numpy_y(array_module):
    kwargs, y = case("noise_std")
    arrays = Arrays(array_module, "float32", devices(array_module)[-1])
    with precision(array_module, "float32"):
        p = Prediction(arrays(kwargs["samples"]), noise_std=0.7)  # a Python number takes the samples' dtype
        arrays.check(p.aleatoric_var, "aleatoric_var")
        arrays.check(p.quantile(0.9), "quantile")
        # observations given as numpy are moved to the prediction's namespace, dtype and device
        arrays.check(metrics.pit(p, y), "pit")
        assert metrics.rmse(p, y) == pytest.approx(metrics.rmse(Prediction(kwargs["samples"]), y), rel=1e-5)


@pytest.mark.parametrize("array_module", ["torch", "jax"])
def test_arrays_of_two_namespaces_are_refused(array_module):
    kwargs, _ = case("noise_std")
    arrays = Arrays(array_module, "float32", "cpu" if array_module == "torch" else devices("jax")[0])
    with precision(array_module, "float32"):
        with pytest.raises(PolymixTypeError, match="noise_std"):
            Prediction(arrays(kwargs["samples"]), noise_std=np.array([0.5, 1.2], dtype=np.float32))
        with pytest.raises(PolymixTypeError, match="observations"):
            Prediction(arrays(kwargs["samples"]), observations=kwargs["samples"].astype(np.float32))


@pytest.mark.parametrize("array_module", ["torch", "jax"])
def test_bad_values_are_refused_before_any_computation(array_module):
    kwargs, y = case("noise_std")
    arrays = Arrays(array_module, "float32", devices(array_module)[0])
    with precision(array_module, "float32"):
        with pytest.raises(PolymixValueError, match="noise_std: expected finite positive values"):
            Prediction(arrays(kwargs["samples"]), noise_std=arrays(np.array([0.5, -1.0])))
        p = Prediction(arrays(kwargs["samples"]))
        y_bad = y.copy()
        y_bad[3, 1] = np.nan
        with pytest.raises(PolymixValueError, match="y: expected finite values"):
            metrics.crps(p, arrays(y_bad))
