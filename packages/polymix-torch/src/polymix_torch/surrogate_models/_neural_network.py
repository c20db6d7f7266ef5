"""Fully-connected neural-network surrogate driven by sampled parameters."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from polymix_core import MLPSpec, SpecAttribute
from polymix_core.defaults import DEPTH, NUM_OUTPUTS, WIDTH

from .._activations import Activation, resolve_activation
from .._validation import check_forward_args
from ._base import SpecScaling, SurrogateModel

__all__ = ["NeuralNetwork"]


class NeuralNetwork(SpecScaling, SurrogateModel):
    """Neural network driven by sampled parameters.

    Hidden layers compute ``act(h @ W + b)``, the output layer ``h @ W + b``. The flat
    layout (``polymix_core.MLPSpec``) is, per layer, the weight ``(in_features, out_features)``
    row-major and then the bias. All samples run as one batched matmul per layer, the bias
    (and a ReLU) added in place on its output. The sizes are read-only views of ``spec``.

    Example:
        >>> surrogate = NeuralNetwork(num_inputs=2, num_outputs=1, width=8, depth=2)
        >>> surrogate.num_params()
        105
        >>> params = torch.randn(3, surrogate.num_params())
        >>> x = torch.randn(5, 2)
        >>> surrogate(x, params).shape
        torch.Size([3, 5, 1])
    """

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
        activation: Activation = F.relu,
        *,
        input_bounds: Any = None,
        output_shift: Any = None,
        output_scale: Any = None,
        extrapolation: str = "error",
    ) -> None:
        """Initialize the neural network architecture.

        Args:
            num_inputs: Dimensionality of ``x``.
            num_outputs: Number of response dimensions.
            width: Hidden-layer width.
            depth: Number of hidden layers (0 gives an affine map).
            activation: Callable applied after each hidden linear block, or a name from
                ``polymix_core.ACTIVATIONS``.
            input_bounds: ``None`` (pypolymix's behaviour) or one ``(low, high)`` per input: inputs are
                mapped to ``[-1, 1]`` first, and inputs outside the bounds raise ``DomainError``.
            output_shift: ``None`` or one value per output added to the outputs.
            output_scale: ``None`` or one positive value per output multiplying the outputs (before the shift).
            extrapolation: ``"error"`` or ``"warn"`` (warn once, then evaluate) for inputs outside the bounds.
        """
        act, act_name = resolve_activation(activation)
        spec = MLPSpec(
            num_inputs,
            num_outputs,
            width,
            depth,
            act_name,
            input_bounds=input_bounds,
            output_shift=output_shift,
            output_scale=output_scale,
            extrapolation=extrapolation,
        )  # validates
        super().__init__()
        self.activation = act
        self._set_spec(spec)

    def _set_spec(self, spec: MLPSpec) -> None:
        """Store the spec and the per-layer table derived from it (also for modules pickled by pypolymix)."""
        self._spec = spec
        # relu is applied in place on the fresh pre-activation (autograd allows it: relu saves its output)
        self._relu_in_place = spec.activation == "relu" and (self.activation is F.relu or self.activation is torch.relu)
        # (weight start, weight stop, fan_in, fan_out, bias start, bias stop) per layer
        self._layers = [
            (w.start, w.stop, w.shape[0], w.shape[1], b.start, b.stop)
            for w, b in zip(spec.slices[0::2], spec.slices[1::2])
        ]

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        if "_spec" not in state:  # pickled by pypolymix: its sizes become the spec, its copies go
            _, name = resolve_activation(self.activation)
            spec = MLPSpec(state["num_inputs"], state["num_outputs"], state["width"], state["depth"], name)
            for k in ("num_inputs", "num_outputs", "width", "depth", "layer_shapes", "param_slices"):
                self.__dict__.pop(k, None)
            self._set_spec(spec)

    @property
    def spec(self) -> MLPSpec:
        """The ``polymix_core.MLPSpec`` (activation ``"custom"`` for an unknown callable)."""
        return self._spec

    @property
    def layer_shapes(self) -> list[tuple[int, ...]]:
        """Pypolymix's per-layer shapes: weight ``(fan_in, fan_out)``, then bias ``(fan_out,)``, per layer."""
        return [s.shape for s in self._spec.slices]

    @property
    def param_slices(self) -> list[tuple[int, int, tuple[int, ...]]]:
        """Pypolymix's ``(start, stop, shape)`` of every weight and bias in the flat vector."""
        return [(s.start, s.stop, s.shape) for s in self._spec.slices]

    def num_params(self) -> int:
        """Return the number of scalar parameters implied by the architecture."""
        return self._spec.num_params

    def forward(self, x: torch.Tensor, params: torch.Tensor) -> torch.Tensor:
        """Evaluate the neural network for multiple parameter samples in parallel.

        Args:
            x: Inputs ``(batch_size, num_inputs)``.
            params: Parameters ``(num_samples, num_params)``, same dtype and device as ``x``.

        Returns:
            Outputs ``(num_samples, batch_size, num_outputs)``.

        Raises:
            ShapeError: ``x`` or ``params`` has the wrong rank or width.
            PolymixTypeError: not floating-point tensors, or their dtypes or devices differ.
            DomainError: inputs outside ``input_bounds`` (with ``extrapolation="error"``).
        """
        check_forward_args(x, params, self._spec.num_inputs, self._spec.num_params)
        if self._spec.scaling is None:
            return self._forward(x, params)
        return self._map_outputs(self._forward(self._map_inputs(x), params))

    def _forward(self, x: torch.Tensor, params: torch.Tensor) -> torch.Tensor:
        num_samples = params.shape[0]
        h = x.unsqueeze(0).expand(num_samples, -1, -1)  # (num_samples, batch_size, num_inputs)
        last = len(self._layers) - 1
        for j, (w0, w1, fan_in, fan_out, b0, b1) in enumerate(self._layers):
            w = params[:, w0:w1].reshape(num_samples, fan_in, fan_out)  # (num_samples, fan_in, fan_out)
            b = params[:, b0:b1].unsqueeze(1)  # (num_samples, 1, fan_out)
            # bmm, then the bias added in place: baddbmm would first copy the broadcast bias into its output
            h = torch.bmm(h, w).add_(b)  # (num_samples, batch_size, fan_out)
            if j < last:
                h = h.relu_() if self._relu_in_place else self.activation(h)
        return h
