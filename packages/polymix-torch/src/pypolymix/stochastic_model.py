"""pypolymix's ``stochastic_model`` module."""

from polymix_torch import StochasticModel

__all__ = ["StochasticModel"]
