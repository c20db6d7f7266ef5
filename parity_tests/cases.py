"""The parity table: model descriptions built with the pypolymix API of either package.

``record_baseline.py`` builds them with the real pypolymix 0.1.9 and ``test_parity.py``
with polymix-torch; both pass their own ``pypolymix``-style modules to the builders,
so one description means the same model on both sides.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import torch
import torch.nn.functional as F

ACTIVATIONS = {
    "relu": F.relu,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "gelu": F.gelu,
    "silu": F.silu,
    "elu": F.elu,
    "softplus": F.softplus,
}


def mlp(num_inputs: int, num_outputs: int, width: int, depth: int, activation: str = "relu") -> dict[str, Any]:
    """A NeuralNetwork description."""
    return {"kind": "mlp", "num_inputs": num_inputs, "num_outputs": num_outputs, "width": width, "depth": depth,
            "activation": activation}  # fmt: skip


def pce(num_inputs: int, num_outputs: int, degree: int) -> dict[str, Any]:
    """A PolynomialChaosExpansion description."""
    return {"kind": "pce", "num_inputs": num_inputs, "num_outputs": num_outputs, "degree": degree}


def gating(num_inputs: int, num_experts: int, width: int = 16, depth: int = 1) -> dict[str, Any]:
    """A GatingNetwork description."""
    return {"kind": "gating", "num_inputs": num_inputs, "num_experts": num_experts, "width": width, "depth": depth}


def mixture(experts: list[dict[str, Any]], gate: dict[str, Any]) -> dict[str, Any]:
    """A MixtureOfExperts description."""
    return {"kind": "mixture", "experts": experts, "gating": gate}


#: Surrogates: name -> (description, dtype of the recorded forward).
SURROGATES: dict[str, tuple[dict[str, Any], str]] = {
    "mlp_affine": (mlp(3, 2, 4, 0), "float64"),
    "mlp_relu_d1": (mlp(1, 1, 16, 1), "float64"),
    "mlp_relu_d2": (mlp(2, 1, 8, 2), "float64"),
    "mlp_tanh_d3": (mlp(4, 3, 6, 3, "tanh"), "float64"),
    "mlp_sigmoid": (mlp(2, 2, 5, 2, "sigmoid"), "float64"),
    "mlp_gelu": (mlp(3, 1, 7, 1, "gelu"), "float64"),
    "mlp_silu": (mlp(2, 1, 5, 2, "silu"), "float64"),
    "mlp_elu": (mlp(2, 1, 5, 1, "elu"), "float64"),
    "mlp_softplus": (mlp(2, 1, 5, 1, "softplus"), "float64"),
    "pce_1d_deg2_f32": (pce(1, 1, 2), "float32"),
    "pce_3d_deg3_f32": (pce(3, 1, 3), "float32"),
    "pce_multi_output_f32": (pce(2, 3, 4), "float32"),
    "pce_5d_deg2_f32": (pce(5, 2, 2), "float32"),
    "pce_deg0_f32": (pce(2, 1, 0), "float32"),
    "pce_3d_deg3_f64": (pce(3, 1, 3), "float64"),
    "pce_multi_output_f64": (pce(2, 3, 4), "float64"),
    "gating_3": (gating(2, 3, width=8), "float64"),
    "gating_deep": (gating(1, 4, width=5, depth=2), "float64"),
    "moe_identical_nn": (mixture([mlp(1, 1, 4, 1)] * 3, gating(1, 3)), "float64"),
    "moe_mixed_nn_pce": (
        mixture([mlp(2, 2, 5, 1), pce(2, 2, 3), mlp(2, 2, 5, 1), mlp(2, 2, 3, 2, "tanh")], gating(2, 4, width=6)),
        "float64",
    ),
    "moe_pce_f32": (mixture([pce(2, 1, 2), pce(2, 1, 2)], gating(2, 2, width=4)), "float32"),
}


def _prior(desc: dict[str, Any] | None, priors: ModuleType) -> Any:
    if desc is None:
        return None
    if desc["kind"] == "iid":
        return priors.IIDGaussianPrior(mean=desc["mean"], std=desc["std"])
    if desc["kind"] == "laplace":
        return priors.LaplacePrior(loc=desc["loc"], scale=desc["scale"])
    d = desc["num_params"]
    cov = torch.eye(d) * 1.5 + 0.3 * torch.ones(d, d)
    return priors.GaussianPrior(torch.linspace(-0.5, 0.5, d), covariance_matrix=cov)


IID_PRIOR = {"kind": "iid", "mean": 0.2, "std": 0.7}
LAPLACE = {"kind": "laplace", "loc": 0.1, "scale": 0.5}


def gauss_prior(d: int) -> dict[str, Any]:
    """A GaussianPrior over ``d`` parameters (fixed mean and covariance)."""
    return {"kind": "gaussian", "num_params": d}


#: Parameter groups: name -> description. ``loss`` says whether pypolymix's ``distribution_loss``
#: is comparable (analytic in both, or the same Monte Carlo draws); pypolymix estimates the full and
#: low-rank families' KL against IID priors (and the IID family's against a GaussianPrior) by Monte Carlo.
GROUPS: dict[str, dict[str, Any]] = {
    "det_default": {"family": "deterministic", "num_params": 5, "prior": None, "loss": True},
    "iid_default": {"family": "iid", "num_params": 6, "prior": None, "loss": True},
    "iid_iidprior": {"family": "iid", "num_params": 4, "prior": IID_PRIOR, "loss": True},
    "iid_laplace": {"family": "iid", "num_params": 4, "prior": LAPLACE, "loss": True},
    "iid_gaussprior": {"family": "iid", "num_params": 4, "prior": gauss_prior(4), "loss": False},
    "full_default": {"family": "gaussian", "num_params": 5, "prior": None, "loss": False},
    "full_gaussprior": {"family": "gaussian", "num_params": 4, "prior": gauss_prior(4), "loss": True},
    "full_laplace": {"family": "gaussian", "num_params": 3, "prior": LAPLACE, "loss": True},
    "lowrank_default": {"family": "low_rank", "num_params": 7, "rank": 2, "prior": None, "loss": False},
    "lowrank_gaussprior": {"family": "low_rank", "num_params": 5, "rank": 3, "prior": gauss_prior(5), "loss": True},
    "lowrank_laplace": {"family": "low_rank", "num_params": 4, "rank": 1, "prior": LAPLACE, "loss": True},
    "langevin_score": {"family": "langevin", "num_params": 3, "mode": "score", "prior": None, "loss": True},
    "langevin_energy": {"family": "langevin", "num_params": 2, "mode": "energy", "prior": IID_PRIOR, "loss": True},
}


#: Diffusion steps of the Langevin groups of the table.
LANGEVIN_STEPS = 6


def build_surrogate(desc: dict[str, Any], sm: ModuleType) -> Any:
    """A surrogate from ``desc`` with the ``surrogate_models`` module ``sm`` of either package."""
    kind = desc["kind"]
    if kind == "mlp":
        return sm.NeuralNetwork(
            desc["num_inputs"], desc["num_outputs"], desc["width"], desc["depth"], ACTIVATIONS[desc["activation"]]
        )
    if kind == "pce":
        return sm.PolynomialChaosExpansion(desc["num_inputs"], desc["num_outputs"], desc["degree"])
    if kind == "gating":
        return sm.GatingNetwork(desc["num_inputs"], desc["num_experts"], width=desc["width"], depth=desc["depth"])
    return sm.MixtureOfExperts([build_surrogate(e, sm) for e in desc["experts"]], build_surrogate(desc["gating"], sm))


def build_group(desc: dict[str, Any], pg: ModuleType, sm: ModuleType, priors: ModuleType) -> Any:
    """A parameter group from ``desc`` with either package's modules."""
    family, d = desc["family"], desc["num_params"]
    prior = _prior(desc["prior"], priors)
    if family == "deterministic":
        group = pg.DeterministicGroup("g", d)
        if prior is not None:
            group.prior = prior
        return group
    if family == "iid":
        return pg.IIDGaussianGroup("g", d, prior=prior)
    if family == "gaussian":
        return pg.GaussianGroup("g", d, prior=prior, init_scale_diag=0.3)
    if family == "low_rank":
        return pg.LowRankGaussianGroup("g", d, desc["rank"], prior=prior, init_scale_factor=0.2)
    surrogate = sm.NeuralNetwork(d, d if desc["mode"] == "score" else 1, width=8, depth=1, activation=torch.tanh)
    kwargs = {f"{desc['mode']}_model": surrogate}
    return pg.LangevinGroup(
        "g", d, prior=prior, num_diffusion_steps=LANGEVIN_STEPS, step_size=0.05, init_std=0.8, **kwargs
    )


def build_models(sm: ModuleType, pg: ModuleType, StochasticModel: Any) -> dict[str, Any]:
    """Full ``StochasticModel``s, one per surrogate kind, whose ``state_dict`` and seeded forward are compared."""
    pce_model = StochasticModel(
        sm.PolynomialChaosExpansion(2, 1, 3),
        [pg.IIDGaussianGroup("a", 4), pg.GaussianGroup("b", 3), pg.DeterministicGroup("c", 3)],
    )
    experts = [sm.NeuralNetwork(1, 1, width=4), sm.PolynomialChaosExpansion(1, 1, 2)]
    moe = sm.MixtureOfExperts(experts, sm.GatingNetwork(1, 2, width=3))
    moe_model = StochasticModel(
        moe, [pg.LowRankGaussianGroup("u", 13, 2), pg.IIDGaussianGroup("v", moe.num_params() - 13)]
    )
    nn_model = StochasticModel(sm.NeuralNetwork(2, 1, width=8, depth=2), pg.IIDGaussianGroup("nn", 105))
    gate = sm.GatingNetwork(2, 3, width=4)
    gating_model = StochasticModel(
        gate, [pg.GaussianGroup("first", 12), pg.DeterministicGroup("rest", gate.num_params() - 12)]
    )
    return {"model_pce": pce_model, "model_moe": moe_model, "model_nn": nn_model, "model_gating": gating_model}
