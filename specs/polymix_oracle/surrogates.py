"""Surrogate layouts and forward maps, read literally from the contract (sections 2 and 3).

A spec is the dictionary of ``spec.to_dict()``: ``{"kind": "mlp" | "pce" | "gating" | "mixture", ...}``.
The MLP is evaluated by loops over samples, inputs, layers and units; the PCE as a sum over
terms of products of ``numpy.polynomial.legendre.legval`` per input.
"""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np
from numpy.polynomial import legendre

from .index_sets import multi_indices

Spec = dict[str, Any]
Slice = tuple[str, int, int, tuple[int, ...]]


def _sigmoid(z: float) -> float:
    if z >= 0.0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def _softplus(z: float) -> float:
    return max(z, 0.0) + math.log1p(math.exp(-abs(z)))


#: Activations by name (section 2.1), one scalar at a time.
ACTIVATIONS: dict[str, Callable[[float], float]] = {
    "relu": lambda z: z if z > 0.0 else 0.0,
    "tanh": math.tanh,
    "sigmoid": _sigmoid,
    "gelu": lambda z: 0.5 * z * (1.0 + math.erf(z / math.sqrt(2.0))),
    "silu": lambda z: z * _sigmoid(z),
    "softplus": _softplus,
    "elu": lambda z: z if z > 0.0 else math.expm1(z),
    "identity": lambda z: z,
}


def _layer_sizes(spec: Spec, num_outputs: int) -> list[int]:
    return [spec["num_inputs"], *[spec["width"]] * spec["depth"], num_outputs]


def _net_outputs(spec: Spec) -> int:
    return spec["num_experts"] if spec["kind"] == "gating" else spec["num_outputs"]


def num_terms(spec: Spec) -> int:
    """Number of PCE terms of a ``pce`` spec."""
    return len(multi_indices(spec["num_inputs"], spec["degree"], spec.get("q", 1.0)))


def slices(spec: Spec) -> list[Slice]:
    """Named ``(name, start, stop, shape)`` blocks of the flat parameter vector, in order."""
    blocks: list[tuple[str, tuple[int, ...]]] = []
    kind = spec["kind"]
    if kind in ("mlp", "gating"):
        sizes = _layer_sizes(spec, _net_outputs(spec))
        for j, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            blocks += [(f"layer{j}.weight", (n_in, n_out)), (f"layer{j}.bias", (n_out,))]
    elif kind == "pce":
        blocks = [("coefficients", (num_terms(spec), spec["num_outputs"]))]
    elif kind == "mixture":
        blocks = [(f"experts.{e}", (num_params(x),)) for e, x in enumerate(spec["experts"])]
        blocks.append(("gating", (num_params(spec["gating"]),)))
    else:
        raise ValueError(f"unknown surrogate kind {kind!r}")
    out, start = [], 0
    for name, shape in blocks:
        stop = start + math.prod(shape)
        out.append((name, start, stop, shape))
        start = stop
    return out


def num_params(spec: Spec) -> int:
    """Length of the flat parameter vector."""
    kind = spec["kind"]
    if kind in ("mlp", "gating"):
        sizes = _layer_sizes(spec, _net_outputs(spec))
        return sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))
    if kind == "pce":
        return num_terms(spec) * spec["num_outputs"]
    return sum(num_params(e) for e in spec["experts"]) + num_params(spec["gating"])


def _mlp_one(spec: Spec, num_outputs: int, x_row: np.ndarray, theta: np.ndarray) -> list[float]:
    """One input row through the network, weights stored input-major (``W[i, o]`` at ``i * out + o``)."""
    act = ACTIVATIONS[spec["activation"]]
    sizes = _layer_sizes(spec, num_outputs)
    h = [float(v) for v in x_row]
    pos = 0
    for j, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        weight, bias = pos, pos + n_in * n_out
        z = []
        for o in range(n_out):
            total = float(theta[bias + o])
            for i in range(n_in):
                total += h[i] * float(theta[weight + i * n_out + o])
            z.append(total)
        pos = bias + n_out
        h = [act(v) for v in z] if j < len(sizes) - 2 else z
    return h


def mlp_forward(spec: Spec, x: np.ndarray, params: np.ndarray) -> np.ndarray:
    """``(num_samples, batch_size, num_outputs)`` of an ``mlp`` (or the logits of a ``gating``) spec."""
    n_out = _net_outputs(spec)
    out = np.empty((params.shape[0], x.shape[0], n_out))
    for s in range(params.shape[0]):
        for b in range(x.shape[0]):
            out[s, b] = _mlp_one(spec, n_out, x[b], params[s])
    return out


def legendre_p(n: int, t: np.ndarray) -> np.ndarray:
    """The unnormalised Legendre polynomial ``P_n(t)`` (``P_n(1) = 1``)."""
    unit = np.zeros(n + 1)
    unit[n] = 1.0
    return legendre.legval(t, unit)


def pce_basis(spec: Spec, x: np.ndarray) -> np.ndarray:
    """``(batch_size, num_terms)``: ``Psi_k(x_b) = prod_i P_{alpha_k,i}(x_b,i)``."""
    rows = multi_indices(spec["num_inputs"], spec["degree"], spec.get("q", 1.0))
    basis = np.ones((x.shape[0], len(rows)))
    for k, alpha in enumerate(rows):
        for i, n in enumerate(alpha):
            basis[:, k] *= legendre_p(n, x[:, i])
    return basis


def pce_forward(spec: Spec, x: np.ndarray, params: np.ndarray) -> np.ndarray:
    """``f[s, b, o] = sum_k Psi_k(x_b) * params[s, k * num_outputs + o]`` (term-major coefficients)."""
    basis = pce_basis(spec, x)
    n_out = spec["num_outputs"]
    out = np.zeros((params.shape[0], x.shape[0], n_out))
    for k in range(basis.shape[1]):
        for o in range(n_out):
            out[:, :, o] += params[:, k * n_out + o][:, None] * basis[:, k][None, :]
    return out


def _softmax_rows(z: np.ndarray) -> np.ndarray:
    shifted = np.exp(z - z.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def _blocks(spec: Spec, params: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    parts = {name: params[:, start:stop] for name, start, stop, _ in slices(spec)}
    return [parts[f"experts.{e}"] for e in range(len(spec["experts"]))], parts["gating"]


def expert_outputs(spec: Spec, x: np.ndarray, params: np.ndarray) -> np.ndarray:
    """``(num_samples, num_experts, batch_size, num_outputs)`` of a ``mixture`` spec."""
    experts, _ = _blocks(spec, params)
    return np.stack([forward(e, x, p) for e, p in zip(spec["experts"], experts)], axis=1)


def gating_weights(spec: Spec, x: np.ndarray, params: np.ndarray) -> np.ndarray:
    """``(num_samples, batch_size, num_experts)`` of a ``mixture`` spec."""
    _, gate = _blocks(spec, params)
    return forward(spec["gating"], x, gate)


def forward(spec: Spec, x: np.ndarray, params: np.ndarray) -> np.ndarray:
    """``f(x, params)``: ``(num_samples, batch_size, num_outputs)`` for any surrogate spec."""
    x = np.asarray(x, dtype=np.float64)
    params = np.asarray(params, dtype=np.float64)
    kind = spec["kind"]
    if kind == "mlp":
        return mlp_forward(spec, x, params)
    if kind == "gating":
        return _softmax_rows(mlp_forward(spec, x, params))
    if kind == "pce":
        return pce_forward(spec, x, params)
    experts = expert_outputs(spec, x, params)  # (s, e, b, o)
    weights = gating_weights(spec, x, params)  # (s, b, e)
    out = np.zeros((params.shape[0], x.shape[0], experts.shape[-1]))
    for e in range(experts.shape[1]):
        out += weights[:, :, e][:, :, None] * experts[:, e]
    return out
