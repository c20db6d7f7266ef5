"""The ``Prior`` base class: a factory of ``torch.distributions`` over a parameter block."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, NamedTuple, Union

import numpy as np
import torch
import torch.distributions as td
import torch.nn as nn
from polymix_core import ConfigurationError, ShapeError

__all__ = ["Prior", "GaussianForm", "event_size", "as_buffer", "broadcast_buffer"]


class GaussianForm(NamedTuple):
    """A Gaussian prior ``N(mean, S S^T)`` as the closed-form KL needs it.

    ``scale`` is ``(d,)`` (a diagonal ``S``: the standard deviations) or ``(d, d)`` (a
    lower-triangular Cholesky factor); ``logdet`` is ``log det(S S^T)``, computed in float64.
    """

    mean: torch.Tensor
    scale: torch.Tensor
    logdet: Union[float, torch.Tensor]


def event_size(event_shape: Any) -> int:
    """``d`` from an event shape ``(d,)``.

    Raises:
        ShapeError: not a one-dimensional shape.
    """
    shape = tuple(int(s) for s in event_shape)
    if len(shape) != 1:
        raise ShapeError(f"event_shape: expected a 1-D shape (num_params,), received {shape}")
    return shape[0]


def broadcast_buffer(name: str, buf: torch.Tensor, size: int, device: Any, dtype: Any) -> torch.Tensor:
    """A scalar or an exact ``(size,)`` buffer as ``(size,)``; anything else is rejected, never broadcast."""
    t = buf.to(device=device, dtype=dtype)
    if t.ndim == 0:
        return t.expand(size)  # (size,)
    if tuple(t.shape) == (size,):
        return t
    raise ShapeError(f"{name}: expected a scalar or shape ({size},), received shape {tuple(t.shape)}")


def as_buffer(value: Any) -> torch.Tensor:
    """A private copy of a hyper-parameter (floating dtypes kept, others to the default dtype).

    Copied, so that later writes to the caller's tensor or array cannot make a validated prior invalid.
    """
    if isinstance(value, np.ndarray):
        value = np.array(value)  # writable: torch refuses to wrap read-only arrays
    t = torch.as_tensor(value).detach().clone()
    return t if t.is_floating_point() else t.to(torch.get_default_dtype())


class Prior(nn.Module, ABC):
    """Factory for a prior ``torch.distributions.Distribution`` over model parameters.

    Hyper-parameters live in non-persistent buffers: they follow ``.to()``/``.double()``
    but never appear in a ``state_dict`` (as in pypolymix). The built-in priors also hold
    their ``polymix_core`` spec (float64 copies taken at construction).

    Example:
        >>> from polymix_torch.priors import IIDGaussianPrior
        >>> prior = IIDGaussianPrior(mean=0.0, std=1.0)
        >>> dist = prior.distribution(event_shape=torch.Size([3]), device=None, dtype=None)
        >>> dist.sample().shape
        torch.Size([3])
    """

    def __init__(self) -> None:
        super().__init__()

    @classmethod
    def from_spec(cls, spec: Any) -> Prior:
        """The prior of a ``polymix_core`` prior spec (``spec.init_kwargs()`` are the constructor's arguments)."""
        return cls(**spec.init_kwargs())

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

    def _log_prob(self, theta: torch.Tensor) -> torch.Tensor:
        """``log p(theta)`` for ``theta (..., num_params)`` without argument checks: ``(...)``.

        Built-in priors evaluate it in closed form; the default builds the distribution.
        """
        return self.distribution(torch.Size([theta.shape[-1]]), theta.device, theta.dtype).log_prob(theta)

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
        return self._log_prob(theta)
