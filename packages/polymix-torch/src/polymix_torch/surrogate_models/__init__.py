"""Deterministic surrogates ``f(x, params)``, vectorised over parameter samples."""

from . import mixture as mixture
from ._base import SurrogateModel
from ._mixture import GatingNetwork, MixtureOfExperts
from ._neural_network import NeuralNetwork
from ._polynomial_chaos import PolynomialChaosExpansion

__all__ = [
    "GatingNetwork",
    "MixtureOfExperts",
    "NeuralNetwork",
    "PolynomialChaosExpansion",
    "SurrogateModel",
    "mixture",
]
