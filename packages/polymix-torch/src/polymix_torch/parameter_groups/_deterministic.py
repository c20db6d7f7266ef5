"""Point-estimate group: one learnable vector, repeated for every sample."""

from __future__ import annotations

from typing import Any

import torch
import torch.distributions as td
import torch.nn as nn
from polymix_core import DeterministicGroupSpec, DistributionUnavailableError
from polymix_core.defaults import KL_NUM_MC_SAMPLES

from .._validation import check_noise, check_num_samples
from ..priors import Prior
from ._base import ParameterGroup, initial_raw

__all__ = ["DeterministicGroup"]


class DeterministicGroup(ParameterGroup):
    """Parameter group for deterministic inference.

    Use this when optimisation should learn a single point estimate rather than
    sampling from a posterior approximation. Raw parameter ``params ~ N(0, 1)``;
    the loss is ``-log p(params)`` under ``prior`` (default ``IIDGaussianPrior()``).

    Example:
        >>> group = DeterministicGroup("weights", num_params=3)
        >>> theta = group.sample_parameters(2)
        >>> theta.shape
        torch.Size([2, 3])
    """

    params: nn.Parameter

    def __init__(
        self, name: str, num_params: int, prior: Prior | None = None, *, kl_num_mc_samples: int = KL_NUM_MC_SAMPLES
    ) -> None:
        """Initialize the deterministic parameter vector.

        Args:
            name: Friendly identifier.
            num_params: Number of parameters ``d``.
            prior: Prior whose negative log-density is the loss (default ``IIDGaussianPrior()``).
            kl_num_mc_samples: Kept for a uniform signature; a point estimate needs no sampling.
        """
        spec = DeterministicGroupSpec(num_params, kl_num_mc_samples=kl_num_mc_samples)
        self._init_common(name, spec, prior)
        self.params = initial_raw(spec)["params"]

    @classmethod
    def _spec_from_pickle(cls, state: dict[str, Any]) -> DeterministicGroupSpec:
        return DeterministicGroupSpec(state["num_params"], kl_num_mc_samples=state["kl_num_mc_samples"])

    def _reference(self) -> torch.Tensor:
        return self.params

    def sample_transform(self, noise: torch.Tensor) -> torch.Tensor:
        """The point estimate, once per noise row.

        Args:
            noise: ``(num_samples, 0)``.

        Returns:
            ``(num_samples, num_params)``, a view of ``params``.
        """
        check_noise(noise, self.noise_shape, self.params)
        return self.params.unsqueeze(0).expand(noise.shape[0], -1)  # (num_samples, num_params)

    def sample_parameters(self, num_samples: int = 1) -> torch.Tensor:
        """Return the same parameter vector repeated ``num_samples`` times: ``(num_samples, num_params)``."""
        num_samples = check_num_samples(num_samples)
        return self.params.unsqueeze(0).expand(num_samples, -1)  # (num_samples, num_params)

    def variational_distribution(self) -> td.Distribution:
        """Raises an error: a point mass is not a ``torch.distributions`` object."""
        raise DistributionUnavailableError("DeterministicGroup does not define a variational distribution.")

    def distribution_loss(self) -> torch.Tensor:
        """Return the negative log prior density evaluated at the current point (a scalar)."""
        return -self.prior._log_prob(self.params)
