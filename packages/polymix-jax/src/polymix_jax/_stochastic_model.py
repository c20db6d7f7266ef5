"""``StochasticModel``: a surrogate whose flat parameters are drawn from parameter groups."""

from __future__ import annotations

from typing import Any, Iterable

import equinox as eqx
import jax
import jax.numpy as jnp
from polymix_core import (
    ConfigurationError,
    GroupEntry,
    ModelSpec,
    PolymixTypeError,
    check_group_total,
    check_input_shape,
    check_positive_int,
)

from ._validation import PRNGKey, as_float_array, check_model_memory, float_dtype_of, split_keys
from .parameter_groups import ParameterGroup
from .surrogate_models import SurrogateModel

__all__ = ["StochasticModel"]


class StochasticModel(eqx.Module):
    """Wrap a deterministic surrogate model with sampled parameters.

    The groups' samples are concatenated in order to form the surrogate's flat
    parameter vector. Randomness is explicit: ``key`` is split between the groups.

    Args:
        surrogate_model: Surrogate consuming ``x`` and the sampled parameters.
        parameter_groups: One group or an iterable of groups whose sizes add up to
            ``surrogate_model.num_params()``.

    Example:
        >>> import jax
        >>> from polymix_jax import StochasticModel, parameter_groups, surrogate_models
        >>> k1, k2, k3 = jax.random.split(jax.random.key(0), 3)
        >>> surrogate = surrogate_models.NeuralNetwork(num_inputs=1, num_outputs=1)
        >>> groups = [parameter_groups.IIDGaussianGroup("nn", surrogate.num_params(), key=k1)]
        >>> model = StochasticModel(surrogate, groups)
        >>> x = jax.numpy.linspace(-1, 1, 32)[:, None]
        >>> y = model(x, num_samples=4, key=k2)
        >>> y.shape
        (4, 32, 1)
        >>> loss = y.mean() + model.distribution_loss(key=k3)
        >>> loss.shape
        ()
    """

    surrogate_model: SurrogateModel
    parameter_groups: tuple[ParameterGroup, ...]

    def __init__(self, surrogate_model: SurrogateModel, parameter_groups: ParameterGroup | Iterable[ParameterGroup]):
        if not isinstance(surrogate_model, SurrogateModel):
            raise PolymixTypeError(
                f"surrogate_model: expected a polymix_jax SurrogateModel, received {type(surrogate_model).__name__}"
            )
        groups = (parameter_groups,) if isinstance(parameter_groups, ParameterGroup) else tuple(parameter_groups)
        for i, g in enumerate(groups):
            if not isinstance(g, ParameterGroup):
                raise PolymixTypeError(
                    f"parameter_groups[{i}]: expected a polymix_jax ParameterGroup, received {type(g).__name__}"
                )
        check_group_total([g.name for g in groups], [g.num_params for g in groups], surrogate_model.num_params())
        self.surrogate_model = surrogate_model
        self.parameter_groups = groups

    @property
    def spec(self) -> ModelSpec:
        """The backend-neutral description (surrogate spec plus ordered group entries)."""
        surrogate_spec = getattr(self.surrogate_model, "spec", None)
        if surrogate_spec is None:
            raise ConfigurationError(
                "surrogate_model: expected a built-in surrogate with a spec, "
                f"received {type(self.surrogate_model).__name__}"
            )
        entries = []
        for g in self.parameter_groups:
            prior_spec = None if g._default_prior else getattr(g.prior, "spec", None)
            if not g._default_prior and prior_spec is None:
                raise ConfigurationError(
                    f"prior: expected a built-in prior with a spec in group {g.name!r}, "
                    f"received {type(g.prior).__name__}"
                )
            entries.append(GroupEntry(g.name, g.spec, prior_spec))
        return ModelSpec(surrogate_spec, tuple(entries))

    def num_params(self) -> int:
        """Return the total number of scalar parameters managed across groups."""
        return sum(g.num_params for g in self.parameter_groups)

    def _check_memory(self, num_samples: int, batch_size: int | None) -> None:
        dtype = float_dtype_of(*(g.raw_parameters()[g.raw_names[0]] for g in self.parameter_groups))
        surrogate_spec = getattr(self.surrogate_model, "spec", None)
        groups = tuple(g.spec for g in self.parameter_groups)
        check_model_memory(surrogate_spec, groups, num_samples, batch_size, self.num_params(), dtype)

    def sample_parameters(self, num_samples: int = 1, *, key: PRNGKey | None = None) -> jax.Array:
        """Draw parameter samples from each group and concatenate them.

        Args:
            num_samples: Number of draws per group.
            key: PRNG key, split between the groups (only deterministic groups need none).

        Returns:
            ``(num_samples, surrogate_model.num_params())``.
        """
        num_samples = check_positive_int("num_samples", num_samples)
        self._check_memory(num_samples, None)
        keys = split_keys(key, len(self.parameter_groups))
        samples = [g.sample_parameters(num_samples, key=k) for g, k in zip(self.parameter_groups, keys)]
        dtype = float_dtype_of(*samples)
        return jnp.concatenate([s.astype(dtype) for s in samples], axis=1)  # (num_samples, num_params)

    def distribution_loss(self, *, key: PRNGKey | None = None) -> jax.Array:
        """Return the sum of the KL/cross-entropy terms of every parameter group.

        Args:
            key: PRNG key, split between the groups; needed only if some group uses a
                Monte Carlo estimate (a ``LangevinGroup``, or a prior without a closed-form KL).

        Returns:
            Scalar.
        """
        keys = split_keys(key, len(self.parameter_groups))
        terms = [g.distribution_loss(key=k) for g, k in zip(self.parameter_groups, keys)]
        dtype = float_dtype_of(*terms)
        return sum((t.astype(dtype) for t in terms[1:]), terms[0].astype(dtype))

    def __call__(self, x: Any, num_samples: int = 1, *, key: PRNGKey | None = None) -> jax.Array:
        """Evaluate the surrogate under randomly drawn parameters.

        Args:
            x: Inputs ``(batch_size, num_inputs)``.
            num_samples: Number of parameter draws.
            key: PRNG key for the draws.

        Returns:
            ``(num_samples, batch_size, num_outputs)``.

        Example:
            Evaluate a function at ``x`` using 10 random draws of the parameters:

            >>> import jax
            >>> from polymix_jax import StochasticModel, parameter_groups, surrogate_models
            >>> k1, k2 = jax.random.split(jax.random.key(0))
            >>> surrogate_model = surrogate_models.PolynomialChaosExpansion(num_inputs=2, degree=2)
            >>> model = StochasticModel(surrogate_model, parameter_groups.GaussianGroup("c", 6))
            >>> x = jax.random.uniform(k1, (7, 2), minval=-1.0, maxval=1.0)
            >>> y = model(x, num_samples=10, key=k2)
            >>> y.shape == (10, x.shape[0], surrogate_model.num_outputs)
            True
        """
        # Every check runs before any sampling.
        num_samples = check_positive_int("num_samples", num_samples)
        x = as_float_array("x", x)
        num_inputs = getattr(self.surrogate_model, "num_inputs", None)
        if num_inputs is not None:
            check_input_shape("x", x.shape, num_inputs)
        self._check_memory(num_samples, int(x.shape[0]) if x.ndim else None)
        params = self.sample_parameters(num_samples, key=key)  # (num_samples, num_params)
        return self.surrogate_model(x, params)

    def forward(self, x: Any, num_samples: int = 1, *, key: PRNGKey | None = None) -> jax.Array:
        """Alias of ``__call__``."""
        return self(x, num_samples, key=key)
