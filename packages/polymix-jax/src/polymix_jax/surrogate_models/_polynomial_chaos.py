"""``PolynomialChaosExpansion``: Legendre PCE evaluated by gather-and-product and one contraction."""

from __future__ import annotations

from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
from polymix_core import PCESpec, SpecAttribute, pce_basis
from polymix_core.defaults import DEGREE, NUM_OUTPUTS, Q

from ._base import SurrogateModel, prepare_inputs

__all__ = ["PolynomialChaosExpansion", "pce_apply"]


def pce_apply(spec: PCESpec, x: jax.Array, params: jax.Array) -> jax.Array:
    """PCE forward on validated, same-dtype inputs.

    The basis comes from ``polymix_core.pce_basis`` (Legendre table for all degrees at
    once, then at most ``degree`` gathers and products; no loop over terms), followed by
    one contraction over terms for every sample and output.

    Args:
        spec: Index set and layout (term-major coefficients).
        x: ``(batch_size, num_inputs)``.
        params: ``(num_samples, num_params)``.

    Returns:
        ``(num_samples, batch_size, num_outputs)``.
    """
    basis = pce_basis(x, spec.multi_indices, spec.gather_indices)  # (batch_size, num_terms)
    coefficients = params.reshape(params.shape[0], spec.num_terms, spec.num_outputs)  # (s, num_terms, num_outputs)
    return jnp.einsum("bk,sko->sbo", basis, coefficients)


class PolynomialChaosExpansion(SurrogateModel):
    """Polynomial chaos expansion with a Legendre basis.

    The index set is total order (ordered by total degree, then lexicographically with
    the first input slowest), or a hyperbolic cross with the same ordering when ``q < 1``;
    coefficient ``k * num_outputs + o`` multiplies term ``k`` for output ``o``. Inputs are
    expected in ``[-1, 1]``.

    Args:
        num_inputs: Number of inputs ``d``.
        num_outputs: Number of outputs.
        degree: Maximal total degree ``p``.
        q: Hyperbolic-cross exponent in ``(0, 1]`` (keyword-only extension of the pypolymix 0.1.9 API);
            ``1`` (default) is the total-order set.
        input_bounds: ``None`` (pypolymix's behaviour) or one ``(low, high)`` per input: inputs are
            mapped to ``[-1, 1]`` first, and inputs outside the bounds raise ``DomainError`` (checked
            when the values are known: eagerly, and in ``fit``/``predict`` before compiling).
        output_shift: ``None`` or one value per output added to the outputs.
        output_scale: ``None`` or one positive value per output multiplying the outputs (before the shift).
        extrapolation: ``"error"`` or ``"warn"`` (warn once, then evaluate) for inputs outside the bounds.

    Example:
        >>> import jax
        >>> import jax.numpy as jnp
        >>> surrogate = PolynomialChaosExpansion(num_inputs=1, degree=2)
        >>> params = jax.random.normal(jax.random.key(0), (5, surrogate.num_params()))
        >>> x = jnp.linspace(-1, 1, 20)[:, None]
        >>> surrogate(x, params).shape
        (5, 20, 1)
    """

    spec: PCESpec = eqx.field(static=True)
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
    ):
        self.spec = PCESpec(
            num_inputs,
            num_outputs,
            degree,
            q,
            input_bounds=input_bounds,
            output_shift=output_shift,
            output_scale=output_scale,
            extrapolation=extrapolation,
        )

    @property
    def num_terms(self) -> int:
        """Number of terms; ``C(d + p, d)`` for the total-order set."""
        return self.spec.num_terms

    @property
    def multi_indices(self) -> jax.Array:
        """``(num_terms, num_inputs)`` integer index set (a constant; never trained)."""
        return jnp.asarray(self.spec.multi_indices)

    def num_params(self) -> int:
        """Return ``num_terms * num_outputs``."""
        return self.spec.num_params

    def forward(self, x: Any, params: Any) -> jax.Array:
        """Evaluate the expansion for every coefficient sample.

        Args:
            x: Sample points ``(batch_size, num_inputs)``.
            params: Coefficients ``(num_samples, num_params)``.

        Returns:
            ``(num_samples, batch_size, num_outputs)`` in the wider floating dtype of ``x`` and ``params``.

        Raises:
            ShapeError: ``x`` or ``params`` has the wrong rank or width.
        """
        x, params = prepare_inputs(x, params, self.num_inputs, self.num_params())
        return self._map_outputs(pce_apply(self.spec, self._map_inputs(x), params))
