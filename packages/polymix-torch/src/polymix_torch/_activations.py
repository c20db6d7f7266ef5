"""Activations: names of ``polymix_core.ACTIVATIONS`` to torch callables, and back."""

from __future__ import annotations

from typing import Any, Callable, Union

import torch
import torch.nn.functional as F
from polymix_core import ACTIVATIONS, ConfigurationError, PolymixTypeError
from torch import nn

__all__ = ["Activation", "identity", "resolve_activation"]

Activation = Union[str, Callable[[torch.Tensor], torch.Tensor]]


def identity(x: torch.Tensor) -> torch.Tensor:
    """The identity activation."""
    return x


_BY_NAME: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "relu": F.relu,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "gelu": F.gelu,
    "silu": F.silu,
    "softplus": F.softplus,
    "elu": F.elu,
    "identity": identity,
}

# Functions that compute exactly a named activation with their default arguments.
_KNOWN_FUNCTIONS: dict[Any, str] = {
    F.relu: "relu",
    torch.relu: "relu",
    torch.tanh: "tanh",
    F.tanh: "tanh",
    torch.sigmoid: "sigmoid",
    F.sigmoid: "sigmoid",
    F.gelu: "gelu",
    F.silu: "silu",
    F.softplus: "softplus",
    F.elu: "elu",
    identity: "identity",
}


def _module_name(module: nn.Module) -> str:
    """Name of a default-configured activation module, ``"custom"`` otherwise."""
    if type(module) is nn.ReLU or type(module) is nn.Tanh or type(module) is nn.Sigmoid:
        return type(module).__name__.lower()
    if type(module) is nn.SiLU:
        return "silu"
    if type(module) is nn.Identity:
        return "identity"
    if type(module) is nn.GELU and module.approximate == "none":
        return "gelu"
    if type(module) is nn.ELU and module.alpha == 1.0:
        return "elu"
    if type(module) is nn.Softplus and module.beta == 1.0 and module.threshold == 20.0:
        return "softplus"
    return "custom"


def resolve_activation(activation: Any) -> tuple[Callable[[torch.Tensor], torch.Tensor], str]:
    """Return ``(callable, name)`` for a name from ``ACTIVATIONS`` or a callable.

    Known callables (``F.relu``, ``torch.tanh``, ``nn.ReLU()``, ...) map to their
    name; any other callable is kept and named ``"custom"``.

    Example:
        >>> resolve_activation("tanh")[1], resolve_activation(F.relu)[1], resolve_activation(lambda t: t)[1]
        ('tanh', 'relu', 'custom')
    """
    if isinstance(activation, str):
        if activation not in _BY_NAME:
            names = tuple(a for a in ACTIVATIONS if a != "custom")
            raise ConfigurationError(f"activation: expected a callable or one of {names}, received {activation!r}")
        return _BY_NAME[activation], activation
    if not callable(activation):
        raise PolymixTypeError(
            f"activation: expected a callable or an activation name, received {type(activation).__name__}"
        )
    if isinstance(activation, nn.Module):
        return activation, _module_name(activation)
    try:
        name = _KNOWN_FUNCTIONS.get(activation, "custom")
    except TypeError:  # unhashable callable object
        name = "custom"
    return activation, name
