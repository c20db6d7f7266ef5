"""pypolymix's ``surrogate_models.neural_network`` module."""

from polymix_torch.surrogate_models import NeuralNetwork

__all__ = ["NeuralNetwork"]
