"""The ``Prior`` base class: a factory of ``torch.distributions`` over a parameter block."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, NamedTuple, Union

import torch
import torch.distributions as td
import torch.nn as nn
from polymix_core import ConfigurationError, ShapeError

__all__ = ["Prior", "GaussianForm"]


class GaussianForm(NamedTuple):
    """A Gaussian prior ``N(mean, S S^T)`` as the closed-form KL needs it.

    ``scale`` is ``(d,)`` (a diagonal ``S``: the standard deviations) or ``(d, d)`` (a
    lower-triangular Cholesky factor); ``logdet`` is ``log det(S S^T)``, computed in float64.
    """

    mean: torch.Tensor
    scale: torch.Tensor
    logdet: Union[float, torch.Tensor]


class Prior(nn.Module, ABC):
    """Factory for a prior ``torch.distributions.Distribution`` over model parameters.

    Hyper-parameters live in non-persistent buffers: they follow ``.to()``/``.double()``
    but never appear in a ``state_dict`` (as in pypolymix).

    Example:
        >>> from polymix_torch.priors import IIDGaussianPrior
        >>> prior = IIDGaussianPrior(mean=0.0, std=1.0)
        >>> dist = prior.distribution(event_shape=torch.Size([3]), device=None, dtype=None)
        >>> dist.sample().shape
        torch.Size([3])
    """

    def __init__(self) -> None:
        super().__init__()

    @abstractmethod
    def distribution(
        self,
        event_shape: torch.Size,
        device: torch.device | None,
        dtype: torch.dtype | None,
    ) -> td.Distribution:
        """Instantiate the prior for the specified tensor metadata.

        Args:
            event_shape: Shape of a single draw, ``torch.Size([num_params])``.
            device: Device of the returned distribution (``None``: the buffers' device).
            dtype: Floating dtype of the returned distribution (``None``: the buffers' dtype).

        Returns:
            A distribution whose ``event_shape`` is ``event_shape``.
        """
        raise NotImplementedError()

    @property
    def spec(self) -> Any:
        """The ``polymix_core`` prior spec; user-defined priors have none."""
        raise ConfigurationError(
            f"prior: {type(self).__name__} has no polymix_core spec; only IIDGaussianPrior, GaussianPrior "
            "and LaplacePrior can be described by one"
        )

    def gaussian_form(self, num_params: int, dtype: torch.dtype, device: Any) -> GaussianForm | None:
        """The prior as ``N(mean, S S^T)`` for the closed-form KL, or ``None`` if it is not Gaussian."""
        return None

    def check_num_params(self, num_params: int) -> None:
        """Raise ``ShapeError`` unless the prior fits a block of ``num_params`` parameters.

        User-defined priors are not checked here (their ``distribution`` decides).
        """

    def log_prob(self, theta: torch.Tensor) -> torch.Tensor:
        """Log-density at ``theta (n, num_params)``: ``(n,)``, in ``theta``'s dtype and device."""
        from .._validation import check_tensor

        check_tensor("theta", theta)
        if theta.ndim != 2:
            raise ShapeError(f"theta: expected a 2-D tensor (n, num_params), received shape {tuple(theta.shape)}")
        self.check_num_params(int(theta.shape[1]))
        dist = self.distribution(torch.Size([theta.shape[1]]), theta.device, theta.dtype)
        return dist.log_prob(theta)
