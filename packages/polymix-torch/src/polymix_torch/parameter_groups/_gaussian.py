"""Full-covariance Gaussian family with a packed, learnable Cholesky factor."""

from __future__ import annotations

from typing import Any

import torch
import torch.distributions as td
import torch.nn as nn
import torch.nn.functional as F
from polymix_core import GaussianGroupSpec

from ..priors import Prior
from ._gaussian_family import GaussianFamily

__all__ = ["GaussianGroup"]


class GaussianGroup(GaussianFamily):
    """Full-covariance Gaussian variational family with a learnable Cholesky factor.

    This is useful when posterior correlations between parameters are important.
    Raw parameters: ``mean (d,)`` (zeros) and ``raw_tril (d (d + 1) / 2,)``, the lower
    triangle packed row-major; the diagonal of ``L`` is ``softplus(raw) + jitter``,
    initially ``init_scale_diag``. A sample is ``mean + L noise``.

    Example:
        >>> from polymix_torch.parameter_groups import GaussianGroup
        >>> group = GaussianGroup("weights", num_params=2)
        >>> group.variational_distribution().rsample().shape
        torch.Size([2])
    """

    _tri_i: torch.Tensor
    _tri_j: torch.Tensor
    _diag_mask: torch.Tensor
    _diag_pos: torch.Tensor

    def __init__(
        self,
        name: str,
        num_params: int,
        prior: Prior | None = None,
        *,
        init_scale_diag: float = 1e-1,
        jitter: float = 1e-6,
        kl_num_mc_samples: int = 64,
    ) -> None:
        """Parameterize a full-covariance Gaussian via a packed Cholesky factor.

        Args:
            name: Friendly identifier.
            num_params: Number of parameters ``d``.
            prior: Prior (default ``IIDGaussianPrior()``).
            init_scale_diag: Initial diagonal of ``L`` (positive).
            jitter: Added to the softplus of the diagonal (positive).
            kl_num_mc_samples: Monte Carlo draws where no closed-form KL exists.
        """
        spec = GaussianGroupSpec(
            num_params, init_scale_diag=init_scale_diag, jitter=jitter, kl_num_mc_samples=kl_num_mc_samples
        )
        super().__init__(name, num_params, prior=prior, kl_num_mc_samples=kl_num_mc_samples)
        self.jitter = spec.jitter
        self.init_scale_diag = spec.init_scale_diag
        dtype = torch.get_default_dtype()
        self.mean = nn.Parameter(torch.tensor(spec.initial["mean"].constant, dtype=dtype))
        self.raw_tril = nn.Parameter(torch.tensor(spec.initial["raw_tril"].constant, dtype=dtype))
        self._set_index_buffers(spec)

    def _set_index_buffers(self, spec: GaussianGroupSpec) -> None:
        """The packed-triangle index buffers (also rebuilt for groups pickled by pypolymix)."""
        rows, cols = spec.tril
        device = self.raw_tril.device
        self.register_buffer("_tri_i", torch.tensor(rows, dtype=torch.long, device=device), persistent=False)
        self.register_buffer("_tri_j", torch.tensor(cols, dtype=torch.long, device=device), persistent=False)
        self.register_buffer("_diag_mask", torch.tensor(rows == cols, device=device), persistent=False)
        diag = torch.tensor(spec.diag_positions, dtype=torch.long, device=device)
        self.register_buffer("_diag_pos", diag, persistent=False)

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        if "init_scale_diag" not in state:  # pickled by pypolymix, which keeps neither this nor the diagonal's index
            self.init_scale_diag = GaussianGroupSpec(self.num_params).init_scale_diag
            self._set_index_buffers(self.spec)

    @property
    def spec(self) -> GaussianGroupSpec:
        """The ``polymix_core.GaussianGroupSpec``."""
        return GaussianGroupSpec(
            self.num_params,
            init_scale_diag=self.init_scale_diag,
            jitter=self.jitter,
            kl_num_mc_samples=self.kl_num_mc_samples,
        )

    @property
    def noise_shape(self) -> tuple[int, ...]:
        """``(num_params,)``."""
        return (self.num_params,)

    @property
    def scale_tril(self) -> torch.Tensor:
        """The Cholesky factor ``L (num_params, num_params)``."""
        vals = torch.where(self._diag_mask, F.softplus(self.raw_tril) + self.jitter, self.raw_tril)  # (num_tril,)
        d = self.num_params
        return self.raw_tril.new_zeros(d, d).index_put((self._tri_i, self._tri_j), vals)  # (d, d)

    @property
    def _scale_tril(self) -> torch.Tensor:
        """Pypolymix's name of ``scale_tril``."""
        return self.scale_tril

    def variational_distribution(self) -> td.Distribution:
        """Return ``torch.distributions.MultivariateNormal`` with ``scale_tril``."""
        return td.MultivariateNormal(loc=self.mean, scale_tril=self.scale_tril)

    def _transform(self, noise: torch.Tensor) -> torch.Tensor:
        return self.mean + noise @ self.scale_tril.mT  # (num_samples, num_params)

    def _gaussian_parts(self) -> tuple[torch.Tensor, list[torch.Tensor], torch.Tensor]:
        diag = F.softplus(self.raw_tril[self._diag_pos]) + self.jitter  # (num_params,)
        return self.mean, [self.scale_tril], 2.0 * diag.log().sum()
