"""``ParameterGroup``: a variational family over a block of surrogate parameters, with a prior."""

from __future__ import annotations

import abc
from typing import Any, Mapping

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import numpyro.distributions as dist
from polymix_core import PolymixTypeError, SpecAttribute, check_noise_shape, check_positive_int, check_raw_arrays

from .._validation import PRNGKey, as_float_array, check_key, default_float_dtype
from ..priors import IIDGaussianPrior, Prior

__all__ = ["ParameterGroup", "initial_raw", "resolve_prior"]


def resolve_prior(prior: Prior | None) -> Prior:
    """The given prior, or the default ``IIDGaussianPrior(0, 1)``.

    Raises:
        PolymixTypeError: ``prior`` is not a ``Prior``.
    """
    if prior is None:
        return IIDGaussianPrior()
    if not isinstance(prior, Prior):
        raise PolymixTypeError(f"prior: expected a polymix_jax.priors.Prior or None, received {type(prior).__name__}")
    return prior


def initial_raw(spec: Any, key: PRNGKey | None, who: str) -> dict[str, jax.Array]:
    """Initial raw parameters ``constant + noise_scale * N(0, I)`` from ``spec.initial``, in the default float.

    Args:
        spec: A polymix_core group spec.
        key: PRNG key; required only if some raw parameter is initialised randomly.
        who: Names the group in the error message.
    """
    dtype = default_float_dtype()
    initial = spec.initial
    random = [name for name, v in initial.items() if v.noise_scale != 0.0]
    keys: dict[str, Any] = {}
    if random:
        key = check_key(key, f"{who} initialises {', '.join(random)} randomly")
        keys = dict(zip(random, jax.random.split(key, len(random))))
    out = {}
    for name, value in initial.items():
        arr = jnp.asarray(np.asarray(value.constant, dtype=dtype))
        if name in keys:
            arr = arr + value.noise_scale * jax.random.normal(keys[name], arr.shape, dtype)
        out[name] = arr
    return out


class ParameterGroup(eqx.Module):
    """Base class of the parameter groups: raw (trainable) arrays, static configuration and a prior.

    Subclasses expose unconstrained arrays that define the variational distribution
    ``q(theta)``. During training their ``distribution_loss`` is added to the data loss.
    Only the raw arrays are trainable (inexact array leaves); names, sizes and the
    spec are static, so ``eqx.filter_jit``/``eqx.filter_grad`` see exactly the raw parameters.

    Attributes:
        name: Friendly identifier.
        num_params: Number of scalar parameters of this group.
        prior: The prior (default ``IIDGaussianPrior(0, 1)``).
        kl_num_mc_samples: Monte Carlo sample count of the KL where no closed form exists.
        spec: The polymix_core group spec.

    Example:
        >>> import jax
        >>> from polymix_jax.parameter_groups import IIDGaussianGroup
        >>> k1, k2 = jax.random.split(jax.random.key(0))
        >>> group = IIDGaussianGroup("weights", num_params=5, key=k1)
        >>> theta = group.sample_parameters(num_samples=3, key=k2)
        >>> theta.shape
        (3, 5)
    """

    name: str = eqx.field(static=True)
    prior: Prior
    spec: Any = eqx.field(static=True)
    # True when no prior was passed: a checkpoint then records ``None`` (the default prior).
    _default_prior: bool = eqx.field(static=True)
    num_params = SpecAttribute[int]()
    kl_num_mc_samples = SpecAttribute[int]()

    @classmethod
    def from_spec(
        cls, name: str, spec: Any, prior: Prior | None = None, *, key: PRNGKey | None = None
    ) -> ParameterGroup:
        """The group of ``spec`` (a built-in family's), with fresh initial values drawn with ``key``.

        Args:
            name: The group's name.
            spec: Its ``polymix_core`` group spec (``spec.init_kwargs()`` are the constructor's arguments).
            prior: Its prior (``None``: the default).
            key: PRNG key for random initial values.
        """
        return cls(name, spec.num_params, prior=prior, key=key, **spec.init_kwargs())  # type: ignore[call-arg]

    def _init_common(self, name: Any, spec: Any, prior: Prior | None) -> None:
        """Set the fields every group shares (called first by each subclass ``__init__``)."""
        if not isinstance(name, str):
            raise PolymixTypeError(f"name: expected a string, received {type(name).__name__}")
        self.name = name
        self.spec = spec
        self.prior = resolve_prior(prior)
        self._default_prior = prior is None

    @property
    def noise_shape(self) -> tuple[int, ...]:
        """Per-sample standard-normal noise shape of ``sample_transform``."""
        return tuple(self.spec.noise_shape)

    @property
    def raw_names(self) -> tuple[str, ...]:
        """Names of the raw (trainable) arrays, in ``state_dict`` order."""
        return tuple(self.spec.raw_shapes)

    def raw_parameters(self) -> dict[str, jax.Array]:
        """The raw arrays keyed by name (``state_dict`` keys of the group)."""
        return {name: getattr(self, name) for name in self.raw_names}

    @property
    def dtype(self) -> np.dtype:
        """Floating dtype of the raw parameters."""
        return np.dtype(getattr(self, self.raw_names[0]).dtype)

    def _check_num_samples(self, num_samples: Any) -> int:
        return check_positive_int("num_samples", num_samples)

    def _noise(self, num_samples: int, key: PRNGKey | None) -> jax.Array:
        """Standard normals ``(num_samples, *noise_shape)`` in the parameters' dtype."""
        key = check_key(key, f"{type(self).__name__} {self.name!r} draws random samples")
        return jax.random.normal(key, (num_samples, *self.noise_shape), self.dtype)

    def _check_noise(self, noise: Any) -> jax.Array:
        noise = as_float_array("noise", noise)
        check_noise_shape("noise", noise.shape, self.noise_shape)
        return noise.astype(self.dtype)

    def sample_transform(self, noise: Any) -> jax.Array:
        """Map standard-normal ``noise (num_samples, *noise_shape)`` to samples ``(num_samples, num_params)``."""
        raise PolymixTypeError(f"{type(self).__name__}: has no noise -> sample transform")

    def sample_parameters(self, num_samples: int = 1, *, key: PRNGKey | None = None) -> jax.Array:
        """Sample ``theta ~ q(theta)``: draw noise with ``key``, then ``sample_transform``.

        Args:
            num_samples: Number of draws.
            key: PRNG key.

        Returns:
            ``(num_samples, num_params)``.
        """
        num_samples = self._check_num_samples(num_samples)
        return self.sample_transform(self._noise(num_samples, key))

    @abc.abstractmethod
    def variational_distribution(self) -> dist.Distribution:
        """Return ``q(theta)`` as a ``numpyro.distributions.Distribution``."""

    def analytic_kl(self) -> jax.Array | None:
        """Closed-form ``KL(q || p)``, or ``None`` when the family/prior pair has none."""
        return None

    def distribution_loss(self, *, key: PRNGKey | None = None) -> jax.Array:
        """``KL(q || p)`` of this group: closed form where one exists, else Monte Carlo.

        The closed form covers every Gaussian family against ``IIDGaussianPrior`` and
        ``GaussianPrior``; otherwise (e.g. ``LaplacePrior``) the reparameterised estimate
        ``mean_k [log q(theta_k) - log p(theta_k)]`` over ``kl_num_mc_samples`` draws is used,
        which needs ``key``.

        Args:
            key: PRNG key, needed only for the Monte Carlo estimate.

        Returns:
            Scalar.
        """
        kl = self.analytic_kl()
        if kl is not None:
            return kl
        key = check_key(
            key,
            f"{type(self).__name__} {self.name!r} estimates KL(q || p) by Monte Carlo "
            f"(no closed form against {type(self.prior).__name__})",
        )
        theta = self.sample_parameters(self.kl_num_mc_samples, key=key)  # (kl_num_mc_samples, num_params)
        q = self.variational_distribution()
        p = self.prior.distribution((self.num_params,), dtype=self.dtype)
        return jnp.mean(q.log_prob(theta) - p.log_prob(theta))

    def with_raw_parameters(self, raw: Mapping[str, Any]) -> ParameterGroup:
        """A copy with the raw arrays replaced (``state_dict``-style loading).

        Args:
            raw: ``{raw_name: array}`` with exactly the shapes of ``spec.raw_shapes``.

        Raises:
            ShapeError: a name is missing or unknown, or an array has the wrong shape
                (``polymix_core.check_raw_arrays``).
        """
        shapes = self.spec.raw_shapes
        check_raw_arrays(shapes, raw)
        names = list(shapes)
        arrays = [_as_dtype(raw[n], self.dtype) for n in names]
        return eqx.tree_at(lambda g: [getattr(g, n) for n in names], self, arrays)


def _as_dtype(value: Any, dtype: np.dtype) -> jax.Array:
    """``value`` as a jax array of the group's dtype."""
    if isinstance(value, jax.Array):  # possibly a tracer: cast in jax, never through numpy
        return value.astype(dtype)
    # through numpy, so float64 data loads into float32 parameters without jax's truncation warning
    return jnp.asarray(np.asarray(value, dtype=dtype))
