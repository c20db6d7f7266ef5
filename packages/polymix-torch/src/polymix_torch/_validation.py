"""Checks of torch arguments, raised with the polymix_core error family before any torch op runs."""

from __future__ import annotations

from typing import Any

import torch
from polymix_core import (
    PolymixTypeError,
    check_input_shape,
    check_noise_shape,
    check_params_shape,
    check_positive_int,
)

__all__ = ["check_tensor", "check_forward_args", "check_noise", "check_num_samples", "torch_dtype"]


def check_tensor(name: str, value: Any) -> torch.Tensor:
    """Return ``value`` if it is a floating-point ``torch.Tensor``, else raise ``PolymixTypeError``."""
    if not isinstance(value, torch.Tensor):
        raise PolymixTypeError(f"{name}: expected a torch.Tensor, received {type(value).__name__}")
    if not value.is_floating_point():
        raise PolymixTypeError(f"{name}: expected a floating-point tensor, received dtype {value.dtype}")
    return value


def check_same_kind(names: tuple[str, str], a: torch.Tensor, b: torch.Tensor) -> None:
    """Raise unless ``a`` and ``b`` share dtype and device (torch would fail later with a bare error)."""
    if a.dtype != b.dtype:
        raise PolymixTypeError(f"{names[0]}, {names[1]}: expected the same dtype, received {a.dtype} and {b.dtype}")
    if a.device != b.device:
        raise PolymixTypeError(f"{names[0]}, {names[1]}: expected the same device, received {a.device} and {b.device}")


def check_forward_args(x: Any, params: Any, num_inputs: int, num_params: int) -> None:
    """Validate a surrogate call: ``x (batch_size, num_inputs)``, ``params (num_samples, num_params)``.

    Raises:
        PolymixTypeError: an argument is not a floating-point tensor, or dtypes/devices differ.
        ShapeError: a shape does not match the architecture.
    """
    check_tensor("x", x)
    check_tensor("params", params)
    check_input_shape("x", x.shape, num_inputs)
    check_params_shape("params", params.shape, num_params)
    check_same_kind(("x", "params"), x, params)


def check_noise(noise: Any, noise_shape: tuple[int, ...], like: torch.Tensor) -> torch.Tensor:
    """Validate ``noise (num_samples, *noise_shape)`` against a group's parameter ``like``."""
    check_tensor("noise", noise)
    check_noise_shape("noise", noise.shape, noise_shape)
    check_same_kind(("noise", "the group's parameters"), noise, like)
    return noise


def check_num_samples(value: Any) -> int:
    """``num_samples`` must be a positive ``int``."""
    return check_positive_int("num_samples", value)


_DTYPES = {"float32": torch.float32, "float64": torch.float64}


def torch_dtype(name: str) -> torch.dtype:
    """Map ``"float32"``/``"float64"`` to the torch dtype."""
    if name not in _DTYPES:
        raise PolymixTypeError(f"dtype: expected 'float32' or 'float64', received {name!r}")
    return _DTYPES[name]
