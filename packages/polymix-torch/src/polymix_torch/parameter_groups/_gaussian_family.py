"""Shared machinery of the reparameterisable Gaussian families: sampling and the analytic KL."""

from __future__ import annotations

from abc import abstractmethod

import torch

from .._kl import gaussian_kl
from .._validation import check_noise, check_num_samples
from ._base import ParameterGroup

__all__ = ["GaussianFamily"]


class GaussianFamily(ParameterGroup):
    """A Gaussian ``q = N(mean, Sigma_q)`` sampled as ``mean + transform(noise)``.

    Subclasses give the transform and the mean, covariance factors and log-determinant of
    ``Sigma_q`` (``_gaussian_parts``); the closed-form KL against any prior with a
    ``gaussian_form`` follows from those (``gaussian_kl``).
    """

    mean: torch.nn.Parameter

    def _reference(self) -> torch.Tensor:
        return self.mean

    @abstractmethod
    def _transform(self, noise: torch.Tensor) -> torch.Tensor:
        """``(num_samples, *noise_shape)`` -> ``(num_samples, num_params)`` without validation."""

    @abstractmethod
    def _gaussian_parts(self) -> tuple[torch.Tensor, list[torch.Tensor], torch.Tensor]:
        """Mean ``(d,)``, covariance factors (``Sigma_q = sum F F^T``; a 1-D factor is a diagonal) and ``log det``."""

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
        ref = self.mean
        form = self.prior.gaussian_form(self.num_params, ref.dtype, ref.device)
        if form is None:
            return None
        mean, factors, logdet = self._gaussian_parts()
        return gaussian_kl(mean, factors, logdet, form)
