"""Gating network and mixture of experts driven by sampled parameters."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import torch
import torch.nn.functional as F
from polymix_core import (
    ConfigurationError,
    ExpertInfo,
    GatingSpec,
    MixtureLayout,
    MixtureSpec,
    MLPSpec,
    PCESpec,
    PolymixTypeError,
    Scaling,
    SpecAttribute,
)
from torch import nn

from .._validation import check_forward_args
from ._base import SurrogateModel
from ._neural_network import NeuralNetwork

__all__ = ["GatingNetwork", "MixtureOfExperts"]

_MLP_KWARGS = ("width", "depth", "activation")


class GatingNetwork(SurrogateModel):
    """Gating network that outputs mixture weights via softmax.

    Example:
        >>> gating = GatingNetwork(num_inputs=1, num_experts=3, width=8)
        >>> params = torch.randn(2, gating.num_params())
        >>> x = torch.zeros(4, 1)
        >>> gating(x, params).shape
        torch.Size([2, 4, 3])
    """

    num_inputs = SpecAttribute[int]()
    num_experts = SpecAttribute[int]()
    num_outputs = SpecAttribute[int](doc="Same as ``num_experts``.")

    def __init__(self, num_inputs: int, num_experts: int, **kwargs: Any) -> None:
        """Use ``NeuralNetwork`` under the hood to produce expert weights.

        Args:
            num_inputs: Dimensionality of ``x``.
            num_experts: Number of experts (outputs of the network).
            **kwargs: ``width``, ``depth`` and ``activation`` of the ``NeuralNetwork``.
        """
        unknown = sorted(set(kwargs) - set(_MLP_KWARGS))
        if unknown:
            raise PolymixTypeError(f"kwargs: expected only {_MLP_KWARGS}, received {unknown}")
        network = NeuralNetwork(num_inputs, num_outputs=num_experts, **kwargs)
        super().__init__()
        self.network = network
        self._spec = _gating_spec(network.spec)

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        if "_spec" not in state:  # pickled by pypolymix: the network says it all
            for k in ("num_inputs", "num_experts"):
                self.__dict__.pop(k, None)
            self._spec = _gating_spec(self.network.spec)

    @property
    def spec(self) -> GatingSpec:
        """The ``polymix_core.GatingSpec``."""
        return self._spec

    def forward(self, x: torch.Tensor, params: torch.Tensor) -> torch.Tensor:
        """Compute mixture weights.

        Args:
            x: Inputs ``(batch_size, num_inputs)``.
            params: Parameters ``(num_samples, num_params)``.

        Returns:
            Gating weights ``(num_samples, batch_size, num_experts)``, summing to one over experts.
        """
        logits = self.network(x, params)  # (num_samples, batch_size, num_experts)
        return F.softmax(logits, dim=-1)

    def num_params(self) -> int:
        """Parameter count of the underlying network."""
        return self.network.num_params()


def _gating_spec(network: MLPSpec) -> GatingSpec:
    return GatingSpec(network.num_inputs, network.num_outputs, network.width, network.depth, network.activation)


def _spec_or_none(module: nn.Module) -> Any:
    try:
        return module.spec
    except ConfigurationError:
        return None


def _expert_info(expert: Any) -> ExpertInfo:
    """An expert's sizes and batch key: identical specs share a batched call (``MixtureSpec``'s rule).

    Experts without a spec run on their own; ``"custom"`` activations batch only with the very same callable.
    """
    spec = _spec_or_none(expert)
    key: Any = None
    if isinstance(spec, PCESpec) or (isinstance(spec, MLPSpec) and spec.activation != "custom"):
        key = spec
    elif isinstance(spec, MLPSpec):
        key = (spec, expert.activation)
    num_params = expert.num_params()
    return ExpertInfo(getattr(expert, "num_inputs", None), getattr(expert, "num_outputs", None), num_params, key)


class MixtureOfExperts(SurrogateModel):
    """Mixture of Experts surrogate model compatible with stochastic parameter sampling.

    The flat layout is expert 0's block, expert 1's block, ..., then the gating block.
    Experts of identical architecture run as one batched call on stacked parameters
    (their samples are folded into the sample axis); mixed experts work too.

    Example:
        >>> from polymix_torch.surrogate_models import NeuralNetwork
        >>> experts = [NeuralNetwork(num_inputs=1, num_outputs=1, width=4) for _ in range(2)]
        >>> gating = GatingNetwork(num_inputs=1, num_experts=len(experts))
        >>> moe = MixtureOfExperts(experts, gating)
        >>> params = torch.randn(3, moe.num_params())
        >>> x = torch.randn(5, 1)
        >>> moe(x, params).shape
        torch.Size([3, 5, 1])
    """

    _inverse_order: torch.Tensor
    gating_network: SurrogateModel
    num_inputs = SpecAttribute[int](doc="Shared input width (read-only).", source="_layout")
    num_outputs = SpecAttribute[int](doc="Shared output width (read-only).", source="_layout")
    num_experts = SpecAttribute[int](doc="Number of experts (read-only).", source="_layout")

    def __init__(
        self,
        experts: Sequence[SurrogateModel],
        gating_network: SurrogateModel,
        *,
        input_bounds: Any = None,
        output_shift: Any = None,
        output_scale: Any = None,
        extrapolation: str = "error",
    ) -> None:
        """Initialize the mixture of experts architecture.

        Args:
            experts: Expert surrogates, agreeing on ``num_inputs`` and ``num_outputs``, without scaling of their own.
            gating_network: A surrogate returning mixture weights over ``len(experts)`` experts.
            input_bounds: ``None`` or one ``(low, high)`` per input: the experts and the gating network
                see inputs mapped to ``[-1, 1]``; inputs outside the bounds raise ``DomainError``.
            output_shift: ``None`` or one value per output added to the mixture's (and experts') outputs.
            output_scale: ``None`` or one positive value per output multiplying them (before the shift).
            extrapolation: ``"error"`` or ``"warn"`` for inputs outside the bounds.

        Raises:
            ConfigurationError: no experts, experts that disagree or carry their own scaling, or a gating
                network of the wrong size.
            PolymixTypeError: an expert or the gating network is not a ``SurrogateModel``.
        """
        experts = list(experts)
        for i, e in enumerate(experts):
            if not isinstance(e, SurrogateModel):
                raise PolymixTypeError(f"experts[{i}]: expected a SurrogateModel, received {type(e).__name__}")
        if not isinstance(gating_network, SurrogateModel):
            raise PolymixTypeError(
                f"gating_network: expected a SurrogateModel, received {type(gating_network).__name__}"
            )
        layout = _layout(experts, gating_network)  # the checks on experts and gating network, from polymix_core
        for i, e in enumerate(experts):
            if e.scaling is not None:
                raise ConfigurationError(
                    f"experts[{i}]: expected an expert without input_bounds/output_shift/output_scale (a mixture "
                    f"scales its inputs and outputs as a whole: pass them to MixtureOfExperts), received {e.scaling}"
                )
        scaling = Scaling.build(
            layout.num_inputs,
            layout.num_outputs,
            input_bounds=input_bounds,
            output_shift=output_shift,
            output_scale=output_scale,
            extrapolation=extrapolation,
        )
        super().__init__()
        self.experts = nn.ModuleList(experts)
        self.gating_network = gating_network
        self._set_layout(layout)
        self._scaling = scaling

    @classmethod
    def from_spec(cls, spec: MixtureSpec) -> MixtureOfExperts:
        """The mixture of ``spec``, its experts and gating network built from their specs."""
        from .._from_spec import build_surrogate

        scaling = {} if spec.scaling is None else spec.scaling.fields()
        return cls([build_surrogate(e) for e in spec.experts], build_surrogate(spec.gating), **scaling)

    def _set_layout(self, layout: MixtureLayout) -> None:
        """Store the layout; one batched call per batch of identical experts (index buffers follow ``.to()``)."""
        self._layout = layout
        for k, batch in enumerate(layout.batches):
            index = torch.as_tensor(layout.expert_param_index(batch), dtype=torch.long)  # (n_batch, size)
            self.register_buffer(f"_batch_index_{k}", index, persistent=False)
        order = [i for batch in layout.batches for i in batch]
        self._in_order = order == list(range(layout.num_experts))
        self.register_buffer("_inverse_order", torch.argsort(torch.tensor(order, dtype=torch.long)), persistent=False)

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        if "_layout" not in state:  # pickled by pypolymix: the experts and gating network say it all
            for k in ("num_inputs", "num_outputs", "num_experts", "param_slices", "_num_params"):
                self.__dict__.pop(k, None)
            self._set_layout(_layout(list(self.experts), self.gating_network))
            self._scaling = None

    @property
    def param_slices(self) -> list[tuple[int, int]]:
        """Pypolymix's ``(start, stop)`` of every expert's block, then the gating block."""
        return [(s.start, s.stop) for s in self._layout.slices]

    @property
    def spec(self) -> MixtureSpec:
        """The ``polymix_core.MixtureSpec`` (built-in experts and gating network only)."""
        scaling = {} if self._scaling is None else self._scaling.fields()
        return MixtureSpec(
            tuple(cast(Any, e).spec for e in self.experts), cast(Any, self.gating_network).spec, **scaling
        )

    @property
    def scaling(self) -> Scaling | None:
        """The mixture's input bounds and output scaling (``polymix_core.Scaling``), or ``None``."""
        return self._scaling

    def set_scaling(self, **fields: Any) -> None:
        """Replace scaling fields in place (see ``SurrogateModel.set_scaling``); validated before anything changes."""
        current = {} if self._scaling is None else self._scaling.fields()
        unknown = sorted(set(fields) - {"input_bounds", "output_shift", "output_scale", "extrapolation"})
        if unknown:
            raise ConfigurationError(
                f"fields: expected input_bounds, output_shift, output_scale or extrapolation, received {unknown}"
            )
        self._scaling = Scaling.build(self._layout.num_inputs, self._layout.num_outputs, **{**current, **fields})

    def num_params(self) -> int:
        """Total number of scalar parameters across all experts and gating network."""
        return self._layout.num_params

    def get_expert_outputs(self, x: torch.Tensor, params: torch.Tensor) -> torch.Tensor:
        """Evaluate each expert with the parameter slice assigned to it.

        Args:
            x: Inputs ``(batch_size, num_inputs)``.
            params: Parameters ``(num_samples, num_params)``.

        Returns:
            Tensor with shape ``(num_samples, num_experts, batch_size, num_outputs)``.
        """
        check_forward_args(x, params, self._layout.num_inputs, self._layout.num_params)
        return self._map_outputs(self._expert_outputs(self._map_inputs(x), params))

    def get_gating_weights(self, x: torch.Tensor, params: torch.Tensor) -> torch.Tensor:
        """Compute the mixture weights produced by the gating network.

        Args:
            x: Inputs ``(batch_size, num_inputs)``.
            params: Parameters ``(num_samples, num_params)``.

        Returns:
            Weights ``(num_samples, batch_size, num_experts)``.
        """
        check_forward_args(x, params, self._layout.num_inputs, self._layout.num_params)
        return self._gating_weights(self._map_inputs(x), params)

    def forward(self, x: torch.Tensor, params: torch.Tensor) -> torch.Tensor:
        """Vectorized forward pass through all experts and the gating network.

        Args:
            x: Inputs ``(batch_size, num_inputs)``.
            params: Parameters ``(num_samples, num_params)``.

        Returns:
            Tensor of shape ``(num_samples, batch_size, num_outputs)`` containing
            the expert ensemble prediction for each draw of ``params``.
        """
        check_forward_args(x, params, self._layout.num_inputs, self._layout.num_params)
        x = self._map_inputs(x)
        experts = self._expert_outputs(x, params)  # (num_samples, num_experts, batch_size, num_outputs)
        weights = self._gating_weights(x, params)  # (num_samples, batch_size, num_experts)
        return self._map_outputs(torch.einsum("sbe,sebo->sbo", weights, experts))

    def _gating_weights(self, x: torch.Tensor, params: torch.Tensor) -> torch.Tensor:
        gating = self._layout.slices[-1]
        g_start, g_stop = gating.start, gating.stop
        return self.gating_network(x, params[:, g_start:g_stop])  # (num_samples, batch_size, num_experts)

    def _expert_outputs(self, x: torch.Tensor, params: torch.Tensor) -> torch.Tensor:
        num_samples, batch_size = params.shape[0], x.shape[0]
        layout = self._layout
        outs = []
        for k, batch in enumerate(layout.batches):
            expert = self.experts[batch[0]]
            if len(batch) == 1:
                block = layout.slices[batch[0]]
                y = expert(x, params[:, block.start : block.stop])  # (num_samples, batch_size, num_outputs)
                outs.append(y.unsqueeze(1))  # (num_samples, 1, batch_size, num_outputs)
                continue
            index = getattr(self, f"_batch_index_{k}")  # (n_batch, expert_num_params)
            stacked = params[:, index]  # (num_samples, n_batch, expert_num_params)
            # fold the experts into the sample axis: one call evaluates all of them
            y = expert(x, stacked.reshape(num_samples * len(batch), index.shape[1]))  # (S * n_batch, B, O)
            outs.append(y.reshape(num_samples, len(batch), batch_size, layout.num_outputs))  # (S, n_batch, B, O)
        out = outs[0] if len(outs) == 1 else torch.cat(outs, dim=1)  # (num_samples, num_experts, B, O)
        return out if self._in_order else out[:, self._inverse_order]


def _layout(experts: list[Any], gating_network: Any) -> MixtureLayout:
    num_experts = getattr(gating_network, "num_experts", getattr(gating_network, "num_outputs", None))
    return MixtureLayout.build(
        [_expert_info(e) for e in experts],
        gating_num_inputs=getattr(gating_network, "num_inputs", None),
        gating_num_experts=num_experts,
        gating_num_params=gating_network.num_params(),
        gating_name="gating_network",
    )
