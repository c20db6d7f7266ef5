"""Surrogate specs: parameter counts, named slices and index sets of every surrogate.

Backends read these instead of recomputing them; the layout is pypolymix's, so
flat parameter vectors move unchanged between pypolymix, polymix-torch and polymix-jax.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from math import prod
from typing import Any, Hashable, NamedTuple, Union

import numpy as np

from . import defaults
from ._errors import ConfigurationError, check_nonnegative_int, check_positive_float, check_positive_int
from ._index_sets import hyperbolic_cross_indices, total_order_indices
from ._legendre import basis_gather_indices
from ._scaling import Scaling

__all__ = [
    "ACTIVATIONS",
    "ParamSlice",
    "MLPSpec",
    "PCESpec",
    "GatingSpec",
    "MixtureSpec",
    "MixtureLayout",
    "ExpertInfo",
    "SurrogateSpec",
    "SURROGATE_CLASSES",
    "surrogate_spec_from_dict",
]

#: Activation names the reference implementation and the backends agree on; ``"custom"``
#: marks a user callable that only the backend that holds it can evaluate.
ACTIVATIONS = ("relu", "tanh", "sigmoid", "gelu", "silu", "softplus", "elu", "identity", "custom")


class ParamSlice(NamedTuple):
    """A named block ``[start, stop)`` of the flat parameter vector, reshaped to ``shape``."""

    name: str
    start: int
    stop: int
    shape: tuple[int, ...]


_SCALING_FIELDS = ("input_bounds", "output_shift", "output_scale", "extrapolation")
_SCALING_DEFAULTS = {"input_bounds": None, "output_shift": None, "output_scale": None, "extrapolation": "error"}


def _fields(spec: Any) -> dict[str, Any]:
    """The dataclass fields, without scaling fields left at their defaults (pypolymix's constructors)."""
    return {
        f.name: getattr(spec, f.name)
        for f in dataclasses.fields(spec)
        if not (f.name in _SCALING_DEFAULTS and getattr(spec, f.name) == _SCALING_DEFAULTS[f.name])
    }


def _json_fields(spec: Any, names: Sequence[str] | None = None) -> dict[str, Any]:
    """``_fields`` (only ``names`` if given) with tuples as lists (what JSON holds)."""

    def plain(v: Any) -> Any:
        return [plain(e) for e in v] if isinstance(v, tuple) else v

    return {k: plain(v) for k, v in _fields(spec).items() if names is None or k in names}


@dataclass(frozen=True)
class _ScaledSpec:
    """Keyword-only scaling fields shared by MLP, PCE and mixture specs (see ``polymix_core._scaling``).

    Args:
        input_bounds: ``None`` (inputs used as given, pypolymix's behaviour) or one ``(low, high)``
            per input: inputs are mapped linearly from the bounds to ``[-1, 1]``.
        output_shift: ``None`` or one shift per output: outputs are ``shift + scale * g(x)``.
        output_scale: ``None`` or one positive scale per output.
        extrapolation: ``"error"`` (default: inputs outside the bounds raise ``DomainError``) or
            ``"warn"`` (warn once, then evaluate).
    """

    input_bounds: tuple[tuple[float, float], ...] | None = field(default=None, kw_only=True)
    output_shift: tuple[float, ...] | None = field(default=None, kw_only=True)
    output_scale: tuple[float, ...] | None = field(default=None, kw_only=True)
    extrapolation: str = field(default="error", kw_only=True)

    def __repr__(self) -> str:
        # the architecture first, then only the scaling fields that are set
        shown = [f.name for f in dataclasses.fields(self) if f.name not in _SCALING_FIELDS]
        shown += [k for k in _SCALING_FIELDS if getattr(self, k) != _SCALING_DEFAULTS[k]]
        return f"{type(self).__name__}({', '.join(f'{k}={getattr(self, k)!r}' for k in shown)})"

    def _check_scaling(self, num_inputs: int, num_outputs: int) -> None:
        scaling = Scaling.build(
            num_inputs,
            num_outputs,
            input_bounds=self.input_bounds,
            output_shift=self.output_shift,
            output_scale=self.output_scale,
            extrapolation=self.extrapolation,
        )
        for name in ("input_bounds", "output_shift", "output_scale"):
            object.__setattr__(self, name, getattr(scaling, name, None))
        self.__dict__["scaling"] = scaling  # the cached property below, computed once here

    @cached_property
    def scaling(self) -> Scaling | None:
        """The input and output maps, or ``None`` when no scaling field is set (pypolymix's behaviour)."""
        return Scaling.build(
            self.num_inputs,  # type: ignore[attr-defined]
            self.num_outputs,  # type: ignore[attr-defined]
            **{k: getattr(self, k) for k in _SCALING_FIELDS},
        )

    def with_scaling(self, **fields: Any) -> Any:
        """A copy with scaling fields replaced; the rest of the spec is unchanged.

        Args:
            **fields: Any of ``input_bounds``, ``output_shift``, ``output_scale``, ``extrapolation``.

        Example:
            >>> PCESpec(1, 1, 2).with_scaling(output_scale=[2.0]).output_scale
            (2.0,)
        """
        unknown = sorted(set(fields) - set(_SCALING_FIELDS))
        if unknown:
            raise ConfigurationError(f"fields: expected only {_SCALING_FIELDS}, received {unknown}")
        return dataclasses.replace(self, **fields)


def _tile(named_shapes: Sequence[tuple[str, tuple[int, ...]]], offset: int = 0) -> tuple[ParamSlice, ...]:
    out, start = [], offset
    for name, shape in named_shapes:
        stop = start + prod(shape)
        out.append(ParamSlice(name, start, stop, tuple(shape)))
        start = stop
    return tuple(out)


@dataclass(frozen=True, repr=False)
class MLPSpec(_ScaledSpec):
    """Fully connected network ``y = act(x @ W + b)`` on hidden layers, linear output layer.

    Flat layout: for each hidden layer then the output layer, weight
    ``(in_features, out_features)`` row-major, then bias ``(out_features,)``.

    Args:
        num_inputs: Input width.
        num_outputs: Output width.
        width: Hidden-layer width.
        depth: Number of hidden layers (0 gives an affine map).
        activation: Name of the hidden activation (one of ``ACTIVATIONS``).
        input_bounds, output_shift, output_scale, extrapolation: keyword-only scaling (see ``_ScaledSpec``).

    Example:
        >>> MLPSpec(2, 1, width=8, depth=2).num_params
        105
    """

    num_inputs: int
    num_outputs: int = defaults.NUM_OUTPUTS
    width: int = defaults.WIDTH
    depth: int = defaults.DEPTH
    activation: str = defaults.ACTIVATION

    def __post_init__(self) -> None:
        object.__setattr__(self, "num_inputs", check_positive_int("num_inputs", self.num_inputs))
        object.__setattr__(self, "num_outputs", check_positive_int("num_outputs", self.num_outputs))
        object.__setattr__(self, "width", check_positive_int("width", self.width))
        object.__setattr__(self, "depth", check_nonnegative_int("depth", self.depth))
        if self.activation not in ACTIVATIONS:
            raise ConfigurationError(f"activation: expected one of {ACTIVATIONS}, received {self.activation!r}")
        self._check_scaling(self.num_inputs, self.num_outputs)

    @cached_property
    def layer_sizes(self) -> tuple[int, ...]:
        """``(num_inputs, width, ..., width, num_outputs)``: ``depth + 2`` entries."""
        return (self.num_inputs, *([self.width] * self.depth), self.num_outputs)

    @cached_property
    def slices(self) -> tuple[ParamSlice, ...]:
        """``layer{j}.weight`` and ``layer{j}.bias`` for ``j = 0 .. depth`` (the last is the output layer)."""
        named: list[tuple[str, tuple[int, ...]]] = []
        for j, (fan_in, fan_out) in enumerate(zip(self.layer_sizes[:-1], self.layer_sizes[1:])):
            named += [(f"layer{j}.weight", (fan_in, fan_out)), (f"layer{j}.bias", (fan_out,))]
        return _tile(named)

    @cached_property
    def num_params(self) -> int:
        """Total number of scalar parameters."""
        return self.slices[-1].stop

    @property
    def num_layers(self) -> int:
        """Number of affine layers, ``depth + 1``."""
        return self.depth + 1

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description (``surrogate_spec_from_dict`` inverts it)."""
        return {"kind": "mlp", **_json_fields(self)}

    def init_kwargs(self) -> dict[str, Any]:
        """The keyword arguments that rebuild this network in any backend (the activation by name)."""
        return _fields(self)


@dataclass(frozen=True, repr=False)
class PCESpec(_ScaledSpec):
    """Legendre polynomial chaos expansion.

    Coefficients are term-major: the coefficient of term ``k``, output ``o``
    sits at ``k * num_outputs + o``.

    Args:
        num_inputs: Number of inputs ``d``.
        num_outputs: Number of outputs.
        degree: Maximal total degree ``p``.
        q: Hyperbolic-cross norm exponent in ``(0, 1]``; ``1`` (default) is total order.
        input_bounds, output_shift, output_scale, extrapolation: keyword-only scaling (see ``_ScaledSpec``);
            with ``input_bounds`` the basis sees inputs mapped to its Legendre domain ``[-1, 1]``.

    Example:
        >>> spec = PCESpec(3, 2, degree=2)
        >>> spec.num_terms, spec.num_params
        (10, 20)
    """

    num_inputs: int
    num_outputs: int = defaults.NUM_OUTPUTS
    degree: int = defaults.DEGREE
    q: float = defaults.Q

    def __post_init__(self) -> None:
        object.__setattr__(self, "num_inputs", check_positive_int("num_inputs", self.num_inputs))
        object.__setattr__(self, "num_outputs", check_positive_int("num_outputs", self.num_outputs))
        object.__setattr__(self, "degree", check_nonnegative_int("degree", self.degree))
        q = check_positive_float("q", self.q)
        if q > 1.0:
            raise ConfigurationError(f"q: expected a number in (0, 1], received {q!r}")
        object.__setattr__(self, "q", q)
        self._check_scaling(self.num_inputs, self.num_outputs)

    @cached_property
    def multi_indices(self) -> np.ndarray:
        """``(num_terms, num_inputs)`` index set in the contract's order (read-only)."""
        if self.q == 1.0:
            idx = total_order_indices(self.num_inputs, self.degree)
        else:
            idx = hyperbolic_cross_indices(self.num_inputs, self.degree, self.q)
        idx.setflags(write=False)
        return idx

    @cached_property
    def gather_indices(self) -> np.ndarray:
        """``(num_slots, num_terms)`` columns for the gather-and-product basis (see ``pce_basis``)."""
        g = basis_gather_indices(self.multi_indices)
        g.setflags(write=False)
        return g

    @cached_property
    def num_terms(self) -> int:
        """Number of basis terms; ``C(d + p, d)`` for total order."""
        return int(self.multi_indices.shape[0])

    @cached_property
    def num_params(self) -> int:
        """``num_terms * num_outputs``."""
        return self.num_terms * self.num_outputs

    @cached_property
    def slices(self) -> tuple[ParamSlice, ...]:
        """One block ``coefficients`` of shape ``(num_terms, num_outputs)``."""
        return _tile([("coefficients", (self.num_terms, self.num_outputs))])

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description."""
        return {"kind": "pce", **_json_fields(self)}

    def init_kwargs(self) -> dict[str, Any]:
        """The keyword arguments that rebuild this expansion in any backend."""
        return _fields(self)


@dataclass(frozen=True)
class GatingSpec:
    """Softmax gating network: an MLP with ``num_outputs = num_experts``.

    Example:
        >>> GatingSpec(1, 3, width=8).num_params
        43
    """

    num_inputs: int
    num_experts: int
    width: int = defaults.WIDTH
    depth: int = defaults.DEPTH
    activation: str = defaults.ACTIVATION

    def __post_init__(self) -> None:
        object.__setattr__(self, "num_experts", check_positive_int("num_experts", self.num_experts))
        net = self.network  # validates the rest
        # Store the validated Python ints (numpy integers would not survive to_dict -> JSON).
        object.__setattr__(self, "num_inputs", net.num_inputs)
        object.__setattr__(self, "width", net.width)
        object.__setattr__(self, "depth", net.depth)

    @cached_property
    def network(self) -> MLPSpec:
        """The underlying MLP spec."""
        return MLPSpec(self.num_inputs, self.num_experts, self.width, self.depth, self.activation)

    @property
    def num_outputs(self) -> int:
        """Same as ``num_experts``."""
        return self.num_experts

    @property
    def num_params(self) -> int:
        """Parameter count of the underlying MLP."""
        return self.network.num_params

    @property
    def slices(self) -> tuple[ParamSlice, ...]:
        """The MLP's slices."""
        return self.network.slices

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description."""
        return {"kind": "gating", **dataclasses.asdict(self)}

    def init_kwargs(self) -> dict[str, Any]:
        """The keyword arguments that rebuild this gating network in any backend."""
        return _fields(self)


class ExpertInfo(NamedTuple):
    """What the mixture layout needs of one expert.

    ``batch_key``: experts with equal keys share one batched call (``None``: the expert runs alone).
    """

    num_inputs: Any
    num_outputs: Any
    num_params: int
    batch_key: Hashable | None


@dataclass(frozen=True)
class MixtureLayout:
    """The flat layout and expert batching of a mixture, and the checks on its experts and gating network.

    Computed here once for every backend, from the experts' sizes alone, so that mixtures of
    user-defined experts (without specs) follow exactly the rules of ``MixtureSpec``.

    Attributes:
        num_inputs: Shared input width.
        num_outputs: Shared output width.
        slices: ``experts.{i}`` blocks (shape ``(expert.num_params,)``), then ``gating``.
        batches: Experts grouped by equal ``batch_key``, in order of first appearance.

    Example:
        >>> experts = [ExpertInfo(1, 1, 7, "a"), ExpertInfo(1, 1, 3, None), ExpertInfo(1, 1, 7, "a")]
        >>> layout = MixtureLayout.build(experts, gating_num_inputs=1, gating_num_experts=3, gating_num_params=11)
        >>> [(s.name, s.start, s.stop) for s in layout.slices]
        [('experts.0', 0, 7), ('experts.1', 7, 10), ('experts.2', 10, 17), ('gating', 17, 28)]
        >>> layout.batches
        ((0, 2), (1,))
    """

    num_inputs: int
    num_outputs: int
    slices: tuple[ParamSlice, ...]
    batches: tuple[tuple[int, ...], ...]

    @classmethod
    def build(
        cls,
        experts: Sequence[ExpertInfo],
        *,
        gating_num_inputs: Any,
        gating_num_experts: Any,
        gating_num_params: int,
        gating_name: str = "gating",
    ) -> MixtureLayout:
        """Check the experts and the gating network against each other and lay out their blocks.

        Raises:
            ConfigurationError: no experts, experts that disagree on ``num_inputs``/``num_outputs``,
                or a gating network of another input width or expert count (named ``gating_name``).
        """
        if not experts:
            raise ConfigurationError("experts: expected at least one expert, received an empty sequence")
        for attr in ("num_inputs", "num_outputs"):
            values = [getattr(e, attr) for e in experts]
            if any(v is None for v in values):
                raise ConfigurationError(f"experts: expected surrogates with a {attr} attribute, received {values}")
            if len(set(values)) > 1:
                raise ConfigurationError(f"experts: expected every expert to have the same {attr}, received {values}")
        if gating_num_experts != len(experts):
            raise ConfigurationError(
                f"{gating_name}: expected num_experts == {len(experts)} (the number of experts), "
                f"received num_experts={gating_num_experts}"
            )
        if gating_num_inputs != experts[0].num_inputs:
            raise ConfigurationError(
                f"{gating_name}: expected num_inputs == {experts[0].num_inputs} (the experts' num_inputs), "
                f"received num_inputs={gating_num_inputs}"
            )
        named = [(f"experts.{i}", (int(e.num_params),)) for i, e in enumerate(experts)]
        slices = _tile(named + [("gating", (int(gating_num_params),))])
        groups: dict[Any, list[int]] = {}
        for i, e in enumerate(experts):
            groups.setdefault(("alone", i) if e.batch_key is None else ("key", e.batch_key), []).append(i)
        batches = tuple(tuple(v) for v in groups.values())
        return cls(int(experts[0].num_inputs), int(experts[0].num_outputs), slices, batches)

    @property
    def num_experts(self) -> int:
        """Number of experts."""
        return len(self.slices) - 1

    @property
    def num_params(self) -> int:
        """Experts' and gating network's parameters together."""
        return self.slices[-1].stop

    def expert_param_index(self, batch: tuple[int, ...]) -> np.ndarray:
        """``(len(batch), expert_num_params)`` flat-vector indices of the experts in ``batch``.

        Gathering ``params[:, index]`` stacks their blocks as ``(num_samples, len(batch), expert_num_params)``.
        """
        starts = np.array([self.slices[i].start for i in batch], dtype=np.int64)  # (n_batch,)
        size = self.slices[batch[0]].stop - self.slices[batch[0]].start
        return starts[:, None] + np.arange(size, dtype=np.int64)[None, :]  # (n_batch, size)

    def is_contiguous(self, batch: tuple[int, ...]) -> bool:
        """Whether the experts of ``batch`` are adjacent (their blocks are one slice, no gather)."""
        return batch == tuple(range(batch[0], batch[0] + len(batch)))


@dataclass(frozen=True, repr=False)
class MixtureSpec(_ScaledSpec):
    """Mixture of experts: expert 0's block, expert 1's block, ..., then the gating block.

    Args:
        experts: Expert specs (MLP or PCE), agreeing on ``num_inputs`` and ``num_outputs``.
        gating: Gating spec with ``num_experts == len(experts)`` and the experts' ``num_inputs``.
        input_bounds, output_shift, output_scale, extrapolation: keyword-only scaling of the whole mixture
            (see ``_ScaledSpec``): the experts and the gating network see the mapped inputs, and the
            experts' outputs are mapped. The experts themselves carry no scaling.

    Example:
        >>> experts = (MLPSpec(1, 1, width=4),) * 2
        >>> spec = MixtureSpec(experts, GatingSpec(1, 2))
        >>> [s.name for s in spec.slices]
        ['experts.0', 'experts.1', 'gating']
    """

    experts: tuple[Union[MLPSpec, PCESpec], ...]
    gating: GatingSpec

    def __post_init__(self) -> None:
        experts = tuple(self.experts)
        object.__setattr__(self, "experts", experts)
        for i, e in enumerate(experts):
            if not isinstance(e, (MLPSpec, PCESpec)):
                raise ConfigurationError(f"experts[{i}]: expected an MLPSpec or PCESpec, received {type(e).__name__}")
        if not isinstance(self.gating, GatingSpec):
            raise ConfigurationError(f"gating: expected a GatingSpec, received {type(self.gating).__name__}")
        for i, e in enumerate(experts):
            if e.scaling is not None:
                raise ConfigurationError(
                    f"experts[{i}]: expected an expert without input_bounds/output_shift/output_scale (a mixture "
                    f"scales its inputs and outputs as a whole: set them on the mixture), received {e.scaling}"
                )
        _ = self.layout  # validates
        self._check_scaling(self.num_inputs, self.num_outputs)

    @cached_property
    def layout(self) -> MixtureLayout:
        """Slices and expert batches; identical experts (equal specs) share a batch."""
        return MixtureLayout.build(
            [ExpertInfo(e.num_inputs, e.num_outputs, e.num_params, e) for e in self.experts],
            gating_num_inputs=self.gating.num_inputs,
            gating_num_experts=self.gating.num_experts,
            gating_num_params=self.gating.num_params,
        )

    @property
    def num_inputs(self) -> int:
        """Shared input width."""
        return self.layout.num_inputs

    @property
    def num_outputs(self) -> int:
        """Shared output width."""
        return self.layout.num_outputs

    @property
    def num_experts(self) -> int:
        """Number of experts."""
        return len(self.experts)

    @property
    def slices(self) -> tuple[ParamSlice, ...]:
        """``experts.{i}`` blocks (shape ``(expert.num_params,)``) then ``gating``."""
        return self.layout.slices

    @property
    def num_params(self) -> int:
        """Sum of the experts' and the gating network's counts."""
        return self.layout.num_params

    @property
    def expert_batches(self) -> tuple[tuple[int, ...], ...]:
        """Experts grouped by identical spec, in order of first appearance.

        Experts in one batch share an architecture and run as one batched call on
        stacked parameters; a mixture of identical experts is a single batch.
        """
        return self.layout.batches

    def expert_param_index(self, batch: tuple[int, ...]) -> np.ndarray:
        """``(len(batch), expert_num_params)`` flat-vector indices of the experts in ``batch``."""
        return self.layout.expert_param_index(batch)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description."""
        return {
            "kind": "mixture",
            "experts": [e.to_dict() for e in self.experts],
            "gating": self.gating.to_dict(),
            **_json_fields(self, _SCALING_FIELDS),
        }


SurrogateSpec = Union[MLPSpec, PCESpec, GatingSpec, MixtureSpec]

#: The class of every backend that a surrogate spec describes (each backend's ``surrogate_models``).
SURROGATE_CLASSES: dict[type, str] = {
    MLPSpec: "NeuralNetwork",
    PCESpec: "PolynomialChaosExpansion",
    GatingSpec: "GatingNetwork",
    MixtureSpec: "MixtureOfExperts",
}


def surrogate_spec_from_dict(d: dict[str, Any]) -> SurrogateSpec:
    """Rebuild a surrogate spec from ``spec.to_dict()``.

    Example:
        >>> surrogate_spec_from_dict(MLPSpec(2, 1).to_dict()) == MLPSpec(2, 1)
        True
    """
    d = dict(d)
    kind = d.pop("kind", None)
    if kind == "mlp":
        return MLPSpec(**d)
    if kind == "pce":
        return PCESpec(**d)
    if kind == "gating":
        return GatingSpec(**d)
    if kind == "mixture":
        return MixtureSpec(
            tuple(surrogate_spec_from_dict(e) for e in d.pop("experts")),  # type: ignore[misc]
            surrogate_spec_from_dict(d.pop("gating")),  # type: ignore[arg-type]
            **d,
        )
    raise ConfigurationError(f"kind: expected one of 'mlp', 'pce', 'gating', 'mixture', received {kind!r}")
