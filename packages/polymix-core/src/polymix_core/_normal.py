"""The standard normal CDF from array-API elementary functions only.

The array API standard (and numpy) has no ``erf``, so ``erfc`` is evaluated with
W. J. Cody's rational Chebyshev approximations ("Rational Chebyshev approximations
for the error function", Math. Comp. 23 (1969) 631-638; the coefficients of his
SPECFUN routine CALERF), on three intervals of ``|x|``:

* ``|x| <= 0.46875``: ``erf(x) = x R_1(x^2)``, ``erfc = 1 - erf``;
* ``0.46875 < |x| <= 4``: ``erfc(|x|) = exp(-x^2) R_2(|x|)``;
* ``|x| > 4``: ``erfc(|x|) = exp(-x^2) / |x| (1 / sqrt(pi) - x^-2 R_3(x^-2))``;

and ``erfc(-|x|) = 2 - erfc(|x|)``. In float64 the relative error of ``erfc`` is at
the level of a few ulps (``test_normal.py`` measures the absolute error of
``normal_cdf`` against ``scipy.special.ndtr``: below 1e-15); in float32 it is that of
float32 rounding. The tails keep their relative accuracy (``erfc`` is never formed as
``1 - erf`` there), which the bisection of mixture quantiles relies on.
"""

from __future__ import annotations

import math
from typing import Any

from array_api_compat import array_namespace

__all__ = ["erfc", "normal_cdf", "normal_logpdf"]

# Cody (1969), coefficients of CALERF. |x| <= 0.46875: erf(x) = x * P(x^2) / Q(x^2)
_A = (3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02, 3.20937758913846947e03)
_A4 = 1.85777706184603153e-1
_B = (2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03, 2.84423683343917062e03)
# 0.46875 < |x| <= 4: erfc(x) = exp(-x^2) * P(x) / Q(x)
_C = (
    5.64188496988670089e-1,
    8.88314979438837594e00,
    6.61191906371416295e01,
    2.98635138197400131e02,
    8.81952221241769090e02,
    1.71204761263407058e03,
    2.05107837782607147e03,
    1.23033935479799725e03,
)
_C8 = 2.15311535474403846e-8
_D = (
    1.57449261107098347e01,
    1.17693950891312499e02,
    5.37181101862009858e02,
    1.62138957456669019e03,
    3.29079923573345963e03,
    4.36261909014324716e03,
    3.43936767414372164e03,
    1.23033935480374942e03,
)
# |x| > 4: erfc(x) = exp(-x^2) / x * (1 / sqrt(pi) - z * P(z) / Q(z)), z = 1 / x^2
_P = (
    3.05326634961232344e-1,
    3.60344899949804439e-1,
    1.25781726111229246e-1,
    1.60837851487422766e-2,
    6.58749161529837803e-4,
)
_P5 = 1.63153871373020978e-2
_Q = (
    2.56852019228982242e00,
    1.87295284992346047e00,
    5.27905102951428412e-1,
    6.05183413124413191e-2,
    2.33520497626869185e-3,
)

_THRESH = 0.46875
_FOUR = 4.0
_BIG = 27.0  # erfc(27) < 1e-318: 0 in float64, and far below float32's range
_INV_SQRT_PI = 0.56418958354775628695
_INV_SQRT_2 = 0.70710678118654752440
_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


def _ratio(y: Any, leading: float, num: tuple[float, ...], den: tuple[float, ...]) -> Any:
    """Cody's nested rational ``(((leading y + num_0) y + ...) y + num_k) / ((y + den_0) y + ...) y + den_k)``."""
    xnum = leading * y
    xden = y
    for a, b in zip(num[:-1], den[:-1]):
        xnum = (xnum + a) * y
        xden = (xden + b) * y
    return (xnum + num[-1]) / (xden + den[-1])


def erfc(x: Any, xp: Any = None) -> Any:
    """Complementary error function, elementwise, with relative accuracy in both tails.

    Args:
        x: Real floating array of any shape ``S``.
        xp: Array namespace; inferred from ``x`` when ``None``.

    Returns:
        ``erfc(x)``, shape ``S``, in ``x``'s dtype and on its device.

    Example:
        >>> import numpy as np
        >>> erfc(np.array([0.0, 1.0, -1.0])).round(12).tolist()
        [1.0, 0.15729920705, 1.84270079295]
    """
    xp = array_namespace(x) if xp is None else xp
    y = xp.abs(x)
    # Every branch is evaluated on its own clipped interval (no inf or nan), then selected.
    y_small = xp.clip(y, max=_THRESH)
    ysq = y_small * y_small
    erf_small = y_small * _ratio(ysq, _A4, _A, _B)  # erf(|x|), |x| <= 0.46875
    y_mid = xp.clip(y, min=_THRESH, max=_FOUR)
    y_big = xp.clip(y, min=_FOUR, max=_BIG)
    z = 1.0 / (y_big * y_big)
    tail_mid = _ratio(y_mid, _C8, _C, _D)  # erfc(y) exp(y^2), 0.46875 < y <= 4
    tail_big = (_INV_SQRT_PI - z * _ratio(z, _P5, _P, _Q)) / y_big  # erfc(y) exp(y^2), y > 4
    y_tail = xp.clip(y, min=_THRESH, max=_BIG)
    # exp(-y^2) as exp(-r^2) exp(-(y - r)(y + r)) with r = y rounded down to 1/16: r^2 is exact, so the
    # rounding error of y^2 does not grow with y (Cody's device, kept for relative accuracy in the tail).
    r = xp.floor(y_tail * 16.0) / 16.0
    gauss = xp.exp(-r * r) * xp.exp(-(y_tail - r) * (y_tail + r))
    erfc_pos = xp.where(y <= _FOUR, tail_mid, tail_big) * gauss  # erfc(|x|), |x| > 0.46875
    erfc_pos = xp.where(y > _BIG, xp.zeros_like(erfc_pos), erfc_pos)
    small = 1.0 - xp.where(x < 0, -erf_small, erf_small)
    large = xp.where(x < 0, 2.0 - erfc_pos, erfc_pos)
    return xp.where(y <= _THRESH, small, large)


def normal_cdf(x: Any, xp: Any = None) -> Any:
    """Standard normal CDF ``Phi(x) = erfc(-x / sqrt(2)) / 2``, elementwise.

    Args:
        x: Real floating array of any shape ``S``.
        xp: Array namespace; inferred from ``x`` when ``None``.

    Returns:
        ``Phi(x)``, shape ``S``, in ``x``'s dtype and on its device; relatively accurate in the lower
        tail (``Phi(-30)`` is about ``4.9e-198``, not 0).

    Example:
        >>> import numpy as np
        >>> normal_cdf(np.array([-1.959963984540054, 0.0])).round(12).tolist()
        [0.025, 0.5]
    """
    xp = array_namespace(x) if xp is None else xp
    return 0.5 * erfc(-_INV_SQRT_2 * x, xp)


def normal_logpdf(x: Any, mean: Any, var: Any, xp: Any = None) -> Any:
    """Log-density of ``N(mean, var)`` at ``x``, elementwise (broadcasting).

    Args:
        x: Real floating array.
        mean: Array broadcastable with ``x``.
        var: Positive array broadcastable with ``x``.
        xp: Array namespace; inferred from ``x`` when ``None``.

    Returns:
        ``-log(2 pi var) / 2 - (x - mean)^2 / (2 var)``, of the broadcast shape.

    Example:
        >>> import numpy as np
        >>> round(float(normal_logpdf(np.array(0.0), np.array(0.0), np.array(1.0))), 12)
        -0.918938533205
    """
    xp = array_namespace(x) if xp is None else xp
    return -_HALF_LOG_2PI - 0.5 * xp.log(var) - 0.5 * (x - mean) ** 2 / var
