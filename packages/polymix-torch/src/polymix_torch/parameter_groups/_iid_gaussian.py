"""Mean-field Gaussian family: ``q = Normal(mean, exp(log_std))`` elementwise."""

from __future__ import annotations

from typing import Any

import torch
import torch.distributions as td
from polymix_core import IIDGaussianGroupSpec
from polymix_core.defaults import KL_NUM_MC_SAMPLES

from .._kl import normal_laplace_kl
from ..priors import LaplacePrior, Prior
from ._base import initial_raw
from ._gaussian_family import GaussianFamily

__all__ = ["IIDGaussianGroup"]


class IIDGaussianGroup(GaussianFamily):
    """I.i.d. Gaussian variational family: ``q = Normal(mean, std)``.

    Raw parameters (``state_dict`` keys) ``mean ~ N(0, 1)`` and ``log_std = -0.5``;
    a sample is ``mean + exp(log_std) * noise``.

    Example:
        >>> group = IIDGaussianGroup("weights", num_params=4)
        >>> samples = group.sample_parameters(16)
        >>> samples.shape
        torch.Size([16, 4])
    """

    log_std: torch.nn.Parameter

    def __init__(
        self, name: str, num_params: int, prior: Prior | None = None, *, kl_num_mc_samples: int = KL_NUM_MC_SAMPLES
    ) -> None:
        """Create learnable mean/log-std parameters for every coefficient.

        Args:
            name: Friendly identifier.
            num_params: Number of parameters ``d``.
            prior: Prior (default ``IIDGaussianPrior()``).
            kl_num_mc_samples: Monte Carlo draws where no closed-form KL exists.
        """
        spec = IIDGaussianGroupSpec(num_params, kl_num_mc_samples=kl_num_mc_samples)
        self._init_common(name, spec, prior)
        raw = initial_raw(spec)
        self.mean, self.log_std = raw["mean"], raw["log_std"]

    @classmethod
    def _spec_from_pickle(cls, state: dict[str, Any]) -> IIDGaussianGroupSpec:
        return IIDGaussianGroupSpec(state["num_params"], kl_num_mc_samples=state["kl_num_mc_samples"])

    @property
    def std(self) -> torch.Tensor:
        """Positive standard deviation parameter obtained via ``exp``."""
        return self.log_std.exp()

    def variational_distribution(self) -> td.Distribution:
        """Return an independent normal distribution over all parameters."""
        return td.Independent(td.Normal(self.mean, self.std), 1)

    def _transform(self, noise: torch.Tensor) -> torch.Tensor:
        return self.mean + noise * self.std  # (num_samples, num_params)

    def _gaussian_parts(self) -> tuple[torch.Tensor, list[torch.Tensor], torch.Tensor]:
        # log det from log_std directly: exact where exp(2 log_std) would under- or overflow
        return self.mean, [self.std], 2.0 * self.log_std.sum()

    def _analytic_kl(self) -> torch.Tensor | None:
        if isinstance(self.prior, LaplacePrior):
            loc, log_scale = self.prior.parameters_for(self.num_params, self.mean.device, self.mean.dtype)
            return normal_laplace_kl(self.mean, self.log_std, loc, log_scale)
        return super()._analytic_kl()
