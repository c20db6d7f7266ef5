"""``LowRankGaussianGroup``: Gaussian with covariance ``U U^T + diag(D)``."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpyro.distributions as dist
from polymix_core import LowRankGaussianGroupSpec, SpecAttribute
from polymix_core.defaults import INIT_SCALE_DIAG, INIT_SCALE_FACTOR, JITTER, KL_NUM_MC_SAMPLES

from .._kl import low_rank_logdet
from .._validation import PRNGKey
from ..priors import Prior
from ._base import initial_raw
from ._gaussian_family import GaussianFamily

__all__ = ["LowRankGaussianGroup"]


class LowRankGaussianGroup(GaussianFamily):
    """Gaussian family with a low-rank plus diagonal covariance approximation.

    The covariance is ``U U^T + diag(D)`` with ``U = cov_factor (num_params, rank)`` and
    ``D = softplus(raw_cov_diag) + jitter``: the dominant correlations without the
    ``O(d^2)`` parameters of a full Cholesky factor. ``cov_factor`` starts at
    ``init_scale_factor * N(0, 1)`` (so ``key`` is required), ``D`` at ``init_scale_diag``.
    Noise per sample is ``[eps_U (rank,), eps_D (num_params,)]``; the sample is
    ``mean + U eps_U + sqrt(D) eps_D``.

    Args:
        name: Friendly identifier.
        num_params: Number of scalar parameters ``d``.
        rank: Rank of ``U``, in ``[1, num_params]``.
        prior: Prior (default ``IIDGaussianPrior(0, 1)``).
        init_scale_diag: Initial ``D``.
        init_scale_factor: Scale of the random initial ``U``.
        jitter: Added to the softplus diagonal.
        kl_num_mc_samples: Monte Carlo draws of the KL for priors without a closed form.
        key: PRNG key for the random initial ``cov_factor``.

    Example:
        >>> import jax
        >>> k1, k2 = jax.random.split(jax.random.key(0))
        >>> group = LowRankGaussianGroup("weights", num_params=8, rank=3, key=k1)
        >>> samples = group.sample_parameters(4, key=k2)
        >>> samples.shape
        (4, 8)
    """

    mean: jax.Array
    cov_factor: jax.Array
    raw_cov_diag: jax.Array
    rank = SpecAttribute[int]()
    init_scale_diag = SpecAttribute[float]()
    init_scale_factor = SpecAttribute[float]()
    jitter = SpecAttribute[float]()

    def __init__(
        self,
        name: str,
        num_params: int,
        rank: int,
        prior: Prior | None = None,
        *,
        init_scale_diag: float = INIT_SCALE_DIAG,
        init_scale_factor: float = INIT_SCALE_FACTOR,
        jitter: float = JITTER,
        kl_num_mc_samples: int = KL_NUM_MC_SAMPLES,
        key: PRNGKey | None = None,
    ):
        spec = LowRankGaussianGroupSpec(
            num_params,
            rank=rank,
            init_scale_diag=init_scale_diag,
            init_scale_factor=init_scale_factor,
            jitter=jitter,
            kl_num_mc_samples=kl_num_mc_samples,
        )
        self._init_common(name, spec, prior)
        raw = initial_raw(spec, key, f"LowRankGaussianGroup {name!r}")
        self.mean, self.cov_factor, self.raw_cov_diag = raw["mean"], raw["cov_factor"], raw["raw_cov_diag"]

    @property
    def cov_diag(self) -> jax.Array:
        """Positive diagonal ``D = softplus(raw_cov_diag) + jitter``, ``(num_params,)``."""
        return jax.nn.softplus(self.raw_cov_diag) + self.jitter

    @property
    def _cov_diag(self) -> jax.Array:
        """Alias of ``cov_diag`` (pypolymix's name)."""
        return self.cov_diag

    def sample_transform(self, noise: Any) -> jax.Array:
        """``mean + U eps_U + sqrt(D) eps_D``: ``(num_samples, rank + num_params)`` -> ``(num_samples, num_params)``."""
        noise = self._check_noise(noise)
        eps_u, eps_d = noise[:, : self.rank], noise[:, self.rank :]  # (s, rank), (s, num_params)
        return self.mean + eps_u @ self.cov_factor.T + jnp.sqrt(self.cov_diag) * eps_d

    def variational_distribution(self) -> dist.Distribution:
        """Return ``LowRankMultivariateNormal(mean, cov_factor, cov_diag)``."""
        return dist.LowRankMultivariateNormal(self.mean, self.cov_factor, self.cov_diag)

    def _gaussian_parts(self) -> tuple[jax.Array, list[jax.Array], jax.Array]:
        diag = self.cov_diag
        return self.mean, [self.cov_factor, jnp.sqrt(diag)], low_rank_logdet(self.cov_factor, diag)
