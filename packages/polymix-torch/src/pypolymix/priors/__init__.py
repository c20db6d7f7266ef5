"""pypolymix's ``priors`` package (``polymix_torch.priors``)."""

from polymix_torch.priors import GaussianPrior, IIDGaussianPrior, LaplacePrior, Prior

__all__ = ["GaussianPrior", "IIDGaussianPrior", "LaplacePrior", "Prior"]
