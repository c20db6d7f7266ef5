"""pypolymix's ``parameter_groups`` package (``polymix_torch.parameter_groups``)."""

from polymix_torch.parameter_groups import (
    DeterministicGroup,
    GaussianGroup,
    IIDGaussianGroup,
    LangevinGroup,
    LowRankGaussianGroup,
    ParameterGroup,
)

__all__ = [
    "DeterministicGroup",
    "GaussianGroup",
    "IIDGaussianGroup",
    "LangevinGroup",
    "LowRankGaussianGroup",
    "ParameterGroup",
]
