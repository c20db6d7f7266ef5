"""Variational families (with priors) over blocks of surrogate parameters."""

from ._base import ParameterGroup as ParameterGroup
from ._deterministic import DeterministicGroup as DeterministicGroup
from ._gaussian import GaussianGroup as GaussianGroup
from ._iid_gaussian import IIDGaussianGroup as IIDGaussianGroup
from ._langevin import LangevinGroup as LangevinGroup
from ._low_rank_gaussian import LowRankGaussianGroup as LowRankGaussianGroup

__all__ = [
    "DeterministicGroup",
    "GaussianGroup",
    "IIDGaussianGroup",
    "LangevinGroup",
    "LowRankGaussianGroup",
    "ParameterGroup",
]
