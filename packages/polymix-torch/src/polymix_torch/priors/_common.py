"""The priors of polymix: IID Gaussian (the default), full-covariance Gaussian and IID Laplace."""

from __future__ import annotations

from typing import Any, Union

import numpy as np
import torch
import torch.distributions as td
from polymix_core import (
    GaussianPriorSpec,
    IIDGaussianPriorSpec,
    LaplacePriorSpec,
    ShapeError,
)

from ._base import GaussianForm, Prior

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
    """A private copy of a hyper-parameter (floating dtypes kept, others to the default dtype).

    Copied, so that later writes to the caller's tensor or array cannot make a validated prior invalid.
    """
    if isinstance(value, np.ndarray):
        value = np.array(value)  # writable: torch refuses to wrap read-only arrays
    t = torch.as_tensor(value).detach().clone()
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
        spec = IIDGaussianPriorSpec(mean, std)  # validates: finite, std > 0; keeps float64 copies
        super().__init__()
        self._spec = spec
        self.register_buffer("_mean_buf", _as_buffer(mean), persistent=False)
        self.register_buffer("_std_buf", _as_buffer(std), persistent=False)

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        if "_spec" not in state:  # pickled by pypolymix
            self._spec = IIDGaussianPriorSpec(self._mean_buf, self._std_buf)

    @property
    def spec(self) -> IIDGaussianPriorSpec:
        """``IIDGaussianPriorSpec`` of the hyper-parameters (float64 copies taken at construction)."""
        return self._spec

    def check_num_params(self, num_params: int) -> None:
        """Raise ``ShapeError`` unless ``mean``/``std`` are scalars or ``(num_params,)``."""
        self._spec.broadcast(num_params)

    def parameters_for(self, num_params: int, device: Any, dtype: Any) -> tuple[torch.Tensor, torch.Tensor]:
        """``(mean, std)``, each ``(num_params,)``, in the requested dtype and device."""
        return (
            _broadcast("mean", self._mean_buf, num_params, device, dtype),
            _broadcast("std", self._std_buf, num_params, device, dtype),
        )

    def gaussian_form(self, num_params: int, dtype: torch.dtype, device: Any) -> GaussianForm:
        """``(mean (d,), std (d,), log det = 2 sum log std)``, the log-determinant summed in float64."""
        mean, std = self.parameters_for(num_params, device, dtype)
        logdet = 2.0 * self._std_buf.to(device=device, dtype=torch.float64).log().sum()
        if self._std_buf.ndim == 0:
            logdet = logdet * num_params
        return GaussianForm(mean, std, logdet.to(dtype))

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
        spec = GaussianPriorSpec(mean, covariance_matrix=covariance_matrix, scale_tril=scale_tril)  # validates
        super().__init__()
        self.register_buffer("_mean", _as_buffer(mean), persistent=False)
        if scale_tril is not None:
            self.register_buffer("_scale_tril", _as_buffer(scale_tril), persistent=False)
            self._cov = None
        else:
            self.register_buffer("_cov", _as_buffer(covariance_matrix), persistent=False)
            self._scale_tril = None
        self._factorise(spec)

    def _factorise(self, spec: GaussianPriorSpec) -> None:
        # Factorised once, in float64 (the spec's copy): a float32 Cholesky of a covariance that passed
        # the float64 positive-definiteness check can fail, and would be repeated at every KL otherwise.
        # The factor stays float64 and is converted once per dtype and device, whatever .to() did to the buffers.
        self._spec = spec
        self._lower64 = spec.lower(spec.num_params)  # (d, d), float64
        self._logdet = 2.0 * float(np.log(np.diag(self._lower64)).sum())
        self._lower_cache: dict[tuple[torch.dtype, Any], torch.Tensor] = {}

    def _lower(self, dtype: torch.dtype, device: Any) -> torch.Tensor:
        key = (dtype, torch.device(device) if device is not None else torch.device("cpu"))
        lower = self._lower_cache.get(key)
        if lower is None:
            lower = torch.tensor(np.array(self._lower64), dtype=dtype, device=key[1])
            self._lower_cache[key] = lower
        return lower

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        if "_spec" not in state:  # pickled by pypolymix
            self._factorise(GaussianPriorSpec(self._mean, covariance_matrix=self._cov, scale_tril=self._scale_tril))

    @property
    def spec(self) -> GaussianPriorSpec:
        """``GaussianPriorSpec`` of the hyper-parameters (float64 copies taken at construction)."""
        return self._spec

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
        dtype = self._mean.dtype if dtype is None else dtype
        device = self._mean.device if device is None else device
        return self._mean.to(device=device, dtype=dtype), self._lower(dtype, device)

    def gaussian_form(self, num_params: int, dtype: torch.dtype, device: Any) -> GaussianForm:
        """``(mean (d,), L (d, d), log det(L L^T))``; ``L`` and the log-determinant come from float64."""
        mean, lower = self.parameters_for(num_params, device, dtype)
        return GaussianForm(mean, lower, self._logdet)

    def distribution(
        self, event_shape: torch.Size, device: torch.device | None, dtype: torch.dtype | None
    ) -> td.Distribution:
        """Validate tensor shapes and build a multivariate normal distribution."""
        d = _event_size(event_shape)
        self.check_num_params(d)
        mean, lower = self.parameters_for(d, device, dtype)
        return td.MultivariateNormal(loc=mean, scale_tril=lower)


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
        spec = LaplacePriorSpec(loc, scale)  # validates: finite, scale > 0; keeps float64 copies
        super().__init__()
        self._spec = spec
        self.register_buffer("_loc", _as_buffer(loc), persistent=False)
        self.register_buffer("_scale", _as_buffer(scale), persistent=False)

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        if "_spec" not in state:  # pickled by pypolymix
            self._spec = LaplacePriorSpec(self._loc, self._scale)

    @property
    def spec(self) -> LaplacePriorSpec:
        """``LaplacePriorSpec`` of the hyper-parameters (float64 copies taken at construction)."""
        return self._spec

    def check_num_params(self, num_params: int) -> None:
        """Raise ``ShapeError`` unless ``loc``/``scale`` are scalars or ``(num_params,)``."""
        self._spec.broadcast(num_params)

    def parameters_for(self, num_params: int, device: Any, dtype: Any) -> tuple[torch.Tensor, torch.Tensor]:
        """``(loc, log(scale))``, each ``(num_params,)``; the logarithm taken in float64."""
        loc, scale = self._spec.broadcast(num_params)
        return (
            _broadcast("loc", self._loc, num_params, device, dtype),
            torch.as_tensor(np.log(scale), dtype=dtype, device=device),
        )

    def distribution(
        self, event_shape: torch.Size, device: torch.device | None, dtype: torch.dtype | None
    ) -> td.Distribution:
        """Return ``Independent(Laplace(loc, scale), 1)`` with broadcasted params."""
        d = _event_size(event_shape)
        loc = _broadcast("loc", self._loc, d, device, dtype)
        scale = _broadcast("scale", self._scale, d, device, dtype)
        return td.Independent(td.Laplace(loc, scale), 1)
