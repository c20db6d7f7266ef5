"""Forward maps, expert outputs and gating weights equal the numpy float64 reference."""

from __future__ import annotations

import pytest
from cases import DTYPES, MIXTURE_CASES, SURROGATE_CASES
from checks import assert_close
from polymix_core import reference

#: Expected values come from polymix_core.reference: the numpy backend (that reference) is left out.
pytestmark = pytest.mark.reference_expected


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", SURROGATE_CASES, ids=lambda c: c.id)
def test_forward(backend, require, case, dtype):
    require(backend, "forward", dtype)
    x, params = case.x(), case.params()
    expected = reference.forward(case.spec, x, params)
    actual = backend.forward(case.spec, x, params, dtype=dtype)
    assert_close(actual, expected, dtype, what=f"{case.id} forward")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", MIXTURE_CASES, ids=lambda c: c.id)
def test_expert_outputs(backend, require, case, dtype):
    require(backend, "forward", dtype)
    x, params = case.x(), case.params()
    expected = reference.expert_outputs(case.spec, x, params)
    actual = backend.expert_outputs(case.spec, x, params, dtype=dtype)
    assert_close(actual, expected, dtype, what=f"{case.id} expert outputs")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", MIXTURE_CASES, ids=lambda c: c.id)
def test_gating_weights(backend, require, case, dtype):
    require(backend, "forward", dtype)
    x, params = case.x(), case.params()
    expected = reference.gating_weights(case.spec, x, params)
    actual = backend.gating_weights(case.spec, x, params, dtype=dtype)
    assert_close(actual, expected, dtype, what=f"{case.id} gating weights")
    assert_close(actual.sum(axis=-1), 1.0 + 0.0 * expected.sum(axis=-1), dtype, what=f"{case.id} weights sum to 1")
