"""Gradients of the fixed deterministic loss w.r.t. every raw variational parameter.

The loss is ``mean(forward(x, transform(noise)) ** 2) + distribution loss`` (analytic KL for a
Gaussian family against a Gaussian prior, ``-log p(params)`` for a deterministic group). Each
backend is compared with central finite differences of the float64 reference, and the backends
are compared with one another.
"""

from __future__ import annotations

import numpy as np
import pytest
from cases import GRADIENT_CASES
from checks import assert_close, reference_gradients

#: Expected values come from polymix_core.reference: the numpy backend (that reference) is left out.
pytestmark = pytest.mark.reference_expected

#: Finite differences are accurate to about 1e-9 relative; float32 gradients to about 1e-5.
FD_FACTOR = {"float64": 1e4, "float32": 10.0}
#: Every case in float64; in float32 one case per family and surrogate kind (autodiff in float32 is slow in eager jax).
FLOAT32_CASES = (
    "mlp-relu-deterministic-gaussian-tril",
    "mlp-tanh-iid-iid-vector",
    "pce-gaussian-gaussian-cov",
    "moe-lowrank-r3-gaussian-cov",
)
CASES_AND_DTYPES = [
    pytest.param(case, dtype, id=f"{case.id}-{dtype}")
    for dtype in ("float64", "float32")
    for case in GRADIENT_CASES
    if dtype == "float64" or case.id in FLOAT32_CASES
]
_CACHE: dict = {}


def _gradients(backend, case, dtype):
    """One ``loss_gradients`` call per backend, case and precision (reused by the cross-backend test)."""
    key = (backend.name, case.id, dtype)
    if key not in _CACHE:
        _CACHE[key] = backend.loss_gradients(
            case.surrogate, case.family, case.raw, case.prior_spec, case.x(), case.noise(), dtype=dtype
        )
    return _CACHE[key]


def _check(actual, expected, dtype, case, factor, label):
    assert isinstance(actual, dict), f"{label}: expected a dict of gradients, received {type(actual).__name__}"
    assert list(actual) == list(case.family.raw_shapes), (
        f"{label}: expected gradients for {list(case.family.raw_shapes)} in that order, received {list(actual)}"
    )
    scale = max(float(np.max(np.abs(g))) for g in expected.values())
    for name in expected:
        assert_close(actual[name], expected[name], dtype, scale=scale, factor=factor, what=f"{label} d/d{name}")


@pytest.mark.parametrize(("case", "dtype"), CASES_AND_DTYPES)
def test_gradients_match_finite_differences(backend, require, case, dtype):
    require(backend, "loss_gradients", dtype)
    actual = _gradients(backend, case, dtype)
    _check(actual, reference_gradients(case), dtype, case, FD_FACTOR[dtype], f"{backend.name} {case.id}")


@pytest.mark.parametrize(("case", "dtype"), CASES_AND_DTYPES)
def test_gradients_agree_across_backends(backend_couple, require, case, dtype):
    first, second = backend_couple
    require(first, "loss_gradients", dtype)
    require(second, "loss_gradients", dtype)
    a, b = _gradients(first, case, dtype), _gradients(second, case, dtype)
    # Finite differences (numpy) only reach ~1e-9; two autodiff backends should agree to round-off.
    factor = FD_FACTOR[dtype] if "numpy" in (first.name, second.name) else (10.0 if dtype == "float64" else 2.0)
    _check(a, b, dtype, case, factor, f"{first.name} vs {second.name} {case.id}")
