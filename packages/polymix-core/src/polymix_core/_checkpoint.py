"""Backend-neutral checkpoints: named float64 arrays plus the model spec, in one ``.npz``.

Array keys are ``state_dict`` keys of a ``StochasticModel`` (``parameter_groups.{i}.{raw_name}``),
so a checkpoint written by polymix-torch loads into polymix-jax and back.

Files are read as untrusted input (``_checkpoint_archive``): nothing is unpickled, every size is
checked against ``CheckpointLimits`` and the spec's closed-form counts before anything is
allocated, only the members the spec names are read, and every fault raises ``CheckpointError``.
Non-finite parameters are refused on both sides: ``write_checkpoint`` rejects them and a file
holding them does not load.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any, Mapping, NamedTuple

import numpy as np

from ._checkpoint_archive import read_archive
from ._checkpoint_schema import CHECKPOINT_FORMAT, CheckpointLimits
from ._errors import CheckpointError, ConfigurationError, PolymixError, PolymixValueError
from ._group_specs import (
    CustomGroupSpec,
    GroupSpec,
    LangevinGroupSpec,
    check_group_total,
    check_raw_arrays,
    group_spec_from_dict,
)
from ._prior_specs import GaussianPriorSpec, PriorSpec, prior_spec_from_dict
from ._surrogate_specs import MixtureSpec, SurrogateSpec, surrogate_spec_from_dict

__all__ = [
    "GroupEntry",
    "ModelSpec",
    "write_checkpoint",
    "read_checkpoint",
    "CHECKPOINT_FORMAT",
    "CheckpointLimits",
]


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
        for g in groups:  # a prior must fit its group (the broadcast rule of the prior specs)
            if isinstance(g.prior, GaussianPriorSpec):
                g.prior.check(g.spec.num_params)
            elif g.prior is not None:
                g.prior.broadcast(g.spec.num_params)

    def check_rebuildable(self) -> None:
        """Raise unless every part of the model can be rebuilt from this spec alone.

        A checkpoint stores names and numbers, never code: user callables (activation
        ``"custom"``) and Langevin groups whose score/energy surrogate has no spec cannot be
        rebuilt, so saving such a model is refused up front, in every backend.

        Raises:
            ConfigurationError: naming the part that only the original model holds.
        """
        surrogates: list[tuple[str, Any]] = [("surrogate", self.surrogate)]
        for g in self.groups:
            if isinstance(g.spec, CustomGroupSpec):
                raise ConfigurationError(
                    f"parameter_groups: expected built-in groups (a checkpoint stores specs, not code), received the "
                    f"user-defined group {g.name!r}"
                )
            if isinstance(g.spec, LangevinGroupSpec):
                if g.spec.surrogate is None:
                    raise ConfigurationError(
                        f"parameter_groups: expected a built-in {g.spec.mode}_model in LangevinGroup {g.name!r} "
                        "(a checkpoint stores specs, not code), received a surrogate without a spec"
                    )
                surrogates.append((f"LangevinGroup {g.name!r}", g.spec.surrogate))
        while surrogates:
            where, s = surrogates.pop()
            if isinstance(s, MixtureSpec):
                surrogates += [(f"{where} expert {i}", e) for i, e in enumerate(s.experts)]
                surrogates.append((f"{where} gating", s.gating))
            elif getattr(s, "activation", None) == "custom":
                raise ConfigurationError(
                    f"activation: expected a named activation in {where} (a checkpoint stores names, not code), "
                    "received a custom callable ('custom')"
                )

    def raw_keys(self) -> list[str]:
        """``state_dict`` keys of every raw parameter, in order."""
        return list(self.raw_shapes())

    def raw_shapes(self) -> dict[str, tuple[int, ...]]:
        """``{state_dict key: shape}`` of every raw parameter, in order."""
        return {f"parameter_groups.{i}.{n}": s for i, g in enumerate(self.groups) for n, s in g.spec.raw_shapes.items()}

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
    """Every raw array ``spec`` needs, as finite float64, checked for presence and shape."""
    check_raw_arrays(spec.raw_shapes(), arrays, "arrays")
    out: dict[str, np.ndarray] = {}
    for key in spec.raw_keys():
        arr = np.asarray(arrays[key], dtype=np.float64)
        if not np.all(np.isfinite(arr)):
            raise PolymixValueError(
                f"arrays[{key!r}]: expected finite values, received {int((~np.isfinite(arr)).sum())} non-finite"
            )
        out[key] = arr
    return out


def write_checkpoint(path: str | os.PathLike[str], spec: ModelSpec, arrays: Mapping[str, Any]) -> None:
    """Write ``arrays`` (``state_dict``-keyed, any array type convertible by numpy) and ``spec``.

    Every check runs before the file is opened, so a refused call writes nothing.

    Raises:
        ShapeError: an array is missing or has the wrong shape for ``spec``.
        PolymixValueError: an array holds NaN or infinity.
        ConfigurationError: the model cannot be rebuilt from its spec (``ModelSpec.check_rebuildable``).
    """
    spec.check_rebuildable()
    out = _checked_arrays(spec, arrays)
    meta = np.frombuffer(json.dumps(spec.to_dict()).encode("utf-8"), dtype=np.uint8)
    with open(path, "wb") as fh:
        np.savez(fh, __spec__=meta, **out)  # type: ignore[arg-type]


def read_checkpoint(
    path: str | os.PathLike[str], *, limits: CheckpointLimits | None = None
) -> tuple[ModelSpec, dict[str, np.ndarray]]:
    """Read a checkpoint written by ``write_checkpoint``: ``(spec, arrays)``.

    The file is untrusted: it is never unpickled, its spec is validated field by field and its
    declared sizes against ``limits`` and the arrays' headers before anything is allocated, and
    only the members the spec names are read (all of them uncompressed, finite floats).

    Args:
        path: The ``.npz`` file.
        limits: Size caps (default ``CheckpointLimits()``).

    Returns:
        The ``ModelSpec`` and the raw arrays as float64, keyed like ``ModelSpec.raw_keys()``.

    Raises:
        CheckpointError: the file is corrupted, truncated, foreign (a ``torch.save`` pickle, a Keras
            file), oversized, or inconsistent with its spec; the message names the member or field.
        OSError: the file cannot be opened.

    Example:
        >>> import os, tempfile
        >>> from polymix_core import IIDGaussianGroupSpec, MLPSpec
        >>> s = MLPSpec(1, 1, width=2)
        >>> spec = ModelSpec(s, (GroupEntry("nn", IIDGaussianGroupSpec(s.num_params)),))
        >>> path = os.path.join(tempfile.mkdtemp(), "m.npz")
        >>> write_checkpoint(path, spec, {k: np.zeros(7) for k in spec.raw_keys()})
        >>> read_checkpoint(path)[0] == spec
        True
    """
    spec_dict, arrays = read_archive(path, CheckpointLimits() if limits is None else limits)
    try:
        spec = ModelSpec.from_dict(spec_dict)
    except CheckpointError:
        raise
    except (PolymixError, TypeError, ValueError, KeyError) as err:
        raise CheckpointError(f"spec: expected a valid model description, received one that fails: {err}") from err
    return spec, arrays
