"""pypolymix's ``parameter_groups.gaussian`` module."""

from polymix_torch.parameter_groups import GaussianGroup, IIDGaussianGroup, LowRankGaussianGroup

__all__ = ["GaussianGroup", "IIDGaussianGroup", "LowRankGaussianGroup"]
