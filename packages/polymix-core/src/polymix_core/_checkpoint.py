"""Backend-neutral checkpoints: named float64 arrays plus the model spec, in one ``.npz``.

Array keys are ``state_dict`` keys of a ``StochasticModel`` (``parameter_groups.{i}.{raw_name}``),
so a checkpoint written by polymix-torch loads into polymix-jax and back.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any, Mapping, NamedTuple

import numpy as np

from ._errors import ConfigurationError, ShapeError
from ._group_specs import GroupSpec, check_group_total, group_spec_from_dict
from ._prior_specs import PriorSpec, prior_spec_from_dict
from ._surrogate_specs import SurrogateSpec, surrogate_spec_from_dict

__all__ = ["GroupEntry", "ModelSpec", "write_checkpoint", "read_checkpoint", "CHECKPOINT_FORMAT"]

CHECKPOINT_FORMAT = "polymix-checkpoint-v1"


class GroupEntry(NamedTuple):
    """One parameter group of a model: its name, family spec and prior (``None``: the default prior)."""

    name: str
    spec: GroupSpec
    prior: PriorSpec | None = None


@dataclass(frozen=True)
class ModelSpec:
    """A ``StochasticModel`` described without any backend: surrogate plus ordered groups.

    Example:
        >>> from polymix_core import MLPSpec, IIDGaussianGroupSpec
        >>> s = MLPSpec(1, 1)
        >>> ModelSpec(s, (GroupEntry("nn", IIDGaussianGroupSpec(s.num_params)),)).raw_keys()[:2]
        ['parameter_groups.0.mean', 'parameter_groups.0.log_std']
    """

    surrogate: SurrogateSpec
    groups: tuple[GroupEntry, ...]

    def __post_init__(self) -> None:
        groups = tuple(GroupEntry(*g) for g in self.groups)
        object.__setattr__(self, "groups", groups)
        check_group_total([g.name for g in groups], [g.spec.num_params for g in groups], self.surrogate.num_params)

    def raw_keys(self) -> list[str]:
        """``state_dict`` keys of every raw parameter, in order."""
        return [f"parameter_groups.{i}.{n}" for i, g in enumerate(self.groups) for n in g.spec.raw_shapes]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description."""
        return {
            "format": CHECKPOINT_FORMAT,
            "surrogate": self.surrogate.to_dict(),
            "groups": [
                {"name": g.name, "spec": g.spec.to_dict(), "prior": None if g.prior is None else g.prior.to_dict()}
                for g in self.groups
            ],
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ModelSpec:
        """Inverse of ``to_dict``."""
        if d.get("format") != CHECKPOINT_FORMAT:
            raise ConfigurationError(f"format: expected {CHECKPOINT_FORMAT!r}, received {d.get('format')!r}")
        groups = tuple(
            GroupEntry(
                g["name"],
                group_spec_from_dict(g["spec"]),
                None if g["prior"] is None else prior_spec_from_dict(g["prior"]),
            )
            for g in d["groups"]
        )
        return cls(surrogate_spec_from_dict(d["surrogate"]), groups)


def _checked_arrays(spec: ModelSpec, arrays: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """Every raw array ``spec`` needs, as float64, checked for presence and shape."""
    out: dict[str, np.ndarray] = {}
    for i, g in enumerate(spec.groups):
        for name, shape in g.spec.raw_shapes.items():
            key = f"parameter_groups.{i}.{name}"
            if key not in arrays:
                raise ShapeError(f"arrays: expected an entry {key!r}, received keys {sorted(arrays)}")
            arr = np.asarray(arrays[key], dtype=np.float64)
            if arr.shape != shape:
                raise ShapeError(f"arrays[{key!r}]: expected shape {shape}, received shape {arr.shape}")
            out[key] = arr
    return out


def write_checkpoint(path: str | os.PathLike[str], spec: ModelSpec, arrays: Mapping[str, Any]) -> None:
    """Write ``arrays`` (``state_dict``-keyed, any array type convertible by numpy) and ``spec``.

    Raises:
        ShapeError: an array is missing or has the wrong shape for ``spec``.
    """
    out = _checked_arrays(spec, arrays)
    meta = np.frombuffer(json.dumps(spec.to_dict()).encode("utf-8"), dtype=np.uint8)
    with open(path, "wb") as fh:
        np.savez(fh, __spec__=meta, **out)  # type: ignore[arg-type]


def read_checkpoint(path: str | os.PathLike[str]) -> tuple[ModelSpec, dict[str, np.ndarray]]:
    """Read a checkpoint written by ``write_checkpoint``: ``(spec, arrays)``.

    Raises:
        ShapeError: an array the spec needs is missing or has the wrong shape.
    """
    with np.load(path, allow_pickle=False) as data:
        spec = ModelSpec.from_dict(json.loads(data["__spec__"].tobytes().decode("utf-8")))
        arrays = {k: data[k] for k in data.files if k != "__spec__"}
    _checked_arrays(spec, arrays)  # a truncated or foreign file fails here, not deep inside a backend
    return spec, arrays
