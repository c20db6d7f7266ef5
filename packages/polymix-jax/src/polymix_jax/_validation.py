"""Small helpers shared by every module: dtypes, PRNG keys, array conversion.

Everything here looks at static information only (shapes, dtypes, Python values),
so it runs at trace time and never inspects traced values.
"""

from __future__ import annotations

from typing import Any, Union

import jax
import jax.numpy as jnp
import numpy as np
from polymix_core import PolymixTypeError, PolymixValueError, check_memory, model_arrays
from typing_extensions import TypeAlias

__all__ = [
    "PRNGKey",
    "default_float_dtype",
    "float_dtype_of",
    "as_float_array",
    "check_key",
    "split_keys",
    "check_model_memory",
]


#: A jax PRNG key: ``jax.random.key(seed)`` (a typed key array of shape ``()``), or a legacy raw key
#: (``jax.random.PRNGKey(seed)``, ``uint32`` of the default implementation's shape). ``check_key`` checks it.
PRNGKey: TypeAlias = Union[jax.Array, np.ndarray]


def default_float_dtype() -> np.dtype:
    """float32, or float64 when ``jax_enable_x64`` is on.

    Example:
        >>> default_float_dtype()
        dtype('float32')
    """
    return np.dtype(jax.dtypes.canonicalize_dtype(np.float64))


def float_dtype_of(*arrays: Any) -> np.dtype:
    """The widest floating dtype among ``arrays`` (integers are ignored), else the default.

    jax's own promotion is avoided on purpose: under ``jax_numpy_dtype_promotion="strict"``
    it refuses float32 with float64, and polymix casts explicitly instead.

    Example:
        >>> import jax.numpy as jnp
        >>> float_dtype_of(jnp.zeros(2, jnp.int32), jnp.zeros(2, jnp.float32))
        dtype('float32')
    """
    floats = [np.dtype(a.dtype) for a in arrays if jnp.issubdtype(a.dtype, jnp.floating)]
    if not floats:
        return default_float_dtype()
    widest = max(floats, key=lambda d: d.itemsize)
    return np.dtype(jax.dtypes.canonicalize_dtype(widest))


def as_float_array(name: str, value: Any, dtype: Any = None) -> jax.Array:
    """Convert ``value`` to a jax array of a floating dtype (``dtype`` or its own float dtype).

    Args:
        name: Argument name used in the error message.
        value: Array-like (jax or numpy array, nested sequence, scalar).
        dtype: Target dtype; ``None`` keeps a floating dtype and maps integers to the default float.

    Raises:
        PolymixTypeError: ``value`` is not numeric.
    """
    try:
        arr = value if isinstance(value, jax.Array) else jnp.asarray(value)
    except (TypeError, ValueError) as err:
        raise PolymixTypeError(f"{name}: expected a numeric array, received {type(value).__name__}") from err
    if not (jnp.issubdtype(arr.dtype, jnp.floating) or jnp.issubdtype(arr.dtype, jnp.integer)):
        raise PolymixTypeError(f"{name}: expected a real floating or integer array, received dtype {arr.dtype}")
    target = float_dtype_of(arr) if dtype is None else np.dtype(dtype)
    return arr if arr.dtype == target else arr.astype(target)


def _raw_key_shape() -> tuple[int, ...]:
    """Shape of a legacy raw key of the default PRNG implementation (``(2,)`` for threefry)."""
    return tuple(jax.random.key_data(jax.random.key(0)).shape)


def _key_problem(key: Any) -> str | None:
    """Why ``key`` is not one PRNG key (``None`` if it is one)."""
    dtype = getattr(key, "dtype", None)
    shape = tuple(getattr(key, "shape", ()) or ())
    if dtype is None:
        return f"received {type(key).__name__}"
    if jax.dtypes.issubdtype(dtype, jax.dtypes.prng_key):
        if shape != ():
            return f"received a batch of keys of shape {shape} (pass one key, e.g. keys[0], or split it)"
        return None
    # Legacy raw keys (jax.random.PRNGKey): uint32 of the default implementation's shape.
    expected = _raw_key_shape()
    if np.dtype(dtype) == np.uint32:
        if shape == expected:
            return None
        return f"received a raw uint32 array of shape {shape} (a raw key of this jax has shape {expected})"
    return f"received {type(key).__name__} with dtype {dtype} and shape {shape}"


def check_key(key: Any, purpose: str) -> PRNGKey:
    """Return ``key`` if it is a jax PRNG key, else raise a message that says why one is needed.

    Args:
        key: ``jax.random.key(...)`` (or a legacy ``jax.random.PRNGKey``), or ``None``.
        purpose: What the key is for, e.g. ``"IIDGaussianGroup 'nn' draws its samples"``.

    Raises:
        PolymixValueError: ``key`` is ``None``.
        PolymixTypeError: ``key`` is not a PRNG key.

    Example:
        >>> check_key(None, "sampling")
        Traceback (most recent call last):
        ...
        polymix_core._errors.PolymixValueError: key: expected a jax PRNG key ... because sampling, received None
    """
    if key is None:
        raise PolymixValueError(
            f"key: expected a jax PRNG key (e.g. jax.random.key(0)) because {purpose}, received None"
        )
    problem = _key_problem(key)
    if problem is not None:
        raise PolymixTypeError(
            f"key: expected a jax PRNG key (one, e.g. jax.random.key(0)) because {purpose}, {problem}"
        )
    return key


def split_keys(key: PRNGKey | None, num: int) -> list[PRNGKey | None]:
    """``num`` independent keys from ``key``, or ``num`` times ``None`` when ``key`` is ``None``.

    A missing key is passed on so that only the consumer that really needs randomness raises.
    """
    if key is None:
        return [None] * num
    check_key(key, "it is split between parameter groups")
    keys = jax.random.split(key, num)  # (num,) keys
    return [keys[i] for i in range(num)]


def _free_device_memory() -> int | None:
    """Free memory of the default device when it reports one (GPUs); ``None`` for the CPU."""
    device = jax.devices()[0]
    if device.platform == "cpu":
        return None
    stats = device.memory_stats() or {}
    if "bytes_limit" in stats:
        return int(stats["bytes_limit"]) - int(stats.get("bytes_in_use", 0))
    return None


def check_model_memory(
    surrogate_spec: Any,
    group_specs: tuple[Any, ...],
    num_samples: int,
    batch_size: int | None,
    num_params: int,
    dtype: Any,
) -> None:
    """Raise ``ResourceLimitError`` before a call whose arrays cannot fit on the default device.

    Shapes are static, so this runs at trace time under ``jax.jit`` as well.
    """
    arrays = model_arrays(surrogate_spec, group_specs, num_samples, batch_size, num_params)
    request = f"num_samples={num_samples}" + ("" if batch_size is None else f", batch_size={batch_size}")
    device = jax.devices()[0]
    check_memory(request, arrays, np.dtype(dtype).itemsize, f"{device.platform}:{device.id}", _free_device_memory())
