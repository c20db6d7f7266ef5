"""Constraint transforms shared by all backends (array API, ``xp`` argument)."""

from __future__ import annotations

import math
from typing import Any

from array_api_compat import array_namespace

from ._errors import PolymixValueError

__all__ = ["softplus", "inverse_softplus", "positive_from_raw", "raw_from_positive"]


def softplus(x: Any, xp: Any = None) -> Any:
    """Numerically stable ``log(1 + exp(x))``.

    Example:
        >>> import numpy as np
        >>> float(softplus(np.array(0.0)))  # log 2
        0.6931471805599453
    """
    xp = array_namespace(x) if xp is None else xp
    return xp.logaddexp(xp.zeros_like(x), x)


def inverse_softplus(y: float) -> float:
    """Inverse of softplus for a positive scalar: ``log(expm1(y))``.

    Example:
        >>> round(inverse_softplus(0.6931471805599453), 12)
        0.0
    """
    if not 0.0 < y < math.inf:  # log(expm1(y)) would fail with a bare "math domain error" or return nan
        raise PolymixValueError(f"y: expected a positive finite number, received {y!r}")
    if y > 30.0:  # expm1 overflows long before; softplus(x) == x to double precision there
        return y + math.log1p(-math.exp(-y))
    return math.log(math.expm1(y))


def positive_from_raw(raw: Any, jitter: float, xp: Any = None) -> Any:
    """The positive quantities of the Gaussian families: ``softplus(raw) + jitter``."""
    return softplus(raw, xp) + jitter


def raw_from_positive(value: float, jitter: float) -> float:
    """Raw value whose ``positive_from_raw`` is ``value`` (floored at 1e-12 above the jitter, as pypolymix)."""
    return inverse_softplus(max(value - jitter, 1e-12))
