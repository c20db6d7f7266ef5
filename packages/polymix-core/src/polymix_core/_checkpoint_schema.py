"""Checkpoint specs validated as untrusted JSON: field sets, types and closed-form sizes.

Nothing here builds a spec object: sizes come from closed-form counts (binomials for
total-order index sets, products for network layers), so a tiny file that declares an
enormous architecture is refused before any index set or layer list is allocated.
"""

from __future__ import annotations

import dataclasses
import numbers
from dataclasses import dataclass
from typing import Any

from ._errors import CheckpointError, ConfigurationError
from ._group_specs import (
    DeterministicGroupSpec,
    GaussianGroupSpec,
    IIDGaussianGroupSpec,
    LangevinGroupSpec,
    LowRankGaussianGroupSpec,
)
from ._index_sets import num_hyperbolic_cross_terms
from ._scaling import EXTRAPOLATION_MODES, check_input_bounds, check_output_affine
from ._surrogate_specs import ACTIVATIONS, GatingSpec, MLPSpec, PCESpec

__all__ = ["CHECKPOINT_FORMAT", "CheckpointLimits", "expected_raw_shapes"]

CHECKPOINT_FORMAT = "polymix-checkpoint-v1"


@dataclass(frozen=True)
class CheckpointLimits:
    """Caps that ``read_checkpoint`` enforces before allocating anything.

    The defaults admit every model polymix can train on a workstation and refuse the
    rest with a ``CheckpointError`` naming the cap; pass larger values to read bigger files.

    Attributes:
        max_file_bytes: Size of the archive on disk.
        max_spec_bytes: Size of the JSON spec member.
        max_json_depth: Nesting depth of the JSON spec.
        max_raw_values: Total number of raw parameter values over all groups.
        max_inputs: ``num_inputs`` of any surrogate.
        max_outputs: ``num_outputs`` (or ``num_experts``) of any surrogate.
        max_width: Hidden width of any network.
        max_depth: Hidden layers of any network.
        max_degree: Total degree of any PCE.
        max_index_entries: ``num_terms * num_inputs`` of any PCE index set (its int64 size / 8).
        max_experts: Experts of a mixture.
        max_groups: Parameter groups of a model.
        max_diffusion_steps: Langevin steps per sample.
        max_particles: Langevin particles.
    """

    max_file_bytes: int = 1 << 31
    max_spec_bytes: int = 1 << 20
    max_json_depth: int = 16
    max_raw_values: int = 1 << 27
    max_inputs: int = 4096
    max_outputs: int = 4096
    max_width: int = 1 << 16
    max_depth: int = 256
    max_degree: int = 64
    max_index_entries: int = 1 << 22
    max_experts: int = 1024
    max_groups: int = 4096
    max_diffusion_steps: int = 1 << 20
    max_particles: int = 1 << 20


#: Optional surrogate fields (absent in files written before they existed, and when unset).
_SCALING_KEYS = frozenset({"input_bounds", "output_shift", "output_scale", "extrapolation"})


def _keys(cls: Any, *extra: str) -> frozenset[str]:
    return frozenset({f.name for f in dataclasses.fields(cls)} | set(extra)) - _SCALING_KEYS


_MLP_KEYS = _keys(MLPSpec, "kind")
_PCE_KEYS = _keys(PCESpec, "kind")
_GATING_KEYS = _keys(GatingSpec, "kind")
_MIXTURE_KEYS = frozenset({"kind", "experts", "gating"})
_FAMILY_KEYS = {
    cls.family: _keys(cls, "family")  # type: ignore[attr-defined]
    for cls in (
        DeterministicGroupSpec,
        IIDGaussianGroupSpec,
        GaussianGroupSpec,
        LowRankGaussianGroupSpec,
        LangevinGroupSpec,
    )
}
_PRIOR_KEYS = {
    "iid_gaussian": frozenset({"kind", "mean", "std"}),
    "laplace": frozenset({"kind", "loc", "scale"}),
    "gaussian": frozenset({"kind", "mean", "covariance_matrix", "scale_tril"}),
}
_NAMED_ACTIVATIONS = tuple(a for a in ACTIVATIONS if a != "custom")


def _fail(where: str, expected: str, received: Any) -> CheckpointError:
    shown = repr(received)
    if len(shown) > 80:
        shown = shown[:77] + "..."
    return CheckpointError(f"spec field {where}: expected {expected}, received {shown}")


def _dict(where: str, value: Any, keys: frozenset[str], optional: frozenset[str] = frozenset()) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _fail(where, "a JSON object", type(value).__name__)
    missing, unknown = sorted(keys - set(value)), sorted(set(value) - keys - optional)
    if missing or unknown:
        extra = f" and optionally {sorted(optional)}" if optional else ""
        raise CheckpointError(
            f"spec field {where}: expected exactly the fields {sorted(keys)}{extra}, received missing {missing}, "
            f"unknown {unknown}"
        )
    return value


def _scaling(where: str, d: dict[str, Any], num_inputs: int, num_outputs: int) -> None:
    """The optional scaling fields: bounded by the (already checked) widths, validated like the spec's."""
    try:
        check_input_bounds(d.get("input_bounds"), num_inputs)
        check_output_affine("output_shift", d.get("output_shift"), num_outputs, positive=False)
        check_output_affine("output_scale", d.get("output_scale"), num_outputs, positive=True)
    except ConfigurationError as exc:
        raise CheckpointError(f"spec field {where}.{exc}") from None
    if d.get("extrapolation", "error") not in EXTRAPOLATION_MODES:
        raise _fail(f"{where}.extrapolation", f"one of {EXTRAPOLATION_MODES}", d.get("extrapolation"))


def _int(where: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(where, f"an integer in [{low}, {high}]", value)
    if not low <= value <= high:
        raise _fail(where, f"an integer in [{low}, {high}] (see CheckpointLimits)", value)
    return value


def _number(where: str, value: Any, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not low <= float(value) <= high:
        raise _fail(where, f"a number in [{low}, {high}]", value)
    return float(value)


def _activation(where: str, value: Any) -> None:
    if value not in _NAMED_ACTIVATIONS:
        raise _fail(where, f"one of {_NAMED_ACTIVATIONS} (a checkpoint stores names, not code)", value)


class _Sizes:
    """Closed-form sizes of a surrogate description, checked against the limits as they are counted."""

    def __init__(self, limits: CheckpointLimits) -> None:
        self.limits = limits

    def mlp(self, where: str, d: Any, keys: frozenset[str], outputs_field: str, scaled: bool = True) -> int:
        lim = self.limits
        d = _dict(where, d, keys, _SCALING_KEYS if scaled else frozenset())
        n_in = _int(f"{where}.num_inputs", d["num_inputs"], 1, lim.max_inputs)
        n_out = _int(f"{where}.{outputs_field}", d[outputs_field], 1, lim.max_outputs)
        _scaling(where, d, n_in, n_out)
        width = _int(f"{where}.width", d["width"], 1, lim.max_width)
        depth = _int(f"{where}.depth", d["depth"], 0, lim.max_depth)
        _activation(f"{where}.activation", d["activation"])
        sizes = [n_in, *([width] * depth), n_out]
        return sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))

    def pce(self, where: str, d: Any) -> int:
        lim = self.limits
        d = _dict(where, d, _PCE_KEYS, _SCALING_KEYS)
        n_in = _int(f"{where}.num_inputs", d["num_inputs"], 1, lim.max_inputs)
        n_out = _int(f"{where}.num_outputs", d["num_outputs"], 1, lim.max_outputs)
        _scaling(where, d, n_in, n_out)
        degree = _int(f"{where}.degree", d["degree"], 0, lim.max_degree)
        q = _number(f"{where}.q", d["q"], 1e-12, 1.0)
        max_terms = lim.max_index_entries // n_in
        # closed form for total order; a bounded count of admissible partitions for a hyperbolic cross
        terms = num_hyperbolic_cross_terms(n_in, degree, q, stop_above=max_terms)
        if terms > max_terms:
            raise CheckpointError(
                f"spec field {where}: expected an index set of at most {lim.max_index_entries} entries "
                f"(CheckpointLimits.max_index_entries), received num_inputs={n_in}, degree={degree}, q={q}: "
                f"more than {max_terms} terms x {n_in} inputs"
            )
        return terms * n_out

    def surrogate(self, where: str, d: Any, *, allow_mixture: bool = True) -> int:
        kind = d.get("kind") if isinstance(d, dict) else None
        if kind == "mlp":
            return self.mlp(where, d, _MLP_KEYS, "num_outputs")
        if kind == "pce":
            return self.pce(where, d)
        if kind == "gating" and allow_mixture:
            return self.mlp(where, d, _GATING_KEYS, "num_experts", scaled=False)
        if kind == "mixture" and allow_mixture:
            d = _dict(where, d, _MIXTURE_KEYS, _SCALING_KEYS)
            experts = d["experts"]
            if not isinstance(experts, list) or not 1 <= len(experts) <= self.limits.max_experts:
                raise _fail(f"{where}.experts", f"a list of 1 to {self.limits.max_experts} experts", experts)
            total = 0
            for i, e in enumerate(experts):
                if not isinstance(e, dict) or e.get("kind") not in ("mlp", "pce"):
                    raise _fail(
                        f"{where}.experts[{i}].kind", "'mlp' or 'pce'", e.get("kind") if isinstance(e, dict) else e
                    )
                total += self.surrogate(f"{where}.experts[{i}]", e, allow_mixture=False)
            gating = d["gating"]
            if not isinstance(gating, dict) or gating.get("kind") != "gating":
                raise _fail(
                    f"{where}.gating.kind", "'gating'", gating.get("kind") if isinstance(gating, dict) else gating
                )
            total += self.mlp(f"{where}.gating", gating, _GATING_KEYS, "num_experts", scaled=False)
            first = experts[0]
            _scaling(where, d, first["num_inputs"], first["num_outputs"])
            return total
        allowed = "'mlp', 'pce', 'gating', 'mixture'" if allow_mixture else "'mlp', 'pce'"
        raise _fail(f"{where}.kind", f"one of {allowed}", kind)


def _group_shapes(where: str, d: Any, sizes: _Sizes) -> tuple[int, dict[str, tuple[int, ...]]]:
    """``(num_params, raw_shapes)`` of a group description, in closed form."""
    lim = sizes.limits
    family = d.get("family") if isinstance(d, dict) else None
    if family not in _FAMILY_KEYS:
        raise _fail(f"{where}.family", f"one of {sorted(_FAMILY_KEYS)}", family)
    d = _dict(where, d, _FAMILY_KEYS[family])
    n = _int(f"{where}.num_params", d["num_params"], 1, lim.max_raw_values)
    _int(f"{where}.kl_num_mc_samples", d["kl_num_mc_samples"], 1, 1 << 24)
    for name in ("init_scale_diag", "init_scale_factor", "jitter", "step_size", "init_std"):
        if name in d:
            _number(f"{where}.{name}", d[name], 1e-300, 1e300)
    if family == "deterministic":
        return n, {"params": (n,)}
    if family == "iid_gaussian":
        return n, {"mean": (n,), "log_std": (n,)}
    if family == "gaussian":
        return n, {"mean": (n,), "raw_tril": (n * (n + 1) // 2,)}
    if family == "low_rank_gaussian":
        rank = _int(f"{where}.rank", d["rank"], 1, n)
        return n, {"mean": (n,), "cov_factor": (n, rank), "raw_cov_diag": (n,)}
    # langevin: the score/energy surrogate must be described, and agree with the counts
    if d["mode"] not in ("score", "energy"):
        raise _fail(f"{where}.mode", "'score' or 'energy'", d["mode"])
    _int(f"{where}.num_particles", d["num_particles"], 1, lim.max_particles)
    _int(f"{where}.num_diffusion_steps", d["num_diffusion_steps"], 1, lim.max_diffusion_steps)
    if d["surrogate"] is None:
        raise _fail(f"{where}.surrogate", "the score/energy surrogate's spec", None)
    inner = sizes.surrogate(f"{where}.surrogate", d["surrogate"], allow_mixture=False)
    declared = _int(f"{where}.surrogate_num_params", d["surrogate_num_params"], 1, lim.max_raw_values)
    if declared != inner:
        raise _fail(f"{where}.surrogate_num_params", f"{inner} (the surrogate's count)", declared)
    return n, {"surrogate_params": (inner,)}


def _prior(where: str, d: Any) -> None:
    if d is None:
        return
    kind = d.get("kind") if isinstance(d, dict) else None
    if kind not in _PRIOR_KEYS:
        raise _fail(f"{where}.kind", f"one of {sorted(_PRIOR_KEYS)}", kind)
    _dict(where, d, _PRIOR_KEYS[kind])


def expected_raw_shapes(spec: Any, limits: CheckpointLimits) -> dict[str, tuple[int, ...]]:
    """Validate a checkpoint's spec dictionary and return every raw array's shape, in ``state_dict`` order.

    Args:
        spec: The decoded JSON spec (untrusted).
        limits: Caps on sizes.

    Returns:
        ``{"parameter_groups.{i}.{raw_name}": shape}``.

    Raises:
        CheckpointError: a missing, unknown or ill-typed field, a cap exceeded, or group sizes that
            do not add up to the surrogate's parameter count.
    """
    spec = _dict("(root)", spec, frozenset({"format", "surrogate", "groups"}))
    sizes = _Sizes(limits)
    surrogate_params = sizes.surrogate("surrogate", spec["surrogate"])
    groups = spec["groups"]
    if not isinstance(groups, list) or not 1 <= len(groups) <= limits.max_groups:
        raise _fail("groups", f"a list of 1 to {limits.max_groups} groups", groups)
    shapes: dict[str, tuple[int, ...]] = {}
    total_params = 0
    total_values = 0
    for i, g in enumerate(groups):
        where = f"groups[{i}]"
        g = _dict(where, g, frozenset({"name", "spec", "prior"}))
        if not isinstance(g["name"], str) or len(g["name"]) > 1024:
            raise _fail(f"{where}.name", "a string of at most 1024 characters", g["name"])
        n, raw = _group_shapes(f"{where}.spec", g["spec"], sizes)
        _prior(f"{where}.prior", g["prior"])
        total_params += n
        for name, shape in raw.items():
            count = 1
            for s in shape:
                count *= s
            total_values += count
            if total_values > limits.max_raw_values:
                raise CheckpointError(
                    f"spec: expected at most {limits.max_raw_values} raw values (CheckpointLimits.max_raw_values), "
                    f"received more by group {i} ({name} of shape {shape})"
                )
            shapes[f"parameter_groups.{i}.{name}"] = shape
    if total_params != surrogate_params:
        raise CheckpointError(
            f"spec field groups: expected group sizes adding up to the surrogate's {surrogate_params} parameters, "
            f"received {total_params}"
        )
    return shapes
