"""``SurrogateModel``: the deterministic map ``(x, params) -> outputs`` shared by every surrogate."""

from __future__ import annotations

import abc
from typing import Any

import equinox as eqx
import jax
from polymix_core import check_input_shape, check_params_shape

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

    @abc.abstractmethod
    def num_params(self) -> int:
        """Return the total number of parameters needed."""
