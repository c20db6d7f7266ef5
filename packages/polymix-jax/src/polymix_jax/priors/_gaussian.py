"""``GaussianPrior``: a full-covariance Gaussian."""

from __future__ import annotations

from typing import Any

import equinox as eqx
import numpy as np
import numpyro.distributions as dist
from polymix_core import GaussianPriorSpec

from ._base import GaussianForm, Prior, event_size, to_jax

__all__ = ["GaussianPrior"]


class GaussianPrior(Prior):
    """Full-covariance Gaussian prior ``N(mu, Sigma)``.

    Provide exactly one of ``covariance_matrix`` and ``scale_tril``; the other stays ``None``.
    The hyper-parameters are validated (shapes, symmetry, positive definiteness) here.

    Args:
        mean: ``(num_params,)``.
        covariance_matrix: ``(num_params, num_params)`` symmetric positive definite.
        scale_tril: ``(num_params, num_params)`` lower triangular with a positive diagonal.

    Example:
        >>> import jax.numpy as jnp
        >>> import numpyro.distributions as dist
        >>> mean = jnp.zeros(2)
        >>> cov = jnp.eye(2)
        >>> prior = GaussianPrior(mean, covariance_matrix=cov)
        >>> isinstance(prior.distribution((2,), None, None), dist.MultivariateNormal)
        True
    """

    spec: GaussianPriorSpec = eqx.field(static=True)

    def __init__(self, mean: Any, covariance_matrix: Any | None = None, scale_tril: Any | None = None):
        self.spec = GaussianPriorSpec(mean, covariance_matrix=covariance_matrix, scale_tril=scale_tril)

    def distribution(self, event_shape: Any, device: Any = None, dtype: Any = None) -> dist.Distribution:
        """Validate the event shape and build a ``MultivariateNormal`` (parameterised by its Cholesky factor).

        Raises:
            ShapeError: ``event_shape`` is not ``(len(mean),)``.
        """
        lower = self.spec.lower(event_size(event_shape))  # (num_params, num_params); ShapeError on mismatch
        return dist.MultivariateNormal(to_jax(self.spec.mean, device, dtype), scale_tril=to_jax(lower, device, dtype))

    def gaussian_form(self, num_params: int, dtype: Any = None) -> GaussianForm:
        """``(mean (d,), L (d, d))`` with ``L`` the Cholesky factor (computed once, in float64)."""
        lower = self.spec.lower(num_params)  # raises ShapeError if num_params differs
        logdet = 2.0 * float(np.log(np.diag(lower)).sum())
        return GaussianForm(to_jax(self.spec.mean, None, dtype), to_jax(lower, None, dtype), logdet)
