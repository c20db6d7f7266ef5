"""The ``SurrogateModel`` base class: ``f(x, params)`` for many parameter vectors at once."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import torch
from polymix_core import ConfigurationError
from torch import nn

from .._validation import AllOrNothingLoad

__all__ = ["SurrogateModel"]


class SurrogateModel(AllOrNothingLoad, nn.Module, ABC):
    """Abstract base class describing the vectorized surrogate API.

    Implementations accept ``num_samples`` replicas of their parameter vector and
    broadcast computations accordingly: ``x (batch_size, num_inputs)`` and
    ``params (num_samples, num_params)`` give ``(num_samples, batch_size, num_outputs)``.

    Example:
        >>> class IdentitySurrogate(SurrogateModel):
        ...     def forward(self, x, params):
        ...         return x.unsqueeze(0).expand(params.shape[0], -1, -1)
        ...     def num_params(self) -> int:
        ...         return 0
        >>> IdentitySurrogate()(torch.ones(2, 1), torch.zeros(3, 0)).shape
        torch.Size([3, 2, 1])
    """

    @abstractmethod
    def forward(self, x: torch.Tensor, params: torch.Tensor) -> torch.Tensor:
        """Forward pass with given parameters.

        Args:
            x: Inputs ``(batch_size, num_inputs)``.
            params: Parameters ``(num_samples, num_params)``.

        Returns:
            Outputs ``(num_samples, batch_size, num_outputs)``.
        """
        raise NotImplementedError()

    @abstractmethod
    def num_params(self) -> int:
        """Return the total number of parameters needed."""
        raise NotImplementedError()

    @classmethod
    def from_spec(cls, spec: Any) -> SurrogateModel:
        """The surrogate of a ``polymix_core`` spec (``spec.init_kwargs()`` are the constructor's arguments)."""
        return cls(**spec.init_kwargs())

    @property
    def spec(self) -> Any:
        """The ``polymix_core`` surrogate spec; user-defined surrogates have none."""
        raise ConfigurationError(
            f"surrogate: {type(self).__name__} has no polymix_core spec; only the built-in surrogates "
            "(NeuralNetwork, PolynomialChaosExpansion, GatingNetwork, MixtureOfExperts) have one"
        )
