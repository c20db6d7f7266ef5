"""Gating network and mixture of experts driven by sampled parameters."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import torch
import torch.nn.functional as F
from polymix_core import (
    ConfigurationError,
    GatingSpec,
    MixtureSpec,
    MLPSpec,
    PCESpec,
    PolymixTypeError,
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
        self.num_inputs = network.num_inputs
        self.num_experts = network.num_outputs

    @property
    def num_outputs(self) -> int:
        """Same as ``num_experts``."""
        return self.num_experts

    @property
    def spec(self) -> GatingSpec:
        """The ``polymix_core.GatingSpec``."""
        s = self.network.spec
        return GatingSpec(s.num_inputs, s.num_outputs, s.width, s.depth, s.activation)

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


def _spec_or_none(module: nn.Module) -> Any:
    try:
        return module.spec
    except ConfigurationError:
        return None


def _expert_batches(experts: Sequence[SurrogateModel]) -> list[list[int]]:
    """Experts grouped by identical spec (``MixtureSpec.expert_batches``'s rule), in order of first appearance.

    Experts without a spec, or with a custom activation that is not the very same
    callable, run on their own.
    """
    batches: dict[Any, list[int]] = {}
    order: list[Any] = []
    for i, e in enumerate(experts):
        spec = _spec_or_none(e)
        if not isinstance(spec, (MLPSpec, PCESpec)):
            key: Any = ("single", i)
        elif isinstance(spec, MLPSpec) and spec.activation == "custom":
            key = (spec, id(e.activation))
        else:
            key = spec
        if key not in batches:
            batches[key] = []
            order.append(key)
        batches[key].append(i)
    return [batches[k] for k in order]


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

    def __init__(self, experts: Sequence[SurrogateModel], gating_network: SurrogateModel) -> None:
        """Initialize the mixture of experts architecture.

        Args:
            experts: Expert surrogates, agreeing on ``num_inputs`` and ``num_outputs``.
            gating_network: A surrogate returning mixture weights over ``len(experts)`` experts.

        Raises:
            ConfigurationError: no experts, experts that disagree, or a gating network of the wrong size.
            PolymixTypeError: an expert or the gating network is not a ``SurrogateModel``.
        """
        experts = list(experts)
        _check_experts(experts, gating_network)
        super().__init__()
        self.experts = nn.ModuleList(experts)
        self.gating_network = gating_network
        first = cast(Any, experts[0])
        self.num_inputs = int(first.num_inputs)
        self.num_outputs = int(first.num_outputs)
        self.num_experts = len(experts)

        self.param_slices: list[tuple[int, int]] = []
        start = 0
        for e in experts:
            self.param_slices.append((start, start + e.num_params()))
            start += e.num_params()
        self.param_slices.append((start, start + gating_network.num_params()))
        self._num_params = self.param_slices[-1][1]

        self._set_batches()

    def _set_batches(self) -> None:
        """One batched call per group of identical experts; index buffers follow ``.to(device)``."""
        experts = list(self.experts)
        self._batches = _expert_batches(experts)
        for k, batch in enumerate(self._batches):
            size = experts[batch[0]].num_params()
            starts = torch.tensor([self.param_slices[i][0] for i in batch], dtype=torch.long)  # (n_batch,)
            index = starts[:, None] + torch.arange(size, dtype=torch.long)[None, :]  # (n_batch, size)
            self.register_buffer(f"_batch_index_{k}", index, persistent=False)
        order = [i for batch in self._batches for i in batch]
        self._in_order = order == list(range(len(experts)))
        self.register_buffer("_inverse_order", torch.argsort(torch.tensor(order, dtype=torch.long)), persistent=False)

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        if "_batches" not in state:  # pickled by pypolymix: rebuild the expert batches
            self._set_batches()

    @property
    def spec(self) -> MixtureSpec:
        """The ``polymix_core.MixtureSpec`` (built-in experts and gating network only)."""
        return MixtureSpec(tuple(cast(Any, e).spec for e in self.experts), self.gating_network.spec)

    def num_params(self) -> int:
        """Total number of scalar parameters across all experts and gating network."""
        return self._num_params

    def get_expert_outputs(self, x: torch.Tensor, params: torch.Tensor) -> torch.Tensor:
        """Evaluate each expert with the parameter slice assigned to it.

        Args:
            x: Inputs ``(batch_size, num_inputs)``.
            params: Parameters ``(num_samples, num_params)``.

        Returns:
            Tensor with shape ``(num_samples, num_experts, batch_size, num_outputs)``.
        """
        check_forward_args(x, params, self.num_inputs, self._num_params)
        return self._expert_outputs(x, params)

    def get_gating_weights(self, x: torch.Tensor, params: torch.Tensor) -> torch.Tensor:
        """Compute the mixture weights produced by the gating network.

        Args:
            x: Inputs ``(batch_size, num_inputs)``.
            params: Parameters ``(num_samples, num_params)``.

        Returns:
            Weights ``(num_samples, batch_size, num_experts)``.
        """
        check_forward_args(x, params, self.num_inputs, self._num_params)
        return self._gating_weights(x, params)

    def forward(self, x: torch.Tensor, params: torch.Tensor) -> torch.Tensor:
        """Vectorized forward pass through all experts and the gating network.

        Args:
            x: Inputs ``(batch_size, num_inputs)``.
            params: Parameters ``(num_samples, num_params)``.

        Returns:
            Tensor of shape ``(num_samples, batch_size, num_outputs)`` containing
            the expert ensemble prediction for each draw of ``params``.
        """
        check_forward_args(x, params, self.num_inputs, self._num_params)
        experts = self._expert_outputs(x, params)  # (num_samples, num_experts, batch_size, num_outputs)
        weights = self._gating_weights(x, params)  # (num_samples, batch_size, num_experts)
        return torch.einsum("sbe,sebo->sbo", weights, experts)

    def _gating_weights(self, x: torch.Tensor, params: torch.Tensor) -> torch.Tensor:
        g_start, g_stop = self.param_slices[-1]
        return self.gating_network(x, params[:, g_start:g_stop])  # (num_samples, batch_size, num_experts)

    def _expert_outputs(self, x: torch.Tensor, params: torch.Tensor) -> torch.Tensor:
        num_samples, batch_size = params.shape[0], x.shape[0]
        outs = []
        for k, batch in enumerate(self._batches):
            expert = self.experts[batch[0]]
            if len(batch) == 1:
                start, stop = self.param_slices[batch[0]]
                y = expert(x, params[:, start:stop])  # (num_samples, batch_size, num_outputs)
                outs.append(y.unsqueeze(1))  # (num_samples, 1, batch_size, num_outputs)
                continue
            index = getattr(self, f"_batch_index_{k}")  # (n_batch, expert_num_params)
            stacked = params[:, index]  # (num_samples, n_batch, expert_num_params)
            # fold the experts into the sample axis: one call evaluates all of them
            y = expert(x, stacked.reshape(num_samples * len(batch), index.shape[1]))  # (S * n_batch, B, O)
            outs.append(y.reshape(num_samples, len(batch), batch_size, self.num_outputs))  # (S, n_batch, B, O)
        out = outs[0] if len(outs) == 1 else torch.cat(outs, dim=1)  # (num_samples, num_experts, B, O)
        return out if self._in_order else out[:, self._inverse_order]


def _check_experts(experts: list[Any], gating_network: Any) -> None:
    if not experts:
        raise ConfigurationError("experts: expected at least one expert, received an empty sequence")
    for i, e in enumerate(experts):
        if not isinstance(e, SurrogateModel):
            raise PolymixTypeError(f"experts[{i}]: expected a SurrogateModel, received {type(e).__name__}")
    if not isinstance(gating_network, SurrogateModel):
        raise PolymixTypeError(f"gating_network: expected a SurrogateModel, received {type(gating_network).__name__}")
    for attr in ("num_inputs", "num_outputs"):
        values = [getattr(e, attr, None) for e in experts]
        if any(v is None for v in values):
            raise ConfigurationError(f"experts: expected surrogates with a {attr} attribute, received {values}")
        if len(set(values)) > 1:
            raise ConfigurationError(f"experts: expected every expert to have the same {attr}, received {values}")
    num_experts = getattr(gating_network, "num_experts", getattr(gating_network, "num_outputs", None))
    if num_experts != len(experts):
        raise ConfigurationError(
            f"gating_network: expected num_experts == {len(experts)} (the number of experts), "
            f"received num_experts={num_experts}"
        )
    gating_inputs = getattr(gating_network, "num_inputs", None)
    if gating_inputs != experts[0].num_inputs:
        raise ConfigurationError(
            f"gating_network: expected num_inputs == {experts[0].num_inputs} (the experts' num_inputs), "
            f"received num_inputs={gating_inputs}"
        )
