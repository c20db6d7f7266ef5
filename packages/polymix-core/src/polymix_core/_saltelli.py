"""Monte Carlo Sobol' indices (Saltelli's pick-freeze design) for surrogates without a closed form.

``saltelli_design`` draws the points (numpy float64, from a scrambled Sobol' sequence of
``scipy.stats.qmc``: install ``polymix-core[sensitivity]``); the user evaluates the surrogate on them for
every posterior draw, and ``saltelli_indices`` turns the values into first-order and total indices with
their Monte Carlo standard errors, written once against the array API (numpy, torch or jax values).
"""

from __future__ import annotations

import importlib
import inspect
import math
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
from array_api_compat import array_namespace

from ._errors import (
    PolymixError,
    PolymixTypeError,
    PolymixValueError,
    ShapeError,
    check_positive_int,
)

__all__ = ["SaltelliDesign", "SaltelliIndices", "saltelli_design", "saltelli_indices"]


class SaltelliDesign(NamedTuple):
    """Points of a Saltelli design; the model is evaluated on ``A``, ``B`` and every ``AB[i]``.

    Attributes:
        A: ``(num_base, num_inputs)`` first base sample.
        B: ``(num_base, num_inputs)`` second base sample, independent of ``A``.
        AB: ``(num_inputs, num_base, num_inputs)``; ``AB[i]`` is ``A`` with column ``i`` taken from ``B``.
    """

    A: np.ndarray
    B: np.ndarray
    AB: np.ndarray

    @property
    def num_evaluations(self) -> int:
        """Model evaluations the design needs per posterior draw: ``num_base * (num_inputs + 2)``."""
        num_base, num_inputs = self.A.shape
        return int(num_base * (num_inputs + 2))


class SaltelliIndices(NamedTuple):
    """Monte Carlo Sobol' indices, each ``(num_samples, num_inputs, num_outputs)``.

    Attributes:
        first_order: Saltelli (2010) estimator of ``S_i``.
        total: Jansen (1999) estimator of ``S_i^T``.
        first_order_se: Standard error of ``first_order`` (delta method, see ``saltelli_indices``).
        total_se: Standard error of ``total``.
    """

    first_order: Any
    total: Any
    first_order_se: Any
    total_se: Any


class _MissingScipy(PolymixError, ImportError):
    """scipy is not installed (``polymix-core[sensitivity]``)."""


def _qmc() -> Any:
    try:
        return importlib.import_module("scipy.stats.qmc")
    except ImportError as err:
        raise _MissingScipy(
            "saltelli_design needs scipy (scipy.stats.qmc.Sobol): install the extra polymix-core[sensitivity] "
            f"(pip install 'polymix-core[sensitivity]'); importing it failed with {err}"
        ) from err


def _bounds(bounds: Sequence[Sequence[float]] | None, num_inputs: int) -> tuple[np.ndarray, np.ndarray]:
    if bounds is None:
        return np.full(num_inputs, -1.0), np.full(num_inputs, 1.0)
    try:
        array = np.asarray(bounds, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise PolymixTypeError(
            f"bounds: expected {num_inputs} pairs (low, high) of numbers, received {bounds!r}"
        ) from err
    if array.shape != (num_inputs, 2):
        raise ShapeError(f"bounds: expected shape ({num_inputs}, 2), one (low, high) per input, received {array.shape}")
    low, high = array[:, 0], array[:, 1]
    if not (np.all(np.isfinite(array)) and np.all(low < high)):
        raise PolymixValueError(f"bounds: expected finite pairs with low < high, received {array.tolist()}")
    return low, high


def saltelli_design(
    num_inputs: int,
    num_base: int,
    *,
    seed: int | np.random.Generator | None,
    bounds: Sequence[Sequence[float]] | None = None,
    scramble: bool = True,
) -> SaltelliDesign:
    """Saltelli's pick-freeze design from a (scrambled) Sobol' sequence.

    ``A`` and ``B`` are the first and last ``num_inputs`` columns of ``num_base`` points of one
    ``2 * num_inputs``-dimensional Sobol' sequence (``scipy.stats.qmc.Sobol``), mapped to the uniform
    distribution on ``[-1, 1]`` or on ``bounds``. The model is then evaluated
    ``num_base * (num_inputs + 2)`` times per posterior draw (``design.num_evaluations``): on ``A``, ``B``
    and the ``num_inputs`` matrices ``AB[i]``. ``num_base`` should be a power of 2 (scipy warns otherwise).

    Args:
        num_inputs: Number of inputs ``d``.
        num_base: Number of base points ``N``.
        seed: Seed of the scrambling (an ``int``, a ``numpy.random.Generator``, or ``None`` for fresh entropy).
        bounds: One ``(low, high)`` per input; ``None`` is ``[-1, 1]`` for every input.
        scramble: Owen-scramble the sequence (recommended; unscrambled, the first point is the corner ``low``).

    Returns:
        ``SaltelliDesign(A, B, AB)``: float64 ``A, B (num_base, num_inputs)`` and
        ``AB (num_inputs, num_base, num_inputs)``.

    Raises:
        PolymixError: scipy is not installed (the extra ``polymix-core[sensitivity]``); also an ``ImportError``.

    Example:
        >>> design = saltelli_design(3, 8, seed=0)
        >>> design.A.shape, design.AB.shape, design.num_evaluations
        ((8, 3), (3, 8, 3), 40)
        >>> bool((design.AB[1][:, 1] == design.B[:, 1]).all() and (design.AB[1][:, 0] == design.A[:, 0]).all())
        True
    """
    num_inputs = check_positive_int("num_inputs", num_inputs)
    num_base = check_positive_int("num_base", num_base)
    low, high = _bounds(bounds, num_inputs)
    qmc = _qmc()
    key = "rng" if "rng" in inspect.signature(qmc.Sobol).parameters else "seed"  # scipy >= 1.15 renamed it
    sobol = qmc.Sobol(2 * num_inputs, scramble=bool(scramble), **{key: seed})
    unit = sobol.random(num_base)  # (num_base, 2 * num_inputs) in [0, 1)
    points = low + (high - low) * np.concatenate([unit[:, :num_inputs], unit[:, num_inputs:]], axis=0)
    a, b = points[:num_base], points[num_base:]  # (num_base, num_inputs) each
    ab = np.repeat(a[None, :, :], num_inputs, axis=0)  # (num_inputs, num_base, num_inputs)
    columns = np.arange(num_inputs)
    ab[columns, :, columns] = b.T  # AB[i][:, i] = B[:, i]
    return SaltelliDesign(a, b, ab)


def saltelli_indices(f_A: Any, f_B: Any, f_AB: Any, xp: Any = None) -> SaltelliIndices:  # noqa: N803
    """First-order and total Sobol' indices from model values on a Saltelli design, with standard errors.

    With ``V`` the variance (divisor ``2N``) of the ``2N`` values ``concat(f_A, f_B)``:

    * first order (Saltelli et al. 2010): ``S_i = mean_j((f_B[j] - c) (f_ABi[j] - f_A[j])) / V``, with ``c`` the
      mean of all ``(num_inputs + 2) N`` values (which makes the estimate independent of the output's offset),
    * total (Jansen 1999): ``S_i^T = mean_j((f_A[j] - f_ABi[j])^2) / (2 V)``,

    the estimators of SALib's ``SALib.analyze.sobol`` (which centres the same way). The standard errors are
    the delta method's for a ratio of means over the ``N`` base points, taken as independent: with ``g_j``
    the per-point numerator term and ``v_j = ((f_A[j] - m)^2 + (f_B[j] - m)^2) / 2`` (``m`` the mean of the
    ``2N`` values of ``f_A`` and ``f_B``), the influence of point ``j`` is
    ``psi_j = (g_j - mean(g) - S (v_j - V)) / V`` and the standard error is ``sqrt(sum_j psi_j^2 / (N (N - 1)))``:
    the sampling error of ``V`` is included. For independent uniform points they match the spread of the
    estimates; for a scrambled Sobol' design (``saltelli_design``) they are conservative, as randomised
    quasi-Monte Carlo errors are smaller. They describe the Monte Carlo error of one posterior draw's
    estimate, not the posterior spread across draws.

    Args:
        f_A: ``(num_samples, num_base, num_outputs)`` model values on ``A``, one row per posterior draw.
        f_B: ``(num_samples, num_base, num_outputs)`` values on ``B``.
        f_AB: ``(num_inputs, num_samples, num_base, num_outputs)`` values on ``AB[i]``; from a model that maps
            ``(batch_size, num_inputs)`` to ``(num_samples, batch_size, num_outputs)``, evaluate it on
            ``AB.reshape(-1, num_inputs)``, reshape to ``(num_samples, num_inputs, num_base, num_outputs)`` and
            move axis 1 to the front.
        xp: Array namespace; inferred from the values when ``None``.

    Returns:
        ``SaltelliIndices(first_order, total, first_order_se, total_se)``, each
        ``(num_samples, num_inputs, num_outputs)`` in the values' namespace and dtype; NaN where ``V`` is 0.

    Example:
        >>> import numpy as np
        >>> design = saltelli_design(2, 1024, seed=0)
        >>> def f(x):  # x_1 + x_2^2 as (num_samples=1, batch_size, num_outputs=1)
        ...     return (x[..., 0] + x[..., 1] ** 2)[None, ..., None]
        >>> f_AB = f(design.AB.reshape(-1, 2)).reshape(1, 2, 1024, 1).transpose(1, 0, 2, 3)
        >>> result = saltelli_indices(f(design.A), f(design.B), f_AB)
        >>> result.first_order.shape
        (1, 2, 1)
        >>> bool(np.all(np.abs(result.total[0, :, 0] - [15 / 19, 4 / 19]) < 4 * result.total_se[0, :, 0]))
        True
    """
    if xp is None:
        try:
            xp = array_namespace(f_A, f_B, f_AB)
        except TypeError as err:
            raise PolymixTypeError(f"f_A, f_B, f_AB: expected arrays of one array namespace ({err})") from None
    shape = tuple(int(s) for s in f_A.shape)
    if len(shape) != 3:
        raise ShapeError(f"f_A: expected a 3-D array (num_samples, num_base, num_outputs), received shape {shape}")
    if tuple(int(s) for s in f_B.shape) != shape:
        raise ShapeError(f"f_B: expected shape {shape} (the shape of f_A), received shape {tuple(f_B.shape)}")
    ab_shape = tuple(int(s) for s in f_AB.shape)
    if len(ab_shape) != 4 or ab_shape[1:] != shape:
        raise ShapeError(
            f"f_AB: expected a 4-D array of shape (num_inputs, {', '.join(map(str, shape))}), received shape {ab_shape}"
        )
    num_base = shape[1]
    if num_base < 2:
        raise PolymixValueError(
            f"f_A: expected at least 2 base points (axis 1) for standard errors, received {num_base}"
        )
    for name, values in (("f_A", f_A), ("f_B", f_B), ("f_AB", f_AB)):
        if not xp.isdtype(values.dtype, "real floating"):
            raise PolymixTypeError(f"{name}: expected a real floating-point array, received dtype {values.dtype}")

    both = xp.concat([f_A, f_B], axis=1)  # (num_samples, 2 num_base, num_outputs)
    m = xp.mean(both, axis=1, keepdims=True)  # (num_samples, 1, num_outputs)
    v_point = ((f_A - m) ** 2 + (f_B - m) ** 2) / 2  # (num_samples, num_base, num_outputs)
    variance = xp.mean(v_point, axis=1, keepdims=True)  # (num_samples, 1, num_outputs)
    v_centred = v_point - variance  # (num_samples, num_base, num_outputs)

    # centred by the mean of all the values (as SALib does): the estimate no longer moves with the output's offset
    centre = (xp.sum(f_AB, axis=(0, 2)) + xp.sum(both, axis=1)) / ((ab_shape[0] + 2) * num_base)
    first_terms = (f_B - centre[:, None, :]) * (f_AB - f_A)  # (num_inputs, num_samples, num_base, num_outputs)
    total_terms = (f_A - f_AB) ** 2 / 2  # (num_inputs, num_samples, num_base, num_outputs)
    zero = variance == 0  # (num_samples, 1, num_outputs)
    safe = xp.where(zero, xp.ones_like(variance), variance)
    nan = xp.full_like(variance, float("nan"))
    scale = 1.0 / math.sqrt(num_base * (num_base - 1))

    def estimate(terms: Any) -> tuple[Any, Any]:
        mean_terms = xp.mean(terms, axis=2, keepdims=True)  # (num_inputs, num_samples, 1, num_outputs)
        index = mean_terms / safe  # (num_inputs, num_samples, 1, num_outputs)
        influence = (terms - mean_terms - index * v_centred) / safe  # (num_inputs, num_samples, num_base, num_out)
        se = xp.sqrt(xp.sum(influence * influence, axis=2, keepdims=True)) * scale
        index, se = xp.where(zero, nan, index), xp.where(zero, nan, se)
        # (num_inputs, num_samples, 1, num_outputs) -> (num_samples, num_inputs, num_outputs)
        return xp.permute_dims(index[:, :, 0, :], (1, 0, 2)), xp.permute_dims(se[:, :, 0, :], (1, 0, 2))

    first, first_se = estimate(first_terms)
    total, total_se = estimate(total_terms)
    return SaltelliIndices(first, total, first_se, total_se)
