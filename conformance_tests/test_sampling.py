"""Sampling: equal samples from equal noise, and real sampling with the right moments."""

from __future__ import annotations

import numpy as np
import pytest
from cases import DTYPES, FAMILY_CASES, TRANSFORM_FAMILY_CASES, f32, rng_for
from checks import assert_close, assert_moments, langevin_samples
from polymix_core import PolymixError, reference

NUM_SAMPLES = 20_000


@pytest.mark.reference_expected
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("family", TRANSFORM_FAMILY_CASES, ids=lambda f: f.id)
def test_sample_transform_equal_noise(backend, require, family, dtype):
    require(backend, "sample_transform", dtype)
    noise = f32(rng_for("noise", family.id).standard_normal((7, *family.spec.noise_shape)))
    expected = reference.sample_transform(family.spec, family.raw, noise)
    actual = backend.sample_transform(family.spec, family.raw, noise, dtype=dtype)
    assert_close(actual, expected, dtype, what=f"{family.id} sample_transform")


@pytest.mark.parametrize("family", TRANSFORM_FAMILY_CASES, ids=lambda f: f.id)
def test_sample_transform_rejects_wrong_noise_shape(backend, require, family):
    require(backend, "sample_transform", "float64")
    (k,) = family.spec.noise_shape
    with pytest.raises(PolymixError):
        backend.sample_transform(family.spec, family.raw, np.zeros((3, k + 1)), dtype="float64")


@pytest.mark.reference_expected
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("family", FAMILY_CASES, ids=lambda f: f.id)
def test_sample_moments(backend, require, family, dtype):
    require(backend, "sample", dtype)
    spec, raw = family.spec, family.raw
    samples = backend.sample(spec, raw, NUM_SAMPLES, seed=11, dtype=dtype)
    assert isinstance(samples, np.ndarray) and samples.dtype == np.float64
    assert samples.shape == (NUM_SAMPLES, spec.num_params)
    assert np.all(np.isfinite(samples))
    what = f"{backend.name} {family.id} ({dtype})"
    if family.family == "deterministic":
        assert_close(samples, np.broadcast_to(raw["params"], samples.shape), dtype, what=what)
        return
    if family.is_langevin:
        ref = langevin_samples(family)
        assert_moments(samples, ref.mean(axis=0), np.cov(ref, rowvar=False), ref_n=ref.shape[0], what=what)
    else:
        mean, cov = reference.moments(spec, raw)
        assert_moments(samples, mean, cov, what=what)
    again = backend.sample(spec, raw, 50, seed=11, dtype=dtype)
    other = backend.sample(spec, raw, 50, seed=12, dtype=dtype)
    np.testing.assert_array_equal(again, backend.sample(spec, raw, 50, seed=11, dtype=dtype), err_msg="same seed")
    assert not np.allclose(again, other), f"{what}: seeds 11 and 12 gave the same samples"
