"""Builders: torch modules from ``polymix_core`` specs (fresh initial values; load arrays after)."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from polymix_core import (
    ConfigurationError,
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
    PolymixTypeError,
)

from ._stochastic_model import StochasticModel
from .parameter_groups import (
    DeterministicGroup,
    GaussianGroup,
    IIDGaussianGroup,
    LangevinGroup,
    LowRankGaussianGroup,
    ParameterGroup,
)
from .priors import GaussianPrior, IIDGaussianPrior, LaplacePrior, Prior
from .surrogate_models import GatingNetwork, MixtureOfExperts, NeuralNetwork, PolynomialChaosExpansion, SurrogateModel

__all__ = ["build_surrogate", "build_prior", "build_group", "build_model"]


def _activation(spec: Any) -> str:
    if spec.activation == "custom":
        raise ConfigurationError(
            "activation: expected a named activation to rebuild the surrogate, received 'custom' "
            "(a user callable that only the original model holds)"
        )
    return str(spec.activation)


def build_surrogate(spec: Any) -> SurrogateModel:
    """A surrogate module from an ``MLPSpec``, ``PCESpec``, ``GatingSpec`` or ``MixtureSpec``.

    Example:
        >>> from polymix_core import MLPSpec
        >>> build_surrogate(MLPSpec(2, 1, width=8, depth=2)).num_params()
        105
    """
    if isinstance(spec, MLPSpec):
        return NeuralNetwork(spec.num_inputs, spec.num_outputs, spec.width, spec.depth, _activation(spec))
    if isinstance(spec, PCESpec):
        return PolynomialChaosExpansion(spec.num_inputs, spec.num_outputs, spec.degree, q=spec.q)
    if isinstance(spec, GatingSpec):
        return GatingNetwork(
            spec.num_inputs, spec.num_experts, width=spec.width, depth=spec.depth, activation=_activation(spec)
        )
    if isinstance(spec, MixtureSpec):
        return MixtureOfExperts([build_surrogate(e) for e in spec.experts], build_surrogate(spec.gating))
    raise PolymixTypeError(
        f"spec: expected an MLPSpec, PCESpec, GatingSpec or MixtureSpec, received {type(spec).__name__}"
    )


def _f64(value: Any) -> Any:
    return None if value is None else torch.tensor(np.asarray(value), dtype=torch.float64)  # a copy


def build_prior(spec: Any) -> Prior:
    """A prior module from a prior spec (``None`` gives the default ``IIDGaussianPrior()``).

    Example:
        >>> from polymix_core import LaplacePriorSpec
        >>> type(build_prior(LaplacePriorSpec(0.0, 0.1))).__name__
        'LaplacePrior'
    """
    if spec is None:
        return IIDGaussianPrior()
    # float64 buffers keep the spec's precision; modules cast them to their dtype when used
    if isinstance(spec, IIDGaussianPriorSpec):
        return IIDGaussianPrior(_f64(spec.mean), _f64(spec.std))
    if isinstance(spec, LaplacePriorSpec):
        return LaplacePrior(_f64(spec.loc), _f64(spec.scale))
    if isinstance(spec, GaussianPriorSpec):
        return GaussianPrior(
            _f64(spec.mean), covariance_matrix=_f64(spec.covariance_matrix), scale_tril=_f64(spec.scale_tril)
        )
    raise PolymixTypeError(
        f"spec: expected an IIDGaussianPriorSpec, GaussianPriorSpec or LaplacePriorSpec, received {type(spec).__name__}"
    )


def build_group(entry: GroupEntry) -> ParameterGroup:
    """A parameter group from a ``GroupEntry(name, spec, prior)``.

    Example:
        >>> from polymix_core import GroupEntry, LowRankGaussianGroupSpec
        >>> build_group(GroupEntry("w", LowRankGaussianGroupSpec(8, rank=3))).noise_shape
        (11,)
    """
    name, spec, prior_spec = GroupEntry(*entry)
    prior = build_prior(prior_spec)
    mc = spec.kl_num_mc_samples
    if isinstance(spec, DeterministicGroupSpec):
        return DeterministicGroup(name, spec.num_params, prior, kl_num_mc_samples=mc)
    if isinstance(spec, IIDGaussianGroupSpec):
        return IIDGaussianGroup(name, spec.num_params, prior, kl_num_mc_samples=mc)
    if isinstance(spec, GaussianGroupSpec):
        return GaussianGroup(
            name, spec.num_params, prior, init_scale_diag=spec.init_scale_diag, jitter=spec.jitter, kl_num_mc_samples=mc
        )
    if isinstance(spec, LowRankGaussianGroupSpec):
        return LowRankGaussianGroup(
            name,
            spec.num_params,
            spec.rank,
            prior,
            init_scale_diag=spec.init_scale_diag,
            init_scale_factor=spec.init_scale_factor,
            jitter=spec.jitter,
            kl_num_mc_samples=mc,
        )
    if isinstance(spec, LangevinGroupSpec):
        if spec.surrogate is None:
            raise ConfigurationError("spec.surrogate: expected the score/energy surrogate's spec, received None")
        surrogate = build_surrogate(spec.surrogate)
        models = {f"{spec.mode}_model": surrogate}
        group = LangevinGroup(
            name,
            spec.num_params,
            prior=prior,
            num_particles=spec.num_particles,
            num_diffusion_steps=spec.num_diffusion_steps,
            step_size=spec.step_size,
            init_std=spec.init_std,
            **models,  # type: ignore[arg-type]
        )
        group.kl_num_mc_samples = mc
        return group
    raise PolymixTypeError(f"spec: expected a polymix_core group spec, received {type(spec).__name__}")


def build_model(model_spec: ModelSpec) -> StochasticModel:
    """A ``StochasticModel`` from a ``ModelSpec`` (the inverse of ``model.spec``).

    Example:
        >>> from polymix_core import GroupEntry, IIDGaussianGroupSpec, ModelSpec, PCESpec
        >>> spec = ModelSpec(PCESpec(2, 1, degree=3), (GroupEntry("c", IIDGaussianGroupSpec(10)),))
        >>> build_model(spec).num_params()
        10
    """
    if not isinstance(model_spec, ModelSpec):
        raise PolymixTypeError(f"model_spec: expected a ModelSpec, received {type(model_spec).__name__}")
    return StochasticModel(build_surrogate(model_spec.surrogate), [build_group(g) for g in model_spec.groups])
