"""The priors of polymix: IID Gaussian (the default), full-covariance Gaussian and IID Laplace."""

from __future__ import annotations

from typing import Any, Union

import torch
import torch.distributions as td
from polymix_core import (
    GaussianPriorSpec,
    IIDGaussianPriorSpec,
    LaplacePriorSpec,
    ShapeError,
)

from ._base import Prior

__all__ = ["IIDGaussianPrior", "GaussianPrior", "LaplacePrior"]

TensorOrFloat = Union[float, torch.Tensor]


def _event_size(event_shape: Any) -> int:
    shape = tuple(int(s) for s in event_shape)
    if len(shape) != 1:
        raise ShapeError(f"event_shape: expected a 1-D shape (num_params,), received {shape}")
    return shape[0]


def _broadcast(name: str, buf: torch.Tensor, size: int, device: Any, dtype: Any) -> torch.Tensor:
    """A scalar or an exact ``(size,)`` buffer as ``(size,)``; anything else is rejected, never broadcast."""
    t = buf.to(device=device, dtype=dtype)
    if t.ndim == 0:
        return t.expand(size)  # (size,)
    if tuple(t.shape) == (size,):
        return t
    raise ShapeError(f"{name}: expected a scalar or shape ({size},), received shape {tuple(t.shape)}")


def _as_buffer(value: Any) -> torch.Tensor:
    """As pypolymix: a tensor is kept as is (it may be shared or learnable), arrays keep their float dtype."""
    t = torch.as_tensor(value)
    return t if t.is_floating_point() else t.to(torch.get_default_dtype())


class IIDGaussianPrior(Prior):
    """Independent Gaussian prior with per-parameter mean and standard deviation.

    ``mean`` and ``std`` are scalars or arrays of exactly the group's shape ``(num_params,)``;
    ``std`` must be positive.

    Example:
        >>> prior = IIDGaussianPrior(mean=0.0, std=0.5)
        >>> prior.distribution(torch.Size([4]), None, None).sample().shape
        torch.Size([4])
    """

    _mean_buf: torch.Tensor
    _std_buf: torch.Tensor

    def __init__(self, mean: TensorOrFloat = 0.0, std: TensorOrFloat = 1.0) -> None:
        """Validate and store the hyper-parameters as non-persistent buffers.

        Args:
            mean: Scalar or ``(num_params,)`` mean.
            std: Scalar or ``(num_params,)`` positive standard deviation.
        """
        IIDGaussianPriorSpec(mean, std)  # validates: finite, std > 0
        super().__init__()
        self.register_buffer("_mean_buf", _as_buffer(mean), persistent=False)
        self.register_buffer("_std_buf", _as_buffer(std), persistent=False)

    @property
    def spec(self) -> IIDGaussianPriorSpec:
        """``IIDGaussianPriorSpec`` of the current hyper-parameters."""
        return IIDGaussianPriorSpec(self._mean_buf, self._std_buf)

    def check_num_params(self, num_params: int) -> None:
        """Raise ``ShapeError`` unless ``mean``/``std`` are scalars or ``(num_params,)``."""
        self.spec.broadcast(num_params)

    def parameters_for(self, num_params: int, device: Any, dtype: Any) -> tuple[torch.Tensor, torch.Tensor]:
        """``(mean, std)``, each ``(num_params,)``, in the requested dtype and device."""
        return (
            _broadcast("mean", self._mean_buf, num_params, device, dtype),
            _broadcast("std", self._std_buf, num_params, device, dtype),
        )

    def distribution(
        self, event_shape: torch.Size, device: torch.device | None, dtype: torch.dtype | None
    ) -> td.Distribution:
        """Return ``Independent(N(mean, std), 1)`` with broadcasted parameters."""
        mean, std = self.parameters_for(_event_size(event_shape), device, dtype)
        return td.Independent(td.Normal(mean, std), 1)


class GaussianPrior(Prior):
    """Full-covariance Gaussian prior ``N(mu, Sigma)``.

    Users must provide either ``covariance_matrix`` or ``scale_tril`` when
    instantiating the prior; the other argument should be ``None``.

    Example:
        >>> mean = torch.zeros(2)
        >>> cov = torch.eye(2)
        >>> prior = GaussianPrior(mean, covariance_matrix=cov)
        >>> isinstance(prior.distribution(torch.Size([2]), None, None), td.MultivariateNormal)
        True
    """

    _mean: torch.Tensor
    _cov: torch.Tensor | None
    _scale_tril: torch.Tensor | None

    def __init__(
        self,
        mean: torch.Tensor,
        covariance_matrix: torch.Tensor | None = None,
        scale_tril: torch.Tensor | None = None,
    ) -> None:
        """Validate and store either ``covariance_matrix`` or ``scale_tril``.

        Args:
            mean: ``(num_params,)`` mean.
            covariance_matrix: ``(num_params, num_params)`` symmetric positive-definite covariance.
            scale_tril: ``(num_params, num_params)`` lower-triangular factor with a positive diagonal.
        """
        GaussianPriorSpec(mean, covariance_matrix=covariance_matrix, scale_tril=scale_tril)  # validates
        super().__init__()
        self.register_buffer("_mean", _as_buffer(mean).clone(), persistent=False)
        if scale_tril is not None:
            self.register_buffer("_scale_tril", _as_buffer(scale_tril).clone(), persistent=False)
            self._cov = None
        else:
            self.register_buffer("_cov", _as_buffer(covariance_matrix).clone(), persistent=False)
            self._scale_tril = None

    @property
    def spec(self) -> GaussianPriorSpec:
        """``GaussianPriorSpec`` of the current hyper-parameters."""
        return GaussianPriorSpec(self._mean, covariance_matrix=self._cov, scale_tril=self._scale_tril)

    def check_num_params(self, num_params: int) -> None:
        """Raise ``ShapeError`` unless the prior is over exactly ``num_params`` parameters."""
        if tuple(self._mean.shape) != (num_params,):
            raise ShapeError(
                f"prior: expected a GaussianPrior over {num_params} parameters (the group's num_params), "
                f"received one with mean shape {tuple(self._mean.shape)}"
            )

    def parameters_for(self, num_params: int, device: Any, dtype: Any) -> tuple[torch.Tensor, torch.Tensor]:
        """``(mean (num_params,), scale_tril (num_params, num_params))`` in the requested dtype and device."""
        self.check_num_params(num_params)
        mean = self._mean.to(device=device, dtype=dtype)
        if self._scale_tril is not None:
            return mean, self._scale_tril.to(device=device, dtype=dtype)
        assert self._cov is not None
        return mean, torch.linalg.cholesky(self._cov.to(device=device, dtype=dtype))

    def distribution(
        self, event_shape: torch.Size, device: torch.device | None, dtype: torch.dtype | None
    ) -> td.Distribution:
        """Validate tensor shapes and build a multivariate normal distribution."""
        d = _event_size(event_shape)
        self.check_num_params(d)
        mean = self._mean.to(device=device, dtype=dtype)
        if self._scale_tril is not None:
            return td.MultivariateNormal(loc=mean, scale_tril=self._scale_tril.to(device=device, dtype=dtype))
        assert self._cov is not None
        return td.MultivariateNormal(loc=mean, covariance_matrix=self._cov.to(device=device, dtype=dtype))


class LaplacePrior(Prior):
    """IID Laplace prior that encourages sparsity.

    Example:
        >>> prior = LaplacePrior(loc=0.0, scale=1e-1)
        >>> prior.distribution(torch.Size([3]), None, None).sample().shape
        torch.Size([3])
    """

    _loc: torch.Tensor
    _scale: torch.Tensor

    def __init__(self, loc: TensorOrFloat = 0.0, scale: TensorOrFloat = 1.0) -> None:
        """Validate and store the hyper-parameters.

        Args:
            loc: Scalar or ``(num_params,)`` location.
            scale: Scalar or ``(num_params,)`` positive scale.
        """
        LaplacePriorSpec(loc, scale)  # validates: finite, scale > 0
        super().__init__()
        self.register_buffer("_loc", _as_buffer(loc), persistent=False)
        self.register_buffer("_scale", _as_buffer(scale), persistent=False)

    @property
    def spec(self) -> LaplacePriorSpec:
        """``LaplacePriorSpec`` of the current hyper-parameters."""
        return LaplacePriorSpec(self._loc, self._scale)

    def check_num_params(self, num_params: int) -> None:
        """Raise ``ShapeError`` unless ``loc``/``scale`` are scalars or ``(num_params,)``."""
        self.spec.broadcast(num_params)

    def distribution(
        self, event_shape: torch.Size, device: torch.device | None, dtype: torch.dtype | None
    ) -> td.Distribution:
        """Return ``Independent(Laplace(loc, scale), 1)`` with broadcasted params."""
        d = _event_size(event_shape)
        loc = _broadcast("loc", self._loc, d, device, dtype)
        scale = _broadcast("scale", self._scale, d, device, dtype)
        return td.Independent(td.Laplace(loc, scale), 1)
