"""Builders: native polymix-jax objects from polymix_core specs (checkpoints, conformance).

Which class a spec type describes is written once, in ``polymix_core`` (``SURROGATE_CLASSES``,
``PRIOR_CLASSES``, ``GROUP_CLASSES``); the classes build themselves (``from_spec``).
"""

from __future__ import annotations

from typing import Any, Mapping

import jax
from polymix_core import (
    GROUP_CLASSES,
    PRIOR_CLASSES,
    SURROGATE_CLASSES,
    GroupEntry,
    ModelSpec,
    PolymixTypeError,
    PriorSpec,
    SurrogateSpec,
    backend_class,
    check_raw_arrays,
)

from . import parameter_groups, priors, surrogate_models
from ._stochastic_model import StochasticModel
from ._validation import PRNGKey
from .parameter_groups import ParameterGroup
from .priors import IIDGaussianPrior, Prior
from .surrogate_models import SurrogateModel

__all__ = ["build_surrogate", "build_prior", "build_group", "build_model"]

# Values are overwritten right after construction when raw parameters are given, so the
# key only has to exist; user-facing randomness always takes the caller's key.
_PLACEHOLDER_SEED = 0


def build_surrogate(spec: SurrogateSpec) -> SurrogateModel:
    """A surrogate from its spec.

    Example:
        >>> from polymix_core import MLPSpec
        >>> build_surrogate(MLPSpec(2, 1, width=8, depth=2)).num_params()
        105

    Raises:
        ConfigurationError: the spec names a ``"custom"`` activation (only its owner can evaluate it).
        PolymixTypeError: not a surrogate spec.
    """
    return backend_class(surrogate_models, SURROGATE_CLASSES, spec).from_spec(spec)  # type: ignore[no-any-return]


def build_prior(spec: PriorSpec | None) -> Prior:
    """A prior from its spec (``None`` gives the default ``IIDGaussianPrior(0, 1)``).

    Example:
        >>> from polymix_core import LaplacePriorSpec
        >>> type(build_prior(LaplacePriorSpec(0.0, 0.1))).__name__
        'LaplacePrior'
    """
    if spec is None:
        return IIDGaussianPrior()
    return backend_class(priors, PRIOR_CLASSES, spec).from_spec(spec)  # type: ignore[no-any-return]


def build_group(
    entry: GroupEntry, raw: Mapping[str, Any] | None = None, *, key: PRNGKey | None = None
) -> ParameterGroup:
    """A parameter group from its ``GroupEntry`` (name, family spec, prior spec).

    Args:
        entry: ``GroupEntry(name, spec, prior)``; ``prior=None`` is the default prior.
        raw: Raw parameters ``{raw_name: array}``; when given they replace the initial
            values (and no key is needed). Every name and shape is checked first.
        key: PRNG key for random initial values (families that initialise randomly, when ``raw`` is ``None``).

    Example:
        >>> import numpy as np
        >>> from polymix_core import GroupEntry, IIDGaussianGroupSpec
        >>> raw = {"mean": np.zeros(3), "log_std": np.zeros(3)}
        >>> build_group(GroupEntry("g", IIDGaussianGroupSpec(3)), raw).std.tolist()
        [1.0, 1.0, 1.0]
    """
    name, spec, prior_spec = GroupEntry(*entry)
    cls = backend_class(parameter_groups, GROUP_CLASSES, spec)
    prior = None if prior_spec is None else build_prior(prior_spec)
    if raw is not None:
        check_raw_arrays(spec.raw_shapes, raw)
        key = jax.random.key(_PLACEHOLDER_SEED)
    group: ParameterGroup = cls.from_spec(name, spec, prior, key=key)
    return group if raw is None else group.with_raw_parameters(raw)


def build_model(
    model_spec: ModelSpec, raw: Mapping[str, Any] | None = None, *, key: PRNGKey | None = None
) -> StochasticModel:
    """A ``StochasticModel`` from a ``ModelSpec``.

    Args:
        model_spec: Surrogate spec plus ordered group entries.
        raw: ``state_dict``-keyed raw parameters (``parameter_groups.{i}.{raw_name}``), e.g. from a
            checkpoint; every key and shape is checked before any group is built.
        key: PRNG key for random initial values when ``raw`` is ``None``.

    Raises:
        ShapeError: ``raw`` misses a key, has unexpected ones or a wrong shape.
    """
    if not isinstance(model_spec, ModelSpec):
        raise PolymixTypeError(f"model_spec: expected a ModelSpec, received {type(model_spec).__name__}")
    if raw is not None:
        check_raw_arrays(model_spec.raw_shapes(), raw, "raw")
    n = len(model_spec.groups)
    keys: list[Any] = [None] * n if key is None else list(jax.random.split(key, n))
    groups = []
    for i, entry in enumerate(model_spec.groups):
        group_raw = None if raw is None else {k: raw[f"parameter_groups.{i}.{k}"] for k in entry.spec.raw_shapes}
        groups.append(build_group(entry, group_raw, key=keys[i]))
    return StochasticModel(build_surrogate(model_spec.surrogate), groups)
