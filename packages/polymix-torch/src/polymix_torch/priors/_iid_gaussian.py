"""``IIDGaussianPrior``: independent normals with broadcast mean and std (the default prior)."""

from __future__ import annotations

import math
from typing import Any, Union

import torch
import torch.distributions as td
from polymix_core import IIDGaussianPriorSpec
from polymix_core.defaults import PRIOR_MEAN, PRIOR_STD

from ._base import GaussianForm, Prior, as_buffer, broadcast_buffer, event_size

__all__ = ["IIDGaussianPrior"]

_LOG_2PI = math.log(2.0 * math.pi)

TensorOrFloat = Union[float, torch.Tensor]


class IIDGaussianPrior(Prior):
    """Independent Gaussian prior with per-parameter mean and standard deviation.

    ``mean`` and ``std`` are scalars or arrays of exactly the group's shape ``(num_params,)``;
    ``std`` must be positive.

    Example:
        >>> prior = IIDGaussianPrior(mean=0.0, std=0.5)
        >>> prior.distribution(torch.Size([4]), None, None).sample().shape
        torch.Size([4])
    """

    _mean_buf: torch.Tensor
    _std_buf: torch.Tensor

    def __init__(self, mean: TensorOrFloat = PRIOR_MEAN, std: TensorOrFloat = PRIOR_STD) -> None:
        """Validate and store the hyper-parameters as non-persistent buffers.

        Args:
            mean: Scalar or ``(num_params,)`` mean.
            std: Scalar or ``(num_params,)`` positive standard deviation.
        """
        mean_buf, std_buf = as_buffer(mean), as_buffer(std)
        # the spec holds exactly the values the buffers hold (a float becomes a default-dtype tensor, as in
        # pypolymix), so that a checkpoint records what the module computes with; it validates them too
        spec = IIDGaussianPriorSpec(mean_buf, std_buf)
        super().__init__()
        self._spec = spec
        self.register_buffer("_mean_buf", mean_buf, persistent=False)
        self.register_buffer("_std_buf", std_buf, persistent=False)
        self._forms: dict[tuple[Any, ...], GaussianForm] = {}

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        if "_spec" not in state:  # pickled by pypolymix
            self._spec = IIDGaussianPriorSpec(self._mean_buf, self._std_buf)
        self._forms = {}

    @property
    def spec(self) -> IIDGaussianPriorSpec:
        """``IIDGaussianPriorSpec`` of the hyper-parameters (float64 copies taken at construction)."""
        return self._spec

    def check_num_params(self, num_params: int) -> None:
        """Raise ``ShapeError`` unless ``mean``/``std`` are scalars or ``(num_params,)``."""
        self._spec.broadcast(num_params)

    def parameters_for(self, num_params: int, device: Any, dtype: Any) -> tuple[torch.Tensor, torch.Tensor]:
        """``(mean, std)``, each ``(num_params,)``, in the requested dtype and device."""
        return (
            broadcast_buffer("mean", self._mean_buf, num_params, device, dtype),
            broadcast_buffer("std", self._std_buf, num_params, device, dtype),
        )

    def gaussian_form(self, num_params: int, dtype: torch.dtype, device: Any) -> GaussianForm:
        """``(mean (d,), std (d,), log det = 2 sum log std)``; the logarithm of each std, never of a variance.

        Constants: built once per size, dtype and device and reused (outside ``torch.compile``, which
        folds them itself), so a training step does not rebuild them.
        """
        key = (num_params, dtype, device)
        compiling = torch.compiler.is_compiling() or torch._C._functorch.peek_interpreter_stack() is not None
        form = None if compiling else self._forms.get(key)
        if form is None:
            mean, std = self.parameters_for(num_params, device, dtype)
            log_std = self._std_buf.to(device=device, dtype=dtype).log()
            logdet = (2.0 * num_params) * log_std if log_std.ndim == 0 else 2.0 * log_std.sum()
            form = GaussianForm(mean, std, logdet)
            if not compiling:
                self._forms[key] = form
        return form

    def _apply(self, fn: Any, recurse: bool = True) -> Any:
        self._forms.clear()  # .to(), .double(), ...: the buffers may have changed
        return super()._apply(fn, recurse)

    def _log_prob(self, theta: torch.Tensor) -> torch.Tensor:
        """``log p(theta)`` for ``theta (..., num_params)`` in closed form: ``(...)``."""
        d = theta.shape[-1]
        mean, std = self.parameters_for(d, theta.device, theta.dtype)
        log_std = self._std_buf.to(device=theta.device, dtype=theta.dtype).log()
        z = (theta - mean) / std
        log_norm = (d * log_std if log_std.ndim == 0 else log_std.sum()) + 0.5 * d * _LOG_2PI
        return -0.5 * (z * z).sum(-1) - log_norm

    def distribution(
        self, event_shape: torch.Size, device: torch.device | None, dtype: torch.dtype | None
    ) -> td.Distribution:
        """Return ``Independent(N(mean, std), 1)`` with broadcasted parameters."""
        mean, std = self.parameters_for(event_size(event_shape), device, dtype)
        return td.Independent(td.Normal(mean, std), 1)
