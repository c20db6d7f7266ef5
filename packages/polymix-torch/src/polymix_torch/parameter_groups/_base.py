"""The ``ParameterGroup`` base class: a variational family with a prior over one parameter block."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import torch
import torch.distributions as td
import torch.nn as nn
from polymix_core import (
    CustomGroupSpec,
    DistributionUnavailableError,
    NumericalError,
    PolymixTypeError,
    SpecAttribute,
    check_positive_int,
)
from polymix_core.defaults import KL_NUM_MC_SAMPLES

from .._validation import AllOrNothingLoad
from ..priors import GaussianPrior, IIDGaussianPrior, LaplacePrior, Prior

__all__ = ["ParameterGroup", "initial_raw"]

_BUILTIN_PRIORS = (IIDGaussianPrior, GaussianPrior, LaplacePrior)


def initial_raw(spec: Any) -> dict[str, nn.Parameter]:
    """Initial raw parameters ``constant + noise_scale * N(0, I)`` of ``spec.initial``, in the default dtype.

    Draws from torch's global generator, in ``state_dict`` order and only where ``noise_scale``
    is non-zero: pypolymix's draw order, so a fixed ``torch.manual_seed`` gives its initial values.
    """
    dtype = torch.get_default_dtype()
    out = {}
    for name, value in spec.initial.items():
        t = torch.tensor(value.constant, dtype=dtype)
        if value.noise_scale != 0.0:
            t = t + value.noise_scale * torch.randn(t.shape, dtype=dtype)
        out[name] = nn.Parameter(t)
    return out


class ParameterGroup(AllOrNothingLoad, nn.Module, ABC):
    """Abstract base class for parameter groups with learnable parameters and a prior.

    Subclasses expose unconstrained parameters that define the variational
    distribution ``q(theta)``; during training their ``distribution_loss`` is added
    to the data loss. The built-in families store their ``polymix_core`` group spec and
    expose its fields (``num_params``, ``kl_num_mc_samples``, ...) as read-only views;
    sampling is standard-normal noise of shape ``(num_samples, *noise_shape)`` followed
    by the public ``sample_transform``. A user-defined subclass (pypolymix's contract:
    ``sample_parameters`` and ``variational_distribution``) gets a ``CustomGroupSpec``.

    Example:
        >>> from polymix_torch.parameter_groups import IIDGaussianGroup
        >>> group = IIDGaussianGroup("weights", num_params=5)
        >>> theta = group.sample_parameters(num_samples=3)
        >>> theta.shape
        torch.Size([3, 5])
    """

    num_params = SpecAttribute[int]()
    kl_num_mc_samples = SpecAttribute[int]()

    def __init__(
        self, name: str, num_params: int, prior: Prior | None = None, kl_num_mc_samples: int = KL_NUM_MC_SAMPLES
    ) -> None:
        """Register metadata shared by all parameter groups (pypolymix's signature, for user-defined groups).

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
        num_params = check_positive_int("num_params", num_params)
        self._init_common(name, CustomGroupSpec(num_params, kl_num_mc_samples=kl_num_mc_samples), prior)

    def _init_common(self, name: Any, spec: Any, prior: Prior | None) -> None:
        """Set what every group shares; the built-in families call it with their spec instead of ``__init__``."""
        if not isinstance(name, str):
            raise PolymixTypeError(f"name: expected a string, received {type(name).__name__}")
        if prior is not None and not isinstance(prior, Prior):
            raise PolymixTypeError(f"prior: expected a Prior or None, received {type(prior).__name__}")
        if prior is not None:
            prior.check_num_params(spec.num_params)
        nn.Module.__init__(self)
        self.name = name
        self._spec = spec
        self.prior: Prior = prior if prior is not None else IIDGaussianPrior()

    @classmethod
    def from_spec(cls, name: str, spec: Any, prior: Prior | None = None) -> ParameterGroup:
        """The group of ``spec`` (a built-in family's), with fresh initial values.

        Args:
            name: The group's name.
            spec: Its ``polymix_core`` group spec (``spec.init_kwargs()`` are the constructor's arguments).
            prior: Its prior (``None``: the default).
        """
        return cls(name, spec.num_params, prior=prior, **spec.init_kwargs())  # type: ignore[call-arg]

    @classmethod
    def _spec_from_pickle(cls, state: dict[str, Any]) -> Any:
        """The spec of a group pickled by pypolymix, from the attributes it stored."""
        return CustomGroupSpec(state["num_params"], kl_num_mc_samples=state["kl_num_mc_samples"])

    #: pypolymix's attributes that are views of the spec here.
    _PICKLED_VIEWS: tuple[str, ...] = ("num_params", "kl_num_mc_samples")

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        if "_spec" not in state:  # pickled by pypolymix: its attributes become the spec
            self._spec = self._spec_from_pickle(state)
            for k in self._PICKLED_VIEWS:
                self.__dict__.pop(k, None)

    # --- the family ------------------------------------------------------------------

    @property
    def spec(self) -> Any:
        """The ``polymix_core`` group spec (a ``CustomGroupSpec`` for a user-defined group)."""
        return self._spec

    @property
    def noise_shape(self) -> tuple[int, ...]:
        """Per-sample shape of the standard-normal noise ``sample_transform`` consumes (``spec.noise_shape``)."""
        return tuple(self._spec.noise_shape)

    def _reference(self) -> torch.Tensor:
        """A raw parameter of the group: its dtype and device are the group's."""
        for p in self.parameters():
            return p
        return torch.empty(0)  # a user-defined group without parameters: default dtype, CPU

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
        otherwise torch's registered KL for a user-defined prior or group; otherwise the
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
        custom = isinstance(self._spec, CustomGroupSpec)
        if custom or not isinstance(self.prior, _BUILTIN_PRIORS):
            try:
                return td.kl_divergence(q, p).sum()
            except NotImplementedError:
                pass
        try:
            if custom:  # pypolymix's contract: the family draws its own reparameterised samples
                z = q.rsample((self.kl_num_mc_samples,))  # (kl_num_mc_samples, num_params)
            else:
                z = self.sample_transform(self._draw_noise(self.kl_num_mc_samples))  # (kl_num_mc_samples, num_params)
            return (q.log_prob(z) - p.log_prob(z)).mean()
        except torch.linalg.LinAlgError as err:
            raise NumericalError(
                f"{type(self).__name__} {self.name!r}: a factorisation failed in {self._reference().dtype} "
                f"({err}); compute in float64 (model.double()) or raise jitter"
            ) from err
