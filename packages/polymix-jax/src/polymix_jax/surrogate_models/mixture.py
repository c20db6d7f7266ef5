"""pypolymix 0.1.9's public ``surrogate_models.mixture`` module: ``GatingNetwork`` and ``MixtureOfExperts``."""

from ._mixture import GatingNetwork as GatingNetwork, MixtureOfExperts as MixtureOfExperts

__all__ = ["GatingNetwork", "MixtureOfExperts"]
