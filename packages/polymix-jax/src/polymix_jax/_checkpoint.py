"""Checkpoints in the backend-neutral polymix format (``state_dict``-keyed float64 arrays plus the spec)."""

from __future__ import annotations

import os
from typing import Any

import jax
import numpy as np
from polymix_core import (
    ConfigurationError,
    LangevinGroupSpec,
    MixtureSpec,
    ModelSpec,
    read_checkpoint,
    write_checkpoint,
)

from ._from_spec import build_model
from ._stochastic_model import StochasticModel

__all__ = ["save_checkpoint", "load_checkpoint", "state_dict"]


def state_dict(model: StochasticModel) -> dict[str, jax.Array]:
    """Raw parameters keyed ``parameter_groups.{i}.{raw_name}`` (torch's ``state_dict`` keys).

    Example:
        >>> import jax
        >>> from polymix_jax import StochasticModel, parameter_groups, surrogate_models
        >>> net = surrogate_models.NeuralNetwork(1, 1, width=2)
        >>> model = StochasticModel(net, parameter_groups.IIDGaussianGroup("nn", 7, key=jax.random.key(0)))
        >>> list(state_dict(model))
        ['parameter_groups.0.mean', 'parameter_groups.0.log_std']
    """
    return {
        f"parameter_groups.{i}.{name}": value
        for i, g in enumerate(model.parameter_groups)
        for name, value in g.raw_parameters().items()
    }


def _surrogate_specs(spec: Any) -> list[Any]:
    """``spec`` and every surrogate spec nested in it (mixture experts and gating)."""
    if isinstance(spec, MixtureSpec):
        return [spec, *(s for e in spec.experts for s in _surrogate_specs(e)), *_surrogate_specs(spec.gating)]
    return [spec]


def _check_rebuildable(spec: ModelSpec) -> None:
    specs = _surrogate_specs(spec.surrogate)
    for g in spec.groups:
        if isinstance(g.spec, LangevinGroupSpec):
            if g.spec.surrogate is None:
                raise ConfigurationError(
                    f"parameter_groups: expected a built-in {g.spec.mode}_model in LangevinGroup {g.name!r}, "
                    "received a surrogate without a spec"
                )
            specs += _surrogate_specs(g.spec.surrogate)
    for s in specs:
        if getattr(s, "activation", None) == "custom":
            raise ConfigurationError(
                "activation: expected named activations only (a checkpoint stores names, not code), received 'custom'"
            )


def save_checkpoint(model: StochasticModel, path: str | os.PathLike[str]) -> None:
    """Write ``model`` to ``path`` (a ``.npz`` that polymix-torch loads as well).

    Raises:
        ConfigurationError: a surrogate with a custom activation (a checkpoint stores names, not
            code), or a custom surrogate or prior without a spec. Nothing is written then.
    """
    spec = model.spec
    _check_rebuildable(spec)
    write_checkpoint(path, spec, {k: np.asarray(v, dtype=np.float64) for k, v in state_dict(model).items()})


def load_checkpoint(path: str | os.PathLike[str]) -> StochasticModel:
    """Rebuild a model saved by ``save_checkpoint`` (of any backend).

    Parameters load in the default float dtype: float32, or float64 under ``jax_enable_x64``.

    Example:
        >>> import os, tempfile
        >>> import jax
        >>> from polymix_jax import StochasticModel, parameter_groups, surrogate_models
        >>> pce = surrogate_models.PolynomialChaosExpansion(num_inputs=2, num_outputs=1, degree=3)
        >>> model = StochasticModel(pce, parameter_groups.GaussianGroup("coefficients", pce.num_params()))
        >>> path = os.path.join(tempfile.mkdtemp(), "model.npz")
        >>> save_checkpoint(model, path)
        >>> load_checkpoint(path).num_params()
        10
    """
    spec, arrays = read_checkpoint(path)
    return build_model(spec, arrays)
