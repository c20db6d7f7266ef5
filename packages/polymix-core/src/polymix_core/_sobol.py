"""Moments and Sobol' indices of a Legendre PCE in closed form, written once against the array API.

The basis term ``Psi_alpha(x) = prod_i P_{alpha_i}(x_i)`` (unnormalised Legendre polynomials) is
orthogonal under the uniform distribution on ``[-1, 1]^d`` with
``E[Psi_alpha^2] = prod_i 1 / (2 alpha_i + 1)``. The variance of ``f = sum_alpha c_alpha Psi_alpha`` is
``sum_{alpha != 0} c_alpha^2 E[Psi_alpha^2]`` and the part of it due to a set of inputs ``u`` is the same
sum over the terms whose support ``{i : alpha_i > 0}`` is ``u`` (Sudret 2008). Every index below is one
contraction of the squared coefficients with a numpy weight matrix (support mask times norm) built once
per spec: no loop over terms.

Inputs that are uniform on ``[low, high]`` and mapped linearly onto ``[-1, 1]`` (the spec's input bounds,
where it has them) have the same indices. An output affine map ``y = shift + scale * f`` moves the mean
and scales the variance by ``scale^2``; it cancels in every index.

The functions take numpy, torch or jax arrays and return arrays of the same namespace, dtype and device
(``xp`` is inferred with array-api-compat when not given).
"""

from __future__ import annotations

import functools
import numbers
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
from array_api_compat import array_namespace, device as array_device

from ._errors import ConfigurationError, PolymixTypeError, PolymixValueError, ShapeError, check_params_shape

__all__ = [
    "pce_term_norms",
    "pce_to_full_coefficients",
    "pce_mean_variance",
    "pce_sobol_first_order",
    "pce_sobol_total",
    "pce_sobol_interaction",
    "pce_sobol_closed",
]


class _Tables(NamedTuple):
    """Per-spec numpy tables, read-only."""

    norms: np.ndarray  # (num_terms,) E[Psi_alpha^2]
    support: np.ndarray  # (num_terms, num_inputs) bool: alpha_i > 0
    order: np.ndarray  # (num_terms,) number of inputs in the support
    constant: int  # index of the constant term
    variance_weights: np.ndarray  # (num_terms,) norms, 0 on the constant term


def _build_tables(multi_indices: np.ndarray) -> _Tables:
    multi_indices = np.asarray(multi_indices)
    if multi_indices.ndim != 2 or multi_indices.shape[0] == 0:
        raise ConfigurationError(
            f"spec.multi_indices: expected a non-empty 2-D array (num_terms, num_inputs), "
            f"received shape {multi_indices.shape}"
        )
    if not np.issubdtype(multi_indices.dtype, np.integer) or np.any(multi_indices < 0):
        raise ConfigurationError("spec.multi_indices: expected non-negative integers")
    multi_indices = multi_indices.astype(np.int64)
    support = multi_indices > 0  # (num_terms, num_inputs)
    order = support.sum(axis=1)  # (num_terms,)
    constants = np.flatnonzero(order == 0)
    if constants.size != 1:
        raise ConfigurationError(
            f"spec.multi_indices: expected exactly one constant term (a row of zeros), received {constants.size}"
        )
    norms = np.prod(1.0 / (2.0 * multi_indices + 1.0), axis=1)  # (num_terms,)
    variance_weights = np.where(order > 0, norms, 0.0)  # (num_terms,)
    for a in (norms, support, order, variance_weights):
        a.setflags(write=False)
    return _Tables(norms, support, order, int(constants[0]), variance_weights)


@functools.lru_cache(maxsize=64)
def _cached_tables(spec: Any) -> _Tables:
    return _build_tables(spec.multi_indices)


def _tables(spec: Any) -> _Tables:
    if not hasattr(spec, "multi_indices") or not hasattr(spec, "num_outputs"):
        raise PolymixTypeError(
            f"spec: expected a PCESpec (with multi_indices and num_outputs), received {type(spec).__name__}"
        )
    try:
        hash(spec)
    except TypeError:  # a spec with unhashable fields: computed every call
        return _build_tables(spec.multi_indices)
    return _cached_tables(spec)


def pce_term_norms(spec: Any) -> np.ndarray:
    """Squared norms ``E[Psi_alpha(x)^2] = prod_i 1 / (2 alpha_i + 1)`` of the PCE terms, x uniform on [-1, 1]^d.

    Computed once per spec and cached.

    Args:
        spec: A ``PCESpec``.

    Returns:
        Read-only float64 array of shape ``(num_terms,)``, in the spec's term order.

    Example:
        >>> from polymix_core import PCESpec
        >>> spec = PCESpec(2, 1, degree=2)
        >>> spec.multi_indices.tolist()
        [[0, 0], [0, 1], [1, 0], [0, 2], [1, 1], [2, 0]]
        >>> pce_term_norms(spec).round(4).tolist()
        [1.0, 0.3333, 0.3333, 0.2, 0.1111, 0.2]
    """
    return _tables(spec).norms


def _namespace(x: Any, xp: Any) -> tuple[Any, Any]:
    """``(x, xp)``: a non-array (list, scalar) becomes a float64 numpy array."""
    if xp is not None:
        return x, xp
    try:
        return x, array_namespace(x)
    except TypeError:
        x = np.asarray(x, dtype=np.float64)
        return x, array_namespace(x)


def _check_coefficients(spec: Any, coefficients: Any, xp: Any, tables: _Tables) -> tuple[Any, Any]:
    coefficients, xp = _namespace(coefficients, xp)
    num_terms, num_outputs = tables.norms.shape[0], int(spec.num_outputs)
    shape = tuple(int(s) for s in coefficients.shape)
    if len(shape) != 3 or shape[1:] != (num_terms, num_outputs):
        raise ShapeError(
            f"coefficients: expected a 3-D array of shape (num_samples, {num_terms}, {num_outputs}) "
            f"(pce_to_full_coefficients reshapes flat parameters), received shape {shape}"
        )
    if not xp.isdtype(coefficients.dtype, "real floating"):
        raise PolymixTypeError(
            f"coefficients: expected a real floating-point array, received dtype {coefficients.dtype}"
        )
    return coefficients, xp


def _as_native(table: np.ndarray, like: Any, xp: Any) -> Any:
    """A numpy table as an array of ``like``'s namespace, dtype and device."""
    if not table.flags.writeable:  # torch warns on read-only numpy memory it might share
        table = np.array(table)
    return xp.asarray(table, dtype=like.dtype, device=array_device(like))


def _contract(coefficients: Any, weights: np.ndarray, xp: Any) -> Any:
    """``sum_k w[r, k] c[s, k, o]^2`` as ``(num_samples, num_rows, num_outputs)``; ``w (num_rows, num_terms)``."""
    squared = coefficients * coefficients  # (num_samples, num_terms, num_outputs)
    return xp.matmul(_as_native(weights, coefficients, xp), squared)  # (num_samples, num_rows, num_outputs)


def _ratio(numerator: Any, variance: Any, xp: Any) -> Any:
    """``numerator / variance`` with NaN where the variance is exactly 0 (and no division warning)."""
    zero = variance == 0
    quotient = numerator / xp.where(zero, xp.ones_like(variance), variance)
    return xp.where(zero, xp.full_like(quotient, float("nan")), quotient)


def _indices(coefficients: Any, masks: np.ndarray, xp: Any, tables: _Tables) -> Any:
    """Indices of the term sets ``masks (num_sets, num_terms)``: ``(num_samples, num_sets, num_outputs)``."""
    weights = np.concatenate([tables.variance_weights[None, :], masks * tables.norms], axis=0)  # (1 + num_sets, T)
    parts = _contract(coefficients, weights, xp)  # (num_samples, 1 + num_sets, num_outputs)
    return _ratio(parts[:, 1:, :], parts[:, :1, :], xp)


def _output_affine(spec: Any, num_outputs: int) -> tuple[np.ndarray | None, np.ndarray | None]:
    """The spec's output shift and scale as float64 ``(num_outputs,)`` arrays, or None where it has none."""
    out: list[np.ndarray | None] = []
    for name in ("output_shift", "output_scale"):
        value = getattr(spec, name, None)
        if value is None:
            out.append(None)
            continue
        array = np.asarray(value, dtype=np.float64)
        if array.ndim > 1 or array.size not in (1, num_outputs):
            raise ConfigurationError(
                f"spec.{name}: expected one value per output ({num_outputs}), received shape {array.shape}"
            )
        out.append(np.broadcast_to(array.reshape(-1), (num_outputs,)))
    return out[0], out[1]


def pce_to_full_coefficients(spec: Any, params: Any, xp: Any = None) -> Any:
    """Reshape flat PCE parameters into coefficients by term and output.

    Args:
        spec: A ``PCESpec``.
        params: ``(num_samples, num_params)`` flat parameters, term-major (the coefficient of term ``k``,
            output ``o`` at ``k * num_outputs + o``); one row per posterior draw.
        xp: Array namespace; inferred from ``params`` when ``None``.

    Returns:
        ``(num_samples, num_terms, num_outputs)`` array (a view where the namespace allows).

    Example:
        >>> import numpy as np
        >>> from polymix_core import PCESpec
        >>> spec = PCESpec(1, 2, degree=1)
        >>> pce_to_full_coefficients(spec, np.arange(4.0)[None, :]).tolist()
        [[[0.0, 1.0], [2.0, 3.0]]]
    """
    params, xp = _namespace(params, xp)
    num_terms, num_outputs = _tables(spec).norms.shape[0], int(spec.num_outputs)
    check_params_shape("params", params.shape, num_terms * num_outputs)
    return xp.reshape(params, (params.shape[0], num_terms, num_outputs))  # (num_samples, num_terms, num_outputs)


def pce_mean_variance(spec: Any, coefficients: Any, xp: Any = None) -> tuple[Any, Any]:
    """Mean and variance of a PCE under inputs uniform on [-1, 1]^d (or on the spec's input bounds).

    ``mean = c_0`` (the constant term), ``variance = sum_{alpha != 0} c_alpha^2 E[Psi_alpha^2]``. Where the
    spec has an output affine map ``y = shift + scale * f`` (``output_shift``, ``output_scale``), the mean
    becomes ``shift + scale * mean`` and the variance ``scale^2 * variance``.

    Args:
        spec: A ``PCESpec``.
        coefficients: ``(num_samples, num_terms, num_outputs)`` real floating array, one row per posterior
            draw (a point estimate is one row); see ``pce_to_full_coefficients``.
        xp: Array namespace; inferred from ``coefficients`` when ``None``.

    Returns:
        ``(mean, variance)``, each ``(num_samples, num_outputs)`` in the coefficients' namespace and dtype.

    Example:
        >>> import numpy as np
        >>> from polymix_core import PCESpec
        >>> spec = PCESpec(2, 1, degree=1)  # terms 1, P_1(x_2), P_1(x_1)
        >>> mean, variance = pce_mean_variance(spec, np.array([[[1.0], [3.0], [2.0]]]))
        >>> mean.tolist(), variance.tolist()  # 3^2 / 3 + 2^2 / 3
        ([[1.0]], [[4.333333333333333]])
    """
    tables = _tables(spec)
    coefficients, xp = _check_coefficients(spec, coefficients, xp, tables)
    mean = coefficients[:, tables.constant, :]  # (num_samples, num_outputs)
    variance = _contract(coefficients, tables.variance_weights[None, :], xp)[:, 0, :]  # (num_samples, num_outputs)
    shift, scale = _output_affine(spec, int(spec.num_outputs))
    if scale is not None:
        native_scale = _as_native(scale, coefficients, xp)  # (num_outputs,)
        mean = native_scale * mean
        variance = (native_scale * native_scale) * variance
    if shift is not None:
        mean = _as_native(shift, coefficients, xp) + mean
    return mean, variance


def pce_sobol_first_order(spec: Any, coefficients: Any, xp: Any = None) -> Any:
    """First-order Sobol' indices ``S_i = D_{{i}} / D`` of a PCE, inputs uniform and independent.

    ``D_{{i}}`` sums ``c_alpha^2 E[Psi_alpha^2]`` over the terms that depend on input ``i`` alone.

    Args:
        spec: A ``PCESpec``.
        coefficients: ``(num_samples, num_terms, num_outputs)`` real floating array (see ``pce_mean_variance``).
        xp: Array namespace; inferred from ``coefficients`` when ``None``.

    Returns:
        ``(num_samples, num_inputs, num_outputs)``; NaN where the variance ``D`` is exactly 0 (a constant
        expansion has no indices).

    Example:
        >>> import numpy as np
        >>> from polymix_core import PCESpec
        >>> spec = PCESpec(2, 1, degree=2)  # terms 1, x_2, x_1, P_2(x_2), x_1 x_2, P_2(x_1)
        >>> c = np.array([[[5.0], [0.0], [1.0], [0.0], [1.0], [0.0]]])  # f = 5 + x_1 + x_1 x_2
        >>> pce_sobol_first_order(spec, c)[0, :, 0].tolist()  # (1/3) / (1/3 + 1/9)
        [0.75, 0.0]
        >>> constant = np.zeros((1, 6, 1))
        >>> constant[0, 0, 0] = 2.0
        >>> pce_sobol_first_order(spec, constant).tolist()
        [[[nan], [nan]]]
    """
    tables = _tables(spec)
    coefficients, xp = _check_coefficients(spec, coefficients, xp, tables)
    masks = (tables.support & (tables.order == 1)[:, None]).T  # (num_inputs, num_terms)
    return _indices(coefficients, masks, xp, tables)  # (num_samples, num_inputs, num_outputs)


def pce_sobol_total(spec: Any, coefficients: Any, xp: Any = None) -> Any:
    """Total Sobol' indices ``S_i^T``: the share of the variance of every term that depends on input ``i``.

    Args:
        spec: A ``PCESpec``.
        coefficients: ``(num_samples, num_terms, num_outputs)`` real floating array (see ``pce_mean_variance``).
        xp: Array namespace; inferred from ``coefficients`` when ``None``.

    Returns:
        ``(num_samples, num_inputs, num_outputs)``; NaN where the variance is exactly 0.

    Example:
        >>> import numpy as np
        >>> from polymix_core import PCESpec
        >>> spec = PCESpec(2, 1, degree=2)
        >>> c = np.array([[[5.0], [0.0], [1.0], [0.0], [1.0], [0.0]]])  # f = 5 + x_1 + x_1 x_2
        >>> pce_sobol_total(spec, c)[0, :, 0].tolist()
        [1.0, 0.25]
    """
    tables = _tables(spec)
    coefficients, xp = _check_coefficients(spec, coefficients, xp, tables)
    return _indices(coefficients, tables.support.T, xp, tables)  # (num_samples, num_inputs, num_outputs)


def _subset(inputs: Sequence[int], num_inputs: int) -> np.ndarray:
    """``inputs`` as a boolean mask ``(num_inputs,)``, after checking it names distinct valid inputs."""
    try:
        if isinstance(inputs, (str, bytes)):
            raise TypeError
        values = list(inputs)
    except TypeError:
        raise PolymixTypeError(
            f"inputs: expected a sequence of input indices, received {inputs!r} (type {type(inputs).__name__})"
        ) from None
    if not values:
        raise PolymixValueError("inputs: expected a non-empty sequence of input indices, received an empty one")
    for v in values:
        if isinstance(v, bool) or not isinstance(v, numbers.Integral):
            raise PolymixTypeError(f"inputs: expected integer input indices, received {v!r} (type {type(v).__name__})")
        if not 0 <= int(v) < num_inputs:
            raise PolymixValueError(f"inputs: expected indices in [0, {num_inputs}), received {values!r}")
    if len(set(int(v) for v in values)) != len(values):
        raise PolymixValueError(f"inputs: expected distinct input indices, received {values!r}")
    mask = np.zeros(num_inputs, dtype=bool)
    mask[[int(v) for v in values]] = True
    return mask


def pce_sobol_interaction(spec: Any, coefficients: Any, inputs: Sequence[int], xp: Any = None) -> Any:
    """Sobol' index ``S_u = D_u / D`` of exactly the set of inputs ``u``: the terms whose support is ``u``.

    Summed over all non-empty ``u`` these indices give 1; for one input it is the first-order index.

    Args:
        spec: A ``PCESpec``.
        coefficients: ``(num_samples, num_terms, num_outputs)`` real floating array (see ``pce_mean_variance``).
        inputs: Distinct input indices ``u`` (in any order).
        xp: Array namespace; inferred from ``coefficients`` when ``None``.

    Returns:
        ``(num_samples, num_outputs)``; NaN where the variance is exactly 0.

    Example:
        >>> import numpy as np
        >>> from polymix_core import PCESpec
        >>> spec = PCESpec(2, 1, degree=2)
        >>> c = np.array([[[5.0], [0.0], [1.0], [0.0], [1.0], [0.0]]])  # f = 5 + x_1 + x_1 x_2
        >>> pce_sobol_interaction(spec, c, [0, 1]).tolist()  # (1/9) / (1/3 + 1/9)
        [[0.25]]
    """
    tables = _tables(spec)
    coefficients, xp = _check_coefficients(spec, coefficients, xp, tables)
    target = _subset(inputs, tables.support.shape[1])  # (num_inputs,)
    mask = np.all(tables.support == target[None, :], axis=1)  # (num_terms,)
    return _indices(coefficients, mask[None, :], xp, tables)[:, 0, :]  # (num_samples, num_outputs)


def pce_sobol_closed(spec: Any, coefficients: Any, inputs: Sequence[int], xp: Any = None) -> Any:
    """Closed Sobol' index of the set ``u``: the share of the terms whose support is a non-empty subset of ``u``.

    It is ``Var(E[f | x_u]) / Var(f)``, the sum of ``pce_sobol_interaction`` over the non-empty subsets of ``u``.

    Args:
        spec: A ``PCESpec``.
        coefficients: ``(num_samples, num_terms, num_outputs)`` real floating array (see ``pce_mean_variance``).
        inputs: Distinct input indices ``u`` (in any order).
        xp: Array namespace; inferred from ``coefficients`` when ``None``.

    Returns:
        ``(num_samples, num_outputs)``; NaN where the variance is exactly 0.

    Example:
        >>> import numpy as np
        >>> from polymix_core import PCESpec
        >>> spec = PCESpec(3, 1, degree=1)
        >>> c = np.array([[[0.0], [1.0], [1.0], [1.0]]])  # f = x_1 + x_2 + x_3
        >>> pce_sobol_closed(spec, c, [0, 2]).round(6).tolist()
        [[0.666667]]
    """
    tables = _tables(spec)
    coefficients, xp = _check_coefficients(spec, coefficients, xp, tables)
    target = _subset(inputs, tables.support.shape[1])  # (num_inputs,)
    mask = (tables.order > 0) & ~np.any(tables.support & ~target[None, :], axis=1)  # (num_terms,)
    return _indices(coefficients, mask[None, :], xp, tables)[:, 0, :]  # (num_samples, num_outputs)
