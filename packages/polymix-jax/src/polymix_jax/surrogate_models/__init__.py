"""Surrogate models: deterministic maps ``(x, params) -> (num_samples, batch_size, num_outputs)``.

They hold no trainable state (their parameters arrive as sampled flat vectors), so
they need no key.
"""

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
