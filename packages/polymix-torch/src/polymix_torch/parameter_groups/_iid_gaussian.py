"""Mean-field Gaussian family: ``q = Normal(mean, exp(log_std))`` elementwise."""

from __future__ import annotations

import torch
import torch.distributions as td
import torch.nn as nn
from polymix_core import IIDGaussianGroupSpec

from ..priors import LaplacePrior, Prior
from ._gaussian_family import GaussianFamily
from ._kl import normal_laplace_kl

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

    def __init__(self, name: str, num_params: int, prior: Prior | None = None, *, kl_num_mc_samples: int = 64) -> None:
        """Create learnable mean/log-std parameters for every coefficient.

        Args:
            name: Friendly identifier.
            num_params: Number of parameters ``d``.
            prior: Prior (default ``IIDGaussianPrior()``).
            kl_num_mc_samples: Monte Carlo draws where no closed-form KL exists.
        """
        spec = IIDGaussianGroupSpec(num_params, kl_num_mc_samples=kl_num_mc_samples)
        super().__init__(name, num_params, prior=prior, kl_num_mc_samples=kl_num_mc_samples)
        init = spec.initial
        dtype = torch.get_default_dtype()
        self.mean = nn.Parameter(torch.randn(num_params) * init["mean"].noise_scale)
        self.log_std = nn.Parameter(torch.tensor(init["log_std"].constant, dtype=dtype))

    @property
    def spec(self) -> IIDGaussianGroupSpec:
        """The ``polymix_core.IIDGaussianGroupSpec``."""
        return IIDGaussianGroupSpec(self.num_params, kl_num_mc_samples=self.kl_num_mc_samples)

    @property
    def noise_shape(self) -> tuple[int, ...]:
        """``(num_params,)``."""
        return (self.num_params,)

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
