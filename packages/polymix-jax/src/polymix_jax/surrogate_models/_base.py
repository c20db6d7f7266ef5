"""``SurrogateModel``: the deterministic map ``(x, params) -> outputs`` shared by every surrogate."""

from __future__ import annotations

import abc
import copy
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
from polymix_core import ConfigurationError, Scaling, check_input_shape, check_params_shape

from .._validation import as_float_array, float_dtype_of

__all__ = ["SurrogateModel", "prepare_inputs"]


def prepare_inputs(x: Any, params: Any, num_inputs: int, num_params: int) -> tuple[jax.Array, jax.Array]:
    """Validate shapes (static, so trace-time) and cast ``x`` and ``params`` to one floating dtype.

    The dtype is the wider floating dtype of the two (integers count as the default float),
    so float64 inputs or parameters give float64 outputs under ``jax_enable_x64``.

    Args:
        x: ``(batch_size, num_inputs)``.
        params: ``(num_samples, num_params)``.
        num_inputs: Expected input width.
        num_params: Expected parameter count.

    Returns:
        ``(x, params)`` as jax arrays of the common floating dtype.

    Raises:
        ShapeError: wrong rank or width of either argument.
    """
    x = as_float_array("x", x)
    params = as_float_array("params", params)
    check_input_shape("x", x.shape, num_inputs)
    check_params_shape("params", params.shape, num_params)
    dtype = float_dtype_of(x, params)
    return x.astype(dtype), params.astype(dtype)


class SurrogateModel(eqx.Module):
    """Base class of the deterministic surrogates: ``(x, params) -> (num_samples, batch_size, num_outputs)``.

    Surrogates hold no trainable state: their parameters arrive as a batch of flat
    vectors, one per sample. Subclasses implement ``forward`` and ``num_params``;
    calling the module calls ``forward``.

    Example:
        >>> import jax.numpy as jnp
        >>> class IdentitySurrogate(SurrogateModel):
        ...     num_inputs: int = 1
        ...     num_outputs: int = 1
        ...     def forward(self, x, params):
        ...         return jnp.broadcast_to(x, (params.shape[0], *x.shape))
        ...     def num_params(self) -> int:
        ...         return 0
        >>> IdentitySurrogate()(jnp.ones((4, 1)), jnp.zeros((2, 0))).shape
        (2, 4, 1)
    """

    @classmethod
    def from_spec(cls, spec: Any) -> SurrogateModel:
        """The surrogate of a ``polymix_core`` spec (``spec.init_kwargs()`` are the constructor's arguments)."""
        return cls(**spec.init_kwargs())

    def __call__(self, x: Any, params: Any) -> jax.Array:
        """Evaluate the surrogate; see ``forward``."""
        return self.forward(x, params)

    @abc.abstractmethod
    def forward(self, x: Any, params: Any) -> jax.Array:
        """Forward pass with given parameters.

        Args:
            x: Inputs ``(batch_size, num_inputs)``.
            params: Flat parameter vectors ``(num_samples, num_params)``.

        Returns:
            Outputs ``(num_samples, batch_size, num_outputs)``.
        """

    @property
    def scaling(self) -> Scaling | None:
        """The input bounds and output scaling (``polymix_core.Scaling``) of the spec, or ``None``."""
        return getattr(getattr(self, "spec", None), "scaling", None)

    def with_scaling(self, **fields: Any) -> SurrogateModel:
        """A copy with scaling fields replaced: ``input_bounds``, ``output_shift``, ``output_scale``, ``extrapolation``.

        ``fit`` calls it to store the data's scale with the model; ``self`` is unchanged.

        Raises:
            ConfigurationError: invalid fields, or a surrogate without scaling support.
        """
        spec = getattr(self, "spec", None)
        if not hasattr(spec, "with_scaling"):
            raise ConfigurationError(
                f"surrogate: {type(self).__name__} does not support input_bounds/output scaling; the built-in "
                "NeuralNetwork, PolynomialChaosExpansion and MixtureOfExperts do"
            )
        new_spec = spec.with_scaling(**fields)  # type: ignore[union-attr]  # validates first
        new = copy.copy(self)
        object.__setattr__(new, "spec", new_spec)  # a static field: not a leaf that eqx.tree_at could replace
        return new

    def _map_inputs(self, x: jax.Array) -> jax.Array:
        """``x`` mapped from ``input_bounds`` to ``[-1, 1]``; checked against the bounds when not traced."""
        scaling = self.scaling
        if scaling is None or not scaling.maps_inputs:
            return x
        if not isinstance(x, jax.core.Tracer):  # values unknown under jit; fit and predict check up front
            scaling.check_inputs(x, xp=jnp)
        return scaling.map_inputs(x, jnp)  # type: ignore[no-any-return]

    def _map_outputs(self, y: jax.Array) -> jax.Array:
        """``output_shift + output_scale * y`` for ``y (..., num_outputs)``."""
        scaling = self.scaling
        return y if scaling is None else scaling.map_outputs(y, jnp)

    @abc.abstractmethod
    def num_params(self) -> int:
        """Return the total number of parameters needed."""
