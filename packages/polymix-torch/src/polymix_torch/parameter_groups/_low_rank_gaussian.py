"""Low-rank plus diagonal Gaussian family."""

from __future__ import annotations

from typing import Any

import torch
import torch.distributions as td
import torch.nn.functional as F
from polymix_core import LowRankGaussianGroupSpec, NumericalError, SpecAttribute
from polymix_core.defaults import INIT_SCALE_DIAG, INIT_SCALE_FACTOR, JITTER, KL_NUM_MC_SAMPLES

from .._kl import low_rank_logdet
from ..priors import Prior
from ._base import initial_raw
from ._gaussian_family import GaussianFamily

__all__ = ["LowRankGaussianGroup"]


class LowRankGaussianGroup(GaussianFamily):
    """Gaussian family with a low-rank plus diagonal covariance approximation.

    The covariance matrix is parameterized as ``U U^T + diag(D)`` with ``U`` of shape
    ``(num_params, rank)`` and ``D = softplus(raw_cov_diag) + jitter``. This captures the
    dominant correlations without the ``O(d^2)`` parameters and compute cost of a full
    Cholesky factor. Noise per sample is ``[eps_U (rank,), eps_D (num_params,)]`` and a
    sample is ``mean + U eps_U + sqrt(D) eps_D``.

    Example:
        >>> group = LowRankGaussianGroup("weights", num_params=8, rank=3)
        >>> samples = group.sample_parameters(4)
        >>> samples.shape
        torch.Size([4, 8])
    """

    cov_factor: torch.nn.Parameter
    raw_cov_diag: torch.nn.Parameter
    rank = SpecAttribute[int]()
    jitter = SpecAttribute[float]()
    init_scale_diag = SpecAttribute[float]()
    init_scale_factor = SpecAttribute[float]()

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
    ) -> None:
        """Create the mean, the factor ``U ~ init_scale_factor * N(0, 1)`` and the diagonal.

        Args:
            name: Friendly identifier.
            num_params: Number of parameters ``d``.
            rank: Columns of ``U``, in ``[1, num_params]``.
            prior: Prior (default ``IIDGaussianPrior()``).
            init_scale_diag: Initial ``D`` (positive).
            init_scale_factor: Scale of the random initial ``U`` (positive).
            jitter: Added to the softplus of the diagonal (positive).
            kl_num_mc_samples: Monte Carlo draws where no closed-form KL exists.
        """
        spec = LowRankGaussianGroupSpec(
            num_params,
            rank=rank,
            init_scale_diag=init_scale_diag,
            init_scale_factor=init_scale_factor,
            jitter=jitter,
            kl_num_mc_samples=kl_num_mc_samples,
        )
        self._init_common(name, spec, prior)
        raw = initial_raw(spec)
        self.mean, self.cov_factor, self.raw_cov_diag = raw["mean"], raw["cov_factor"], raw["raw_cov_diag"]

    _PICKLED_VIEWS = ("num_params", "kl_num_mc_samples", "rank", "jitter")

    @classmethod
    def _spec_from_pickle(cls, state: dict[str, Any]) -> LowRankGaussianGroupSpec:
        # pypolymix keeps no initial scales (they only matter at construction): the defaults are recorded
        return LowRankGaussianGroupSpec(
            state["num_params"],
            rank=state["rank"],
            jitter=state["jitter"],
            kl_num_mc_samples=state["kl_num_mc_samples"],
        )

    @property
    def cov_diag(self) -> torch.Tensor:
        """Positive diagonal component ``D (num_params,)``."""
        return F.softplus(self.raw_cov_diag) + self.jitter

    def variational_distribution(self) -> td.Distribution:
        """Return ``torch.distributions.LowRankMultivariateNormal``."""
        try:  # torch factorises the capacitance matrix here, which can fail in float32
            return td.LowRankMultivariateNormal(loc=self.mean, cov_factor=self.cov_factor, cov_diag=self.cov_diag)
        except torch.linalg.LinAlgError as err:
            raise NumericalError(
                f"LowRankGaussianGroup {self.name!r}: the Cholesky factorisation of I + U^T D^-1 U failed in "
                f"{self.mean.dtype} ({err}); compute in float64 (model.double()), raise jitter, or keep cov_factor "
                "smaller relative to the diagonal"
            ) from err

    def _draw_noise(self, num_samples: int) -> torch.Tensor:
        # Two draws in torch's LowRankMultivariateNormal order, so a fixed seed gives pypolymix's samples.
        ref, rank = self.mean, self.rank
        eps_u = torch.randn(num_samples, rank, dtype=ref.dtype, device=ref.device)  # (num_samples, rank)
        eps_d = torch.randn(num_samples, self.num_params, dtype=ref.dtype, device=ref.device)  # (num_samples, d)
        return torch.cat([eps_u, eps_d], dim=1)  # (num_samples, rank + num_params)

    def _transform(self, noise: torch.Tensor) -> torch.Tensor:
        eps_u, eps_d = noise[:, : self.rank], noise[:, self.rank :]
        return self.mean + eps_u @ self.cov_factor.mT + self.cov_diag.sqrt() * eps_d  # (num_samples, num_params)

    def _gaussian_parts(self) -> tuple[torch.Tensor, list[torch.Tensor], torch.Tensor]:
        diag = self.cov_diag
        return self.mean, [self.cov_factor, diag.sqrt()], low_rank_logdet(self.cov_factor, diag)
