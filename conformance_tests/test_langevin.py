"""Langevin trajectories: equal from equal initial particles and noise, score and energy models."""

from __future__ import annotations

import numpy as np
import pytest
from cases import DTYPES, LANGEVIN_CASES
from checks import REFERENCE, assert_close

#: Expected values come from polymix_core.reference: the numpy backend (that reference) is left out.
pytestmark = pytest.mark.reference_expected

#: Errors grow along the trajectory; float32 keeps about 1e-5 relative per step.
FACTOR = {"float64": 10.0, "float32": 5.0}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", LANGEVIN_CASES, ids=lambda c: c.id)
def test_trajectory_equal_from_equal_noise(backend, require, case, dtype):
    require(backend, "langevin_trajectory", dtype)
    theta0, noise = case.theta0(), case.noise()
    expected = REFERENCE.langevin_trajectory(case.spec, case.surrogate, case.raw, theta0, noise, dtype="float64")
    actual = backend.langevin_trajectory(case.spec, case.surrogate, case.raw, theta0, noise, dtype=dtype)
    assert actual.shape == (case.num_steps + 1, case.num_particles, case.spec.num_params)
    assert_close(actual[0], theta0, dtype, what=f"{case.id} initial particles")
    assert_close(actual, expected, dtype, factor=FACTOR[dtype], what=f"{case.id} trajectory")
    assert not np.allclose(expected[-1], expected[0]), "the case must move the particles"
