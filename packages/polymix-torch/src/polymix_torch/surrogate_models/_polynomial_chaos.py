"""Legendre polynomial chaos expansion surrogate, vectorised over terms, inputs and samples."""

from __future__ import annotations

import weakref
from typing import Any

import array_api_compat.torch as xp_torch
import numpy as np
import torch
from polymix_core import (
    ConfigurationError,
    PCESpec,
    SpecAttribute,
    check_nonnegative_int,
    legendre_columns,
    pce_basis,
)
from polymix_core.defaults import DEGREE, NUM_OUTPUTS, Q

from .._validation import check_forward_args, check_tensor
from ._base import SpecScaling, SurrogateModel

__all__ = ["PolynomialChaosExpansion", "legendre_polynomial_p"]

# Integer dtypes of the same width, to compare floating values bit for bit (NaN and -0.0 included).
_BITS = {2: torch.int16, 4: torch.int32, 8: torch.int64}


class _BasisCache:
    """The basis of one input and a private copy of that input's values."""

    __slots__ = ("x", "basis", "release", "__weakref__")

    def __init__(self, x: torch.Tensor, basis: torch.Tensor) -> None:
        self.x = x  # (batch_size, num_inputs), a copy: later writes to the caller's memory cannot reach it
        self.basis = basis  # (batch_size, num_terms)
        self.release: Any = None  # weakref.finalize dropping the entry when the caller's input is freed


def _forget(module_ref: weakref.ref[Any], entry_ref: weakref.ref[_BasisCache]) -> None:
    module = module_ref()
    if module is not None and module._basis_cache is not None and module._basis_cache is entry_ref():
        module._basis_cache = None


def _cacheable(x: torch.Tensor) -> bool:
    """Whether a cached basis may stand in for ``basis(x)``.

    Never when the basis must be recorded: gradients with respect to ``x``, forward-mode AD,
    ``torch.compile``, ``torch.jit`` tracing, ``torch.func`` transforms, inference mode (its
    tensors cannot enter autograd later), tensor subclasses and tensors without storage.
    """
    return not (
        x.requires_grad
        or type(x) is not torch.Tensor
        or x.device.type == "meta"
        or torch.compiler.is_compiling()
        or torch.jit.is_tracing()
        or torch.is_inference_mode_enabled()
        or x.is_inference()
        or torch.autograd.forward_ad._current_level >= 0
        or torch._C._functorch.peek_interpreter_stack() is not None
        or torch._C._functorch.is_functorch_wrapped_tensor(x)
    )


def _same_values(cached: torch.Tensor, x: torch.Tensor) -> bool:
    """Same shape, dtype, device and bit-identical values."""
    if cached.shape != x.shape or cached.dtype != x.dtype or cached.device != x.device:
        return False
    bits = _BITS.get(x.element_size())
    if bits is None:
        return False
    return bool(torch.equal(cached.view(bits), x.view(bits)))


def legendre_polynomial_p(x: torch.Tensor, n: int) -> torch.Tensor:
    """Compute the n-th Legendre polynomial ``P_n(x)`` elementwise.

    Args:
        x: Tensor of any shape.
        n: Non-negative degree.

    Returns:
        ``P_n(x)``, shaped like ``x``.

    Example:
        >>> z = torch.linspace(-1, 1, 5)
        >>> legendre_polynomial_p(z, 2).shape
        torch.Size([5])
    """
    n = check_nonnegative_int("n", n)
    check_tensor("x", x)
    flat = x.reshape(-1, 1)  # (numel, 1)
    return legendre_columns(flat, n, xp=xp_torch)[:, n].reshape(x.shape)  # back to x's shape


class PolynomialChaosExpansion(SpecScaling, SurrogateModel):
    """Polynomial chaos expansion with Legendre basis.

    The index set, its order and the gather table come from ``polymix_core.PCESpec``.
    A forward pass builds the Legendre table for all degrees once, the basis
    ``(batch_size, num_terms)`` by one gather and a product over at most ``degree``
    slots, and the outputs of all samples and outputs by one matmul, in ``x``'s
    dtype and on its device. The coefficient of term ``k``, output ``o`` sits at
    ``k * num_outputs + o``.

    Example:
        >>> surrogate = PolynomialChaosExpansion(num_inputs=1, degree=2)
        >>> params = torch.randn(5, surrogate.num_params())
        >>> x = torch.linspace(-1, 1, 20).unsqueeze(-1)
        >>> surrogate(x, params).shape
        torch.Size([5, 20, 1])
    """

    multi_indices: torch.Tensor
    _gather: torch.Tensor
    num_inputs = SpecAttribute[int]()
    num_outputs = SpecAttribute[int]()
    degree = SpecAttribute[int]()
    q = SpecAttribute[float]()

    def __init__(
        self,
        num_inputs: int,
        num_outputs: int = NUM_OUTPUTS,
        degree: int = DEGREE,
        *,
        q: float = Q,
        input_bounds: Any = None,
        output_shift: Any = None,
        output_scale: Any = None,
        extrapolation: str = "error",
    ) -> None:
        """Pre-compute the index set (a persistent buffer, as in pypolymix) and the gather table.

        Args:
            num_inputs: Number of inputs ``d``.
            num_outputs: Number of outputs.
            degree: Maximal total degree ``p``.
            q: Hyperbolic-cross exponent in ``(0, 1]``; ``1`` is the total-order set.
            input_bounds: ``None`` (inputs already in ``[-1, 1]``, pypolymix's behaviour) or one
                ``(low, high)`` per input, mapped to the Legendre domain ``[-1, 1]``; inputs outside
                the bounds raise ``DomainError``.
            output_shift: ``None`` or one value per output added to the outputs.
            output_scale: ``None`` or one positive value per output multiplying the outputs (before the shift).
            extrapolation: ``"error"`` or ``"warn"`` (warn once, then evaluate) for inputs outside the bounds.
        """
        spec = PCESpec(
            num_inputs,
            num_outputs,
            degree,
            q,
            input_bounds=input_bounds,
            output_shift=output_shift,
            output_scale=output_scale,
            extrapolation=extrapolation,
        )  # validates
        super().__init__()
        self.register_buffer("multi_indices", torch.tensor(spec.multi_indices, dtype=torch.long))
        self._set_spec(spec)

    def _set_spec(self, spec: PCESpec) -> None:
        """Store the spec and the gather table derived from it (also for modules pickled by pypolymix)."""
        self._spec = spec
        gather = torch.tensor(spec.gather_indices, dtype=torch.long, device=self.multi_indices.device)
        self.register_buffer("_gather", gather, persistent=False)
        self._basis_cache: _BasisCache | None = None  # see _basis_of

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        if "_spec" not in state:  # pickled by pypolymix: its sizes become the spec; its index set must be ours
            spec = PCESpec(state["num_inputs"], state["num_outputs"], state["degree"])
            for k in ("num_inputs", "num_outputs", "degree"):
                self.__dict__.pop(k, None)
            if not torch.equal(self.multi_indices.cpu(), torch.as_tensor(np.array(spec.multi_indices))):
                raise ConfigurationError(
                    "multi_indices: expected the total-order index set of the pickled expansion, received another"
                )
            self._set_spec(spec)

    @property
    def spec(self) -> PCESpec:
        """The ``polymix_core.PCESpec``."""
        return self._spec

    @property
    def num_terms(self) -> int:
        """Number of terms in the expansion (``C(d + p, d)`` for total order)."""
        return self._spec.num_terms

    def num_params(self) -> int:
        """Return ``num_terms * num_outputs``."""
        return self._spec.num_params

    def basis(self, x: torch.Tensor) -> torch.Tensor:
        """Basis matrix ``(batch_size, num_terms)`` at ``x (batch_size, num_inputs)`` (mapped from ``input_bounds``)."""
        # The shared array-API basis of polymix_core, fed this module's index buffer (already on x's device).
        return pce_basis(
            self._map_inputs(x), self._spec.multi_indices, self._gather, xp=xp_torch, degree=self._spec.degree
        )  # (batch_size, num_terms)

    def _basis_of(self, x: torch.Tensor) -> torch.Tensor:
        """``basis(x)``, reused while inputs with the same values come back (training on fixed data).

        Correct by construction: the cache keeps a private copy of the input it was built from and
        is used only when the new input has the same shape, dtype, device and bit-identical values,
        so no way of mutating memory (numpy buffers behind ``torch.from_numpy``, ``x.data``,
        storage writes, DLPack aliases) can make it stale. The comparison costs
        ``O(batch_size * num_inputs)``, far below the ``O(batch_size * num_terms)`` basis. It is
        bypassed whenever the basis must be part of a traced, transformed or differentiated
        computation (see ``_cacheable``), and released when the input it was built from is freed.
        """
        if not _cacheable(x):
            return self.basis(x)
        cache = self._basis_cache
        if cache is not None and _same_values(cache.x, x):
            return cache.basis
        basis = self.basis(x)  # (batch_size, num_terms)
        self._remember(x, basis)
        return basis

    def _remember(self, x: torch.Tensor, basis: torch.Tensor) -> None:
        old = self._basis_cache
        if old is not None:
            old.release.detach()
        entry = _BasisCache(x.detach().clone(), basis)
        # dropped with the input it was built from; the callback holds no strong reference to the module
        entry.release = weakref.finalize(x, _forget, weakref.ref(self), weakref.ref(entry))
        entry.release.atexit = False
        self._basis_cache = entry

    def __getstate__(self) -> dict[str, Any]:
        # the cache holds a finalizer (not picklable) and is cheap to rebuild
        state = self.__dict__.copy()
        state["_basis_cache"] = None
        return state

    def forward(self, x: torch.Tensor, params: torch.Tensor) -> torch.Tensor:
        """Evaluate the polynomial chaos expansion.

        Args:
            x: Sample points ``(batch_size, num_inputs)``.
            params: Coefficients ``(num_samples, num_params)``, same dtype and device as ``x``.

        Returns:
            PCE evaluations ``(num_samples, batch_size, num_outputs)``.

        Raises:
            ShapeError: ``x`` or ``params`` has the wrong rank or width.
            PolymixTypeError: not floating-point tensors, or their dtypes or devices differ.
            DomainError: inputs outside ``input_bounds`` (with ``extrapolation="error"``).
        """
        check_forward_args(x, params, self._spec.num_inputs, self._spec.num_params)
        y = self._forward(x, params)  # inputs are mapped (and checked) with the cached basis
        return y if self._spec.scaling is None else self._map_outputs(y)

    def _forward(self, x: torch.Tensor, params: torch.Tensor) -> torch.Tensor:
        num_samples, batch_size = params.shape[0], x.shape[0]
        num_terms, num_outputs = self._spec.num_terms, self._spec.num_outputs
        basis = self._basis_of(x)  # (batch_size, num_terms)
        coeffs = params.reshape(num_samples, num_terms, num_outputs)  # (num_samples, num_terms, num_outputs)
        coeffs = coeffs.transpose(0, 1).reshape(num_terms, num_samples * num_outputs)  # (num_terms, S * O)
        y = basis @ coeffs  # (batch_size, num_samples * num_outputs): one matmul for every sample and output
        return y.reshape(batch_size, num_samples, num_outputs).transpose(0, 1)  # (num_samples, batch_size, O)

    def _load_from_state_dict(self, state_dict: Any, prefix: str, *args: Any, **kwargs: Any) -> None:
        # The index set is fixed by the architecture; refuse a checkpoint of another one before loading anything.
        key = prefix + "multi_indices"
        if key in state_dict:
            loaded = state_dict[key]
            if tuple(loaded.shape) != tuple(self.multi_indices.shape) or not torch.equal(
                loaded.to(self.multi_indices.device, torch.long), self.multi_indices
            ):
                raise ConfigurationError(
                    f"{key}: expected the index set of this expansion (shape {tuple(self.multi_indices.shape)}), "
                    f"received a different one (shape {tuple(loaded.shape)})"
                )
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)
