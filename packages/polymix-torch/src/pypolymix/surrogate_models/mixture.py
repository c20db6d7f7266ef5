"""pypolymix's ``surrogate_models.mixture`` module."""

from polymix_torch.surrogate_models.mixture import GatingNetwork, MixtureOfExperts

__all__ = ["GatingNetwork", "MixtureOfExperts"]
