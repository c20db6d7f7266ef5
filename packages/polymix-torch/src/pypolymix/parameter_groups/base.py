"""pypolymix's ``parameter_groups.base`` module."""

from polymix_torch.parameter_groups import ParameterGroup

__all__ = ["ParameterGroup"]
