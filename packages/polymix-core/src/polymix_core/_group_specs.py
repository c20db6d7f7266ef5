"""Group specs: raw-parameter shapes, packing orders, transforms and initial values.

A group's raw parameters are listed in ``raw_shapes`` in ``state_dict`` order
(pypolymix's names). Initial values are ``constant + noise_scale * N(0, 1)``
per raw parameter (``initial``), drawn with the backend's RNG.

Sampling is noise + a deterministic transform: a group draws standard-normal
noise of shape ``(num_samples, *noise_shape)`` and maps it to parameters.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, ClassVar, Literal, Mapping, NamedTuple, Union

import numpy as np

from . import defaults
from ._errors import ConfigurationError, ShapeError, check_positive_float, check_positive_int
from ._transforms import raw_from_positive

__all__ = [
    "InitialValue",
    "DeterministicGroupSpec",
    "IIDGaussianGroupSpec",
    "GaussianGroupSpec",
    "LowRankGaussianGroupSpec",
    "LangevinGroupSpec",
    "CustomGroupSpec",
    "GroupSpec",
    "GROUP_CLASSES",
    "tril_indices",
    "check_group_total",
    "check_raw_arrays",
    "langevin_spec_for",
    "group_spec_from_dict",
]


class InitialValue(NamedTuple):
    """Initial raw parameter: ``constant + noise_scale * N(0, I)`` (``noise_scale == 0``: no draw)."""

    constant: np.ndarray
    noise_scale: float


def tril_indices(num_params: int) -> tuple[np.ndarray, np.ndarray]:
    """Row and column of each packed ``raw_tril`` entry: row-major lower triangle.

    Example:
        >>> [r.tolist() for r in tril_indices(3)]
        [[0, 1, 1, 2, 2, 2], [0, 0, 1, 0, 1, 2]]
    """
    rows, cols = np.tril_indices(num_params)
    return rows.astype(np.int64), cols.astype(np.int64)


@dataclass(frozen=True)
class _BaseGroupSpec:
    num_params: int
    kl_num_mc_samples: int = field(default=defaults.KL_NUM_MC_SAMPLES, kw_only=True)

    def __post_init__(self) -> None:
        object.__setattr__(self, "num_params", check_positive_int("num_params", self.num_params))
        object.__setattr__(self, "kl_num_mc_samples", check_positive_int("kl_num_mc_samples", self.kl_num_mc_samples))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description (``group_spec_from_dict`` inverts it)."""
        return {"family": self.family, **dataclasses.asdict(self)}  # type: ignore[attr-defined]

    #: Fields that are not constructor arguments of the backends' groups.
    _NOT_ARGUMENTS: ClassVar[tuple[str, ...]] = ("num_params",)

    def init_kwargs(self) -> dict[str, Any]:
        """The keyword arguments that rebuild this group in any backend: ``Group(name, num_params, prior, **these)``.

        Example:
            >>> LowRankGaussianGroupSpec(4, rank=2).init_kwargs()["rank"]
            2
        """
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name not in self._NOT_ARGUMENTS}


@dataclass(frozen=True)
class DeterministicGroupSpec(_BaseGroupSpec):
    """Point estimate: raw ``params (d,)``, initialised ``N(0, 1)``; samples repeat it.

    Example:
        >>> DeterministicGroupSpec(3).raw_shapes
        {'params': (3,)}
    """

    family = "deterministic"

    @property
    def raw_shapes(self) -> dict[str, tuple[int, ...]]:
        """Raw parameter shapes in ``state_dict`` order."""
        return {"params": (self.num_params,)}

    @property
    def noise_shape(self) -> tuple[int, ...]:
        """Per-sample noise shape (none needed)."""
        return (0,)

    @property
    def initial(self) -> dict[str, InitialValue]:
        """Initial values."""
        return {"params": InitialValue(np.zeros(self.num_params), 1.0)}


@dataclass(frozen=True)
class IIDGaussianGroupSpec(_BaseGroupSpec):
    """``q = Normal(mean, exp(log_std))`` elementwise; sample ``mean + exp(log_std) * eps``.

    Example:
        >>> IIDGaussianGroupSpec(4).initial["log_std"].constant.tolist()
        [-0.5, -0.5, -0.5, -0.5]
    """

    family = "iid_gaussian"

    @property
    def raw_shapes(self) -> dict[str, tuple[int, ...]]:
        """Raw parameter shapes in ``state_dict`` order."""
        return {"mean": (self.num_params,), "log_std": (self.num_params,)}

    @property
    def noise_shape(self) -> tuple[int, ...]:
        """Per-sample noise shape ``(num_params,)``."""
        return (self.num_params,)

    @property
    def initial(self) -> dict[str, InitialValue]:
        """Initial values: random ``N(0, 1)`` mean, ``log_std = -0.5``."""
        d = self.num_params
        return {
            "mean": InitialValue(np.zeros(d), 1.0),
            "log_std": InitialValue(np.full(d, defaults.IID_INITIAL_LOG_STD), 0.0),
        }


@dataclass(frozen=True)
class GaussianGroupSpec(_BaseGroupSpec):
    """Full covariance ``N(mean, L L^T)``; sample ``mean + L eps``.

    ``L`` is filled from ``raw_tril`` (packed row-major lower triangle, see
    ``tril_indices``); its diagonal is ``softplus(raw) + jitter``.

    Example:
        >>> GaussianGroupSpec(3).diag_positions.tolist()
        [0, 2, 5]
    """

    init_scale_diag: float = field(default=defaults.INIT_SCALE_DIAG, kw_only=True)
    jitter: float = field(default=defaults.JITTER, kw_only=True)
    family = "gaussian"

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "init_scale_diag", check_positive_float("init_scale_diag", self.init_scale_diag))
        object.__setattr__(self, "jitter", check_positive_float("jitter", self.jitter))

    @property
    def num_tril(self) -> int:
        """``d (d + 1) / 2``."""
        return self.num_params * (self.num_params + 1) // 2

    @cached_property
    def tril(self) -> tuple[np.ndarray, np.ndarray]:
        """``tril_indices(num_params)``."""
        return tril_indices(self.num_params)

    @cached_property
    def diag_positions(self) -> np.ndarray:
        """Positions of the diagonal entries ``(i, i)`` in the packed vector: ``i (i + 3) / 2``."""
        i = np.arange(self.num_params, dtype=np.int64)
        return i * (i + 3) // 2

    @cached_property
    def offdiag_mask(self) -> np.ndarray:
        """``(num_tril,)`` bool: True for strictly-lower entries."""
        rows, cols = self.tril
        return rows != cols

    @property
    def raw_shapes(self) -> dict[str, tuple[int, ...]]:
        """Raw parameter shapes in ``state_dict`` order."""
        return {"mean": (self.num_params,), "raw_tril": (self.num_tril,)}

    @property
    def noise_shape(self) -> tuple[int, ...]:
        """Per-sample noise shape ``(num_params,)``."""
        return (self.num_params,)

    @property
    def initial(self) -> dict[str, InitialValue]:
        """Zero mean; ``L = diag(init_scale_diag)``."""
        raw = np.zeros(self.num_tril)
        raw[self.diag_positions] = raw_from_positive(self.init_scale_diag, self.jitter)
        return {"mean": InitialValue(np.zeros(self.num_params), 0.0), "raw_tril": InitialValue(raw, 0.0)}


@dataclass(frozen=True)
class LowRankGaussianGroupSpec(_BaseGroupSpec):
    """``N(mean, U U^T + diag(softplus(raw_cov_diag) + jitter))`` with ``U`` of shape ``(d, rank)``.

    Noise per sample is ``rank + num_params`` standard normals ``[eps_U, eps_D]``
    (torch's ``LowRankMultivariateNormal`` order); the sample is
    ``mean + U eps_U + sqrt(diag) * eps_D``.

    Example:
        >>> LowRankGaussianGroupSpec(8, rank=3).noise_shape
        (11,)
    """

    rank: int = field(default=defaults.RANK, kw_only=True)
    init_scale_diag: float = field(default=defaults.INIT_SCALE_DIAG, kw_only=True)
    init_scale_factor: float = field(default=defaults.INIT_SCALE_FACTOR, kw_only=True)
    jitter: float = field(default=defaults.JITTER, kw_only=True)
    family = "low_rank_gaussian"

    def __post_init__(self) -> None:
        super().__post_init__()
        rank = check_positive_int("rank", self.rank)
        if rank > self.num_params:
            raise ConfigurationError(f"rank: expected an integer in [1, num_params={self.num_params}], received {rank}")
        object.__setattr__(self, "rank", rank)
        object.__setattr__(self, "init_scale_diag", check_positive_float("init_scale_diag", self.init_scale_diag))
        object.__setattr__(self, "init_scale_factor", check_positive_float("init_scale_factor", self.init_scale_factor))
        object.__setattr__(self, "jitter", check_positive_float("jitter", self.jitter))

    @property
    def raw_shapes(self) -> dict[str, tuple[int, ...]]:
        """Raw parameter shapes in ``state_dict`` order."""
        return {
            "mean": (self.num_params,),
            "cov_factor": (self.num_params, self.rank),
            "raw_cov_diag": (self.num_params,),
        }

    @property
    def noise_shape(self) -> tuple[int, ...]:
        """Per-sample noise shape ``(rank + num_params,)``."""
        return (self.rank + self.num_params,)

    @property
    def initial(self) -> dict[str, InitialValue]:
        """Zero mean, ``U ~ init_scale_factor * N(0, 1)``, diagonal ``init_scale_diag``."""
        d = self.num_params
        return {
            "mean": InitialValue(np.zeros(d), 0.0),
            "cov_factor": InitialValue(np.zeros((d, self.rank)), self.init_scale_factor),
            "raw_cov_diag": InitialValue(np.full(d, raw_from_positive(self.init_scale_diag, self.jitter)), 0.0),
        }


@dataclass(frozen=True)
class LangevinGroupSpec(_BaseGroupSpec):
    """Unadjusted Langevin dynamics driven by a score or energy surrogate.

    ``theta_{k+1} = theta_k + step_size * s(theta_k) + sqrt(2 step_size) xi_k``;
    for an energy model ``s = grad E`` (``E`` is a log-density surrogate).
    Initial particles are ``init_std * N(0, I)``. Noise per sample is
    ``(num_diffusion_steps + 1, num_params)``: row 0 the initial draw, then one row per step.

    Example:
        >>> LangevinGroupSpec(6, mode="score", surrogate_num_inputs=6, surrogate_num_outputs=6,
        ...                   surrogate_num_params=10).raw_shapes
        {'surrogate_params': (10,)}
    """

    mode: Literal["score", "energy"] = field(default="score", kw_only=True)
    surrogate_num_inputs: int = field(default=0, kw_only=True)
    surrogate_num_outputs: int = field(default=0, kw_only=True)
    surrogate_num_params: int = field(default=0, kw_only=True)
    num_particles: int = field(default=defaults.NUM_PARTICLES, kw_only=True)
    num_diffusion_steps: int = field(default=defaults.NUM_DIFFUSION_STEPS, kw_only=True)
    step_size: float = field(default=defaults.STEP_SIZE, kw_only=True)
    init_std: float = field(default=defaults.INIT_STD, kw_only=True)
    #: Spec of the score/energy surrogate (``None`` when it is a user class without one).
    surrogate: Any = field(default=None, kw_only=True)
    family = "langevin"
    # the surrogate is an object (score_model= or energy_model=), not these numbers
    _NOT_ARGUMENTS = (
        "num_params",
        "mode",
        "surrogate",
        "surrogate_num_inputs",
        "surrogate_num_outputs",
        "surrogate_num_params",
    )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description, the surrogate spec included."""
        d = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        d["surrogate"] = None if self.surrogate is None else self.surrogate.to_dict()
        return {"family": self.family, **d}

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.mode not in ("score", "energy"):
            raise ConfigurationError(f"mode: expected 'score' or 'energy', received {self.mode!r}")
        object.__setattr__(self, "num_particles", check_positive_int("num_particles", self.num_particles))
        object.__setattr__(
            self, "num_diffusion_steps", check_positive_int("num_diffusion_steps", self.num_diffusion_steps)
        )
        object.__setattr__(self, "step_size", check_positive_float("step_size", self.step_size))
        object.__setattr__(self, "init_std", check_positive_float("init_std", self.init_std))
        model = f"{self.mode}_model"
        if self.surrogate_num_inputs != self.num_params:
            raise ConfigurationError(
                f"{model}: expected num_inputs == num_params ({self.num_params}), "
                f"received num_inputs={self.surrogate_num_inputs}"
            )
        expected_out = self.num_params if self.mode == "score" else 1
        if self.surrogate_num_outputs != expected_out:
            raise ConfigurationError(
                f"{model}: expected num_outputs == {expected_out}, received num_outputs={self.surrogate_num_outputs}"
            )
        check_positive_int(f"{model}.num_params()", self.surrogate_num_params)
        if self.surrogate is not None:  # the spec, when given, must agree with the counts above
            for attr in ("num_inputs", "num_outputs", "num_params"):
                got, want = getattr(self.surrogate, attr, None), getattr(self, f"surrogate_{attr}")
                if got is not None and got != want:
                    raise ConfigurationError(
                        f"surrogate: expected {attr} == surrogate_{attr} ({want}), received {attr}={got}"
                    )

    @property
    def raw_shapes(self) -> dict[str, tuple[int, ...]]:
        """Raw parameter shapes in ``state_dict`` order."""
        return {"surrogate_params": (self.surrogate_num_params,)}

    @property
    def noise_shape(self) -> tuple[int, ...]:
        """Per-particle noise: initial draw plus one row per step."""
        return (self.num_diffusion_steps + 1, self.num_params)

    @property
    def initial(self) -> dict[str, InitialValue]:
        """Surrogate parameters ``0.01 * N(0, 1)``."""
        return {"surrogate_params": InitialValue(np.zeros(self.surrogate_num_params), defaults.LANGEVIN_INIT_SCALE)}


@dataclass(frozen=True)
class CustomGroupSpec(_BaseGroupSpec):
    """The sizes of a user-defined group (a subclass of a backend's ``ParameterGroup``).

    It has no raw layout and no noise transform that polymix knows of, so a model holding
    one cannot be written to a checkpoint (``ModelSpec.check_rebuildable``).

    Example:
        >>> CustomGroupSpec(4).num_params
        4
    """

    family = "custom"

    @property
    def raw_shapes(self) -> dict[str, tuple[int, ...]]:
        """Unknown: raises ``ConfigurationError``."""
        raise ConfigurationError(
            "spec: a user-defined parameter group has no raw layout that polymix knows of (only DeterministicGroup, "
            "IIDGaussianGroup, GaussianGroup, LowRankGaussianGroup and LangevinGroup have one)"
        )

    @property
    def noise_shape(self) -> tuple[int, ...]:
        """Unknown: raises ``ConfigurationError``."""
        raise ConfigurationError("spec: a user-defined parameter group draws its own samples; it has no noise shape")


GroupSpec = Union[
    DeterministicGroupSpec,
    IIDGaussianGroupSpec,
    GaussianGroupSpec,
    LowRankGaussianGroupSpec,
    LangevinGroupSpec,
    CustomGroupSpec,
]


def check_raw_arrays(shapes: Mapping[str, tuple[int, ...]], arrays: Mapping[str, Any], prefix: str = "raw") -> None:
    """Raise unless ``arrays`` has exactly the keys of ``shapes``, each of that shape (any array type).

    The one validation of raw parameters: backends, the reference and checkpoints call it before
    converting or copying anything. Only ``np.shape`` is read, so traced arrays pass.

    Args:
        shapes: ``{name: shape}``, e.g. a group spec's ``raw_shapes`` or ``ModelSpec.raw_shapes()``.
        arrays: ``{name: array}``.
        prefix: How ``arrays`` is named in messages (e.g. ``"raw"``, ``"arrays"``).

    Raises:
        ShapeError: missing or unexpected keys, or a wrong shape.

    Example:
        >>> check_raw_arrays(IIDGaussianGroupSpec(2).raw_shapes, {"mean": np.zeros(2), "log_std": np.zeros(3)})
        Traceback (most recent call last):
        ...
        polymix_core._errors.ShapeError: raw['log_std']: expected shape (2,), received shape (3,)
    """
    missing = [n for n in shapes if n not in arrays]
    unexpected = sorted(set(arrays) - set(shapes))
    if missing or unexpected:
        raise ShapeError(
            f"{prefix}: expected exactly the keys {list(shapes)}, received {sorted(arrays)} "
            f"(missing {missing}, unexpected {unexpected})"
        )
    for name, shape in shapes.items():
        got = tuple(int(s) for s in np.shape(arrays[name]))
        if got != tuple(shape):
            raise ShapeError(f"{prefix}[{name!r}]: expected shape {tuple(shape)}, received shape {got}")


def langevin_spec_for(num_params: int, score_model: Any, energy_model: Any, **kwargs: Any) -> LangevinGroupSpec:
    """The spec of a Langevin group from its score or energy surrogate (a backend object).

    The rules every backend applies: exactly one of ``score_model`` and ``energy_model``; the
    surrogate has ``num_inputs``, ``num_outputs`` and ``num_params()``; its counts fit
    ``num_params`` (checked by ``LangevinGroupSpec``); its spec is recorded where it has one.

    Args:
        num_params: The group's parameter count.
        score_model: Surrogate of the score, or ``None``.
        energy_model: Surrogate of the energy, or ``None``.
        **kwargs: The remaining ``LangevinGroupSpec`` fields (``num_particles``, ``step_size``, ...).

    Raises:
        ConfigurationError: not exactly one surrogate, or one of the wrong size.
    """
    if (score_model is None) == (energy_model is None):
        raise ConfigurationError(
            "score_model, energy_model: expected exactly one of them, received "
            f"{'both' if score_model is not None else 'neither'}"
        )
    surrogate = score_model if score_model is not None else energy_model
    mode = "score" if score_model is not None else "energy"
    for attr in ("num_inputs", "num_outputs", "num_params"):
        if not hasattr(surrogate, attr):
            raise ConfigurationError(f"{mode}_model: expected a surrogate with {attr}, received one without")
    try:
        surrogate_spec = getattr(surrogate, "spec", None)
    except ConfigurationError:  # a user-defined torch surrogate says it has none
        surrogate_spec = None
    return LangevinGroupSpec(
        num_params,
        mode=mode,  # type: ignore[arg-type]
        surrogate_num_inputs=surrogate.num_inputs,
        surrogate_num_outputs=surrogate.num_outputs,
        surrogate_num_params=surrogate.num_params(),
        surrogate=surrogate_spec,
        **kwargs,
    )


#: The class of every backend that a group spec describes (each backend's ``parameter_groups``).
GROUP_CLASSES: dict[type, str] = {
    DeterministicGroupSpec: "DeterministicGroup",
    IIDGaussianGroupSpec: "IIDGaussianGroup",
    GaussianGroupSpec: "GaussianGroup",
    LowRankGaussianGroupSpec: "LowRankGaussianGroup",
    LangevinGroupSpec: "LangevinGroup",
}


def check_group_total(group_names: list[str], group_sizes: list[int], surrogate_num_params: int) -> None:
    """Raise unless the groups' sizes add up to the surrogate's parameter count.

    Example:
        >>> check_group_total(["a", "b"], [3, 4], 8)
        Traceback (most recent call last):
        ...
        polymix_core._errors.ConfigurationError: parameter_groups: expected sizes adding up to the surrogate's
        num_params() = 8, received 7 (a: 3, b: 4)
    """
    total = sum(group_sizes)
    if total != surrogate_num_params:
        listing = ", ".join(f"{n}: {s}" for n, s in zip(group_names, group_sizes))
        raise ConfigurationError(
            "parameter_groups: expected sizes adding up to the surrogate's num_params() = "
            f"{surrogate_num_params}, received {total} ({listing})"
        )


_FAMILIES = {cls.family: cls for cls in GROUP_CLASSES}  # type: ignore[attr-defined]


def group_spec_from_dict(d: dict[str, Any]) -> GroupSpec:
    """Rebuild a group spec from ``spec.to_dict()``.

    Example:
        >>> group_spec_from_dict(GaussianGroupSpec(3).to_dict()) == GaussianGroupSpec(3)
        True
    """
    d = dict(d)
    family = d.pop("family", None)
    if family not in _FAMILIES:
        raise ConfigurationError(f"family: expected one of {sorted(_FAMILIES)}, received {family!r}")
    num_params = d.pop("num_params")
    if family == "langevin" and d.get("surrogate") is not None:
        from ._surrogate_specs import surrogate_spec_from_dict

        d["surrogate"] = surrogate_spec_from_dict(d["surrogate"])
    return _FAMILIES[family](num_params, **d)  # type: ignore[no-any-return]
