"""``IIDGaussianPrior``: independent normals with broadcast mean and std."""

from __future__ import annotations

from typing import Any

import equinox as eqx
import numpy as np
import numpyro.distributions as dist
from polymix_core import IIDGaussianPriorSpec
from polymix_core.defaults import PRIOR_MEAN, PRIOR_STD

from ._base import GaussianForm, Prior, event_size, to_jax

__all__ = ["IIDGaussianPrior"]


class IIDGaussianPrior(Prior):
    """Independent Gaussian prior with per-parameter mean and standard deviation.

    Args:
        mean: A scalar or an array of shape ``(num_params,)``.
        std: Positive; a scalar or an array of shape ``(num_params,)``.

    Example:
        >>> import jax
        >>> prior = IIDGaussianPrior(mean=0.0, std=0.5)
        >>> prior.distribution((4,), None, None).sample(jax.random.key(0)).shape
        (4,)
    """

    spec: IIDGaussianPriorSpec = eqx.field(static=True)

    def __init__(self, mean: Any = PRIOR_MEAN, std: Any = PRIOR_STD):
        self.spec = IIDGaussianPriorSpec(mean, std)

    def distribution(self, event_shape: Any, device: Any = None, dtype: Any = None) -> dist.Distribution:
        """Return ``Independent(Normal(mean, std), 1)`` with broadcast parameters.

        Raises:
            ShapeError: a hyper-parameter array does not match ``event_shape``.
        """
        mean, std = self.spec.broadcast(event_size(event_shape))  # (num_params,) each
        return dist.Independent(dist.Normal(to_jax(mean, device, dtype), to_jax(std, device, dtype)), 1)

    def gaussian_form(self, num_params: int, dtype: Any = None) -> GaussianForm:
        """``(mean, std)``, each ``(num_params,)``, and ``2 sum log std`` computed in float64."""
        mean, std = self.spec.broadcast(num_params)
        return GaussianForm(to_jax(mean, None, dtype), to_jax(std, None, dtype), 2.0 * float(np.log(std).sum()))
