"""Backend-neutral checkpoints (``polymix_core`` format): save from torch, load into torch."""

from __future__ import annotations

import os
from typing import Union

import torch
from polymix_core import CheckpointLimits, PolymixTypeError, read_checkpoint, write_checkpoint

from ._from_spec import build_model
from ._stochastic_model import StochasticModel

__all__ = ["save_checkpoint", "load_checkpoint", "state_dict"]

PathLike = Union[str, "os.PathLike[str]"]


def state_dict(model: StochasticModel) -> dict[str, torch.Tensor]:
    """The raw parameters keyed ``parameter_groups.{i}.{raw_name}`` (``model.state_dict()`` without buffers).

    Example:
        >>> from polymix_torch import StochasticModel, parameter_groups, surrogate_models
        >>> net = surrogate_models.NeuralNetwork(1, 1, width=2)
        >>> list(state_dict(StochasticModel(net, parameter_groups.IIDGaussianGroup("nn", 7))))
        ['parameter_groups.0.mean', 'parameter_groups.0.log_std']
    """
    if not isinstance(model, StochasticModel):
        raise PolymixTypeError(f"model: expected a StochasticModel, received {type(model).__name__}")
    return {key: model.get_parameter(key) for key in model.spec.raw_keys()}


def save_checkpoint(model: StochasticModel, path: PathLike) -> None:
    """Write ``model``'s spec and raw parameters (float64, ``state_dict`` keys) to ``path``.

    Args:
        model: A ``StochasticModel`` of built-in surrogates, groups and priors.
        path: Destination ``.npz`` file.

    Raises:
        ConfigurationError: the model holds a user-defined surrogate, prior or activation
            that no spec describes.
    """
    if not isinstance(model, StochasticModel):
        raise PolymixTypeError(f"model: expected a StochasticModel, received {type(model).__name__}")
    arrays = {k: v.detach().to("cpu", torch.float64).numpy() for k, v in state_dict(model).items()}
    write_checkpoint(path, model.spec, arrays)


def load_checkpoint(
    path: PathLike,
    *,
    dtype: torch.dtype | None = None,
    device: Union[str, torch.device] | None = None,
    limits: CheckpointLimits | None = None,
) -> StochasticModel:
    """Rebuild the model saved at ``path`` (by any polymix backend) and load its parameters.

    The file is untrusted input: it is never unpickled and is validated before anything is
    allocated (``polymix_core.read_checkpoint``); a ``torch.save`` file gets a message saying
    what to call instead.

    Args:
        path: A checkpoint written by ``save_checkpoint`` of any backend.
        dtype: Floating dtype of the model (default: torch's default dtype).
        device: Device of the model (default: CPU).
        limits: Size caps of the file (default ``polymix_core.CheckpointLimits()``).

    Returns:
        The ``StochasticModel``.

    Example:
        >>> import os, tempfile
        >>> from polymix_torch import StochasticModel, parameter_groups, surrogate_models
        >>> pce = surrogate_models.PolynomialChaosExpansion(num_inputs=2, degree=3)
        >>> model = StochasticModel(pce, parameter_groups.GaussianGroup("c", pce.num_params()))
        >>> path = os.path.join(tempfile.mkdtemp(), "model.npz")
        >>> save_checkpoint(model, path)
        >>> loaded = load_checkpoint(path, dtype=torch.float64)
        >>> torch.allclose(loaded.parameter_groups[0].raw_tril, model.parameter_groups[0].raw_tril.double())
        True
    """
    if dtype is not None and (not isinstance(dtype, torch.dtype) or not dtype.is_floating_point):
        raise PolymixTypeError(f"dtype: expected a floating torch.dtype or None, received {dtype!r}")
    spec, arrays = read_checkpoint(path, limits=limits)
    return build_model(spec, arrays, dtype=dtype, device=device)
