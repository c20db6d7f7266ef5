"""The ``ParameterGroup`` base class: a variational family with a prior over one parameter block."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any

import torch
import torch.distributions as td
import torch.nn as nn
from polymix_core import DistributionUnavailableError, PolymixTypeError, check_positive_int

from .._validation import check_state_dict
from ..priors import GaussianPrior, IIDGaussianPrior, LaplacePrior, Prior

__all__ = ["ParameterGroup"]

_BUILTIN_PRIORS = (IIDGaussianPrior, GaussianPrior, LaplacePrior)


class ParameterGroup(nn.Module, ABC):
    """Abstract base class for parameter groups with learnable parameters and a prior.

    Subclasses expose unconstrained parameters that define the variational
    distribution ``q(theta)``; during training their ``distribution_loss`` is added
    to the data loss. Sampling is standard-normal noise of shape
    ``(num_samples, *noise_shape)`` followed by the public ``sample_transform``.

    Example:
        >>> from polymix_torch.parameter_groups import IIDGaussianGroup
        >>> group = IIDGaussianGroup("weights", num_params=5)
        >>> theta = group.sample_parameters(num_samples=3)
        >>> theta.shape
        torch.Size([3, 5])
    """

    def __init__(self, name: str, num_params: int, prior: Prior | None = None, kl_num_mc_samples: int = 64) -> None:
        """Register metadata shared by all parameter groups.

        Args:
            name: Friendly identifier for logging/debugging.
            num_params: Number of scalar parameters controlled by this group.
            prior: Prior distribution; defaults to ``IIDGaussianPrior()`` (standard normal).
            kl_num_mc_samples: Number of Monte Carlo samples for the KL term where no
                closed form exists.

        Raises:
            PolymixTypeError: ``name`` is not a string or ``prior`` not a ``Prior``.
            PolymixValueError: non-positive ``num_params`` or ``kl_num_mc_samples``.
            ShapeError: the prior's shape does not match ``num_params``.
        """
        if not isinstance(name, str):
            raise PolymixTypeError(f"name: expected a string, received {type(name).__name__}")
        num_params = check_positive_int("num_params", num_params)
        kl_num_mc_samples = check_positive_int("kl_num_mc_samples", kl_num_mc_samples)
        if prior is not None and not isinstance(prior, Prior):
            raise PolymixTypeError(f"prior: expected a Prior or None, received {type(prior).__name__}")
        if prior is not None:
            prior.check_num_params(num_params)
        super().__init__()
        self.name = name
        self.num_params = num_params
        self.prior: Prior = prior if prior is not None else IIDGaussianPrior()
        self.kl_num_mc_samples = kl_num_mc_samples

    # --- the family ------------------------------------------------------------------

    @property
    @abstractmethod
    def spec(self) -> Any:
        """The ``polymix_core`` group spec of the current hyper-parameters."""

    @property
    @abstractmethod
    def noise_shape(self) -> tuple[int, ...]:
        """Per-sample shape of the standard-normal noise ``sample_transform`` consumes."""

    @abstractmethod
    def _reference(self) -> torch.Tensor:
        """A raw parameter of the group: its dtype and device are the group's."""

    @abstractmethod
    def sample_parameters(self, num_samples: int = 1) -> torch.Tensor:
        """Sample ``theta ~ q(theta)``. Returns ``(num_samples, num_params)``."""

    @abstractmethod
    def variational_distribution(self) -> td.Distribution:
        """Return ``q(theta)`` as a ``torch.distributions.Distribution``."""

    def _draw_noise(self, num_samples: int) -> torch.Tensor:
        """Standard-normal noise ``(num_samples, *noise_shape)`` from torch's global generator."""
        ref = self._reference()
        return torch.randn(num_samples, *self.noise_shape, dtype=ref.dtype, device=ref.device)

    def sample_transform(self, noise: torch.Tensor) -> torch.Tensor:
        """Map noise ``(num_samples, *noise_shape)`` to samples ``(num_samples, num_params)``."""
        raise DistributionUnavailableError(f"{type(self).__name__} has no closed-form noise -> sample transform")

    # --- losses ----------------------------------------------------------------------

    def prior_distribution(self) -> td.Distribution:
        """The prior as a distribution in the group's dtype and on its device."""
        ref = self._reference()
        return self.prior.distribution(torch.Size([self.num_params]), ref.device, ref.dtype)

    def _analytic_kl(self) -> torch.Tensor | None:
        """Closed-form ``KL(q || p)`` where one is known, else ``None``."""
        return None

    def kl_divergence(self) -> torch.Tensor:
        """The analytic ``KL(q || p)``.

        Returns:
            Scalar tensor.

        Raises:
            DistributionUnavailableError: no closed form exists for this family and prior
                (``distribution_loss`` then uses Monte Carlo).
        """
        kl = self._analytic_kl()
        if kl is None:
            raise DistributionUnavailableError(
                f"{type(self).__name__} with {type(self.prior).__name__}: no closed-form KL; "
                "distribution_loss() estimates it by Monte Carlo"
            )
        return kl

    def distribution_loss(self) -> torch.Tensor:
        """``KL(q || p)`` summed over all parameters in this group.

        The closed form where one exists (every Gaussian family against
        ``IIDGaussianPrior`` and ``GaussianPrior``; the IID family against ``LaplacePrior``);
        otherwise torch's registered KL for a user-defined prior; otherwise the
        reparameterised Monte Carlo estimate ``E_q[log q - log p]`` with
        ``kl_num_mc_samples`` draws.

        Returns:
            Scalar tensor.
        """
        kl = self._analytic_kl()
        if kl is not None:
            return kl
        q = self.variational_distribution()
        p = self.prior_distribution()
        if not isinstance(self.prior, _BUILTIN_PRIORS):
            try:
                return td.kl_divergence(q, p).sum()
            except NotImplementedError:
                pass
        z = self.sample_transform(self._draw_noise(self.kl_num_mc_samples))  # (kl_num_mc_samples, num_params)
        return (q.log_prob(z) - p.log_prob(z)).mean()

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True, assign: bool = False) -> Any:
        """``torch.nn.Module.load_state_dict``, all-or-nothing: every key and shape is checked before any copy.

        Raises:
            PolymixValueError: missing or unexpected keys (``strict``).
            ShapeError: an entry of the wrong shape; nothing is loaded then.
        """
        check_state_dict(self, state_dict, strict)
        return super().load_state_dict(state_dict, strict=strict, assign=assign)
