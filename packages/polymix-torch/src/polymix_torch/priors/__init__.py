"""Priors over parameter blocks: factories of ``torch.distributions`` objects."""

from ._base import Prior
from ._common import GaussianPrior, IIDGaussianPrior, LaplacePrior

__all__ = ["GaussianPrior", "IIDGaussianPrior", "LaplacePrior", "Prior"]
