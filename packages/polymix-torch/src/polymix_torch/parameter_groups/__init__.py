"""Variational families (with priors) over blocks of surrogate parameters."""

from ._base import ParameterGroup
from ._deterministic import DeterministicGroup
from ._gaussian import GaussianGroup
from ._iid_gaussian import IIDGaussianGroup
from ._langevin import LangevinGroup
from ._low_rank_gaussian import LowRankGaussianGroup

__all__ = [
    "DeterministicGroup",
    "GaussianGroup",
    "IIDGaussianGroup",
    "LangevinGroup",
    "LowRankGaussianGroup",
    "ParameterGroup",
]
