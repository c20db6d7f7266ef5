"""The ``SurrogateModel`` base class: ``f(x, params)`` for many parameter vectors at once."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import array_api_compat.torch as xp_torch
import torch
from polymix_core import ConfigurationError, Scaling
from torch import nn

from .._validation import AllOrNothingLoad, is_concrete

__all__ = ["SurrogateModel", "SpecScaling"]


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

    @property
    def scaling(self) -> Scaling | None:
        """The input bounds and output scaling (``polymix_core.Scaling``), or ``None`` (inputs and outputs as is).

        Built-in surrogates read it from their spec; user-defined surrogates have none.
        """
        return None

    def set_scaling(self, **fields: Any) -> None:
        """Replace scaling fields in place: ``input_bounds``, ``output_shift``, ``output_scale``, ``extrapolation``.

        ``fit`` calls it to store the data's scale with the model. Fields not given keep their values.

        Raises:
            ConfigurationError: invalid fields (nothing changes), or a surrogate without scaling support.
        """
        raise ConfigurationError(
            f"surrogate: {type(self).__name__} does not support input_bounds/output scaling; the built-in "
            "NeuralNetwork, PolynomialChaosExpansion and MixtureOfExperts do"
        )

    def _map_inputs(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` mapped from ``input_bounds`` to ``[-1, 1]``, checked against the bounds when its values are known."""
        scaling = self.scaling
        if scaling is None or not scaling.maps_inputs:
            return x
        if is_concrete(x):
            scaling.check_inputs(x, xp=xp_torch)
        return scaling.map_inputs(x, xp_torch)  # type: ignore[no-any-return]

    def _map_outputs(self, y: torch.Tensor) -> torch.Tensor:
        """``output_shift + output_scale * y`` for ``y (..., num_outputs)``."""
        scaling = self.scaling
        return y if scaling is None else scaling.map_outputs(y, xp_torch)


class SpecScaling:
    """Scaling read from and written to the surrogate's own spec (``NeuralNetwork``, ``PolynomialChaosExpansion``)."""

    _spec: Any

    def _set_spec(self, spec: Any) -> None:  # pragma: no cover - provided by the surrogate
        raise NotImplementedError

    @property
    def scaling(self) -> Scaling | None:
        """``spec.scaling``: the input bounds and output scaling, or ``None``."""
        return self._spec.scaling  # type: ignore[no-any-return]

    def set_scaling(self, **fields: Any) -> None:
        """Replace scaling fields in place (see ``SurrogateModel.set_scaling``); the spec is validated first."""
        self._set_spec(self._spec.with_scaling(**fields))
