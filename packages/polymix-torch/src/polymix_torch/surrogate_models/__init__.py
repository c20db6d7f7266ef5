"""Deterministic surrogates ``f(x, params)``, vectorised over parameter samples."""

from ._base import SurrogateModel
from ._neural_network import NeuralNetwork
from ._polynomial_chaos import PolynomialChaosExpansion
from .mixture import GatingNetwork, MixtureOfExperts

__all__ = [
    "GatingNetwork",
    "MixtureOfExperts",
    "NeuralNetwork",
    "PolynomialChaosExpansion",
    "SurrogateModel",
]
