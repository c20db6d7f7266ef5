"""The benchmark workloads, each described without any backend.

A workload is a ``polymix_core.ModelSpec`` (surrogate spec plus ordered parameter groups),
the number of training points and Monte Carlo draws, a fixed-seed data generator, and the
analytic matmul FLOP count of one forward pass (MLP-based surrogates only). ``Workload.job``
turns it into plain JSON that every runner, the pypolymix baseline included, can read
without importing polymix.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from polymix_core import (
    DeterministicGroupSpec,
    GatingSpec,
    GaussianGroupSpec,
    GroupEntry,
    IIDGaussianGroupSpec,
    LangevinGroupSpec,
    LowRankGaussianGroupSpec,
    MixtureSpec,
    MLPSpec,
    ModelSpec,
    PCESpec,
    SurrogateSpec,
)

__all__ = ["Workload", "WORKLOADS", "select", "mlp_forward_flops"]

#: Seed of every data generator (inputs, targets); the same arrays go to every column.
DATA_SEED = 2024


@dataclass(frozen=True)
class Workload:
    """One row of the benchmark table.

    Args:
        name: Short identifier (used by ``--workloads``).
        title: One-line human description for the report.
        category: ``"pce"``, ``"mlp"``, ``"mixture"`` or ``"langevin"`` (targets refer to it).
        model: Surrogate and groups, as polymix-core specs.
        num_points: Training points ``batch_size``.
        num_samples: Parameter draws per forward pass (training and predictive).
        learning_rate: Adam step size.
        baseline_patches: Names from ``runners/_pypolymix_patches.py`` the baseline needs to run at all.
        note: Said next to the workload in the report.
    """

    name: str
    title: str
    category: str
    model: ModelSpec
    num_points: int
    num_samples: int
    learning_rate: float = 1e-3
    baseline_patches: tuple[str, ...] = ()
    note: str = ""

    @property
    def num_inputs(self) -> int:
        """Input width of the surrogate."""
        return self.model.surrogate.num_inputs

    @property
    def num_outputs(self) -> int:
        """Output width of the surrogate."""
        return self.model.surrogate.num_outputs

    def data(self) -> tuple[np.ndarray, np.ndarray]:
        """Fixed-seed training data, float32.

        Returns:
            ``x`` of shape ``(num_points, num_inputs)`` uniform on ``[-1, 1]`` and
            ``y = sin(3 x w) + 0.1 eps`` of shape ``(num_points, num_outputs)`` with a fixed
            direction ``w``; the same arrays are handed to every column.
        """
        rng = np.random.default_rng(DATA_SEED)
        x = rng.uniform(-1.0, 1.0, size=(self.num_points, self.num_inputs))
        w = rng.standard_normal((self.num_inputs, self.num_outputs)) / np.sqrt(self.num_inputs)
        y = np.sin(3.0 * x @ w) + 0.1 * rng.standard_normal((self.num_points, self.num_outputs))
        return x.astype(np.float32), y.astype(np.float32)

    def forward_flops(self) -> int | None:
        """Matmul FLOPs of one forward pass over ``num_samples`` draws; ``None`` unless MLP-based."""
        return surrogate_forward_flops(self.model.surrogate, self.num_samples, self.num_points)

    def train_flops(self) -> int | None:
        """FLOPs of a training step, counted as 3x the forward matmuls (forward, input and weight grads)."""
        f = self.forward_flops()
        return None if f is None else 3 * f

    def job(self) -> dict[str, Any]:
        """JSON-ready description handed to the runners (data travels separately as ``.npz``)."""
        return {
            "name": self.name,
            "model": self.model.to_dict(),
            "num_points": self.num_points,
            "num_samples": self.num_samples,
            "learning_rate": self.learning_rate,
            "baseline_patches": list(self.baseline_patches),
        }


def mlp_forward_flops(spec: MLPSpec, num_samples: int, num_points: int) -> int:
    """``2 * num_samples * num_points * sum(fan_in * fan_out)`` over the layers of ``spec``."""
    sizes = spec.layer_sizes
    return 2 * num_samples * num_points * sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))


def surrogate_forward_flops(spec: SurrogateSpec, num_samples: int, num_points: int) -> int | None:
    """Matmul FLOPs of MLP and mixture-of-MLP surrogates; ``None`` for the others."""
    if isinstance(spec, MLPSpec):
        return mlp_forward_flops(spec, num_samples, num_points)
    if isinstance(spec, GatingSpec):
        return mlp_forward_flops(spec.network, num_samples, num_points)
    if isinstance(spec, MixtureSpec) and all(isinstance(e, MLPSpec) for e in spec.experts):
        experts = sum(mlp_forward_flops(e, num_samples, num_points) for e in spec.experts)  # type: ignore[arg-type]
        combine = 2 * num_samples * num_points * spec.num_experts * spec.num_outputs
        return experts + mlp_forward_flops(spec.gating.network, num_samples, num_points) + combine
    return None


def _single(name: str, surrogate: SurrogateSpec, group: Any) -> ModelSpec:
    return ModelSpec(surrogate, (GroupEntry(name, group),))


def _quickstart() -> Workload:
    pce = PCESpec(1, 1, degree=5)
    model = ModelSpec(
        pce,
        (GroupEntry("stochastic", IIDGaussianGroupSpec(2)), GroupEntry("deterministic", DeterministicGroupSpec(4))),
    )
    return Workload("quickstart", "README quickstart: PCE 1-D deg 5, IID(2) + det(4)", "pce", model, 200, 64)


def _pce(name: str, d: int, p: int, points: int = 1000, samples: int = 32) -> Workload:
    pce = PCESpec(d, 1, degree=p)
    title = f"PCE {d} inputs deg {p} ({pce.num_terms} terms), IID"
    model = _single("coeffs", pce, IIDGaussianGroupSpec(pce.num_params))
    if (p + 1) ** d <= 10**8:
        return Workload(name, title, "pce", model, points, samples)
    note = (
        f"pypolymix 0.1.9's PCE constructor filters all (degree+1)^inputs = {p + 1}^{d} = {(p + 1) ** d:.2g} "
        "index tuples and does not finish; the baseline runs with that constructor step replaced by a direct "
        "enumeration of the same index set in the same order (`_pypolymix_patches.fast_pce_indices`); its timed "
        "forward and training step are pypolymix's own."
    )
    return Workload(name, title, "pce", model, points, samples, baseline_patches=("fast_pce_indices",), note=note)


def _pce_full_cov() -> Workload:
    pce = PCESpec(6, 1, degree=3)
    model = _single("coeffs", pce, GaussianGroupSpec(pce.num_params))
    return Workload(
        "pce_fullcov", f"PCE 6 inputs deg 3, full-covariance group (d={pce.num_params})", "pce", model, 1000, 32
    )


def _pce_low_rank() -> Workload:
    pce = PCESpec(6, 1, degree=4)
    model = _single("coeffs", pce, LowRankGaussianGroupSpec(pce.num_params, rank=8))
    return Workload(
        "pce_lowrank", f"PCE 6 inputs deg 4, low-rank group (d={pce.num_params}, rank 8)", "pce", model, 1000, 32
    )


def _mlp(name: str, d: int, width: int, depth: int, points: int, samples: int) -> Workload:
    mlp = MLPSpec(d, 1, width=width, depth=depth)
    title = f"MLP {d} inputs, width {width}, depth {depth} ({mlp.num_params} params), IID"
    return Workload(name, title, "mlp", _single("weights", mlp, IIDGaussianGroupSpec(mlp.num_params)), points, samples)


def _mixture(name: str, num_experts: int) -> Workload:
    expert = MLPSpec(2, 1, width=32, depth=2)
    spec = MixtureSpec((expert,) * num_experts, GatingSpec(2, num_experts, width=16, depth=1))
    title = f"mixture of {num_experts} MLP experts (2 in, width 32, depth 2), IID"
    return Workload(name, title, "mixture", _single("moe", spec, IIDGaussianGroupSpec(spec.num_params)), 1000, 32)


def _langevin() -> Workload:
    pce = PCESpec(2, 1, degree=3)
    n = pce.num_params
    score = MLPSpec(n, n, width=32, depth=2)
    group = LangevinGroupSpec(
        n,
        mode="score",
        surrogate_num_inputs=n,
        surrogate_num_outputs=n,
        surrogate_num_params=score.num_params,
        num_particles=32,
        num_diffusion_steps=50,
        surrogate=score,
    )
    title = "Langevin (50 steps) over PCE 2-D deg 3 coefficients, score MLP width 32 depth 2"
    return Workload("langevin", title, "langevin", _single("coeffs", pce, group), 200, 32)


#: The benchmark workloads, in report order.
WORKLOADS: tuple[Workload, ...] = (
    _quickstart(),
    _pce("pce_6d4", 6, 4),
    _pce("pce_8d3", 8, 3),
    _pce("pce_20d4", 20, 4),
    _pce_full_cov(),
    _pce_low_rank(),
    _mlp("mlp_small", 4, 64, 3, 1000, 32),
    _mlp("mlp_large", 8, 256, 2, 2048, 16),
    _mixture("moe_4", 4),
    _mixture("moe_16", 16),
    _langevin(),
)


def select(names: list[str] | None) -> list[Workload]:
    """The workloads named in ``names`` (all when ``None``), in table order; unknown names raise."""
    if not names:
        return list(WORKLOADS)
    known = {w.name: w for w in WORKLOADS}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise SystemExit(f"--workloads: unknown {unknown}; expected some of {sorted(known)}")
    return [w for w in WORKLOADS if w.name in names]
