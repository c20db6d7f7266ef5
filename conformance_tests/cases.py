"""The table of conformance cases: surrogates, group families, priors, models.

Every case is built from polymix_core specs only; inputs, parameters and noise
are drawn from a seed derived from the case id and rounded to float32, so that
float32 and float64 runs see exactly the same numbers and the float64 reference
evaluated on them is the exact answer for both.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from polymix_core import (
    DeterministicGroupSpec,
    GatingSpec,
    GaussianGroupSpec,
    GaussianPriorSpec,
    GroupEntry,
    IIDGaussianGroupSpec,
    IIDGaussianPriorSpec,
    LangevinGroupSpec,
    LaplacePriorSpec,
    LowRankGaussianGroupSpec,
    MixtureSpec,
    MLPSpec,
    ModelSpec,
    PCESpec,
)

DTYPES = ("float64", "float32")


def rng_for(*key: Any) -> np.random.Generator:
    """A generator seeded from a stable hash of ``key``."""
    return np.random.default_rng(zlib.crc32(repr(key).encode()))


def f32(a: np.ndarray) -> np.ndarray:
    """Round to float32 and back: exactly representable in both precisions."""
    return np.asarray(a, dtype=np.float64).astype(np.float32).astype(np.float64)


# --------------------------------------------------------------------------- surrogates


@dataclass(frozen=True)
class SurrogateCase:
    id: str
    spec: Any
    batch_size: int = 7
    num_samples: int = 3
    param_scale: float = 1.0

    def x(self) -> np.ndarray:
        return f32(rng_for("x", self.id).uniform(-1.0, 1.0, (self.batch_size, self.spec.num_inputs)))

    def params(self, num_samples: int | None = None) -> np.ndarray:
        n = self.num_samples if num_samples is None else num_samples
        return f32(self.param_scale * rng_for("params", self.id, n).standard_normal((n, self.spec.num_params)))


MLP_CASES = [
    SurrogateCase(f"mlp-depth{depth}-{act}", MLPSpec(3, 2, width=6, depth=depth, activation=act))
    for depth in range(4)
    for act in ("relu", "tanh")
]
MLP_CASES.append(SurrogateCase("mlp-seed105", MLPSpec(2, 1, width=8, depth=2)))

PCE_CASES = [
    SurrogateCase("pce-1in-deg2", PCESpec(1, 1, degree=2)),
    SurrogateCase("pce-3in-deg3-2out", PCESpec(3, 2, degree=3)),
    SurrogateCase("pce-6in-deg4-3out", PCESpec(6, 3, degree=4), param_scale=0.2),
    SurrogateCase("pce-4in-deg4-q0.5-2out", PCESpec(4, 2, degree=4, q=0.5)),
    SurrogateCase("pce-2in-deg0-2out", PCESpec(2, 2, degree=0)),
]

GATING_CASES = [
    SurrogateCase("gating-relu", GatingSpec(2, 3, width=5, depth=1)),
    SurrogateCase("gating-tanh-depth2", GatingSpec(2, 4, width=4, depth=2, activation="tanh")),
    SurrogateCase("gating-depth0", GatingSpec(3, 2, width=4, depth=0)),
]

MIXTURE_CASES = [
    SurrogateCase(
        "moe-nn",
        MixtureSpec((MLPSpec(2, 2, width=4, depth=1),) * 3, GatingSpec(2, 3, width=4)),
    ),
    SurrogateCase(
        "moe-pce",
        MixtureSpec((PCESpec(2, 2, degree=3),) * 2, GatingSpec(2, 2, width=3, depth=1, activation="tanh")),
    ),
    SurrogateCase(
        "moe-mixed",
        MixtureSpec(
            (
                MLPSpec(2, 2, width=4, depth=2, activation="tanh"),
                PCESpec(2, 2, degree=2),
                MLPSpec(2, 2, width=3, depth=1),
                PCESpec(2, 2, degree=2),
            ),
            GatingSpec(2, 4, width=4, depth=0),
        ),
    ),
]

SURROGATE_CASES = MLP_CASES + PCE_CASES + GATING_CASES + MIXTURE_CASES

# --------------------------------------------------------------------------- priors

#: Dimension of the standalone group cases.
GROUP_DIM = 5


@dataclass(frozen=True)
class PriorCase:
    id: str
    kind: str  # "default", "iid", "gaussian", "laplace"

    def spec(self, d: int) -> Any:
        """The prior spec over ``d`` parameters (``None`` for the group's default prior)."""
        rng = rng_for("prior", self.id, d)
        if self.id == "default":
            return None
        if self.id == "iid-scalar":
            return IIDGaussianPriorSpec(0.25, 1.5)
        if self.id == "iid-vector":
            return IIDGaussianPriorSpec(f32(rng.normal(0.0, 0.5, d)), f32(rng.uniform(0.5, 2.0, d)))
        if self.id in ("gaussian-cov", "gaussian-tril"):
            a = rng.normal(0.0, 0.4, (d, d))
            cov = a @ a.T + np.diag(rng.uniform(0.5, 1.5, d))
            mean = f32(rng.normal(0.0, 0.5, d))
            lower = np.tril(f32(np.linalg.cholesky(cov)))
            if self.id == "gaussian-tril":
                return GaussianPriorSpec(mean, scale_tril=lower)
            return GaussianPriorSpec(mean, covariance_matrix=lower @ lower.T)
        if self.id == "laplace-scalar":
            return LaplacePriorSpec(0.1, 0.7)
        if self.id == "laplace-vector":
            return LaplacePriorSpec(f32(rng.normal(0.0, 0.5, d)), f32(rng.uniform(0.3, 1.5, d)))
        raise AssertionError(self.id)


PRIOR_CASES = [
    PriorCase("default", "default"),
    PriorCase("iid-scalar", "iid"),
    PriorCase("iid-vector", "iid"),
    PriorCase("gaussian-cov", "gaussian"),
    PriorCase("gaussian-tril", "gaussian"),
    PriorCase("laplace-scalar", "laplace"),
    PriorCase("laplace-vector", "laplace"),
]
GAUSSIAN_PRIOR_CASES = [p for p in PRIOR_CASES if p.kind != "laplace"]
LAPLACE_PRIOR_CASES = [p for p in PRIOR_CASES if p.kind == "laplace"]

# --------------------------------------------------------------------------- group families


def raw_for(spec: Any, key: Any) -> dict[str, np.ndarray]:
    """Valid, float32-representable raw parameters of a group spec, away from the initial values."""
    rng = rng_for("raw", key)
    d = spec.num_params
    if isinstance(spec, DeterministicGroupSpec):
        raw = {"params": rng.normal(0.0, 1.0, d)}
    elif isinstance(spec, IIDGaussianGroupSpec):
        raw = {"mean": rng.normal(0.0, 1.0, d), "log_std": rng.normal(-0.7, 0.3, d)}
    elif isinstance(spec, GaussianGroupSpec):
        tril = rng.normal(0.0, 0.25, spec.num_tril)
        tril[spec.diag_positions] = rng.normal(-0.8, 0.3, d)
        raw = {"mean": rng.normal(0.0, 1.0, d), "raw_tril": tril}
    elif isinstance(spec, LowRankGaussianGroupSpec):
        raw = {
            "mean": rng.normal(0.0, 1.0, d),
            "cov_factor": rng.normal(0.0, 0.4, (d, spec.rank)),
            "raw_cov_diag": rng.normal(-1.5, 0.3, d),
        }
    elif isinstance(spec, LangevinGroupSpec):
        raw = {"surrogate_params": rng.normal(0.0, 0.4, spec.surrogate_num_params)}
    else:
        raise AssertionError(type(spec))
    return {k: f32(v) for k, v in raw.items()}


def langevin_spec(d: int, surrogate: Any, mode: str, **kw: Any) -> LangevinGroupSpec:
    """A Langevin group spec over ``d`` parameters driven by ``surrogate``."""
    return LangevinGroupSpec(
        d,
        mode=mode,  # type: ignore[arg-type]
        surrogate_num_inputs=surrogate.num_inputs,
        surrogate_num_outputs=surrogate.num_outputs,
        surrogate_num_params=surrogate.num_params,
        surrogate=surrogate,
        **kw,
    )


@dataclass(frozen=True)
class FamilyCase:
    id: str
    spec: Any
    raw: dict[str, np.ndarray] = field(compare=False, repr=False, default_factory=dict)

    @property
    def family(self) -> str:
        return self.spec.family

    @property
    def is_gaussian(self) -> bool:
        return self.family in ("iid_gaussian", "gaussian", "low_rank_gaussian")

    @property
    def is_langevin(self) -> bool:
        return self.family == "langevin"


def _family(id_: str, spec: Any) -> FamilyCase:
    return FamilyCase(id_, spec, raw_for(spec, id_))


_LANGEVIN_KW = {"num_particles": 128, "num_diffusion_steps": 20, "step_size": 0.05, "init_std": 0.8}

FAMILY_CASES = [
    _family("deterministic", DeterministicGroupSpec(GROUP_DIM)),
    _family("iid", IIDGaussianGroupSpec(GROUP_DIM, kl_num_mc_samples=512)),
    _family("gaussian", GaussianGroupSpec(GROUP_DIM, kl_num_mc_samples=512)),
    _family("lowrank-r1", LowRankGaussianGroupSpec(GROUP_DIM, rank=1, kl_num_mc_samples=512)),
    _family("lowrank-r3", LowRankGaussianGroupSpec(GROUP_DIM, rank=3, kl_num_mc_samples=512)),
    _family(
        "langevin-score",
        langevin_spec(
            GROUP_DIM, MLPSpec(GROUP_DIM, GROUP_DIM, width=8, depth=1, activation="tanh"), "score", **_LANGEVIN_KW
        ),
    ),
    _family(
        "langevin-energy",
        langevin_spec(GROUP_DIM, MLPSpec(GROUP_DIM, 1, width=8, depth=2), "energy", **_LANGEVIN_KW),
    ),
]
GAUSSIAN_FAMILY_CASES = [f for f in FAMILY_CASES if f.is_gaussian]
TRANSFORM_FAMILY_CASES = [f for f in FAMILY_CASES if not f.is_langevin]
LANGEVIN_FAMILY_CASES = [f for f in FAMILY_CASES if f.is_langevin]

# --------------------------------------------------------------------------- Langevin trajectories


@dataclass(frozen=True)
class LangevinCase:
    id: str
    spec: LangevinGroupSpec
    num_particles: int = 6
    num_steps: int = 15

    @property
    def surrogate(self) -> Any:
        return self.spec.surrogate

    @property
    def raw(self) -> dict[str, np.ndarray]:
        return raw_for(self.spec, self.id)

    def theta0(self) -> np.ndarray:
        return f32(rng_for("theta0", self.id).normal(0.0, 1.0, (self.num_particles, self.spec.num_params)))

    def noise(self) -> np.ndarray:
        shape = (self.num_steps, self.num_particles, self.spec.num_params)
        return f32(rng_for("xi", self.id).standard_normal(shape))


LANGEVIN_CASES = [
    LangevinCase("score-mlp-tanh", langevin_spec(4, MLPSpec(4, 4, width=8, depth=1, activation="tanh"), "score")),
    LangevinCase("score-mlp-relu-depth2", langevin_spec(3, MLPSpec(3, 3, width=6, depth=2), "score", step_size=0.02)),
    LangevinCase("score-pce", langevin_spec(2, PCESpec(2, 2, degree=2), "score", step_size=0.01)),
    LangevinCase(
        "energy-mlp-tanh",
        langevin_spec(4, MLPSpec(4, 1, width=8, depth=1, activation="tanh"), "energy", step_size=0.05),
    ),
    LangevinCase("energy-mlp-relu-depth2", langevin_spec(3, MLPSpec(3, 1, width=6, depth=2), "energy", step_size=0.05)),
    LangevinCase("energy-mlp-depth0", langevin_spec(3, MLPSpec(3, 1, width=2, depth=0), "energy", step_size=0.1)),
    LangevinCase("energy-pce", langevin_spec(2, PCESpec(2, 1, degree=3), "energy", step_size=0.01)),
]

# --------------------------------------------------------------------------- gradients


@dataclass(frozen=True)
class GradientCase:
    id: str
    surrogate: Any
    family: Any  # group spec covering every surrogate parameter
    prior: PriorCase
    batch_size: int = 5
    num_samples: int = 3

    @property
    def raw(self) -> dict[str, np.ndarray]:
        return raw_for(self.family, ("grad", self.id))

    @property
    def prior_spec(self) -> Any:
        return self.prior.spec(self.family.num_params)

    def x(self) -> np.ndarray:
        return f32(rng_for("grad-x", self.id).uniform(-1.0, 1.0, (self.batch_size, self.surrogate.num_inputs)))

    def noise(self) -> np.ndarray:
        shape = (self.num_samples, *self.family.noise_shape)
        return f32(rng_for("grad-noise", self.id).standard_normal(shape))


def _grad_cases() -> list[GradientCase]:
    mlp_relu = MLPSpec(2, 1, width=3, depth=1)  # 13 parameters
    mlp_tanh = MLPSpec(2, 2, width=3, depth=2, activation="tanh")  # 29
    pce = PCESpec(2, 2, degree=3)  # 20
    moe = MixtureSpec((MLPSpec(1, 1, width=2, depth=1), PCESpec(1, 1, degree=2)), GatingSpec(1, 2, width=2))  # 20
    priors = {p.id: p for p in PRIOR_CASES}
    table = [
        ("mlp-relu", mlp_relu, "deterministic", "default"),
        ("mlp-relu", mlp_relu, "deterministic", "laplace-vector"),
        ("mlp-relu", mlp_relu, "deterministic", "gaussian-tril"),
        ("mlp-relu", mlp_relu, "iid", "default"),
        ("mlp-tanh", mlp_tanh, "iid", "iid-vector"),
        ("mlp-tanh", mlp_tanh, "gaussian", "default"),
        ("pce", pce, "gaussian", "gaussian-cov"),
        ("pce", pce, "iid", "iid-scalar"),
        ("moe", moe, "gaussian", "gaussian-tril"),
        ("mlp-relu", mlp_relu, "lowrank-r1", "default"),
        ("mlp-tanh", mlp_tanh, "lowrank-r2", "iid-vector"),
        ("moe", moe, "lowrank-r3", "gaussian-cov"),
        ("pce", pce, "lowrank-r2", "gaussian-tril"),
        ("pce", pce, "deterministic", "iid-vector"),
    ]
    out = []
    for sid, surrogate, fid, pid in table:
        d = surrogate.num_params
        family: Any
        if fid == "deterministic":
            family = DeterministicGroupSpec(d)
        elif fid == "iid":
            family = IIDGaussianGroupSpec(d)
        elif fid == "gaussian":
            family = GaussianGroupSpec(d)
        else:
            family = LowRankGaussianGroupSpec(d, rank=int(fid[-1]))
        out.append(GradientCase(f"{sid}-{fid}-{pid}", surrogate, family, priors[pid]))
    return out


GRADIENT_CASES = _grad_cases()

# --------------------------------------------------------------------------- models (checkpoints)


@dataclass(frozen=True)
class ModelCase:
    id: str
    spec: ModelSpec
    batch_size: int = 6
    num_samples: int = 4

    @property
    def raw(self) -> dict[str, np.ndarray]:
        out = {}
        for i, g in enumerate(self.spec.groups):
            for name, value in raw_for(g.spec, (self.id, i)).items():
                out[f"parameter_groups.{i}.{name}"] = value
        return out

    def x(self) -> np.ndarray:
        return f32(rng_for("model-x", self.id).uniform(-1.0, 1.0, (self.batch_size, self.spec.surrogate.num_inputs)))

    def noises(self) -> list[np.ndarray]:
        rng = rng_for("model-noise", self.id)
        return [f32(rng.standard_normal((self.num_samples, *g.spec.noise_shape))) for g in self.spec.groups]


def _model_cases() -> list[ModelCase]:
    priors = {p.id: p for p in PRIOR_CASES}
    mlp = MLPSpec(2, 1, width=4, depth=2, activation="tanh")  # 12 + 20 + 5 = 37
    moe = MIXTURE_CASES[2].spec  # moe-mixed
    e0, e1 = moe.experts[0].num_params, moe.experts[1].num_params
    rest = moe.num_params - e0 - e1
    pce = PCESpec(2, 1, degree=3)  # 10
    return [
        ModelCase(
            "mlp-iid+deterministic",
            ModelSpec(
                mlp, (GroupEntry("weights", IIDGaussianGroupSpec(30)), GroupEntry("rest", DeterministicGroupSpec(7)))
            ),
        ),
        ModelCase(
            "moe-gaussian+lowrank+deterministic",
            ModelSpec(
                moe,
                (
                    GroupEntry("expert0", GaussianGroupSpec(e0), priors["iid-vector"].spec(e0)),
                    GroupEntry("expert1", LowRankGaussianGroupSpec(e1, rank=2), priors["laplace-scalar"].spec(e1)),
                    GroupEntry("rest", DeterministicGroupSpec(rest), priors["gaussian-tril"].spec(rest)),
                ),
            ),
        ),
        ModelCase(
            "pce-langevin+iid",
            ModelSpec(
                pce,
                (
                    GroupEntry(
                        "low",
                        langevin_spec(
                            4,
                            MLPSpec(4, 1, width=5, depth=1, activation="tanh"),
                            "energy",
                            num_diffusion_steps=5,
                            step_size=0.05,
                        ),
                        priors["laplace-vector"].spec(4),
                    ),
                    GroupEntry(
                        "high",
                        langevin_spec(3, MLPSpec(3, 3, width=4, depth=1), "score", num_diffusion_steps=4),
                    ),
                    GroupEntry("tail", IIDGaussianGroupSpec(3), priors["gaussian-cov"].spec(3)),
                ),
            ),
        ),
    ]


MODEL_CASES = _model_cases()
