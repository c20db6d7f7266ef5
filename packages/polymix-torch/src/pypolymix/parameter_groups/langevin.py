"""pypolymix's ``parameter_groups.langevin`` module."""

from polymix_torch.parameter_groups import LangevinGroup

__all__ = ["LangevinGroup"]
