"""Priors over parameter blocks: factories of ``torch.distributions`` objects."""

from ._base import Prior
from ._gaussian import GaussianPrior
from ._iid_gaussian import IIDGaussianPrior
from ._laplace import LaplacePrior

__all__ = ["GaussianPrior", "IIDGaussianPrior", "LaplacePrior", "Prior"]
