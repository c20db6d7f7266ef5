"""Mixture components: the gating network and the Mixture-of-Experts surrogate (public module, as in the seed)."""

from ._mixture import GatingNetwork as GatingNetwork, MixtureOfExperts as MixtureOfExperts

__all__ = ["GatingNetwork", "MixtureOfExperts"]
