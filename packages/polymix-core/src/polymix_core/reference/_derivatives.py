"""Input gradients of the reference surrogates: the score of an energy-based Langevin group.

Analytic for MLP and PCE surrogates (activation derivatives, ``numpy.polynomial.legendre.legder``),
central finite differences for anything else.
"""

from __future__ import annotations

from math import erf
from typing import Callable

import numpy as np

from .._errors import PolymixTypeError
from .._surrogate_specs import MLPSpec, PCESpec, SurrogateSpec
from ._surrogates import ACTIVATION_FUNCTIONS, forward, sigmoid

__all__ = ["activation_derivative", "input_gradient"]

#: Relative step of the central finite differences of ``input_gradient`` (surrogates without an analytic one).
FD_STEP = 1e-5


def _gelu_derivative(z: np.ndarray) -> np.ndarray:
    cdf = 0.5 * (1.0 + np.vectorize(erf, otypes=[np.float64])(z / np.sqrt(2.0)))
    return cdf + z * np.exp(-0.5 * z**2) / np.sqrt(2.0 * np.pi)


_DERIVATIVES: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "relu": lambda z: (z > 0).astype(np.float64),
    "tanh": lambda z: 1.0 - np.tanh(z) ** 2,
    "sigmoid": lambda z: sigmoid(z) * (1.0 - sigmoid(z)),
    "gelu": _gelu_derivative,
    "silu": lambda z: sigmoid(z) * (1.0 + z * (1.0 - sigmoid(z))),
    "softplus": sigmoid,
    "elu": lambda z: np.where(z > 0, 1.0, np.exp(np.minimum(z, 0.0))),
    "identity": np.ones_like,
}


def activation_derivative(name: str) -> Callable[[np.ndarray], np.ndarray]:
    """Derivative of a named activation as a function of the pre-activation.

    Example:
        >>> activation_derivative("tanh")(np.zeros(1)).tolist()
        [1.0]
    """
    if name not in _DERIVATIVES:
        raise PolymixTypeError(f"activation: expected a named activation, received {name!r}")
    return _DERIVATIVES[name]


def _mlp_input_gradient(spec: MLPSpec, theta: np.ndarray, params: np.ndarray) -> np.ndarray:
    """Gradient of output 0 of an MLP w.r.t. its input rows ``theta (n, num_inputs)``, by backpropagation."""
    act = ACTIVATION_FUNCTIONS[spec.activation]
    dact = activation_derivative(spec.activation)
    weights, pre = [], []
    h = theta
    for j in range(spec.num_layers):
        w_sl, b_sl = spec.slices[2 * j], spec.slices[2 * j + 1]
        w = params[w_sl.start : w_sl.stop].reshape(w_sl.shape)  # (fan_in, fan_out)
        z = h @ w + params[b_sl.start : b_sl.stop]
        weights.append(w)
        pre.append(z)
        h = act(z) if j < spec.num_layers - 1 else z
    grad = np.zeros((theta.shape[0], spec.num_outputs))
    grad[:, 0] = 1.0
    for j in range(spec.num_layers - 1, -1, -1):
        if j < spec.num_layers - 1:
            grad = grad * dact(pre[j])
        grad = grad @ weights[j].T
    return grad


def _pce_input_gradient(spec: PCESpec, theta: np.ndarray, params: np.ndarray) -> np.ndarray:
    """Gradient of output 0 of a PCE w.r.t. its input rows, term by term with ``legder``."""
    from numpy.polynomial import legendre as npleg

    n, d = theta.shape
    degree = int(spec.multi_indices.max(initial=0))
    values = np.empty((degree + 1, n, d))
    slopes = np.empty((degree + 1, n, d))
    for k in range(degree + 1):
        unit = np.eye(degree + 1)[k]
        values[k] = npleg.legval(theta, unit)
        slopes[k] = npleg.legval(theta, npleg.legder(unit)) if k else 0.0
    coeffs = params.reshape(spec.num_terms, spec.num_outputs)[:, 0]
    grad = np.zeros((n, d))
    for alpha, c in zip(spec.multi_indices, coeffs):
        for i in range(d):
            term = slopes[alpha[i], :, i].copy()
            for j in range(d):
                if j != i:
                    term *= values[alpha[j], :, j]
            grad[:, i] += c * term
    return grad


def _fd_input_gradient(spec: SurrogateSpec, theta: np.ndarray, params: np.ndarray) -> np.ndarray:
    """Central finite-difference gradient of output 0 w.r.t. the input rows."""
    grad = np.zeros_like(theta)
    for i in range(theta.shape[1]):
        h = FD_STEP * np.maximum(1.0, np.abs(theta[:, i]))
        up, down = theta.copy(), theta.copy()
        up[:, i] += h
        down[:, i] -= h
        grad[:, i] = (forward(spec, up, params[None])[0, :, 0] - forward(spec, down, params[None])[0, :, 0]) / (2 * h)
    return grad


def input_gradient(spec: SurrogateSpec, theta: np.ndarray, params: np.ndarray) -> np.ndarray:
    """Gradient of output 0 of ``spec`` at the rows of ``theta (n, num_inputs)``: ``(n, num_inputs)``.

    Example:
        >>> input_gradient(MLPSpec(2, 1, depth=0), np.zeros((1, 2)), np.array([1.0, -2.0, 0.5])).tolist()
        [[1.0, -2.0]]
    """
    if isinstance(spec, MLPSpec):
        return _mlp_input_gradient(spec, theta, params)
    if isinstance(spec, PCESpec):
        return _pce_input_gradient(spec, theta, params)
    return _fd_input_gradient(spec, theta, params)
