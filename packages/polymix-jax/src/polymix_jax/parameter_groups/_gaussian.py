"""``GaussianGroup``: full-covariance Gaussian with a packed Cholesky factor."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpyro.distributions as dist
from polymix_core import GaussianGroupSpec, SpecAttribute
from polymix_core.defaults import INIT_SCALE_DIAG, JITTER, KL_NUM_MC_SAMPLES

from .._validation import PRNGKey, check_key
from ..priors import Prior
from ._base import initial_raw
from ._gaussian_family import GaussianFamily

__all__ = ["GaussianGroup"]


class GaussianGroup(GaussianFamily):
    """Full-covariance Gaussian variational family with a learnable Cholesky factor.

    Raw parameters ``mean (d,)`` (zeros) and ``raw_tril (d (d + 1) / 2,)``, the lower
    triangle packed row-major (``(0,0), (1,0), (1,1), (2,0), ...``); the diagonal of ``L``
    is ``softplus(raw) + jitter`` and starts at ``init_scale_diag``. Samples are
    ``mean + L eps``. The initial values are deterministic, so no key is needed.

    Args:
        name: Friendly identifier.
        num_params: Number of scalar parameters ``d``.
        prior: Prior (default ``IIDGaussianPrior(0, 1)``).
        init_scale_diag: Initial diagonal of ``L``.
        jitter: Added to the softplus diagonal.
        kl_num_mc_samples: Monte Carlo draws of the KL for priors without a closed form.
        key: Accepted for a uniform signature (the initial values are deterministic); checked if given.

    Example:
        >>> import jax
        >>> from polymix_jax.parameter_groups import GaussianGroup
        >>> group = GaussianGroup("weights", num_params=2)
        >>> group.variational_distribution().rsample(jax.random.key(0)).shape
        (2,)
    """

    mean: jax.Array
    raw_tril: jax.Array
    init_scale_diag = SpecAttribute[float]()
    jitter = SpecAttribute[float]()

    def __init__(
        self,
        name: str,
        num_params: int,
        prior: Prior | None = None,
        *,
        init_scale_diag: float = INIT_SCALE_DIAG,
        jitter: float = JITTER,
        kl_num_mc_samples: int = KL_NUM_MC_SAMPLES,
        key: PRNGKey | None = None,
    ):
        if key is not None:  # accepted like every group's; the initial values need no randomness
            check_key(key, f"GaussianGroup {name!r} accepts one")
        spec = GaussianGroupSpec(
            num_params, init_scale_diag=init_scale_diag, jitter=jitter, kl_num_mc_samples=kl_num_mc_samples
        )
        self._init_common(name, spec, prior)
        raw = initial_raw(spec, None, f"GaussianGroup {name!r}")
        self.mean, self.raw_tril = raw["mean"], raw["raw_tril"]

    @property
    def scale_tril(self) -> jax.Array:
        """Lower-triangular ``L (num_params, num_params)`` with a positive diagonal."""
        rows, cols = self.spec.tril
        diag = self.spec.diag_positions
        # Constrain the packed diagonal entries, then scatter the packed vector into L.
        values = self.raw_tril.at[diag].set(jax.nn.softplus(self.raw_tril[diag]) + self.jitter)  # (num_tril,)
        return jnp.zeros((self.num_params, self.num_params), self.raw_tril.dtype).at[rows, cols].set(values)

    @property
    def _scale_tril(self) -> jax.Array:
        """Alias of ``scale_tril`` (pypolymix's name)."""
        return self.scale_tril

    def sample_transform(self, noise: Any) -> jax.Array:
        """``mean + L eps``: ``(num_samples, num_params)`` -> ``(num_samples, num_params)``."""
        return self.mean + self._check_noise(noise) @ self.scale_tril.T

    def variational_distribution(self) -> dist.Distribution:
        """Return ``MultivariateNormal(mean, scale_tril=L)``."""
        return dist.MultivariateNormal(self.mean, scale_tril=self.scale_tril)

    def _gaussian_parts(self) -> tuple[jax.Array, list[jax.Array], jax.Array]:
        diag = jax.nn.softplus(self.raw_tril[self.spec.diag_positions]) + self.jitter  # (num_params,)
        return self.mean, [self.scale_tril], 2.0 * jnp.sum(jnp.log(diag))
