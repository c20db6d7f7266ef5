"""Priors over parameter blocks: factories of ``torch.distributions`` objects."""

from ._base import Prior as Prior
from ._gaussian import GaussianPrior as GaussianPrior
from ._iid_gaussian import IIDGaussianPrior as IIDGaussianPrior
from ._laplace import LaplacePrior as LaplacePrior

__all__ = ["GaussianPrior", "IIDGaussianPrior", "LaplacePrior", "Prior"]
