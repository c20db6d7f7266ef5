"""Builders: native polymix-jax objects from polymix_core specs (checkpoints, conformance)."""

from __future__ import annotations

from typing import Any, Mapping

import jax
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
    PolymixValueError,
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

# Values are overwritten right after construction when raw parameters are given, so the
# key only has to exist; user-facing randomness always takes the caller's key.
_PLACEHOLDER_SEED = 0


def build_surrogate(spec: Any) -> SurrogateModel:
    """A surrogate from its spec.

    Example:
        >>> from polymix_core import MLPSpec
        >>> build_surrogate(MLPSpec(2, 1, width=8, depth=2)).num_params()
        105

    Raises:
        ConfigurationError: the spec names a ``"custom"`` activation (only its owner can evaluate it).
        PolymixTypeError: not a surrogate spec.
    """
    if isinstance(spec, (MLPSpec, GatingSpec)) and spec.activation == "custom":
        raise ConfigurationError(
            "activation: expected a named activation to rebuild the surrogate, received 'custom' "
            "(pass the callable by constructing the surrogate yourself)"
        )
    if isinstance(spec, MLPSpec):
        return NeuralNetwork(spec.num_inputs, spec.num_outputs, spec.width, spec.depth, spec.activation)
    if isinstance(spec, PCESpec):
        return PolynomialChaosExpansion(spec.num_inputs, spec.num_outputs, spec.degree, q=spec.q)
    if isinstance(spec, GatingSpec):
        return GatingNetwork(spec.num_inputs, spec.num_experts, spec.width, spec.depth, spec.activation)
    if isinstance(spec, MixtureSpec):
        experts = [build_surrogate(e) for e in spec.experts]
        gating = build_surrogate(spec.gating)
        assert isinstance(gating, GatingNetwork)
        return MixtureOfExperts(experts, gating)
    raise PolymixTypeError(f"spec: expected a surrogate spec, received {type(spec).__name__}")


def build_prior(spec: Any) -> Prior:
    """A prior from its spec (``None`` gives the default ``IIDGaussianPrior(0, 1)``).

    Example:
        >>> from polymix_core import LaplacePriorSpec
        >>> type(build_prior(LaplacePriorSpec(0.0, 0.1))).__name__
        'LaplacePrior'
    """
    if spec is None:
        return IIDGaussianPrior()
    if isinstance(spec, IIDGaussianPriorSpec):
        return IIDGaussianPrior(spec.mean, spec.std)
    if isinstance(spec, GaussianPriorSpec):
        return GaussianPrior(spec.mean, covariance_matrix=spec.covariance_matrix, scale_tril=spec.scale_tril)
    if isinstance(spec, LaplacePriorSpec):
        return LaplacePrior(spec.loc, spec.scale)
    raise PolymixTypeError(f"prior: expected a prior spec or None, received {type(spec).__name__}")


def build_group(
    entry: GroupEntry,
    raw: Mapping[str, Any] | None = None,
    *,
    key: Any = None,
    surrogate: SurrogateModel | None = None,
) -> ParameterGroup:
    """A parameter group from its ``GroupEntry`` (name, family spec, prior spec).

    Args:
        entry: ``GroupEntry(name, spec, prior)``.
        raw: Raw parameters ``{raw_name: array}``; when given they replace the initial
            values (and no key is needed).
        key: PRNG key for random initial values (families that initialise randomly, when ``raw`` is ``None``).
        surrogate: The score/energy surrogate of a Langevin group whose spec carries none.

    Example:
        >>> import numpy as np
        >>> from polymix_core import GroupEntry, IIDGaussianGroupSpec
        >>> raw = {"mean": np.zeros(3), "log_std": np.zeros(3)}
        >>> build_group(GroupEntry("g", IIDGaussianGroupSpec(3)), raw).std.tolist()
        [1.0, 1.0, 1.0]
    """
    name, spec, prior_spec = GroupEntry(*entry)
    prior = None if prior_spec is None else build_prior(prior_spec)
    if raw is not None:
        key = jax.random.key(_PLACEHOLDER_SEED)
    kl = spec.kl_num_mc_samples
    group: ParameterGroup
    if isinstance(spec, DeterministicGroupSpec):
        group = DeterministicGroup(name, spec.num_params, prior, key=key)
    elif isinstance(spec, IIDGaussianGroupSpec):
        group = IIDGaussianGroup(name, spec.num_params, prior, kl_num_mc_samples=kl, key=key)
    elif isinstance(spec, GaussianGroupSpec):
        group = GaussianGroup(
            name, spec.num_params, prior, init_scale_diag=spec.init_scale_diag, jitter=spec.jitter, kl_num_mc_samples=kl
        )
    elif isinstance(spec, LowRankGaussianGroupSpec):
        group = LowRankGaussianGroup(
            name,
            spec.num_params,
            spec.rank,
            prior,
            init_scale_diag=spec.init_scale_diag,
            init_scale_factor=spec.init_scale_factor,
            jitter=spec.jitter,
            kl_num_mc_samples=kl,
            key=key,
        )
    elif isinstance(spec, LangevinGroupSpec):
        if surrogate is None:
            if spec.surrogate is None:
                raise ConfigurationError(
                    f"surrogate: expected the {spec.mode}_model of LangevinGroup {name!r} (its spec records none)"
                )
            surrogate = build_surrogate(spec.surrogate)
        models = {"score_model": surrogate} if spec.mode == "score" else {"energy_model": surrogate}
        group = LangevinGroup(
            name,
            spec.num_params,
            prior=prior,
            num_particles=spec.num_particles,
            num_diffusion_steps=spec.num_diffusion_steps,
            step_size=spec.step_size,
            init_std=spec.init_std,
            key=key,
            **models,
        )
    else:
        raise PolymixTypeError(f"spec: expected a group spec, received {type(spec).__name__}")
    return group if raw is None else group.with_raw_parameters(raw)


def build_model(model_spec: ModelSpec, raw: Mapping[str, Any] | None = None, *, key: Any = None) -> StochasticModel:
    """A ``StochasticModel`` from a ``ModelSpec``.

    Args:
        model_spec: Surrogate spec plus ordered group entries.
        raw: ``state_dict``-keyed raw parameters (``parameter_groups.{i}.{raw_name}``), e.g. from a checkpoint.
        key: PRNG key for random initial values when ``raw`` is ``None``.

    Raises:
        PolymixValueError: ``raw`` misses a key or has unexpected ones.
    """
    if raw is not None:
        expected = set(model_spec.raw_keys())
        if set(raw) != expected:
            raise PolymixValueError(
                f"raw: expected exactly the keys {model_spec.raw_keys()}, received {sorted(raw)} "
                f"(missing {sorted(expected - set(raw))}, unexpected {sorted(set(raw) - expected)})"
            )
    n = len(model_spec.groups)
    keys: list[Any] = [None] * n if key is None else list(jax.random.split(key, n))
    groups = []
    for i, entry in enumerate(model_spec.groups):
        group_raw = None if raw is None else {k: raw[f"parameter_groups.{i}.{k}"] for k in entry.spec.raw_shapes}
        groups.append(build_group(entry, group_raw, key=keys[i]))
    return StochasticModel(build_surrogate(model_spec.surrogate), groups)
