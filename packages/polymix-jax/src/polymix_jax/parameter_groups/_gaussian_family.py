"""Shared machinery of the reparameterisable Gaussian families: the analytic KL."""

from __future__ import annotations

import abc

import jax

from .._kl import gaussian_kl
from ._base import ParameterGroup

__all__ = ["GaussianFamily"]


class GaussianFamily(ParameterGroup):
    """A Gaussian ``q = N(mean, Sigma_q)`` sampled as ``mean + transform(noise)``.

    Subclasses give the transform and the mean, covariance factors and log-determinant of
    ``Sigma_q`` (``_gaussian_parts``); the closed-form KL against any prior with a
    ``gaussian_form`` follows from those (``gaussian_kl``).
    """

    mean: jax.Array

    @abc.abstractmethod
    def _gaussian_parts(self) -> tuple[jax.Array, list[jax.Array], jax.Array]:
        """Mean ``(d,)``, covariance factors (``Sigma_q = sum F F^T``; a 1-D factor is a diagonal) and ``log det``."""

    def analytic_kl(self) -> jax.Array | None:
        """Closed-form ``KL(q || p)`` against a Gaussian prior, or ``None`` for other priors."""
        form = self.prior.gaussian_form(self.num_params, self.dtype)
        if form is None:
            return None
        mean, factors, logdet = self._gaussian_parts()
        return gaussian_kl(mean, factors, logdet, form)
