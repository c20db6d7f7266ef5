"""Hidden-layer activations: names from ``polymix_core.ACTIVATIONS`` and their jax callables."""

from __future__ import annotations

from typing import Any, Callable

import jax
import jax.numpy as jnp
from polymix_core import ACTIVATIONS, ConfigurationError, PolymixTypeError

__all__ = ["ACTIVATION_FUNCTIONS", "resolve_activation"]

Activation = Callable[[jax.Array], jax.Array]


def identity(x: jax.Array) -> jax.Array:
    """Return ``x`` unchanged (the ``"identity"`` activation)."""
    return x


def gelu(x: jax.Array) -> jax.Array:
    """Exact (erf) GELU, as torch's default; ``jax.nn.gelu`` defaults to the tanh approximation."""
    return jax.nn.gelu(x, approximate=False)


#: jax callables of the named activations (numerically those of ``polymix_core.reference``).
ACTIVATION_FUNCTIONS: dict[str, Activation] = {
    "relu": jax.nn.relu,
    "tanh": jnp.tanh,
    "sigmoid": jax.nn.sigmoid,
    "gelu": gelu,
    "silu": jax.nn.silu,
    "softplus": jax.nn.softplus,
    "elu": jax.nn.elu,
    "identity": identity,
}

# Callables a user may pass that are exactly a named activation. jax.nn.gelu is absent on
# purpose: its default is the tanh approximation, which is not the reference's "gelu".
_KNOWN: dict[Any, str] = {fn: name for name, fn in ACTIVATION_FUNCTIONS.items()}


def resolve_activation(activation: Any) -> tuple[Activation, str]:
    """Map a name or a callable to ``(callable, name)``; unknown callables are named ``"custom"``.

    Args:
        activation: One of ``polymix_core.ACTIVATIONS`` (except ``"custom"``) or a callable.

    Raises:
        ConfigurationError: an unknown name.
        PolymixTypeError: neither a string nor a callable.

    Example:
        >>> import jax
        >>> resolve_activation(jax.nn.relu)[1], resolve_activation("tanh")[1], resolve_activation(abs)[1]
        ('relu', 'tanh', 'custom')
    """
    if isinstance(activation, str):
        if activation not in ACTIVATION_FUNCTIONS:
            names = tuple(n for n in ACTIVATIONS if n != "custom")
            raise ConfigurationError(f"activation: expected a callable or one of {names}, received {activation!r}")
        return ACTIVATION_FUNCTIONS[activation], activation
    if not callable(activation):
        raise PolymixTypeError(
            f"activation: expected a callable or an activation name, received {type(activation).__name__}"
        )
    try:
        return activation, _KNOWN.get(activation, "custom")
    except TypeError:  # an unhashable callable cannot be a known one
        return activation, "custom"
