"""Builders: torch modules from ``polymix_core`` specs, through each class's ``from_spec``.

Which class a spec type describes is written once, in ``polymix_core`` (``SURROGATE_CLASSES``,
``PRIOR_CLASSES``, ``GROUP_CLASSES``); the classes build themselves (``from_spec``), so nothing
here branches on types. Raw arrays, when given, replace the fresh initial values after every
check has passed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import torch
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
from .parameter_groups import ParameterGroup
from .priors import IIDGaussianPrior, Prior
from .surrogate_models import SurrogateModel

__all__ = ["build_surrogate", "build_prior", "build_group", "build_model", "load_raw"]


def build_surrogate(spec: SurrogateSpec) -> SurrogateModel:
    """A surrogate module from an ``MLPSpec``, ``PCESpec``, ``GatingSpec`` or ``MixtureSpec``.

    Raises:
        ConfigurationError: the spec names a ``"custom"`` activation (only its owner can evaluate it).
        PolymixTypeError: not a surrogate spec.

    Example:
        >>> from polymix_core import MLPSpec
        >>> build_surrogate(MLPSpec(2, 1, width=8, depth=2)).num_params()
        105
    """
    return backend_class(surrogate_models, SURROGATE_CLASSES, spec).from_spec(spec)  # type: ignore[no-any-return]


def build_prior(spec: PriorSpec | None) -> Prior:
    """A prior module from a prior spec (``None`` gives the default ``IIDGaussianPrior()``).

    Example:
        >>> from polymix_core import LaplacePriorSpec
        >>> type(build_prior(LaplacePriorSpec(0.0, 0.1))).__name__
        'LaplacePrior'
    """
    if spec is None:
        return IIDGaussianPrior()
    return backend_class(priors, PRIOR_CLASSES, spec).from_spec(spec)  # type: ignore[no-any-return]


def load_raw(module: ParameterGroup | StochasticModel, raw: Mapping[str, Any]) -> None:
    """Copy raw arrays into a group (``{raw_name: array}``) or a model (``state_dict`` keys).

    Every name and shape is checked (``polymix_core.check_raw_arrays``) before anything is copied,
    so a rejected call changes nothing; values are cast to each parameter's dtype and device.
    """
    shapes = module.spec.raw_shapes() if isinstance(module, StochasticModel) else module.spec.raw_shapes
    check_raw_arrays(shapes, raw, "raw" if isinstance(module, ParameterGroup) else "arrays")
    with torch.no_grad():
        for key in shapes:
            param = module.get_parameter(key)
            value = raw[key]
            value = value.detach() if isinstance(value, torch.Tensor) else torch.as_tensor(np.array(value))
            param.copy_(value.to(dtype=param.dtype, device=param.device))


def build_group(
    entry: GroupEntry,
    raw: Mapping[str, Any] | None = None,
    *,
    dtype: torch.dtype | None = None,
    device: torch.device | str | None = None,
) -> ParameterGroup:
    """A parameter group from a ``GroupEntry(name, spec, prior)``.

    Args:
        entry: The group's name, family spec and prior spec (``None``: the default prior).
        raw: ``{raw_name: array}`` replacing the fresh initial values (checked first).
        dtype: Floating dtype of the group (default: torch's default dtype); applied before ``raw`` is copied.
        device: Device of the group (default: CPU).

    Example:
        >>> from polymix_core import GroupEntry, LowRankGaussianGroupSpec
        >>> build_group(GroupEntry("w", LowRankGaussianGroupSpec(8, rank=3))).noise_shape
        (11,)
    """
    name, spec, prior_spec = GroupEntry(*entry)
    if raw is not None:
        check_raw_arrays(spec.raw_shapes, raw)
    group: ParameterGroup = backend_class(parameter_groups, GROUP_CLASSES, spec).from_spec(
        name, spec, build_prior(prior_spec)
    )
    group.to(dtype=dtype, device=device)
    if raw is not None:
        load_raw(group, raw)
    return group


def build_model(
    model_spec: ModelSpec,
    raw: Mapping[str, Any] | None = None,
    *,
    dtype: torch.dtype | None = None,
    device: torch.device | str | None = None,
) -> StochasticModel:
    """A ``StochasticModel`` from a ``ModelSpec`` (the inverse of ``model.spec``).

    Args:
        model_spec: Surrogate spec plus ordered group entries.
        raw: ``state_dict``-keyed raw parameters (``parameter_groups.{i}.{raw_name}``), e.g. from a
            checkpoint; every key and shape is checked before anything is built.
        dtype: Floating dtype of the model; applied before ``raw`` is copied, so float64 arrays load exactly.
        device: Device of the model (default: CPU).

    Example:
        >>> from polymix_core import GroupEntry, IIDGaussianGroupSpec, ModelSpec, PCESpec
        >>> spec = ModelSpec(PCESpec(2, 1, degree=3), (GroupEntry("c", IIDGaussianGroupSpec(10)),))
        >>> build_model(spec).num_params()
        10
    """
    if not isinstance(model_spec, ModelSpec):
        raise PolymixTypeError(f"model_spec: expected a ModelSpec, received {type(model_spec).__name__}")
    if raw is not None:
        check_raw_arrays(model_spec.raw_shapes(), raw, "arrays")
    model = StochasticModel(build_surrogate(model_spec.surrogate), [build_group(g) for g in model_spec.groups])
    model.to(dtype=dtype, device=device)
    if raw is not None:
        load_raw(model, raw)
    return model
