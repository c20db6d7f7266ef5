"""``GaussianPrior``: a full-covariance Gaussian, factorised once in float64."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.distributions as td
from polymix_core import GaussianPriorSpec, ShapeError

from ._base import GaussianForm, Prior, as_buffer, event_size

__all__ = ["GaussianPrior"]


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
        if (covariance_matrix is None) == (scale_tril is None):  # the spec's message, before any conversion
            GaussianPriorSpec(mean, covariance_matrix=covariance_matrix, scale_tril=scale_tril)
        mean_buf = as_buffer(mean)
        matrix = as_buffer(scale_tril if scale_tril is not None else covariance_matrix)
        # the spec holds exactly the buffers' values, and validates them
        if scale_tril is not None:
            spec = GaussianPriorSpec(mean_buf, scale_tril=matrix)
        else:
            spec = GaussianPriorSpec(mean_buf, covariance_matrix=matrix)
        super().__init__()
        self.register_buffer("_mean", mean_buf, persistent=False)
        if scale_tril is not None:
            self.register_buffer("_scale_tril", matrix, persistent=False)
            self._cov = None
        else:
            self.register_buffer("_cov", matrix, persistent=False)
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
        d = event_size(event_shape)
        self.check_num_params(d)
        mean, lower = self.parameters_for(d, device, dtype)
        return td.MultivariateNormal(loc=mean, scale_tril=lower)
