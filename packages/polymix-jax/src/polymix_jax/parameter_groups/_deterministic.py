"""``DeterministicGroup``: a point estimate with the group interface."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpyro.distributions as dist
from polymix_core import DeterministicGroupSpec, DistributionUnavailableError
from polymix_core.defaults import KL_NUM_MC_SAMPLES

from .._validation import PRNGKey
from ..priors import Prior
from ._base import ParameterGroup, initial_raw

__all__ = ["DeterministicGroup"]


class DeterministicGroup(ParameterGroup):
    """Parameter group for deterministic inference (a point estimate).

    Use this when optimisation should learn a single point estimate rather than
    sampling from a posterior approximation. Raw parameter ``params (num_params,)``,
    initialised ``N(0, 1)`` as in pypolymix (so ``key`` is required).

    Args:
        name: Friendly identifier.
        num_params: Number of scalar parameters.
        prior: Prior of ``params`` (default ``IIDGaussianPrior(0, 1)``); its negative
            log-density is the group's ``distribution_loss``.
        kl_num_mc_samples: Kept for a uniform signature; a point estimate needs no sampling.
        key: PRNG key for the random initial ``params``.

    Example:
        >>> import jax
        >>> group = DeterministicGroup("weights", num_params=3, key=jax.random.key(0))
        >>> theta = group.sample_parameters(2)
        >>> theta.shape
        (2, 3)
    """

    params: jax.Array

    def __init__(
        self,
        name: str,
        num_params: int,
        prior: Prior | None = None,
        *,
        kl_num_mc_samples: int = KL_NUM_MC_SAMPLES,
        key: PRNGKey | None = None,
    ):
        self._init_common(name, DeterministicGroupSpec(num_params, kl_num_mc_samples=kl_num_mc_samples), prior)
        self.params = initial_raw(self.spec, key, f"DeterministicGroup {name!r}")["params"]

    def sample_transform(self, noise: Any) -> jax.Array:
        """Repeat ``params``: ``noise (num_samples, 0)`` -> ``(num_samples, num_params)``."""
        noise = self._check_noise(noise)
        return jnp.broadcast_to(self.params, (noise.shape[0], self.num_params))

    def sample_parameters(self, num_samples: int = 1, *, key: PRNGKey | None = None) -> jax.Array:
        """Return the same parameter vector repeated ``num_samples`` times (``key`` is not needed).

        Returns:
            ``(num_samples, num_params)``.
        """
        num_samples = self._check_num_samples(num_samples)
        return jnp.broadcast_to(self.params, (num_samples, self.num_params))

    def variational_distribution(self) -> dist.Distribution:
        """Raises ``DistributionUnavailableError`` (a ``RuntimeError``, as in torch): a point estimate has none."""
        raise DistributionUnavailableError(
            f"DeterministicGroup {self.name!r}: expected a group with a variational distribution, "
            "received a point estimate (use sample_parameters or .params)"
        )

    def analytic_kl(self) -> jax.Array | None:
        """``None``: a point estimate has no KL (see ``distribution_loss``)."""
        return None

    def distribution_loss(self, *, key: PRNGKey | None = None) -> jax.Array:
        """Return the negative log prior density at the current point (no key needed).

        Returns:
            Scalar.
        """
        p = self.prior.distribution((self.num_params,), dtype=self.dtype)
        return -p.log_prob(self.params)
