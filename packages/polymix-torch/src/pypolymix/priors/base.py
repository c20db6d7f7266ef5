"""pypolymix's ``priors.base`` module."""

from polymix_torch.priors import Prior

__all__ = ["Prior"]
