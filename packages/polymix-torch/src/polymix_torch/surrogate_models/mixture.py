"""pypolymix's public ``surrogate_models.mixture`` module: ``GatingNetwork`` and ``MixtureOfExperts``."""

from ._mixture import GatingNetwork, MixtureOfExperts

__all__ = ["GatingNetwork", "MixtureOfExperts"]
