"""``IIDGaussianGroup``: mean-field Gaussian ``Normal(mean, exp(log_std))``."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import numpyro.distributions as dist
from polymix_core import IIDGaussianGroupSpec
from polymix_core.defaults import KL_NUM_MC_SAMPLES

from .._kl import normal_laplace_kl
from .._validation import PRNGKey
from ..priors import LaplacePrior, Prior
from ._base import initial_raw
from ._gaussian_family import GaussianFamily

__all__ = ["IIDGaussianGroup"]


class IIDGaussianGroup(GaussianFamily):
    """I.i.d. Gaussian variational family: ``q = Normal(mean, std)``.

    Raw parameters ``mean (num_params,)`` (random ``N(0, 1)`` start, as pypolymix, so ``key``
    is required) and ``log_std (num_params,)`` (start ``-0.5``). Samples are
    ``mean + exp(log_std) * eps``.

    Args:
        name: Friendly identifier.
        num_params: Number of scalar parameters.
        prior: Prior (default ``IIDGaussianPrior(0, 1)``).
        kl_num_mc_samples: Monte Carlo draws of the KL for priors without a closed form.
        key: PRNG key for the random initial mean.

    Example:
        >>> import jax
        >>> k1, k2 = jax.random.split(jax.random.key(0))
        >>> group = IIDGaussianGroup("weights", num_params=4, key=k1)
        >>> samples = group.sample_parameters(16, key=k2)
        >>> samples.shape
        (16, 4)
    """

    mean: jax.Array
    log_std: jax.Array

    def __init__(
        self,
        name: str,
        num_params: int,
        prior: Prior | None = None,
        *,
        kl_num_mc_samples: int = KL_NUM_MC_SAMPLES,
        key: PRNGKey | None = None,
    ):
        self._init_common(name, IIDGaussianGroupSpec(num_params, kl_num_mc_samples=kl_num_mc_samples), prior)
        raw = initial_raw(self.spec, key, f"IIDGaussianGroup {name!r}")
        self.mean, self.log_std = raw["mean"], raw["log_std"]

    @property
    def std(self) -> jax.Array:
        """Positive standard deviation ``exp(log_std)``, ``(num_params,)``."""
        return jnp.exp(self.log_std)

    def sample_transform(self, noise: Any) -> jax.Array:
        """``mean + std * noise``: ``(num_samples, num_params)`` -> ``(num_samples, num_params)``."""
        return self.mean + self.std * self._check_noise(noise)

    def variational_distribution(self) -> dist.Distribution:
        """Return ``Independent(Normal(mean, std), 1)``."""
        return dist.Independent(dist.Normal(self.mean, self.std), 1)

    def _gaussian_parts(self) -> tuple[jax.Array, list[jax.Array], jax.Array]:
        return self.mean, [self.std], 2.0 * jnp.sum(self.log_std)

    def analytic_kl(self) -> jax.Array | None:
        """Closed-form ``KL(q || p)``: Gaussian priors as every family, plus the Laplace prior (elementwise)."""
        if isinstance(self.prior, LaplacePrior):
            loc, scale = self.prior.spec.broadcast(self.num_params)  # (num_params,) each, float64
            log_scale = jnp.asarray(np.log(scale), self.dtype)
            return normal_laplace_kl(self.mean, self.log_std, jnp.asarray(loc, self.dtype), log_scale)
        return super().analytic_kl()
