"""Checkpoints in the backend-neutral polymix format (``state_dict``-keyed float64 arrays plus the spec)."""

from __future__ import annotations

import os

import jax
import numpy as np
from polymix_core import (
    CheckpointLimits,
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


def save_checkpoint(model: StochasticModel, path: str | os.PathLike[str]) -> None:
    """Write ``model`` to ``path`` (a ``.npz`` that polymix-torch loads as well).

    Raises:
        ConfigurationError: a surrogate with a custom activation (a checkpoint stores names, not
            code), or a custom surrogate or prior without a spec. Nothing is written then.
    """
    # polymix_core refuses what a checkpoint cannot rebuild (ModelSpec.check_rebuildable) before writing
    write_checkpoint(path, model.spec, {k: np.asarray(v, dtype=np.float64) for k, v in state_dict(model).items()})


def load_checkpoint(path: str | os.PathLike[str], *, limits: CheckpointLimits | None = None) -> StochasticModel:
    """Rebuild a model saved by ``save_checkpoint`` (of any backend).

    Parameters load in the default float dtype: float32, or float64 under ``jax_enable_x64``.
    The file is untrusted input: it is never unpickled and is validated before anything is
    allocated (``polymix_core.read_checkpoint``); every fault raises ``CheckpointError``.

    Args:
        path: The checkpoint file.
        limits: Size caps of the file (default ``polymix_core.CheckpointLimits()``).

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
    spec, arrays = read_checkpoint(path, limits=limits)
    return build_model(spec, arrays)
