"""Backend-neutral checkpoints: saved by one backend, loaded by another (every ordered pair).

The file must be polymix-core's format (``read_checkpoint`` returns the spec and the very
arrays saved), and the loading backend must give the reference outputs from fixed noise.
"""

from __future__ import annotations

import numpy as np
import pytest
from cases import DTYPES, MODEL_CASES
from checks import REFERENCE, assert_close
from polymix_core import IIDGaussianPriorSpec, read_checkpoint

#: Expected values come from polymix_core.reference: the numpy backend (that reference) is left out.
pytestmark = pytest.mark.reference_expected

DEFAULT_PRIOR = IIDGaussianPriorSpec(0.0, 1.0).to_dict()


def _normalised(spec):
    """``spec.to_dict()`` with the default prior spelt out (``None`` and ``IIDGaussianPrior(0, 1)`` are one prior)."""
    d = spec.to_dict()
    for group in d["groups"]:
        if group["prior"] is None:
            group["prior"] = DEFAULT_PRIOR
    return d


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", MODEL_CASES, ids=lambda c: c.id)
def test_checkpoint_moves_between_backends(backend_pair, require, case, dtype, tmp_path):
    saver, loader = backend_pair
    require(saver, "checkpoint")
    require(loader, "checkpoint", dtype)
    path = tmp_path / f"{case.id}.npz"
    raw = case.raw
    saver.save_checkpoint(case.spec, raw, path)

    spec, arrays = read_checkpoint(path)
    assert _normalised(spec) == _normalised(case.spec), f"{saver.name} saved a different spec"
    assert sorted(arrays) == sorted(case.spec.raw_keys())
    for key in case.spec.raw_keys():
        np.testing.assert_array_equal(arrays[key], raw[key], err_msg=f"{saver.name} saved {key} altered")

    x, noises = case.x(), case.noises()
    reference_path = tmp_path / "reference.npz"
    REFERENCE.save_checkpoint(case.spec, raw, reference_path)
    expected = REFERENCE.load_checkpoint_forward(reference_path, x, noises, dtype="float64")
    actual = loader.load_checkpoint_forward(path, x, noises, dtype=dtype)
    assert actual.shape == (case.num_samples, case.batch_size, case.spec.surrogate.num_outputs)
    assert_close(actual, expected, dtype, factor=10.0, what=f"{case.id} saved by {saver.name}, run by {loader.name}")
