"""``StochasticModel``: a surrogate fed with parameters drawn from its parameter groups."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Union, cast

import torch
import torch.nn as nn
from polymix_core import (
    GroupEntry,
    ModelSpec,
    PolymixTypeError,
    ResourceLimitError,
    check_group_total,
    check_input_shape,
)

from ._validation import (
    AllOrNothingLoad,
    check_model_memory,
    check_num_samples,
    check_same_kind,
    check_tensor,
)
from .parameter_groups import ParameterGroup
from .surrogate_models import SurrogateModel

__all__ = ["StochasticModel"]


class StochasticModel(AllOrNothingLoad, nn.Module):
    """Wrap a deterministic surrogate model with sampled parameters.

    The groups' samples are concatenated, in order, into the surrogate's flat
    parameter vector; their sizes must add up to ``surrogate_model.num_params()``.

    Example:
        >>> from polymix_torch import parameter_groups, surrogate_models
        >>> surrogate = surrogate_models.NeuralNetwork(num_inputs=1, num_outputs=1)
        >>> groups = [parameter_groups.IIDGaussianGroup("nn", surrogate.num_params())]
        >>> model = StochasticModel(surrogate, groups)
        >>> x = torch.linspace(-1, 1, 32).unsqueeze(-1)
        >>> y = model(x, num_samples=4)  # (4, 32, 1)
        >>> y.shape
        torch.Size([4, 32, 1])
    """

    surrogate_model: SurrogateModel
    parameter_groups: nn.ModuleList

    def __init__(
        self,
        surrogate_model: SurrogateModel,
        parameter_groups: Union[ParameterGroup, Iterable[ParameterGroup]],
    ) -> None:
        """Build the stochastic model.

        Args:
            surrogate_model: Surrogate that consumes ``x`` and the sampled parameters.
            parameter_groups: A group or an iterable of groups whose draws are concatenated.

        Raises:
            PolymixTypeError: the surrogate or a group has the wrong type.
            ConfigurationError: the groups' sizes do not add up to the surrogate's ``num_params()``
                (the message lists both numbers and every group).
        """
        if not isinstance(surrogate_model, SurrogateModel):
            raise PolymixTypeError(
                f"surrogate_model: expected a SurrogateModel, received {type(surrogate_model).__name__}"
            )
        if isinstance(parameter_groups, ParameterGroup):
            groups = [parameter_groups]
        else:
            try:
                groups = list(parameter_groups)
            except TypeError as err:
                raise PolymixTypeError(
                    "parameter_groups: expected a ParameterGroup or an iterable of them, "
                    f"received {type(parameter_groups).__name__}"
                ) from err
        for i, g in enumerate(groups):
            if not isinstance(g, ParameterGroup):
                raise PolymixTypeError(f"parameter_groups[{i}]: expected a ParameterGroup, received {type(g).__name__}")
        check_group_total([g.name for g in groups], [g.num_params for g in groups], surrogate_model.num_params())
        super().__init__()
        self.surrogate_model = surrogate_model
        self.parameter_groups = nn.ModuleList(groups)

    def _groups(self) -> list[ParameterGroup]:
        # the ModuleList's own dict: iterating the container costs several microseconds per call
        return cast(list[ParameterGroup], list(self.parameter_groups._modules.values()))

    @property
    def spec(self) -> ModelSpec:
        """The ``polymix_core.ModelSpec``: surrogate spec plus each group's name, spec and prior spec."""
        entries = tuple(GroupEntry(g.name, g.spec, g.prior.spec) for g in self._groups())
        return ModelSpec(self.surrogate_model.spec, entries)

    def num_params(self) -> int:
        """Return the total number of scalar parameters managed across groups."""
        return sum(g.num_params for g in self._groups())

    def _reference(self, groups: list[ParameterGroup] | None = None) -> torch.Tensor:
        """A raw parameter whose dtype and device every group shares (checked: ``torch.cat`` would fail later)."""
        groups = self._groups() if groups is None else groups
        ref = groups[0]._reference()
        for g in groups[1:]:
            other = g._reference()
            if other.dtype != ref.dtype or other.device != ref.device:
                raise PolymixTypeError(
                    f"parameter_groups: expected one dtype and device for every group, received {ref.dtype} on "
                    f"{ref.device} ({groups[0].name!r}) and {other.dtype} on {other.device} ({g.name!r}); "
                    "move the whole model with model.to(...)"
                )
        return ref

    def sample_parameters(self, num_samples: int = 1) -> torch.Tensor:
        """Draw parameter samples from each group and concatenate them.

        Args:
            num_samples: Number of Monte Carlo samples per parameter group.

        Returns:
            Tensor with shape ``(num_samples, surrogate_model.num_params())``.
        """
        num_samples = check_num_samples(num_samples)
        groups = self._groups()
        self._check_memory(groups, num_samples, None, self._reference(groups))
        return torch.cat([g.sample_parameters(num_samples) for g in groups], dim=1)

    def _check_memory(
        self, groups: list[ParameterGroup], num_samples: int, batch_size: int | None, like: torch.Tensor
    ) -> None:
        """``check_model_memory``, remembered for the last request that passed (a training loop repeats it)."""
        key = (num_samples, batch_size, like.dtype, like.device, tuple(map(id, groups)))
        if self.__dict__.get("_memory_checked") == key:
            return
        num_params = sum(g.num_params for g in groups)
        check_model_memory(self.surrogate_model, groups, num_samples, batch_size, num_params, like)
        self.__dict__["_memory_checked"] = key

    def distribution_loss(self) -> torch.Tensor:
        """Return the sum of KL/cross-entropy terms provided by every parameter group (a scalar)."""
        losses = [g.distribution_loss() for g in self._groups()]
        total = losses[0]
        for loss in losses[1:]:
            total = total + loss
        return total

    def forward(self, x: torch.Tensor, num_samples: int = 1) -> torch.Tensor:
        """Evaluate the surrogate under randomly drawn parameters.

        Args:
            x: Inputs ``(batch_size, num_inputs)``.
            num_samples: Number of parameter draws (a positive int).

        Returns:
            ``(num_samples, batch_size, num_outputs)``.

        Example:
            Evaluate a function at ``x`` using 10 random draws of the parameters:

            >>> from polymix_torch import parameter_groups, surrogate_models
            >>> surrogate_model = surrogate_models.NeuralNetwork(num_inputs=1, num_outputs=1)
            >>> model = StochasticModel(surrogate_model, parameter_groups.IIDGaussianGroup("nn", 49))
            >>> x = torch.linspace(-1, 1, 32).unsqueeze(-1)
            >>> y = model(x, num_samples=10)
            >>> y.shape == torch.Size([10, x.shape[0], surrogate_model.num_outputs])
            True
        """
        # Every check runs before sampling: a rejected call leaves Langevin particles and the random state untouched.
        num_samples = check_num_samples(num_samples)
        check_tensor("x", x)
        num_inputs = getattr(self.surrogate_model, "num_inputs", None)
        if num_inputs is not None:
            check_input_shape("x", x.shape, num_inputs)
        groups = self._groups()
        check_same_kind(("x", "the model's parameters"), x, self._reference(groups))
        self._check_memory(groups, num_samples, int(x.shape[0]), x)
        params = torch.cat([g.sample_parameters(num_samples) for g in groups], dim=1)  # (num_samples, num_params)
        try:
            return self.surrogate_model(x, params)
        except torch.OutOfMemoryError as err:
            raise ResourceLimitError(
                f"num_samples={num_samples}, batch_size={x.shape[0]}: the forward pass ran out of memory on "
                f"{x.device} ({err}); use fewer samples or evaluate in chunks"
            ) from err
