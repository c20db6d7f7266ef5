"""Full-covariance Gaussian family with a packed, learnable Cholesky factor."""

from __future__ import annotations

from typing import Any

import torch
import torch.distributions as td
import torch.nn.functional as F
from polymix_core import GaussianGroupSpec, SpecAttribute
from polymix_core.defaults import INIT_SCALE_DIAG, JITTER, KL_NUM_MC_SAMPLES

from ..priors import Prior
from ._base import initial_raw
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

    raw_tril: torch.nn.Parameter
    _tri_i: torch.Tensor
    _tri_j: torch.Tensor
    _diag_mask: torch.Tensor
    _diag_pos: torch.Tensor
    jitter = SpecAttribute[float]()
    init_scale_diag = SpecAttribute[float]()

    def __init__(
        self,
        name: str,
        num_params: int,
        prior: Prior | None = None,
        *,
        init_scale_diag: float = INIT_SCALE_DIAG,
        jitter: float = JITTER,
        kl_num_mc_samples: int = KL_NUM_MC_SAMPLES,
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
        self._init_common(name, spec, prior)
        raw = initial_raw(spec)
        self.mean, self.raw_tril = raw["mean"], raw["raw_tril"]
        self._set_index_buffers()

    def _set_index_buffers(self) -> None:
        """The packed-triangle index buffers, from the spec (also rebuilt for groups pickled by pypolymix)."""
        spec = self._spec
        rows, cols = spec.tril
        device = self.raw_tril.device
        self.register_buffer("_tri_i", torch.tensor(rows, dtype=torch.long, device=device), persistent=False)
        self.register_buffer("_tri_j", torch.tensor(cols, dtype=torch.long, device=device), persistent=False)
        self.register_buffer("_diag_mask", torch.tensor(rows == cols, device=device), persistent=False)
        diag = torch.tensor(spec.diag_positions, dtype=torch.long, device=device)
        self.register_buffer("_diag_pos", diag, persistent=False)

    _PICKLED_VIEWS = ("num_params", "kl_num_mc_samples", "jitter")

    @classmethod
    def _spec_from_pickle(cls, state: dict[str, Any]) -> GaussianGroupSpec:
        # pypolymix keeps no init_scale_diag (it only matters at construction): the default is recorded
        return GaussianGroupSpec(
            state["num_params"], jitter=state["jitter"], kl_num_mc_samples=state["kl_num_mc_samples"]
        )

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        if "_diag_pos" not in state.get("_buffers", {}):  # pickled by pypolymix, which has no diagonal index
            self._set_index_buffers()

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
