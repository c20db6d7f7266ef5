"""Every exported name exists; the drop-in re-exports the same objects; pypolymix 0.1.9's signatures hold."""

from __future__ import annotations

import importlib
import inspect
import types

import pytest

MODULES = [
    "polymix_torch",
    "polymix_torch.parameter_groups",
    "polymix_torch.priors",
    "polymix_torch.surrogate_models",
    "polymix_torch.surrogate_models.mixture",
    "polymix_torch.conformance",
    "pypolymix",
    "pypolymix.stochastic_model",
    "pypolymix.parameter_groups",
    "pypolymix.parameter_groups.base",
    "pypolymix.parameter_groups.deterministic",
    "pypolymix.parameter_groups.gaussian",
    "pypolymix.parameter_groups.langevin",
    "pypolymix.priors",
    "pypolymix.priors.base",
    "pypolymix.priors.common",
    "pypolymix.surrogate_models",
    "pypolymix.surrogate_models.base",
    "pypolymix.surrogate_models.mixture",
    "pypolymix.surrogate_models.neural_network",
    "pypolymix.surrogate_models.polynomial_chaos",
]


@pytest.mark.parametrize("name", MODULES)
def test_every_name_in_all_exists(name: str) -> None:
    module = importlib.import_module(name)
    assert module.__all__, name
    missing = [n for n in module.__all__ if not hasattr(module, n)]
    assert missing == []


def test_contract_names_of_the_top_level() -> None:
    import polymix_torch

    expected = {"StochasticModel", "parameter_groups", "priors", "surrogate_models", "save_checkpoint",
                "load_checkpoint", "build_model", "conformance"}  # fmt: skip
    assert expected <= set(polymix_torch.__all__)


@pytest.mark.parametrize(
    ("alias", "original"),
    [
        ("pypolymix.parameter_groups", "polymix_torch.parameter_groups"),
        ("pypolymix.priors", "polymix_torch.priors"),
        ("pypolymix.surrogate_models", "polymix_torch.surrogate_models"),
        ("pypolymix.surrogate_models.mixture", "polymix_torch.surrogate_models.mixture"),
    ],
)
def test_drop_in_reexports_the_same_objects(alias: str, original: str) -> None:
    a, o = importlib.import_module(alias), importlib.import_module(original)
    for name in o.__all__:
        if isinstance(getattr(o, name), types.ModuleType):  # a public submodule: its own alias module
            assert getattr(a, name).__name__ == f"{alias}.{name}"
            continue
        assert getattr(a, name) is getattr(o, name)


def test_drop_in_stochastic_model_is_the_same_class() -> None:
    import polymix_torch
    import pypolymix

    assert pypolymix.StochasticModel is polymix_torch.StochasticModel


def _defaults(obj: object) -> dict[str, object]:
    sig = inspect.signature(obj)  # type: ignore[arg-type]
    return {k: p.default for k, p in sig.parameters.items() if k != "self"}


def test_seed_signatures_and_defaults() -> None:
    from polymix_torch import StochasticModel, parameter_groups as pg, priors, surrogate_models as sm

    empty = inspect.Parameter.empty
    assert _defaults(StochasticModel) == {"surrogate_model": empty, "parameter_groups": empty}
    assert _defaults(StochasticModel.forward) == {"x": empty, "num_samples": 1}
    assert _defaults(StochasticModel.sample_parameters) == {"num_samples": 1}
    assert _defaults(pg.ParameterGroup) == {"name": empty, "num_params": empty, "prior": None, "kl_num_mc_samples": 64}
    assert _defaults(pg.GaussianGroup)["init_scale_diag"] == 1e-1
    assert _defaults(pg.GaussianGroup)["jitter"] == 1e-6
    low = _defaults(pg.LowRankGaussianGroup)
    assert list(low)[:4] == ["name", "num_params", "rank", "prior"]
    assert (low["init_scale_diag"], low["init_scale_factor"], low["jitter"]) == (1e-1, 1e-1, 1e-6)
    lang = _defaults(pg.LangevinGroup)
    assert list(lang)[:5] == ["name", "num_params", "score_model", "energy_model", "prior"]
    assert (lang["num_particles"], lang["num_diffusion_steps"], lang["step_size"], lang["init_std"]) == (
        32, 50, 1e-3, 1.0)  # fmt: skip
    assert _defaults(pg.LangevinGroup.sample_parameters) == {"num_samples": None}
    assert _defaults(pg.DeterministicGroup)["prior"] is None
    assert _defaults(priors.IIDGaussianPrior) == {"mean": 0.0, "std": 1.0}
    assert _defaults(priors.LaplacePrior) == {"loc": 0.0, "scale": 1.0}
    assert _defaults(priors.GaussianPrior) == {"mean": empty, "covariance_matrix": None, "scale_tril": None}
    assert list(_defaults(priors.Prior.distribution)) == ["event_shape", "device", "dtype"]
    nn_defaults = _defaults(sm.NeuralNetwork)
    assert (nn_defaults["num_outputs"], nn_defaults["width"], nn_defaults["depth"]) == (1, 16, 1)
    assert nn_defaults["activation"] is __import__("torch").nn.functional.relu
    pce = _defaults(sm.PolynomialChaosExpansion)
    assert (pce["num_outputs"], pce["degree"]) == (1, 3)
    positional = [k for k, p in inspect.signature(sm.MixtureOfExperts).parameters.items() if p.kind != p.KEYWORD_ONLY]
    assert positional == ["experts", "gating_network"]
    scaling = {"input_bounds": None, "output_shift": None, "output_scale": None, "extrapolation": "error"}
    for cls in (sm.NeuralNetwork, sm.PolynomialChaosExpansion, sm.MixtureOfExperts):
        params = inspect.signature(cls).parameters  # keyword-only extensions of the pypolymix 0.1.9 API
        assert {k: params[k].default for k in scaling} == scaling
        assert all(params[k].kind == inspect.Parameter.KEYWORD_ONLY for k in scaling)
    assert list(_defaults(sm.GatingNetwork))[:2] == ["num_inputs", "num_experts"]
