"""Bad configuration and bad input: the polymix_core error family, actionable messages, nothing changed."""

from __future__ import annotations

import re
from typing import Any

import pytest
import torch
from polymix_core import ConfigurationError, PolymixError, PolymixTypeError, PolymixValueError, ShapeError
from polymix_torch import StochasticModel
from polymix_torch.parameter_groups import (
    DeterministicGroup,
    GaussianGroup,
    IIDGaussianGroup,
    LangevinGroup,
    LowRankGaussianGroup,
)
from polymix_torch.priors import GaussianPrior, IIDGaussianPrior, LaplacePrior
from polymix_torch.surrogate_models import GatingNetwork, MixtureOfExperts, NeuralNetwork, PolynomialChaosExpansion


def _raises(error: type[Exception], *fragments: str) -> Any:
    return pytest.raises(error, match=".*".join(re.escape(f) for f in fragments))


@pytest.mark.parametrize(
    ("make", "error", "fragments"),
    [
        (lambda: NeuralNetwork(0), PolymixValueError, ("num_inputs", "positive integer", "0")),
        (lambda: NeuralNetwork(2, width=2.5), PolymixTypeError, ("width", "positive integer", "2.5")),
        (lambda: NeuralNetwork(2, depth=-1), PolymixValueError, ("depth", "non-negative", "-1")),
        (lambda: NeuralNetwork(2, activation="swish"), ConfigurationError, ("activation", "'swish'")),
        (lambda: NeuralNetwork(2, activation=3), PolymixTypeError, ("activation", "callable", "int")),
        (lambda: PolynomialChaosExpansion(2, degree=-2), PolymixValueError, ("degree", "-2")),
        (lambda: GatingNetwork(1, 0), PolymixValueError, ("num_outputs", "0")),
        (lambda: GatingNetwork(1, 2, widht=3), PolymixTypeError, ("kwargs", "widht")),
        (lambda: MixtureOfExperts([], GatingNetwork(1, 1)), ConfigurationError, ("experts", "at least one")),
        (
            lambda: MixtureOfExperts([NeuralNetwork(1), NeuralNetwork(2)], GatingNetwork(1, 2)),
            ConfigurationError,
            ("same num_inputs", "[1, 2]"),
        ),
        (
            lambda: MixtureOfExperts([NeuralNetwork(1, 1), NeuralNetwork(1, 2)], GatingNetwork(1, 2)),
            ConfigurationError,
            ("same num_outputs", "[1, 2]"),
        ),
        (
            lambda: MixtureOfExperts([NeuralNetwork(1)] * 2, GatingNetwork(1, 3)),
            ConfigurationError,
            ("num_experts == 2", "num_experts=3"),
        ),
        (lambda: MixtureOfExperts([NeuralNetwork(1)], "gate"), PolymixTypeError, ("gating_network", "str")),
        (lambda: IIDGaussianGroup("g", 0), PolymixValueError, ("num_params", "0")),
        (lambda: IIDGaussianGroup(3, 2), PolymixTypeError, ("name", "string", "int")),
        (lambda: IIDGaussianGroup("g", 2, prior="normal"), PolymixTypeError, ("prior", "str")),
        (lambda: GaussianGroup("g", 2, jitter=0.0), PolymixValueError, ("jitter", "positive", "0.0")),
        (lambda: GaussianGroup("g", 2, init_scale_diag=float("nan")), PolymixValueError, ("init_scale_diag", "nan")),
        (lambda: LowRankGaussianGroup("g", 3, 4), ConfigurationError, ("rank", "[1, num_params=3]", "4")),
        (lambda: LowRankGaussianGroup("g", 3, 0), PolymixValueError, ("rank", "0")),
        (lambda: LowRankGaussianGroup("g", 3, 1, init_scale_factor=-1.0), PolymixValueError, ("init_scale_factor",)),
        (lambda: IIDGaussianGroup("g", 2, kl_num_mc_samples=0), PolymixValueError, ("kl_num_mc_samples", "0")),
        (lambda: IIDGaussianPrior(std=-1.0), ConfigurationError, ("std", "positive")),
        (lambda: LaplacePrior(scale=0.0), ConfigurationError, ("scale", "positive")),
        (lambda: GaussianPrior(torch.zeros(2)), ConfigurationError, ("exactly one", "neither")),
        (
            lambda: GaussianPrior(torch.zeros(2), covariance_matrix=torch.eye(3)),
            ShapeError,
            ("covariance_matrix", "(2, 2)", "(3, 3)"),
        ),
        (
            lambda: GaussianPrior(torch.zeros(2), covariance_matrix=-torch.eye(2)),
            ConfigurationError,
            ("positive-definite",),
        ),
        (
            lambda: IIDGaussianGroup("g", 3, prior=IIDGaussianPrior(torch.zeros(2), 1.0)),
            ShapeError,
            ("mean", "scalar or shape (3,)", "(2,)"),
        ),
        (
            lambda: GaussianGroup("g", 3, prior=GaussianPrior(torch.zeros(2), scale_tril=torch.eye(2))),
            ShapeError,
            ("prior", "3 parameters", "(2,)"),
        ),
        (
            lambda: LangevinGroup("g", 3),
            ConfigurationError,
            ("score_model, energy_model", "exactly one", "neither"),
        ),
        (
            lambda: LangevinGroup("g", 3, score_model=NeuralNetwork(3, 2)),
            ConfigurationError,
            ("score_model", "num_outputs == 3", "num_outputs=2"),
        ),
        (
            lambda: LangevinGroup("g", 3, energy_model=NeuralNetwork(2, 1)),
            ConfigurationError,
            ("energy_model", "num_inputs == num_params (3)", "num_inputs=2"),
        ),
        (
            lambda: LangevinGroup("g", 3, score_model=NeuralNetwork(3, 3), step_size=0.0),
            PolymixValueError,
            ("step_size", "positive"),
        ),
        (
            lambda: LangevinGroup("g", 3, score_model=NeuralNetwork(3, 3), num_diffusion_steps=0),
            PolymixValueError,
            ("num_diffusion_steps",),
        ),
        (
            lambda: StochasticModel(NeuralNetwork(1, width=2), [IIDGaussianGroup("w", 4), DeterministicGroup("b", 2)]),
            ConfigurationError,
            ("num_params() = 7", "received 6", "w: 4", "b: 2"),
        ),
        (lambda: StochasticModel(NeuralNetwork(1), [object()]), PolymixTypeError, ("parameter_groups[0]", "object")),
        (lambda: StochasticModel("net", []), PolymixTypeError, ("surrogate_model", "str")),
    ],
)
def test_bad_configuration_is_rejected(make: object, error: type[Exception], fragments: tuple[str, ...]) -> None:
    with _raises(error, *fragments) as info:
        make()  # type: ignore[operator]
    assert isinstance(info.value, PolymixError)


SURROGATES = [
    NeuralNetwork(2, 1, width=3),
    PolynomialChaosExpansion(2, 1, 2),
    GatingNetwork(2, 3),
    MixtureOfExperts([NeuralNetwork(2), PolynomialChaosExpansion(2)], GatingNetwork(2, 2)),
]


@pytest.mark.parametrize("model", SURROGATES, ids=lambda m: type(m).__name__)
def test_bad_surrogate_input_is_rejected(model: torch.nn.Module) -> None:
    p = torch.zeros(3, model.num_params())  # type: ignore[operator]
    with _raises(ShapeError, "x: expected a 2-D array of shape (batch_size, 2)", "received shape (5,)"):
        model(torch.zeros(5), p)
    with _raises(ShapeError, "x:", "(batch_size, 2)", "(5, 3)"):
        model(torch.zeros(5, 3), p)
    with _raises(ShapeError, "params:", f"(num_samples, {p.shape[1]})", f"({p.shape[1] + 1},)"):
        model(torch.zeros(5, 2), torch.zeros(p.shape[1] + 1))
    with _raises(PolymixTypeError, "x, params", "same dtype", "torch.float64", "torch.float32"):
        model(torch.zeros(5, 2, dtype=torch.float64), p)
    with _raises(PolymixTypeError, "x", "torch.Tensor", "list"):
        model([[0.0, 0.0]], p)
    with _raises(PolymixTypeError, "params", "floating-point", "torch.int64"):
        model(torch.zeros(5, 2), torch.zeros(3, p.shape[1], dtype=torch.long))


def test_rejected_calls_leave_the_model_unchanged() -> None:
    torch.manual_seed(0)
    score = NeuralNetwork(2, 2, width=3)
    lang = LangevinGroup("l", 2, score_model=score, num_diffusion_steps=2)
    model = StochasticModel(NeuralNetwork(1, 1, width=1), [lang, IIDGaussianGroup("w", 2)])
    model.sample_parameters(3)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    last = lang._last_samples
    rng_state = torch.get_rng_state()
    for bad in (
        lambda: model(torch.zeros(4, 2), 3),
        lambda: model(torch.zeros(4, 1), 0),
        lambda: model(torch.zeros(4, 1), 2.0),
    ):
        with pytest.raises(PolymixError):
            bad()
    assert lang._last_samples is last
    assert torch.equal(torch.get_rng_state(), rng_state)  # nothing was sampled
    assert all(torch.equal(v, before[k]) for k, v in model.state_dict().items())


@pytest.mark.parametrize("num_samples", [0, -1, 1.5, True, "2"])
def test_num_samples_must_be_a_positive_int(num_samples: object) -> None:
    group = IIDGaussianGroup("g", 2)
    with pytest.raises((PolymixValueError, PolymixTypeError), match="num_samples: expected a positive integer"):
        group.sample_parameters(num_samples)  # type: ignore[arg-type]


def test_noise_and_trajectory_shapes_are_checked() -> None:
    group = LowRankGaussianGroup("g", 3, 2)
    with _raises(ShapeError, "noise: expected shape (num_samples, 5)", "(4, 3)"):
        group.sample_transform(torch.zeros(4, 3))
    with _raises(PolymixTypeError, "noise", "same dtype"):
        group.sample_transform(torch.zeros(4, 5, dtype=torch.float64))
    lang = LangevinGroup("l", 2, score_model=NeuralNetwork(2, 2))
    with _raises(ShapeError, "noise: expected shape (num_steps, 4, 2)", "(3, 4, 3)"):
        lang.trajectory(torch.zeros(4, 2), torch.zeros(3, 4, 3))
    with _raises(ShapeError, "theta0", "(num_particles, 2)", "(4, 3)"):
        lang.trajectory(torch.zeros(4, 3), torch.zeros(3, 4, 3))
    with _raises(ShapeError, "theta", "(num_particles, 2)"):
        lang.score(torch.zeros(2))


def test_distributions_that_do_not_exist_raise_a_runtime_error_of_the_family() -> None:
    for group in (DeterministicGroup("d", 2), LangevinGroup("l", 2, score_model=NeuralNetwork(2, 2))):
        with pytest.raises(RuntimeError, match="variational distribution") as info:
            group.variational_distribution()
        assert isinstance(info.value, PolymixError)
    with pytest.raises(PolymixError, match="no closed-form KL"):
        GaussianGroup("g", 2, LaplacePrior()).kl_divergence()


def test_loading_another_index_set_is_refused_before_anything_changes() -> None:
    pce = PolynomialChaosExpansion(2, 1, 2)
    with _raises(ConfigurationError, "multi_indices", "index set"):
        pce.load_state_dict({"multi_indices": torch.zeros(6, 2, dtype=torch.long)})
    assert pce.multi_indices[-1].tolist() == [2, 0]


def test_prior_event_shape_mismatch() -> None:
    with _raises(ShapeError, "mean", "scalar or shape (3,)", "(2,)"):
        IIDGaussianPrior(torch.zeros(2)).distribution(torch.Size([3]), None, None)
    with _raises(ShapeError, "event_shape", "1-D"):
        LaplacePrior().distribution(torch.Size([2, 2]), None, None)
