"""Legendre polynomials and the PCE basis, written once against the array API.

The same functions run on numpy, torch and jax arrays (``xp`` is inferred with
array-api-compat when not given), in the input's dtype and on its device.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from array_api_compat import array_namespace, device as array_device

from ._errors import ShapeError, check_nonnegative_int

__all__ = ["legendre_table", "legendre_columns", "basis_gather_indices", "pce_basis"]


def _legendre_powers(x: Any, degree: int, xp: Any) -> list[Any]:
    """``[P_1(x), ..., P_degree(x)]`` by the three-term recurrence, each shaped like ``x``."""
    if degree == 0:
        return []
    p_prev, p_cur = xp.ones_like(x), x
    out = [p_cur]
    for n in range(2, degree + 1):
        # n P_n = (2n - 1) x P_{n-1} - (n - 1) P_{n-2}
        p_prev, p_cur = p_cur, ((2 * n - 1) / n) * x * p_cur - ((n - 1) / n) * p_prev
        out.append(p_cur)
    return out


def legendre_table(x: Any, degree: int, xp: Any = None) -> Any:
    """Unnormalised Legendre polynomials ``P_0 .. P_degree`` at every entry of ``x``.

    Args:
        x: Array of any shape ``S``.
        degree: Highest degree ``p``.
        xp: Array namespace; inferred from ``x`` when ``None``.

    Returns:
        Array of shape ``(*S, degree + 1)``; ``[..., n]`` holds ``P_n(x)``.

    Example:
        >>> import numpy as np
        >>> legendre_table(np.array([0.5]), 2).tolist()
        [[1.0, 0.5, -0.125]]
    """
    degree = check_nonnegative_int("degree", degree)
    xp = array_namespace(x) if xp is None else xp
    return xp.stack([xp.ones_like(x), *_legendre_powers(x, degree, xp)], axis=-1)  # (*S, degree + 1)


def legendre_columns(x: Any, degree: int, xp: Any = None) -> Any:
    """Flat Legendre table of a 2-D input: the gather source of ``pce_basis``.

    Args:
        x: ``(batch_size, num_inputs)`` array.
        degree: Highest degree ``p``.
        xp: Array namespace; inferred from ``x`` when ``None``.

    Returns:
        ``(batch_size, 1 + degree * num_inputs)``: a column of ones, then ``P_n(x_i)`` at
        column ``1 + (n - 1) * num_inputs + i``, all degrees from one three-term recurrence.

    Example:
        >>> import numpy as np
        >>> legendre_columns(np.array([[0.5, 2.0]]), 2).tolist()
        [[1.0, 0.5, 2.0, -0.125, 5.5]]
    """
    degree = check_nonnegative_int("degree", degree)
    xp = array_namespace(x) if xp is None else xp
    ones = xp.ones_like(x[:, :1])  # (batch_size, 1): x's dtype and device without querying them
    return xp.concat([ones, *_legendre_powers(x, degree, xp)], axis=1)  # (batch_size, 1 + degree * num_inputs)


def basis_gather_indices(multi_indices: np.ndarray) -> np.ndarray:
    """Column indices that build the PCE basis by gather-and-product.

    The flat Legendre table of ``x`` (``batch_size, 1 + degree * num_inputs``)
    holds a column of ones at 0 and ``P_n(x_i)`` at ``1 + (n - 1) * num_inputs + i``.
    A term has at most ``degree`` non-zero entries, so it is the product of
    ``num_slots = max(1, max nnz)`` gathered columns, padded with the ones column.

    Args:
        multi_indices: ``(num_terms, num_inputs)`` non-negative integers.

    Returns:
        ``int64`` array ``(num_slots, num_terms)`` of column indices.

    Example:
        >>> basis_gather_indices(np.array([[0, 0], [0, 1], [2, 0]])).tolist()
        [[0, 2, 3]]
    """
    multi_indices = np.asarray(multi_indices, dtype=np.int64)
    num_terms, num_inputs = multi_indices.shape
    nnz = (multi_indices > 0).sum(axis=1)  # (num_terms,)
    num_slots = max(1, int(nnz.max(initial=0)))
    cols = np.zeros((num_terms, num_slots), dtype=np.int64)  # (num_terms, num_slots)
    rows, inputs = np.nonzero(multi_indices)  # row-major, so inputs ascend within a row
    slot = np.arange(rows.size) - np.searchsorted(rows, rows)  # position within each row
    degrees = multi_indices[rows, inputs]
    cols[rows, slot] = 1 + (degrees - 1) * num_inputs + inputs
    return np.ascontiguousarray(cols.T)  # (num_slots, num_terms)


def pce_basis(
    x: Any, multi_indices: np.ndarray, gather: Any = None, xp: Any = None, *, degree: int | None = None
) -> Any:
    """PCE basis matrix: products of Legendre polynomials over the inputs.

    Args:
        x: ``(batch_size, num_inputs)`` array.
        multi_indices: ``(num_terms, num_inputs)`` index set.
        gather: Precomputed ``basis_gather_indices(multi_indices)``, as numpy or as an integer
            array of ``x``'s namespace already on its device (a backend's buffer: no copy per call);
            computed when ``None``.
        xp: Array namespace; inferred from ``x`` when ``None``. Passing it (with a native
            ``gather``) keeps the call free of namespace and device look-ups, as tracing
            compilers such as ``torch.compile`` prefer.
        degree: ``multi_indices.max()``, when the caller knows it (e.g. ``PCESpec.degree``).

    Returns:
        ``(batch_size, num_terms)`` array in ``x``'s dtype and on its device.

    Example:
        >>> import numpy as np
        >>> from polymix_core import total_order_indices
        >>> pce_basis(np.array([[0.5, 2.0]]), total_order_indices(2, 1)).tolist()
        [[1.0, 2.0, 0.5]]
    """
    xp = array_namespace(x) if xp is None else xp
    num_inputs = multi_indices.shape[1]
    if x.ndim != 2 or x.shape[1] != num_inputs:
        raise ShapeError(
            f"x: expected a 2-D array of shape (batch_size, {num_inputs}), received shape {tuple(x.shape)}"
        )
    if degree is None:
        degree = int(np.max(multi_indices, initial=0))
    if gather is None:
        gather = basis_gather_indices(multi_indices)
    flat = legendre_columns(x, degree, xp)  # (batch_size, 1 + degree * num_inputs)
    idx = xp.asarray(gather, device=array_device(x)) if isinstance(gather, np.ndarray) else gather
    basis = xp.take(flat, idx[0, ...], axis=1)  # (batch_size, num_terms)
    for s in range(1, idx.shape[0]):  # at most `degree` slots, never one per term
        basis = basis * xp.take(flat, idx[s, ...], axis=1)
    return basis
