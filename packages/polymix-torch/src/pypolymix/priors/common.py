"""pypolymix's ``priors.common`` module."""

from polymix_torch.priors import GaussianPrior, IIDGaussianPrior, LaplacePrior

__all__ = ["GaussianPrior", "IIDGaussianPrior", "LaplacePrior"]
