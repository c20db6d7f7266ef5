"""pypolymix's ``parameter_groups.deterministic`` module."""

from polymix_torch.parameter_groups import DeterministicGroup

__all__ = ["DeterministicGroup"]
