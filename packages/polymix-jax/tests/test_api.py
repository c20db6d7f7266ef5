"""The public surface: every pypolymix 0.1.9 name, argument and default, the contract's additions, __all__."""

from __future__ import annotations

import importlib
import inspect

import jax
import polymix_jax
import pytest
from polymix_jax import parameter_groups, priors, surrogate_models

MODULES = [
    "polymix_jax",
    "polymix_jax.parameter_groups",
    "polymix_jax.priors",
    "polymix_jax.surrogate_models",
    "polymix_jax.surrogate_models.mixture",
    "polymix_jax.conformance",
]


@pytest.mark.parametrize("name", MODULES)
def test_all_names_exist(name):
    module = importlib.import_module(name)
    assert module.__all__, name
    for attr in module.__all__:
        assert getattr(module, attr) is not None, (name, attr)


def test_contract_surface():
    for name in ("StochasticModel", "parameter_groups", "priors", "surrogate_models", "save_checkpoint",
                 "load_checkpoint", "build_model", "conformance"):  # fmt: skip
        assert name in polymix_jax.__all__
    assert set(parameter_groups.__all__) >= {
        "ParameterGroup", "DeterministicGroup", "IIDGaussianGroup", "GaussianGroup", "LowRankGaussianGroup",
        "LangevinGroup",
    }  # fmt: skip
    assert set(priors.__all__) == {"Prior", "IIDGaussianPrior", "GaussianPrior", "LaplacePrior"}
    assert set(surrogate_models.__all__) >= {
        "SurrogateModel", "NeuralNetwork", "PolynomialChaosExpansion", "GatingNetwork", "MixtureOfExperts",
    }  # fmt: skip
    assert surrogate_models.mixture.GatingNetwork is surrogate_models.GatingNetwork


_SCALING = {"input_bounds": None, "output_shift": None, "output_scale": None, "extrapolation": "error"}


def _defaults(fn):
    """Defaults of the pypolymix 0.1.9 arguments; the keyword-only scaling extensions are checked on their own."""
    params = inspect.signature(fn).parameters
    if set(_SCALING) <= set(params):
        assert {k: params[k].default for k in _SCALING} == _SCALING
        assert all(params[k].kind == inspect.Parameter.KEYWORD_ONLY for k in _SCALING)
    return {
        name: p.default
        for name, p in params.items()
        if p.default is not inspect.Parameter.empty and name not in _SCALING
    }


def test_seed_arguments_and_defaults():
    assert _defaults(surrogate_models.NeuralNetwork) == {
        "num_outputs": 1, "width": 16, "depth": 1, "activation": jax.nn.relu,
    }  # fmt: skip
    assert _defaults(surrogate_models.PolynomialChaosExpansion) == {"num_outputs": 1, "degree": 3, "q": 1.0}
    assert list(inspect.signature(surrogate_models.GatingNetwork).parameters)[:2] == ["num_inputs", "num_experts"]
    params = inspect.signature(surrogate_models.MixtureOfExperts).parameters
    assert [k for k in params if k not in _SCALING] == ["experts", "gating_network"]
    assert _defaults(surrogate_models.MixtureOfExperts) == {}
    assert _defaults(parameter_groups.GaussianGroup) == {
        "prior": None, "init_scale_diag": 0.1, "jitter": 1e-6, "kl_num_mc_samples": 64, "key": None,
    }  # fmt: skip
    assert _defaults(parameter_groups.LowRankGaussianGroup) == {
        "prior": None, "init_scale_diag": 0.1, "init_scale_factor": 0.1, "jitter": 1e-6, "kl_num_mc_samples": 64,
        "key": None,
    }  # fmt: skip
    assert list(inspect.signature(parameter_groups.LowRankGaussianGroup).parameters)[:3] == [
        "name",
        "num_params",
        "rank",
    ]
    assert _defaults(parameter_groups.LangevinGroup) == {
        "score_model": None, "energy_model": None, "prior": None, "num_particles": 32, "num_diffusion_steps": 50,
        "step_size": 1e-3, "init_std": 1.0, "kl_num_mc_samples": 64, "key": None,
    }  # fmt: skip
    assert _defaults(priors.IIDGaussianPrior) == {"mean": 0.0, "std": 1.0}
    assert _defaults(priors.LaplacePrior) == {"loc": 0.0, "scale": 1.0}
    assert _defaults(priors.GaussianPrior) == {"covariance_matrix": None, "scale_tril": None}
    assert _defaults(priors.Prior.distribution) == {"device": None, "dtype": None}
    assert _defaults(polymix_jax.StochasticModel.__call__) == {"num_samples": 1, "key": None}
    assert _defaults(parameter_groups.LangevinGroup.sample_parameters) == {"num_samples": None, "key": None}
    assert _defaults(parameter_groups.IIDGaussianGroup.sample_parameters) == {"num_samples": 1, "key": None}


def test_randomness_is_keyword_only():
    for fn in (
        parameter_groups.IIDGaussianGroup,
        parameter_groups.DeterministicGroup,
        parameter_groups.LowRankGaussianGroup,
        parameter_groups.LangevinGroup,
        parameter_groups.ParameterGroup.sample_parameters,
        parameter_groups.ParameterGroup.distribution_loss,
        polymix_jax.StochasticModel.__call__,
        polymix_jax.StochasticModel.sample_parameters,
        polymix_jax.StochasticModel.distribution_loss,
    ):
        assert inspect.signature(fn).parameters["key"].kind is inspect.Parameter.KEYWORD_ONLY, fn


def test_py_typed_is_shipped():
    from importlib.resources import files

    assert files("polymix_jax").joinpath("py.typed").is_file()
