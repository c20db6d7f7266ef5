"""Raw-parameter access by name: the ``state_dict`` view of groups and models."""

from __future__ import annotations

from typing import Any, Mapping

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from polymix_core import PolymixValueError, ShapeError

__all__ = ["replace_raw"]


def _as_array(key: str, value: Any, shape: tuple[int, ...], dtype: np.dtype) -> Any:
    if isinstance(value, jax.Array):  # possibly a tracer: cast in jax, never through numpy
        arr = value.astype(dtype)
    else:
        # Through numpy, so float64 data loads into float32 parameters without jax's truncation warning.
        arr = jnp.asarray(np.asarray(value, dtype=dtype))
    if tuple(arr.shape) != shape:
        raise ShapeError(f"{key}: expected shape {shape}, received shape {tuple(arr.shape)}")
    return arr


def replace_raw(group: Any, raw: Mapping[str, Any], prefix: str = "raw") -> Any:
    """Copy of ``group`` whose raw arrays are ``raw[name]`` (cast to the group's dtype).

    Args:
        group: A ``ParameterGroup``.
        raw: ``{raw_name: array}``; exactly the names of ``group.spec.raw_shapes``.
        prefix: How the mapping is named in error messages.

    Raises:
        PolymixValueError: missing or unexpected names.
        ShapeError: a wrong shape.
    """
    shapes = group.spec.raw_shapes
    missing = [n for n in shapes if n not in raw]
    extra = sorted(set(raw) - set(shapes))
    if missing or extra:
        raise PolymixValueError(
            f"{prefix}: expected exactly the keys {list(shapes)}, received {sorted(raw)} "
            f"(missing {missing}, unexpected {extra})"
        )
    dtype = group.dtype
    names = list(shapes)
    arrays = [_as_array(f"{prefix}[{n!r}]", raw[n], tuple(shapes[n]), dtype) for n in names]
    return eqx.tree_at(lambda g: [getattr(g, n) for n in names], group, arrays)
