"""The polymix exception family and the validators every backend calls.

Every message names the argument, what was expected and what was received, so
that a user can act on it without reading a traceback into torch or XLA.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

__all__ = [
    "PolymixError",
    "PolymixValueError",
    "PolymixTypeError",
    "ShapeError",
    "ConfigurationError",
    "DistributionUnavailableError",
    "CheckpointError",
    "NumericalError",
    "ResourceLimitError",
    "DomainError",
    "DataError",
    "PolymixWarning",
    "check_positive_int",
    "check_nonnegative_int",
    "check_positive_float",
    "check_input_shape",
    "check_params_shape",
    "check_noise_shape",
]


class PolymixError(Exception):
    """Base class of every error polymix raises on purpose."""


class PolymixValueError(PolymixError, ValueError):
    """A value is out of range or inconsistent with the model configuration."""


class PolymixTypeError(PolymixError, TypeError):
    """An argument has the wrong type (e.g. a float where an int is required)."""


class ShapeError(PolymixValueError):
    """An array has the wrong rank or size for the model it is passed to."""


class ConfigurationError(PolymixValueError):
    """A model, group or prior was configured inconsistently."""


class DistributionUnavailableError(PolymixError, RuntimeError):
    """A group has no analytic distribution or closed-form KL (a ``RuntimeError``, as in pypolymix)."""


class CheckpointError(PolymixValueError):
    """A checkpoint file is unreadable, corrupted, foreign, oversized or inconsistent with its spec.

    The message names the archive member or spec field at fault and what was expected.
    """


class NumericalError(PolymixError, ArithmeticError):
    """A factorisation or transform failed in the working precision; the message names the group and a remedy."""


class ResourceLimitError(PolymixError, MemoryError):
    """A request would allocate more memory than the device has; the message states the allocation."""


class DomainError(PolymixValueError):
    """Inputs outside a surrogate's ``input_bounds``; the message names the first offending rows."""


class DataError(PolymixValueError):
    """Training or evaluation data that cannot be used (non-finite rows, mismatched lengths, wrong dtype)."""


class PolymixWarning(UserWarning):
    """A warning polymix issues on purpose (e.g. extrapolation outside ``input_bounds``)."""


def _describe(value: Any) -> str:
    return f"{value!r} (type {type(value).__name__})"


def check_positive_int(name: str, value: Any) -> int:
    """Return ``value`` as an ``int`` if it is a positive integer, else raise.

    Args:
        name: The argument name used in the message.
        value: The received value; ``bool`` is rejected.

    Returns:
        The value as a Python ``int``.

    Example:
        >>> check_positive_int("width", 8)
        8
        >>> check_positive_int("width", 0)
        Traceback (most recent call last):
        ...
        polymix_core._errors.PolymixValueError: width: expected a positive integer, received 0 (type int)
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise PolymixTypeError(f"{name}: expected a positive integer, received {_describe(value)}")
    if value <= 0:
        raise PolymixValueError(f"{name}: expected a positive integer, received {_describe(value)}")
    return int(value)


def check_nonnegative_int(name: str, value: Any) -> int:
    """Return ``value`` as an ``int`` if it is a non-negative integer, else raise.

    Example:
        >>> check_nonnegative_int("depth", 0)
        0
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise PolymixTypeError(f"{name}: expected a non-negative integer, received {_describe(value)}")
    if value < 0:
        raise PolymixValueError(f"{name}: expected a non-negative integer, received {_describe(value)}")
    return int(value)


def check_positive_float(name: str, value: Any) -> float:
    """Return ``value`` as a ``float`` if it is finite and > 0, else raise.

    Example:
        >>> check_positive_float("step_size", 1e-3)
        0.001
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise PolymixTypeError(f"{name}: expected a positive finite number, received {_describe(value)}")
    v = float(value)
    if not math.isfinite(v) or v <= 0.0:
        raise PolymixValueError(f"{name}: expected a positive finite number, received {v!r}")
    return v


def check_input_shape(name: str, shape: Sequence[int], num_inputs: int) -> None:
    """Check that an input array has shape ``(batch_size, num_inputs)``.

    Args:
        name: Argument name (usually ``"x"``).
        shape: The received shape.
        num_inputs: The number of columns the model expects.

    Example:
        >>> check_input_shape("x", (5, 2), 2)
        >>> check_input_shape("x", (5,), 2)
        Traceback (most recent call last):
        ...
        polymix_core._errors.ShapeError: x: expected a 2-D array of shape (batch_size, 2), received shape (5,)
    """
    shape = tuple(int(s) for s in shape)
    if len(shape) != 2 or shape[1] != num_inputs:
        raise ShapeError(f"{name}: expected a 2-D array of shape (batch_size, {num_inputs}), received shape {shape}")


def check_params_shape(name: str, shape: Sequence[int], num_params: int) -> None:
    """Check that a parameter array has shape ``(num_samples, num_params)``.

    Example:
        >>> check_params_shape("params", (3, 105), 105)
    """
    shape = tuple(int(s) for s in shape)
    if len(shape) != 2 or shape[1] != num_params:
        raise ShapeError(f"{name}: expected a 2-D array of shape (num_samples, {num_params}), received shape {shape}")


def check_noise_shape(name: str, shape: Sequence[int], expected_tail: Sequence[int]) -> None:
    """Check that a noise array has shape ``(num_samples, *expected_tail)``.

    Example:
        >>> check_noise_shape("noise", (4, 3), (3,))
    """
    shape = tuple(int(s) for s in shape)
    tail = tuple(int(s) for s in expected_tail)
    if len(shape) != 1 + len(tail) or shape[1:] != tail:
        raise ShapeError(f"{name}: expected shape (num_samples, {', '.join(map(str, tail))}), received shape {shape}")
