"""``GatingNetwork`` and ``MixtureOfExperts``; identical experts run as one batched call."""

from __future__ import annotations

from typing import Any, Callable, Sequence

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from polymix_core import (
    ExpertInfo,
    GatingSpec,
    MixtureLayout,
    MixtureSpec,
    MLPSpec,
    PCESpec,
    PolymixTypeError,
    SpecAttribute,
)
from polymix_core.defaults import DEPTH, WIDTH

from .._activations import resolve_activation
from ._base import SurrogateModel, prepare_inputs
from ._neural_network import NeuralNetwork, mlp_apply
from ._polynomial_chaos import PolynomialChaosExpansion, pce_apply

__all__ = ["GatingNetwork", "MixtureOfExperts"]


class GatingNetwork(SurrogateModel):
    """Gating network that outputs mixture weights via softmax.

    An MLP (``NeuralNetwork``) with ``num_outputs = num_experts`` followed by a softmax
    over experts.

    Args:
        num_inputs: Input width.
        num_experts: Number of experts (outputs).
        width: Hidden-layer width of the underlying network.
        depth: Number of hidden layers.
        activation: Hidden activation (callable or name).

    Example:
        >>> import jax
        >>> import jax.numpy as jnp
        >>> gating = GatingNetwork(num_inputs=1, num_experts=3, width=8)
        >>> params = jax.random.normal(jax.random.key(0), (2, gating.num_params()))
        >>> x = jnp.zeros((4, 1))
        >>> gating(x, params).shape
        (2, 4, 3)
    """

    network: NeuralNetwork
    spec: GatingSpec = eqx.field(static=True)
    num_inputs = SpecAttribute[int]()
    num_experts = SpecAttribute[int]()
    num_outputs = SpecAttribute[int](doc="Same as ``num_experts``.")

    def __init__(
        self,
        num_inputs: int,
        num_experts: int,
        width: int = WIDTH,
        depth: int = DEPTH,
        activation: Callable[[jax.Array], jax.Array] | str = jax.nn.relu,
    ):
        _, name = resolve_activation(activation)
        self.spec = GatingSpec(num_inputs, num_experts, width, depth, name)  # validates, naming num_experts
        self.network = NeuralNetwork(num_inputs, num_experts, width, depth, activation)

    def num_params(self) -> int:
        """Parameter count of the underlying network."""
        return self.spec.num_params

    def _weights(self, x: jax.Array, params: jax.Array) -> jax.Array:
        logits = mlp_apply(self.network.spec, self.network.activation, x, params)  # (s, batch_size, num_experts)
        return jax.nn.softmax(logits, axis=-1)

    def forward(self, x: Any, params: Any) -> jax.Array:
        """Compute mixture weights.

        Args:
            x: ``(batch_size, num_inputs)``.
            params: ``(num_samples, num_params)``.

        Returns:
            Gating weights ``(num_samples, batch_size, num_experts)``, summing to one over experts.
        """
        x, params = prepare_inputs(x, params, self.num_inputs, self.num_params())
        return self._weights(x, params)


def _apply_expert(expert: SurrogateModel, x: jax.Array, params: jax.Array) -> jax.Array:
    if isinstance(expert, NeuralNetwork):
        return mlp_apply(expert.spec, expert.activation, x, params)
    assert isinstance(expert, PolynomialChaosExpansion)  # guaranteed by MixtureOfExperts.__init__
    return pce_apply(expert.spec, x, params)


def _batch_key(expert: SurrogateModel) -> Any:
    """Identical specs share a batched call; ``"custom"`` activations only with the very same callable."""
    spec = getattr(expert, "spec", None)
    if isinstance(spec, MLPSpec) and spec.activation == "custom":
        return (spec, getattr(expert, "activation", None))
    return spec


class MixtureOfExperts(SurrogateModel):
    """Mixture of Experts surrogate model compatible with stochastic parameter sampling.

    Flat layout: expert 0's block, expert 1's block, ..., then the gating block.
    Experts of identical architecture are evaluated as one batched call on their
    stacked parameter blocks; mixed experts still work (one call per architecture).

    Args:
        experts: ``NeuralNetwork`` or ``PolynomialChaosExpansion`` experts agreeing on
            ``num_inputs`` and ``num_outputs``.
        gating_network: A ``GatingNetwork`` with ``num_experts == len(experts)``.
        input_bounds: ``None`` or one ``(low, high)`` per input: the experts and the gating network
            see inputs mapped to ``[-1, 1]``; outside the bounds raises ``DomainError`` (when not traced).
        output_shift: ``None`` or one value per output added to the mixture's (and experts') outputs.
        output_scale: ``None`` or one positive value per output multiplying them (before the shift).
        extrapolation: ``"error"`` or ``"warn"`` for inputs outside the bounds.

    Example:
        >>> import jax
        >>> from polymix_jax.surrogate_models import NeuralNetwork
        >>> experts = [NeuralNetwork(num_inputs=1, num_outputs=1, width=4) for _ in range(2)]
        >>> gating = GatingNetwork(num_inputs=1, num_experts=len(experts))
        >>> moe = MixtureOfExperts(experts, gating)
        >>> k1, k2 = jax.random.split(jax.random.key(0))
        >>> params = jax.random.normal(k1, (3, moe.num_params()))
        >>> x = jax.random.normal(k2, (5, 1))
        >>> moe(x, params).shape
        (3, 5, 1)
    """

    experts: tuple[SurrogateModel, ...]
    gating_network: GatingNetwork
    spec: MixtureSpec = eqx.field(static=True)
    _layout: MixtureLayout = eqx.field(static=True)
    num_inputs = SpecAttribute[int](doc="Shared input width (read-only).", source="_layout")
    num_outputs = SpecAttribute[int](doc="Shared output width (read-only).", source="_layout")
    num_experts = SpecAttribute[int](doc="Number of experts (read-only).", source="_layout")

    def __init__(
        self,
        experts: Sequence[SurrogateModel],
        gating_network: GatingNetwork,
        *,
        input_bounds: Any = None,
        output_shift: Any = None,
        output_scale: Any = None,
        extrapolation: str = "error",
    ):
        experts = tuple(experts)
        for i, e in enumerate(experts):
            if not isinstance(e, (NeuralNetwork, PolynomialChaosExpansion)):
                raise PolymixTypeError(
                    f"experts[{i}]: expected a NeuralNetwork or PolynomialChaosExpansion, received {type(e).__name__}"
                )
        if not isinstance(gating_network, GatingNetwork):
            raise PolymixTypeError(
                f"gating_network: expected a GatingNetwork, received {type(gating_network).__name__}"
            )
        expert_specs: tuple[MLPSpec | PCESpec, ...] = tuple(e.spec for e in experts)  # type: ignore[attr-defined]
        # the checks on experts and gating network, and the layout, from polymix_core
        layout = MixtureLayout.build(
            [
                ExpertInfo(s.num_inputs, s.num_outputs, s.num_params, _batch_key(e))
                for s, e in zip(expert_specs, experts)
            ],
            gating_num_inputs=gating_network.num_inputs,
            gating_num_experts=gating_network.num_experts,
            gating_num_params=gating_network.num_params(),
            gating_name="gating_network",
        )
        self.spec = MixtureSpec(
            expert_specs,
            gating_network.spec,
            input_bounds=input_bounds,
            output_shift=output_shift,
            output_scale=output_scale,
            extrapolation=extrapolation,
        )
        self.experts, self.gating_network = experts, gating_network
        self._layout = layout

    @classmethod
    def from_spec(cls, spec: MixtureSpec) -> MixtureOfExperts:
        """The mixture of ``spec``, its experts and gating network built from their specs."""
        from .._from_spec import build_surrogate

        gating = build_surrogate(spec.gating)
        assert isinstance(gating, GatingNetwork)
        scaling = {} if spec.scaling is None else spec.scaling.fields()
        return cls([build_surrogate(e) for e in spec.experts], gating, **scaling)

    @property
    def param_slices(self) -> list[tuple[int, int]]:
        """``(start, stop)`` of every expert's block, then the gating block (pypolymix's attribute)."""
        return [(s.start, s.stop) for s in self._layout.slices]

    def num_params(self) -> int:
        """Total number of scalar parameters across all experts and the gating network."""
        return self._layout.num_params

    def _stacked(self, params: jax.Array, batch: tuple[int, ...]) -> jax.Array:
        """Parameter blocks of the experts in ``batch``: ``(num_samples, len(batch), expert_num_params)``."""
        layout = self._layout
        size = layout.slices[batch[0]].stop - layout.slices[batch[0]].start
        first = layout.slices[batch[0]].start
        if layout.is_contiguous(batch):
            # Adjacent identical experts are one contiguous block: a slice, no gather.
            block = params[:, first : first + len(batch) * size]  # (num_samples, len(batch) * size)
            return block.reshape(params.shape[0], len(batch), size)  # (num_samples, len(batch), size)
        return params[:, layout.expert_param_index(batch)]  # (num_samples, len(batch), size)

    def _expert_outputs(self, x: jax.Array, params: jax.Array) -> jax.Array:
        num_samples = params.shape[0]
        outs = []
        batches = self._layout.batches
        for batch in batches:  # one iteration per distinct architecture, not per expert
            stacked = self._stacked(params, batch)  # (num_samples, n_batch, size)
            flat = stacked.reshape(num_samples * len(batch), -1)  # (num_samples * n_batch, size)
            y = _apply_expert(self.experts[batch[0]], x, flat)  # (num_samples * n_batch, batch_size, num_outputs)
            outs.append(y.reshape(num_samples, len(batch), *y.shape[1:]))  # (s, n_batch, batch_size, num_outputs)
        y = outs[0] if len(outs) == 1 else jnp.concatenate(outs, axis=1)  # (s, num_experts, b, o), batch order
        order = [i for batch in batches for i in batch]
        if order != list(range(self.num_experts)):
            y = y[:, np.argsort(order)]  # back to expert order
        return y

    def _gating_weights(self, x: jax.Array, params: jax.Array) -> jax.Array:
        sl = self._layout.slices[-1]
        return self.gating_network._weights(x, params[:, sl.start : sl.stop])

    def get_expert_outputs(self, x: Any, params: Any) -> jax.Array:
        """Evaluate each expert with the parameter block assigned to it.

        Args:
            x: ``(batch_size, num_inputs)``.
            params: ``(num_samples, num_params)``.

        Returns:
            ``(num_samples, num_experts, batch_size, num_outputs)``.
        """
        x, params = prepare_inputs(x, params, self.num_inputs, self.num_params())
        return self._map_outputs(self._expert_outputs(self._map_inputs(x), params))

    def get_gating_weights(self, x: Any, params: Any) -> jax.Array:
        """Compute the mixture weights produced by the gating network.

        Returns:
            ``(num_samples, batch_size, num_experts)``.
        """
        x, params = prepare_inputs(x, params, self.num_inputs, self.num_params())
        return self._gating_weights(self._map_inputs(x), params)

    def forward(self, x: Any, params: Any) -> jax.Array:
        """Gated combination of the experts for every parameter sample.

        Args:
            x: ``(batch_size, num_inputs)``.
            params: ``(num_samples, num_params)``.

        Returns:
            ``(num_samples, batch_size, num_outputs)``.
        """
        x, params = prepare_inputs(x, params, self.num_inputs, self.num_params())
        x = self._map_inputs(x)
        weights = self._gating_weights(x, params)  # (num_samples, batch_size, num_experts)
        return self._map_outputs(jnp.einsum("sbe,sebo->sbo", weights, self._expert_outputs(x, params)))
