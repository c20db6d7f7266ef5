"""``LaplacePrior``: independent Laplace distributions (sparsity)."""

from __future__ import annotations

from typing import Any

import equinox as eqx
import numpyro.distributions as dist
from polymix_core import LaplacePriorSpec
from polymix_core.defaults import LAPLACE_LOC, LAPLACE_SCALE

from ._base import Prior, event_size, to_jax

__all__ = ["LaplacePrior"]


class LaplacePrior(Prior):
    """IID Laplace prior that encourages sparsity.

    No Gaussian family has a closed-form KL against it, so groups with this prior
    estimate the KL by Monte Carlo and need a ``key`` in ``distribution_loss``.

    Args:
        loc: A scalar or an array of shape ``(num_params,)``.
        scale: Positive; a scalar or an array of shape ``(num_params,)``.

    Example:
        >>> import jax
        >>> prior = LaplacePrior(loc=0.0, scale=1e-1)
        >>> prior.distribution((3,), None, None).sample(jax.random.key(0)).shape
        (3,)
    """

    spec: LaplacePriorSpec = eqx.field(static=True)

    def __init__(self, loc: Any = LAPLACE_LOC, scale: Any = LAPLACE_SCALE):
        self.spec = LaplacePriorSpec(loc, scale)

    def distribution(self, event_shape: Any, device: Any = None, dtype: Any = None) -> dist.Distribution:
        """Return ``Independent(Laplace(loc, scale), 1)`` with broadcast parameters."""
        loc, scale = self.spec.broadcast(event_size(event_shape))  # (num_params,) each
        return dist.Independent(dist.Laplace(to_jax(loc, device, dtype), to_jax(scale, device, dtype)), 1)
