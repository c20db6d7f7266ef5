"""Shared machinery of the reparameterisable Gaussian families: sampling and the analytic KL."""

from __future__ import annotations

from abc import abstractmethod

import torch

from .._validation import check_noise, check_num_samples
from ..priors import GaussianPrior, IIDGaussianPrior
from ._base import ParameterGroup
from ._kl import kl_to_full, kl_to_iid

__all__ = ["GaussianFamily"]


class GaussianFamily(ParameterGroup):
    """A Gaussian ``q = N(mean, Sigma_q)`` sampled as ``mean + transform(noise)``.

    Subclasses give the diagonal, a square root and the log-determinant of
    ``Sigma_q``; the closed-form KL against Gaussian priors follows from those.
    """

    mean: torch.nn.Parameter

    def _reference(self) -> torch.Tensor:
        return self.mean

    @abstractmethod
    def _transform(self, noise: torch.Tensor) -> torch.Tensor:
        """``(num_samples, *noise_shape)`` -> ``(num_samples, num_params)`` without validation."""

    @abstractmethod
    def _cov_diag(self) -> torch.Tensor:
        """``(num_params,)`` diagonal of ``Sigma_q``."""

    @abstractmethod
    def _cov_root(self) -> torch.Tensor:
        """``S (num_params, k)`` with ``Sigma_q = S S^T``."""

    @abstractmethod
    def _logdet(self) -> torch.Tensor:
        """Scalar ``log det Sigma_q``."""

    def sample_transform(self, noise: torch.Tensor) -> torch.Tensor:
        """Map standard-normal noise to samples of ``q``.

        Args:
            noise: ``(num_samples, *noise_shape)``, in the group's dtype and on its device.

        Returns:
            Samples ``(num_samples, num_params)``, differentiable w.r.t. the group's parameters.

        Raises:
            ShapeError: ``noise`` has the wrong shape.
            PolymixTypeError: ``noise`` is not a floating tensor of the group's dtype and device.
        """
        check_noise(noise, self.noise_shape, self.mean)
        return self._transform(noise)

    def sample_parameters(self, num_samples: int = 1) -> torch.Tensor:
        """Draw ``num_samples`` reparameterised samples ``(num_samples, num_params)``.

        Noise comes from torch's global generator in the order pypolymix drew it, so a
        fixed ``torch.manual_seed`` gives pypolymix's samples.
        """
        num_samples = check_num_samples(num_samples)
        return self._transform(self._draw_noise(num_samples))

    def _analytic_kl(self) -> torch.Tensor | None:
        d, ref = self.num_params, self.mean
        if isinstance(self.prior, IIDGaussianPrior):
            prior_mean, prior_std = self.prior.parameters_for(d, ref.device, ref.dtype)
            return kl_to_iid(self.mean, self._cov_diag(), self._logdet(), prior_mean, prior_std)
        if isinstance(self.prior, GaussianPrior):
            prior_mean, prior_tril = self.prior.parameters_for(d, ref.device, ref.dtype)
            return kl_to_full(self.mean, self._cov_root(), self._logdet(), prior_mean, prior_tril)
        return None
