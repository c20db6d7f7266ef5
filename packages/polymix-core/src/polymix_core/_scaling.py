"""Input bounds and output scaling of a surrogate, validated and applied once for every backend.

A surrogate with ``input_bounds`` maps each input from ``[low, high]`` linearly to ``[-1, 1]``
(the Legendre domain of a PCE, and a well-conditioned range for a network) before its
forward map, and a surrogate with ``output_shift``/``output_scale`` returns
``shift + scale * g(x)``: its parameters (and their priors) live on a standardised scale
whatever the magnitude of the data. Unset (``None``) fields leave pypolymix's behaviour
exactly as it is.

Inputs outside the bounds (beyond a relative tolerance of ``BOUNDS_RTOL`` of each range)
raise a ``DomainError`` naming the first offending rows, unless the surrogate was built
with ``extrapolation="warn"``, which warns once per surrogate spec and evaluates the
polynomial or network outside its training domain.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._errors import ConfigurationError, DomainError, PolymixWarning

__all__ = [
    "BOUNDS_RTOL",
    "EXTRAPOLATION_MODES",
    "Scaling",
    "check_input_bounds",
    "check_output_affine",
]

#: Inputs may exceed their bounds by this fraction of the range (rounding of user data) before it counts.
BOUNDS_RTOL = 1e-6
#: ``"error"``: inputs outside the bounds raise; ``"warn"``: a warning, once per surrogate, then evaluate.
EXTRAPOLATION_MODES = ("error", "warn")


def _finite_real(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(float(value)):
        raise ConfigurationError(f"{name}: expected a finite real number, received {value!r}")
    return float(value)


def check_input_bounds(bounds: Any, num_inputs: int) -> tuple[tuple[float, float], ...] | None:
    """Validate ``input_bounds``: ``None`` or one finite ``(low, high)`` with ``low < high`` per input.

    Args:
        bounds: ``None``, or a sequence of ``num_inputs`` pairs (an array of shape ``(num_inputs, 2)`` works).
        num_inputs: The surrogate's input width.

    Returns:
        The bounds as a tuple of float pairs, or ``None``.

    Raises:
        ConfigurationError: wrong count, non-finite or reversed bounds.

    Example:
        >>> check_input_bounds([(-3.14, 3.14), (0, 1)], 2)
        ((-3.14, 3.14), (0.0, 1.0))
    """
    if bounds is None:
        return None
    if isinstance(bounds, np.ndarray):
        bounds = bounds.tolist()
    if isinstance(bounds, (str, bytes)) or not isinstance(bounds, Sequence) or len(bounds) != num_inputs:
        raise ConfigurationError(
            f"input_bounds: expected None or {num_inputs} (low, high) pairs (one per input), received {bounds!r}"
        )
    out = []
    for i, pair in enumerate(bounds):
        if isinstance(pair, (str, bytes)) or not isinstance(pair, Sequence) or len(pair) != 2:
            raise ConfigurationError(f"input_bounds[{i}]: expected a (low, high) pair, received {pair!r}")
        low, high = _finite_real(f"input_bounds[{i}][0]", pair[0]), _finite_real(f"input_bounds[{i}][1]", pair[1])
        if not low < high:
            raise ConfigurationError(f"input_bounds[{i}]: expected low < high, received ({low!r}, {high!r})")
        if not math.isfinite(high - low):
            raise ConfigurationError(f"input_bounds[{i}]: expected a finite range high - low, received ({low}, {high})")
        out.append((low, high))
    return tuple(out)


def check_output_affine(name: str, values: Any, num_outputs: int, *, positive: bool) -> tuple[float, ...] | None:
    """Validate ``output_shift`` (finite) or ``output_scale`` (positive, finite): ``None`` or one value per output.

    Example:
        >>> check_output_affine("output_scale", [2, 0.5], 2, positive=True)
        (2.0, 0.5)
    """
    if values is None:
        return None
    if isinstance(values, np.ndarray):
        values = values.tolist()
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) or len(values) != num_outputs:
        raise ConfigurationError(
            f"{name}: expected None or {num_outputs} numbers (one per output), received {values!r}"
        )
    out = tuple(_finite_real(f"{name}[{i}]", v) for i, v in enumerate(values))
    if positive and any(v <= 0.0 for v in out):
        raise ConfigurationError(f"{name}: expected positive numbers, received {out!r}")
    return out


@dataclass(frozen=True)
class Scaling:
    """The affine maps around a surrogate's forward map: ``y = shift + scale * g(a * x + b)``.

    Built by the surrogate specs (``spec.scaling``) from validated fields; backends call
    ``map_inputs`` and ``map_outputs`` with their own arrays.

    Attributes:
        input_bounds: One ``(low, high)`` per input, or ``None`` (inputs pass unchanged).
        output_shift: One shift per output, or ``None`` (zero).
        output_scale: One positive scale per output, or ``None`` (one).
        extrapolation: ``"error"`` or ``"warn"`` for inputs outside the bounds.

    Example:
        >>> s = Scaling(((0.0, 2.0),), (10.0,), (3.0,))
        >>> s.map_inputs(np.array([[0.0], [1.0], [2.0]])).ravel().tolist()
        [-1.0, 0.0, 1.0]
        >>> s.map_outputs(np.array([[[1.0]]])).ravel().tolist()
        [13.0]
    """

    input_bounds: tuple[tuple[float, float], ...] | None = None
    output_shift: tuple[float, ...] | None = None
    output_scale: tuple[float, ...] | None = None
    extrapolation: str = "error"
    _constants: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False, hash=False)

    @classmethod
    def build(
        cls,
        num_inputs: int,
        num_outputs: int,
        *,
        input_bounds: Any = None,
        output_shift: Any = None,
        output_scale: Any = None,
        extrapolation: str = "error",
    ) -> Scaling | None:
        """Validate the fields for a surrogate of these widths; ``None`` when nothing is set.

        Raises:
            ConfigurationError: a field of the wrong length or value (see ``check_input_bounds``).

        Example:
            >>> Scaling.build(1, 1) is None
            True
            >>> Scaling.build(1, 1, output_scale=[2]).output_scale
            (2.0,)
        """
        bounds = check_input_bounds(input_bounds, num_inputs)
        shift = check_output_affine("output_shift", output_shift, num_outputs, positive=False)
        scale = check_output_affine("output_scale", output_scale, num_outputs, positive=True)
        if extrapolation not in EXTRAPOLATION_MODES:
            raise ConfigurationError(
                f"extrapolation: expected one of {EXTRAPOLATION_MODES}, received {extrapolation!r}"
            )
        if bounds is None and shift is None and scale is None:
            return None
        return cls(bounds, shift, scale, extrapolation)

    def fields(self) -> dict[str, Any]:
        """The fields that differ from the defaults, as keyword arguments of a spec or surrogate."""
        out: dict[str, Any] = {}
        if self.input_bounds is not None:
            out["input_bounds"] = self.input_bounds
        if self.output_shift is not None:
            out["output_shift"] = self.output_shift
        if self.output_scale is not None:
            out["output_scale"] = self.output_scale
        if self.extrapolation != "error":
            out["extrapolation"] = self.extrapolation
        return out

    def __getstate__(self) -> dict[str, Any]:
        # converted constants are a cache of device arrays: rebuilt after unpickling
        return {**self.__dict__, "_constants": {}}

    @property
    def maps_inputs(self) -> bool:
        """Whether inputs are rescaled (and checked against bounds)."""
        return self.input_bounds is not None

    @property
    def maps_outputs(self) -> bool:
        """Whether outputs are shifted or scaled."""
        return self.output_shift is not None or self.output_scale is not None

    def _arrays(self, xp: Any, like: Any) -> dict[str, Any]:
        """``a``, ``b``, ``low``, ``high`` (inputs), ``shift``, ``scale`` (outputs) in ``like``'s dtype and device.

        Converted once per namespace, dtype and device and kept: a training step pays no conversion.
        """
        try:
            device = like.device
        except Exception:  # a traced jax value has no device: constants are placed by the compiler
            device = None
        key = (id(xp), like.dtype, device)
        cached = self._constants.get(key)
        if cached is not None:
            return cached  # type: ignore[no-any-return]
        values: dict[str, np.ndarray] = {}
        if self.input_bounds is not None:
            low, high = np.array(self.input_bounds, dtype=np.float64).T  # (num_inputs,) each
            values["a"] = 2.0 / (high - low)
            values["b"] = -(high + low) / (high - low)
            tol = BOUNDS_RTOL * (high - low)
            values["low"], values["high"] = low - tol, high + tol
        if self.output_shift is not None:
            values["shift"] = np.array(self.output_shift, dtype=np.float64)
        if self.output_scale is not None:
            values["scale"] = np.array(self.output_scale, dtype=np.float64)
        if device is None:
            out = {k: xp.asarray(v, dtype=like.dtype) for k, v in values.items()}
        else:
            out = {k: xp.asarray(v, dtype=like.dtype, device=device) for k, v in values.items()}
        self._constants[key] = out
        return out

    def map_inputs(self, x: Any, xp: Any = None) -> Any:
        """Map ``x (batch_size, num_inputs)`` from the bounds to ``[-1, 1]`` (unchanged without bounds)."""
        if self.input_bounds is None:
            return x
        xp = _namespace(x, xp)
        c = self._arrays(xp, x)
        return x * c["a"] + c["b"]  # (batch_size, num_inputs)

    def map_outputs(self, y: Any, xp: Any = None) -> Any:
        """``shift + scale * y`` for ``y (..., num_outputs)`` (unchanged without output scaling)."""
        if not self.maps_outputs:
            return y
        xp = _namespace(y, xp)
        c = self._arrays(xp, y)
        if "scale" in c:
            y = y * c["scale"]
        if "shift" in c:
            y = y + c["shift"]
        return y

    def outside_rows(self, x: Any, xp: Any = None) -> Any:
        """Boolean ``(batch_size,)``: rows with an input outside its bounds (beyond the tolerance).

        Non-finite entries are not flagged here; the data checks of ``fit``/``predict`` name those.
        """
        xp = _namespace(x, xp)
        c = self._arrays(xp, x)
        return xp.any((x < c["low"]) | (x > c["high"]), axis=1)  # (batch_size,)

    def check_inputs(self, x: Any, *, name: str = "x", xp: Any = None) -> None:
        """Raise a ``DomainError`` naming the first rows of ``x`` outside the bounds, or warn once.

        Needs concrete values: backends call it outside compiled or traced code.

        Args:
            x: ``(batch_size, num_inputs)``.
            name: The argument name in the message.
            xp: The array namespace (inferred when ``None``).
        """
        if self.input_bounds is None:
            return
        bad = np.asarray(_to_numpy(self.outside_rows(x, xp)))
        if not bad.any():
            return
        rows = np.flatnonzero(bad)
        shown = ", ".join(str(int(r)) for r in rows[:5]) + (", ..." if rows.size > 5 else "")
        first = np.asarray(_to_numpy(x))[rows[0]].tolist()
        message = (
            f"{name}: expected inputs within input_bounds={list(self.input_bounds)}, received {rows.size} row(s) "
            f"outside (rows {shown}; row {int(rows[0])} = {first})"
        )
        if self.extrapolation == "error":
            raise DomainError(
                message + "; build the surrogate with extrapolation='warn' to evaluate outside the bounds"
            )
        if self._constants.get("warned"):
            return
        self._constants["warned"] = True
        warnings.warn(message + "; extrapolating (warned once per surrogate spec)", PolymixWarning, stacklevel=3)


def _namespace(x: Any, xp: Any) -> Any:
    if xp is not None:
        return xp
    import array_api_compat

    return array_api_compat.array_namespace(x)


def _to_numpy(a: Any) -> np.ndarray:
    """A host copy of a concrete array of any backend."""
    if hasattr(a, "detach"):  # torch
        return a.detach().cpu().numpy()  # type: ignore[no-any-return]
    return np.asarray(a)
