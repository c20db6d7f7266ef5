"""Shared test cases: group families with random raw parameters (numpy) and priors."""

from __future__ import annotations

import numpy as np
from polymix_core import (
    DeterministicGroupSpec,
    GaussianGroupSpec,
    GaussianPriorSpec,
    GroupEntry,
    IIDGaussianGroupSpec,
    IIDGaussianPriorSpec,
    LowRankGaussianGroupSpec,
)
from polymix_jax import build_group

D = 4
GAUSSIAN_SPECS = {
    "iid": IIDGaussianGroupSpec(D),
    "full": GaussianGroupSpec(D),
    "low_rank": LowRankGaussianGroupSpec(D, rank=2),
}
ALL_SPECS = {"deterministic": DeterministicGroupSpec(D), **GAUSSIAN_SPECS}
PRIOR_SPECS = {
    "iid_prior": IIDGaussianPriorSpec(np.linspace(-0.5, 0.5, D), np.linspace(0.5, 2.0, D)),
    "full_prior": GaussianPriorSpec(np.linspace(1.0, -1.0, D), covariance_matrix=np.eye(D) + 0.3 * np.ones((D, D))),
}


def random_raw(spec, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Raw parameters of moderate size (so every transform is exercised away from its start)."""
    return {name: 0.5 * rng.standard_normal(shape) for name, shape in spec.raw_shapes.items()}


def make_group(spec, raw, prior=None):
    """A native group holding ``raw``."""
    return build_group(GroupEntry("g", spec, prior), raw)
