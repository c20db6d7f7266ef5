"""Deterministic surrogates ``f(x, params)``, vectorised over parameter samples."""

from . import mixture as mixture
from ._base import SurrogateModel as SurrogateModel
from ._mixture import GatingNetwork as GatingNetwork, MixtureOfExperts as MixtureOfExperts
from ._neural_network import NeuralNetwork as NeuralNetwork
from ._polynomial_chaos import PolynomialChaosExpansion as PolynomialChaosExpansion

__all__ = [
    "GatingNetwork",
    "MixtureOfExperts",
    "NeuralNetwork",
    "PolynomialChaosExpansion",
    "SurrogateModel",
    "mixture",
]
