"""``NeuralNetwork``: a fully connected network whose weights arrive as sampled flat vectors."""

from __future__ import annotations

from typing import Any, Callable

import equinox as eqx
import jax
import jax.numpy as jnp
from jax import lax
from polymix_core import MLPSpec, SpecAttribute
from polymix_core.defaults import DEPTH, NUM_OUTPUTS, WIDTH

from .._activations import resolve_activation
from ._base import SurrogateModel, prepare_inputs

__all__ = ["NeuralNetwork", "mlp_apply"]

#: Hidden-to-hidden layers unrolled as a Python loop; deeper networks use one ``lax.scan``.
_UNROLL_MAX = 8
#: On CPU, a forward whose hidden activations (all samples) exceed ``_CHUNK_MIN_BYTES`` runs
#: as a ``lax.map`` over blocks of samples whose activations take about ``_CHUNK_BYTES``, so
#: that the elementwise passes (bias, activation and their gradients) run from cache.
_CHUNK_MIN_BYTES = 8 << 20
_CHUNK_BYTES = 1 << 20


def _sample_chunk(spec: MLPSpec, num_samples: int, batch_size: int, itemsize: int) -> int:
    """Samples per block of the CPU-chunked forward; ``num_samples`` means no chunking."""
    per_sample = batch_size * max(spec.width if spec.depth else 0, spec.num_outputs) * itemsize
    if per_sample == 0 or num_samples * per_sample < _CHUNK_MIN_BYTES or jax.default_backend() != "cpu":
        return num_samples
    target = max(1, _CHUNK_BYTES // per_sample)
    return max(c for c in range(1, min(target, num_samples) + 1) if num_samples % c == 0)


def _layer(spec: MLPSpec, params: jax.Array, j: int) -> tuple[jax.Array, jax.Array]:
    """Weight ``(num_samples, fan_in, fan_out)`` and bias ``(num_samples, fan_out)`` of layer ``j``."""
    w_sl, b_sl = spec.slices[2 * j], spec.slices[2 * j + 1]
    num_samples = params.shape[0]
    w = params[:, w_sl.start : w_sl.stop].reshape(num_samples, *w_sl.shape)  # (num_samples, fan_in, fan_out)
    b = params[:, b_sl.start : b_sl.stop]  # (num_samples, fan_out)
    return w, b


def mlp_apply(
    spec: MLPSpec, activation: Callable[[jax.Array], jax.Array], x: jax.Array, params: jax.Array
) -> jax.Array:
    """Batched MLP forward on validated, same-dtype inputs.

    Every sample is evaluated independently; on CPU, large problems run in blocks of samples
    (``lax.map``) sized to stay in cache, with the same per-sample computation.

    Args:
        spec: The architecture (slices from polymix-core).
        activation: Hidden activation.
        x: ``(batch_size, num_inputs)``.
        params: ``(num_samples, num_params)``.

    Returns:
        ``(num_samples, batch_size, num_outputs)``.
    """
    num_samples, batch_size = params.shape[0], x.shape[0]
    chunk = _sample_chunk(spec, num_samples, batch_size, jnp.dtype(params.dtype).itemsize)
    if chunk == num_samples:
        return _mlp_block(spec, activation, x, params)
    blocks = params.reshape(num_samples // chunk, chunk, params.shape[1])  # (num_blocks, chunk, num_params)
    y = lax.map(lambda p: _mlp_block(spec, activation, x, p), blocks)  # (num_blocks, chunk, batch_size, o)
    return y.reshape(num_samples, batch_size, spec.num_outputs)


def _mlp_block(
    spec: MLPSpec, activation: Callable[[jax.Array], jax.Array], x: jax.Array, params: jax.Array
) -> jax.Array:
    """``mlp_apply`` on one block of samples.

    The layers are unrolled (static slices of ``params``): with no ``lax.scan`` and no
    re-laid-out copy of the parameter block, XLA fuses each bias add and activation with
    the neighbouring ops. Hidden-to-hidden layers beyond ``_UNROLL_MAX`` run as one
    ``lax.scan`` so that compile time stays bounded for very deep networks.

    Args:
        spec: The architecture (slices from polymix-core).
        activation: Hidden activation.
        x: ``(batch_size, num_inputs)``.
        params: ``(num_samples, num_params)``.

    Returns:
        ``(num_samples, batch_size, num_outputs)``.
    """
    num_samples = params.shape[0]
    w, b = _layer(spec, params, 0)
    # A batched matmul against x broadcast over samples (num_inputs is small) yields the
    # (num_samples, batch_size, fan_out) layout directly; a plain contraction of the shared x
    # lets XLA pick a (samples, fan_out, batch) layout and transpose the activations later.
    xs = lax.optimization_barrier(jnp.broadcast_to(x, (num_samples, *x.shape)))  # (s, batch_size, num_inputs)
    h = xs @ w + b[:, None, :]  # (num_samples, batch_size, fan_out)
    if spec.depth == 0:
        return h
    h = activation(h)
    if 2 <= spec.depth <= _UNROLL_MAX + 1:
        for j in range(1, spec.depth):
            w, b = _layer(spec, params, j)  # (num_samples, width, width), (num_samples, width)
            h = activation(h @ w + b[:, None, :])
    elif spec.depth >= 2:
        width = spec.width
        start, stop = spec.slices[2].start, spec.slices[2 * spec.depth - 1].stop
        block = params[:, start:stop].reshape(num_samples, spec.depth - 1, width * width + width)  # (s, L, w*w + w)
        block = jnp.moveaxis(block, 1, 0)  # (L, num_samples, width * width + width): scan over layers

        def hidden(h: jax.Array, p: jax.Array) -> tuple[jax.Array, None]:
            w = p[:, : width * width].reshape(num_samples, width, width)  # (num_samples, width, width)
            return activation(h @ w + p[:, None, width * width :]), None

        h, _ = lax.scan(hidden, h, block)
    w, b = _layer(spec, params, spec.depth)
    return h @ w + b[:, None, :]  # (num_samples, batch_size, num_outputs)


class NeuralNetwork(SurrogateModel):
    """Neural network driven by sampled parameters.

    Flat layout (pypolymix's): for each hidden layer then the output layer, weight
    ``(in_features, out_features)`` row-major, then bias; ``y = act(x @ W + b)`` on hidden
    layers, no activation on the output layer.

    Args:
        num_inputs: Dimensionality of ``x``.
        num_outputs: Number of response dimensions.
        width: Hidden-layer width.
        depth: Number of hidden layers.
        activation: Callable applied after each hidden layer, or a name from
            ``polymix_core.ACTIVATIONS``. Default ``jax.nn.relu``.
        input_bounds: ``None`` (pypolymix's behaviour) or one ``(low, high)`` per input: inputs are
            mapped to ``[-1, 1]`` first, and inputs outside the bounds raise ``DomainError`` (checked
            when the values are known: eagerly, and in ``fit``/``predict`` before compiling).
        output_shift: ``None`` or one value per output added to the outputs.
        output_scale: ``None`` or one positive value per output multiplying the outputs (before the shift).
        extrapolation: ``"error"`` or ``"warn"`` (warn once, then evaluate) for inputs outside the bounds.

    Example:
        >>> import jax
        >>> surrogate = NeuralNetwork(num_inputs=2, num_outputs=1, width=8, depth=2)
        >>> surrogate.num_params()
        105
        >>> k1, k2 = jax.random.split(jax.random.key(0))
        >>> params = jax.random.normal(k1, (3, surrogate.num_params()))
        >>> x = jax.random.normal(k2, (5, 2))
        >>> surrogate(x, params).shape
        (3, 5, 1)
    """

    activation: Callable[[jax.Array], jax.Array] = eqx.field(static=True)
    spec: MLPSpec = eqx.field(static=True)
    num_inputs = SpecAttribute[int]()
    num_outputs = SpecAttribute[int]()
    width = SpecAttribute[int]()
    depth = SpecAttribute[int]()

    def __init__(
        self,
        num_inputs: int,
        num_outputs: int = NUM_OUTPUTS,
        width: int = WIDTH,
        depth: int = DEPTH,
        activation: Callable[[jax.Array], jax.Array] | str = jax.nn.relu,
        *,
        input_bounds: Any = None,
        output_shift: Any = None,
        output_scale: Any = None,
        extrapolation: str = "error",
    ):
        fn, name = resolve_activation(activation)
        self.spec = MLPSpec(
            num_inputs,
            num_outputs,
            width,
            depth,
            name,
            input_bounds=input_bounds,
            output_shift=output_shift,
            output_scale=output_scale,
            extrapolation=extrapolation,
        )
        self.activation = fn

    def num_params(self) -> int:
        """Return the number of scalar parameters implied by the architecture."""
        return self.spec.num_params

    def forward(self, x: Any, params: Any) -> jax.Array:
        """Evaluate the network for every parameter sample in parallel.

        Args:
            x: ``(batch_size, num_inputs)``.
            params: ``(num_samples, num_params)``.

        Returns:
            ``(num_samples, batch_size, num_outputs)`` in the wider floating dtype of ``x`` and ``params``.

        Raises:
            ShapeError: ``x`` or ``params`` has the wrong rank or width.
        """
        x, params = prepare_inputs(x, params, self.num_inputs, self.num_params())
        return self._map_outputs(mlp_apply(self.spec, self.activation, self._map_inputs(x), params))
