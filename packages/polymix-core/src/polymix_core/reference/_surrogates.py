"""Reference forward maps (numpy, float64): the oracle of the conformance suite.

Written for clarity, one sample at a time where that is clearer; speed is the
backends' business.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from .._errors import PolymixTypeError, check_input_shape, check_params_shape
from .._surrogate_specs import GatingSpec, MixtureSpec, MLPSpec, PCESpec, SurrogateSpec

__all__ = [
    "ACTIVATION_FUNCTIONS",
    "sigmoid",
    "forward",
    "mlp_forward",
    "pce_forward",
    "gating_forward",
    "mixture_forward",
    "expert_outputs",
    "gating_weights",
    "scale_inputs",
    "scale_outputs",
]


def _gelu(x: np.ndarray) -> np.ndarray:
    from math import erf

    return 0.5 * x * (1.0 + np.vectorize(erf, otypes=[np.float64])(x / np.sqrt(2.0)))


def sigmoid(x: np.ndarray) -> np.ndarray:
    """The logistic function, accurate in both tails (``exp(-|x|)`` never overflows)."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


#: numpy versions of the activations named in ``polymix_core.ACTIVATIONS``.
ACTIVATION_FUNCTIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "relu": lambda x: np.maximum(x, 0.0),
    "tanh": np.tanh,
    "sigmoid": lambda x: sigmoid(x),
    "gelu": _gelu,
    "silu": lambda x: x * sigmoid(x),
    "softplus": lambda x: np.logaddexp(0.0, x),
    "elu": lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0.0))),
    "identity": lambda x: x,
}


def _check(spec: SurrogateSpec, x: np.ndarray, params: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(x, dtype=np.float64)
    params = np.asarray(params, dtype=np.float64)
    check_input_shape("x", x.shape, spec.num_inputs)
    check_params_shape("params", params.shape, spec.num_params)
    return x, params


def scale_inputs(spec: SurrogateSpec, x: np.ndarray) -> np.ndarray:
    """``x`` mapped from ``spec.input_bounds`` to ``[-1, 1]`` (checked against the bounds); as is without bounds."""
    bounds = getattr(spec, "input_bounds", None)
    if bounds is None:
        return x
    spec.scaling.check_inputs(x)  # type: ignore[union-attr]
    low, high = np.array(bounds, dtype=np.float64).T  # (num_inputs,) each
    return 2.0 * (x - low) / (high - low) - 1.0


def scale_outputs(spec: SurrogateSpec, y: np.ndarray) -> np.ndarray:
    """``output_shift + output_scale * y`` for ``y (..., num_outputs)``; as is when unset."""
    scale, shift = getattr(spec, "output_scale", None), getattr(spec, "output_shift", None)
    if scale is not None:
        y = y * np.array(scale, dtype=np.float64)
    if shift is not None:
        y = y + np.array(shift, dtype=np.float64)
    return y


def mlp_forward(spec: MLPSpec, x: np.ndarray, params: np.ndarray) -> np.ndarray:
    """MLP outputs ``(num_samples, batch_size, num_outputs)``.

    Args:
        spec: The architecture.
        x: ``(batch_size, num_inputs)``.
        params: ``(num_samples, num_params)`` flat parameter vectors.

    Example:
        >>> spec = MLPSpec(1, 1, width=2, depth=1)
        >>> mlp_forward(spec, np.ones((1, 1)), np.ones((1, spec.num_params))).tolist()
        [[[5.0]]]
    """
    x, params = _check(spec, x, params)
    if spec.activation not in ACTIVATION_FUNCTIONS:
        raise PolymixTypeError(f"spec.activation: expected a named activation, received {spec.activation!r}")
    act = ACTIVATION_FUNCTIONS[spec.activation]
    x = scale_inputs(spec, x)
    out = []
    for theta in params:
        h = x
        for j in range(spec.num_layers):
            w_sl, b_sl = spec.slices[2 * j], spec.slices[2 * j + 1]
            w = theta[w_sl.start : w_sl.stop].reshape(w_sl.shape)  # (fan_in, fan_out)
            b = theta[b_sl.start : b_sl.stop]  # (fan_out,)
            h = h @ w + b
            if j < spec.num_layers - 1:
                h = act(h)
        out.append(h)
    return scale_outputs(spec, np.stack(out))


def pce_forward(spec: PCESpec, x: np.ndarray, params: np.ndarray) -> np.ndarray:
    """PCE outputs ``(num_samples, batch_size, num_outputs)``: ``basis @ coefficients`` per sample.

    The basis is evaluated term by term with ``numpy.polynomial.legendre`` (independent
    of the array-API basis the backends use).

    Example:
        >>> spec = PCESpec(1, 1, degree=2)
        >>> pce_forward(spec, np.array([[0.5]]), np.array([[0.0, 0.0, 1.0]])).tolist()  # P_2(0.5)
        [[[-0.125]]]
    """
    from numpy.polynomial import legendre as npleg

    x, params = _check(spec, x, params)
    x = scale_inputs(spec, x)
    basis = np.ones((x.shape[0], spec.num_terms))  # (batch_size, num_terms)
    for k, alpha in enumerate(spec.multi_indices):
        for i, n in enumerate(alpha):
            if n:
                basis[:, k] *= npleg.legval(x[:, i], np.eye(n + 1)[n])
    coeffs = params.reshape(params.shape[0], spec.num_terms, spec.num_outputs)  # (num_samples, num_terms, num_outputs)
    return scale_outputs(spec, np.einsum("bk,sko->sbo", basis, coeffs))


def gating_forward(spec: GatingSpec, x: np.ndarray, params: np.ndarray) -> np.ndarray:
    """Softmax weights ``(num_samples, batch_size, num_experts)``."""
    logits = mlp_forward(spec.network, x, params)
    logits = logits - logits.max(axis=-1, keepdims=True)
    e = np.exp(logits)
    return e / e.sum(axis=-1, keepdims=True)


def expert_outputs(spec: MixtureSpec, x: np.ndarray, params: np.ndarray) -> np.ndarray:
    """Each expert on its block: ``(num_samples, num_experts, batch_size, num_outputs)``.

    With the mixture's scaling: the experts see the mapped inputs, and their outputs are mapped.
    """
    x, params = _check(spec, x, params)
    x = scale_inputs(spec, x)
    outs = [forward(e, x, params[:, sl.start : sl.stop]) for e, sl in zip(spec.experts, spec.slices)]
    return scale_outputs(spec, np.stack(outs, axis=1))


def gating_weights(spec: MixtureSpec, x: np.ndarray, params: np.ndarray) -> np.ndarray:
    """The gating network on its block (at the mapped inputs): ``(num_samples, batch_size, num_experts)``."""
    x, params = _check(spec, x, params)
    sl = spec.slices[-1]
    return gating_forward(spec.gating, scale_inputs(spec, x), params[:, sl.start : sl.stop])


def mixture_forward(spec: MixtureSpec, x: np.ndarray, params: np.ndarray) -> np.ndarray:
    """``sum_e gating[s, b, e] * expert[s, e, b, o]``: ``(num_samples, batch_size, num_outputs)``."""
    return np.einsum("sbe,sebo->sbo", gating_weights(spec, x, params), expert_outputs(spec, x, params))


def forward(spec: SurrogateSpec, x: np.ndarray, params: np.ndarray) -> np.ndarray:
    """Dispatch on the spec type.

    Example:
        >>> forward(MLPSpec(2, 1, width=8, depth=2), np.zeros((5, 2)), np.zeros((3, 105))).shape
        (3, 5, 1)
    """
    if isinstance(spec, MLPSpec):
        return mlp_forward(spec, x, params)
    if isinstance(spec, PCESpec):
        return pce_forward(spec, x, params)
    if isinstance(spec, GatingSpec):
        return gating_forward(spec, x, params)
    if isinstance(spec, MixtureSpec):
        return mixture_forward(spec, x, params)
    raise PolymixTypeError(
        f"spec: expected an MLPSpec, PCESpec, GatingSpec or MixtureSpec, received {type(spec).__name__}"
    )
