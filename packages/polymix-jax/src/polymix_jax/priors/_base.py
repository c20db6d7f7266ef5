"""``Prior``: a factory of numpyro distributions over a group's parameters."""

from __future__ import annotations

import abc
import numbers
from typing import Any, NamedTuple, Sequence

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import numpyro.distributions as dist
from polymix_core import PolymixTypeError, ShapeError

from .._validation import default_float_dtype

__all__ = ["Prior", "GaussianForm", "event_size", "to_jax"]


class GaussianForm(NamedTuple):
    """A Gaussian prior ``N(mean, S S^T)`` as the closed-form KL needs it.

    ``scale`` is either ``(d,)`` (a diagonal ``S``, the standard deviations) or ``(d, d)``
    (a lower-triangular Cholesky factor); ``logdet`` is ``log det(S S^T)``, computed in float64.
    """

    mean: jax.Array
    scale: jax.Array
    logdet: float


def event_size(event_shape: Any) -> int:
    """``d`` from an event shape ``(d,)`` (a tuple, list, ``int`` or ``torch.Size``-like sequence).

    Raises:
        ShapeError: not a one-dimensional shape with a positive size.
    """
    if isinstance(event_shape, numbers.Integral) and not isinstance(event_shape, bool):
        event_shape = (event_shape,)
    if not isinstance(event_shape, Sequence) or len(event_shape) != 1:
        raise ShapeError(f"event_shape: expected a one-dimensional shape (num_params,), received {event_shape!r}")
    d = event_shape[0]
    if isinstance(d, bool) or not isinstance(d, numbers.Integral) or d <= 0:
        raise ShapeError(f"event_shape: expected (num_params,) with a positive integer, received {event_shape!r}")
    return int(d)


def to_jax(value: np.ndarray, device: Any, dtype: Any) -> jax.Array:
    """A float64 numpy hyper-parameter as a jax constant of ``dtype`` (default float) on ``device``."""
    dtype = default_float_dtype() if dtype is None else np.dtype(dtype)
    if not jnp.issubdtype(dtype, jnp.floating):
        raise PolymixTypeError(f"dtype: expected a floating dtype, received {dtype}")
    # Cast in numpy first: jnp.asarray of float64 data with x64 off would warn about truncation.
    arr = jnp.asarray(np.asarray(value, dtype=dtype))
    return arr if device is None else jax.device_put(arr, device)


class Prior(eqx.Module):
    """Factory for a prior ``numpyro.distributions.Distribution`` over model parameters.

    Hyper-parameters live in the (static) ``spec``: they are constants, never trained.

    Example:
        >>> import jax
        >>> from polymix_jax.priors import IIDGaussianPrior
        >>> prior = IIDGaussianPrior(mean=0.0, std=1.0)
        >>> dist = prior.distribution(event_shape=(3,), device=None, dtype=None)
        >>> dist.sample(jax.random.key(0)).shape
        (3,)
    """

    @classmethod
    def from_spec(cls, spec: Any) -> Prior:
        """The prior of a ``polymix_core`` prior spec (``spec.init_kwargs()`` are the constructor's arguments)."""
        return cls(**spec.init_kwargs())

    @abc.abstractmethod
    def distribution(self, event_shape: Any, device: Any = None, dtype: Any = None) -> dist.Distribution:
        """Instantiate the prior for the given event shape.

        Args:
            event_shape: Shape of a single draw, ``(num_params,)``.
            device: A jax device to place the hyper-parameters on (``None``: the default).
            dtype: Floating dtype (``None``: float32, or float64 under ``jax_enable_x64``).

        Returns:
            A numpyro distribution whose ``event_shape`` is ``(num_params,)``.
        """

    def gaussian_form(self, num_params: int, dtype: Any = None) -> GaussianForm | None:
        """The prior as ``N(mean, S S^T)`` for the closed-form KL, or ``None`` if it is not Gaussian."""
        return None
