"""Memory a request needs, computed from the specs before anything is allocated.

A request such as ``num_samples=10**9`` would otherwise reach the framework's allocator and
fail there (or get the process killed) with a message that names neither the argument nor the
array. Backends list the arrays a call allocates with ``model_arrays`` (cached on the specs and
sizes) and compare their total with the memory the device has free (``check_memory``).
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Sequence
from typing import Any

from ._errors import ResourceLimitError
from ._group_specs import DeterministicGroupSpec, LangevinGroupSpec
from ._surrogate_specs import GatingSpec, MixtureSpec, MLPSpec, PCESpec

__all__ = [
    "physical_memory_bytes",
    "available_memory_bytes",
    "forward_arrays",
    "sampling_arrays",
    "model_arrays",
    "check_memory",
]

Arrays = tuple[tuple[str, tuple[int, ...]], ...]


@functools.lru_cache(maxsize=1)
def physical_memory_bytes() -> int | None:
    """Physical memory of this machine in bytes, or ``None`` where the platform does not say.

    Example:
        >>> physical_memory_bytes() is None or physical_memory_bytes() > 0
        True
    """
    try:
        pages, page_size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None
    return int(pages) * int(page_size) if pages > 0 and page_size > 0 else None


def available_memory_bytes() -> int | None:
    """Memory the system can still give this process (Linux ``MemAvailable``), else the physical memory.

    Example:
        >>> (available_memory_bytes() or 1) > 0
        True
    """
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return physical_memory_bytes()


def forward_arrays(spec: Any, num_samples: int, batch_size: int) -> list[tuple[str, tuple[int, ...]]]:
    """The arrays a forward pass of ``spec`` allocates at its peak, named in the shape vocabulary.

    Args:
        spec: A surrogate spec (``MLPSpec``, ``PCESpec``, ``GatingSpec``, ``MixtureSpec``).
        num_samples: Parameter draws.
        batch_size: Input points.

    Returns:
        ``[(description, shape), ...]``: the largest activation (or the basis) and the outputs.

    Example:
        >>> forward_arrays(MLPSpec(2, 1, width=8), 10, 5)[0]
        ('hidden activations (num_samples x batch_size x width)', (10, 5, 8))
    """
    out: list[tuple[str, tuple[int, ...]]] = []
    if isinstance(spec, GatingSpec):
        spec = spec.network
    if isinstance(spec, MLPSpec):
        if spec.depth:
            out.append(("hidden activations (num_samples x batch_size x width)", (num_samples, batch_size, spec.width)))
    elif isinstance(spec, PCESpec):
        out.append(("basis (batch_size x num_terms)", (batch_size, spec.num_terms)))
    elif isinstance(spec, MixtureSpec):
        out.append(
            (
                "expert outputs (num_samples x num_experts x batch_size x num_outputs)",
                (num_samples, spec.num_experts, batch_size, spec.num_outputs),
            )
        )
        parts = [forward_arrays(e, num_samples, batch_size) for e in (*spec.experts, spec.gating)]
        out.append(max((a for p in parts for a in p), key=lambda a: math.prod(a[1])))
        return out
    out.append(("outputs (num_samples x batch_size x num_outputs)", (num_samples, batch_size, int(spec.num_outputs))))
    return out


def sampling_arrays(spec: Any, num_samples: int) -> list[tuple[str, tuple[int, ...]]]:
    """The arrays a group allocates to draw ``num_samples`` samples (noise, particles, score evaluations).

    Example:
        >>> from polymix_core import IIDGaussianGroupSpec
        >>> sampling_arrays(IIDGaussianGroupSpec(3), 10)
        [('noise (num_samples x 3)', (10, 3)), ('samples (num_samples x num_params)', (10, 3))]
    """
    if isinstance(spec, DeterministicGroupSpec):
        return []
    d = spec.num_params
    if isinstance(spec, LangevinGroupSpec):
        out: list[tuple[str, tuple[int, ...]]] = [
            ("Langevin particles, noise and score (3 x num_samples x num_params)", (3, num_samples, d))
        ]
        if spec.surrogate is not None:
            out += forward_arrays(spec.surrogate, 1, num_samples)
        return out
    noise = math.prod(spec.noise_shape)
    return [
        (f"noise (num_samples x {noise})", (num_samples, noise)),
        ("samples (num_samples x num_params)", (num_samples, d)),
    ]


@functools.lru_cache(maxsize=256)
def model_arrays(
    surrogate: Any, groups: tuple[Any, ...], num_samples: int, batch_size: int | None, num_params: int
) -> Arrays:
    """Every array a ``StochasticModel`` call allocates at once, cached on the (frozen) specs and sizes.

    Args:
        surrogate: The surrogate spec, or ``None`` (a user-defined surrogate: only sampling is counted).
        groups: The groups' specs, in order.
        num_samples: Draws.
        batch_size: Input points of a forward; ``None`` for sampling alone.
        num_params: The model's parameter count.

    Returns:
        ``((description, shape), ...)``.
    """
    out: list[tuple[str, tuple[int, ...]]] = [
        ("parameter samples (num_samples x num_params)", (num_samples, num_params))
    ]
    sampling = [sampling_arrays(g, num_samples) for g in groups]
    if sampling:
        out += max(sampling, key=lambda arrays: sum(math.prod(s) for _, s in arrays))  # groups sample one by one
    if surrogate is not None and batch_size is not None:
        out += forward_arrays(surrogate, num_samples, batch_size)
    return tuple(out)


def _human(nbytes: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if nbytes < 1024 or unit == "PiB":
            return f"{int(nbytes)} B" if unit == "B" else f"{nbytes:.1f} {unit}"
        nbytes /= 1024
    raise AssertionError("unreachable")  # pragma: no cover


def check_memory(
    request: str, arrays: Sequence[tuple[str, tuple[int, ...]]], itemsize: int, where: str, available: Any = None
) -> None:
    """Raise ``ResourceLimitError`` unless ``arrays`` together fit into the memory ``where`` has free.

    Args:
        request: What the user asked for, e.g. ``"num_samples=1000000000, batch_size=32"``.
        arrays: ``(description, shape)`` of each array the call holds at once.
        itemsize: Bytes per element.
        where: The device, for the message.
        available: Free bytes of the device; ``None``: this machine's available memory, read only
            when the request is larger than a quarter of the physical memory (so the common case
            costs no system call).

    Example:
        >>> check_memory("num_samples=10", [("outputs", (10, 3))], 4, "cpu")
    """
    sizes = [math.prod(shape) * itemsize for _, shape in arrays]
    total = sum(sizes)
    if available is None:
        physical = physical_memory_bytes()
        if physical is None or total <= physical // 4:
            return
        available = available_memory_bytes()
        if available is None:
            return
    if total > available:
        largest = max(range(len(arrays)), key=sizes.__getitem__)
        description, shape = arrays[largest]
        raise ResourceLimitError(
            f"{request}: expected a request that fits in memory, received one that needs {_human(total)} at once, "
            f"more than the {_human(available)} free on {where}; the largest array, {description}, is "
            f"{' x '.join(map(str, shape))} ({_human(sizes[largest])}). Use fewer samples or evaluate in chunks"
        )
