"""pypolymix's ``surrogate_models`` package (``polymix_torch.surrogate_models``)."""

from polymix_torch.surrogate_models import (
    GatingNetwork,
    MixtureOfExperts,
    NeuralNetwork,
    PolynomialChaosExpansion,
    SurrogateModel,
)

from . import mixture

__all__ = [
    "GatingNetwork",
    "MixtureOfExperts",
    "NeuralNetwork",
    "PolynomialChaosExpansion",
    "SurrogateModel",
    "mixture",
]
