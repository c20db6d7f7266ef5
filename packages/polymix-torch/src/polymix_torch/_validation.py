"""Checks of torch arguments, raised with the polymix_core error family before any torch op runs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from polymix_core import (
    ConfigurationError,
    PolymixTypeError,
    PolymixValueError,
    ShapeError,
    check_input_shape,
    check_memory,
    check_noise_shape,
    check_params_shape,
    check_positive_int,
    model_arrays,
)

__all__ = [
    "is_concrete",
    "check_tensor",
    "check_forward_args",
    "check_noise",
    "check_num_samples",
    "torch_dtype",
    "check_model_memory",
    "check_state_dict",
    "AllOrNothingLoad",
]


def is_concrete(x: torch.Tensor) -> bool:
    """Whether ``x`` holds values Python may read (checks that raise need them).

    Not under ``torch.compile``, ``torch.jit`` tracing or ``torch.func`` transforms, whose
    values are symbolic; the eager entry points (``fit``, ``predict``) check their data up front.
    """
    return not (
        torch.compiler.is_compiling()
        or torch.jit.is_tracing()
        or x.device.type == "meta"
        or torch._C._functorch.peek_interpreter_stack() is not None
        or torch._C._functorch.is_functorch_wrapped_tensor(x)
    )


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


def _free_memory(device: torch.device) -> int | None:
    """Free memory of a CUDA device; ``None`` for the CPU (``check_memory`` reads it only when needed)."""
    if device.type == "cuda":
        return int(torch.cuda.mem_get_info(device)[0])
    return None


def _spec_or_none(module: Any) -> Any:
    try:
        return module.spec
    except ConfigurationError:
        return None


def check_model_memory(
    surrogate: Any, groups: Any, num_samples: int, batch_size: int | None, num_params: int, like: torch.Tensor
) -> None:
    """Raise ``ResourceLimitError`` before a call whose arrays cannot fit on ``like``'s device.

    Args:
        surrogate: The surrogate module (user-defined ones without a spec count only their parameters).
        groups: The parameter groups.
        num_samples: Draws.
        batch_size: Points of a forward, ``None`` for sampling alone.
        num_params: The model's parameter count.
        like: A tensor of the call's dtype and device.
    """
    if torch.compiler.is_compiling():  # shapes are static in a compiled graph; checked at the eager call
        return
    arrays = model_arrays(
        _spec_or_none(surrogate), tuple(_spec_or_none(g) for g in groups), num_samples, batch_size, num_params
    )
    request = f"num_samples={num_samples}" + ("" if batch_size is None else f", batch_size={batch_size}")
    check_memory(request, arrays, like.element_size(), str(like.device), _free_memory(like.device))


def check_state_dict(module: torch.nn.Module, state_dict: Any, strict: bool) -> None:
    """Check a whole ``state_dict`` against ``module`` before ``load_state_dict`` writes anything.

    ``torch.nn.Module.load_state_dict`` copies every matching entry and raises about the others
    afterwards, leaving a half-loaded model; this check runs first, so a rejected load changes nothing.

    Raises:
        PolymixTypeError: not a mapping of tensors.
        PolymixValueError: missing or unexpected keys (``strict``).
        ShapeError: an entry of the wrong shape.
        ConfigurationError: an index buffer (e.g. a PCE's ``multi_indices``) of another architecture.
    """
    if not isinstance(state_dict, Mapping):
        raise PolymixTypeError(f"state_dict: expected a mapping of tensors, received {type(state_dict).__name__}")
    own = module.state_dict(keep_vars=True)
    missing = [k for k in own if k not in state_dict]
    unexpected = [k for k in state_dict if k not in own]
    if strict and (missing or unexpected):
        raise PolymixValueError(
            f"state_dict: expected exactly the keys of this {type(module).__name__}, received missing {missing[:8]}, "
            f"unexpected {unexpected[:8]} (pass strict=False to load a subset)"
        )
    for key, target in own.items():
        if key not in state_dict:
            continue
        value = state_dict[key]
        if not isinstance(value, torch.Tensor):
            raise PolymixTypeError(f"state_dict[{key!r}]: expected a torch.Tensor, received {type(value).__name__}")
        if tuple(value.shape) != tuple(target.shape):
            raise ShapeError(
                f"state_dict[{key!r}]: expected shape {tuple(target.shape)}, received shape {tuple(value.shape)}"
            )
        if not target.is_floating_point() and not torch.equal(value.to(target.device, target.dtype), target):
            raise ConfigurationError(
                f"state_dict[{key!r}]: expected this architecture's index set (a fixed buffer), "
                "received different values"
            )


class AllOrNothingLoad:
    """Mixin of every polymix module: ``load_state_dict`` checks every key and shape before any copy."""

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True, assign: bool = False) -> Any:
        """``torch.nn.Module.load_state_dict``, all-or-nothing: every key and shape is checked before any copy.

        Raises:
            PolymixValueError: missing or unexpected keys (``strict``).
            ShapeError: an entry of the wrong shape; nothing is loaded then.
        """
        check_state_dict(self, state_dict, strict)  # type: ignore[arg-type]
        return super().load_state_dict(state_dict, strict=strict, assign=assign)  # type: ignore[misc]
