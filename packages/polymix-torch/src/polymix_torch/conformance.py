"""The conformance adapter of polymix-torch: numpy in, numpy out (see ``polymix_core.BackendAdapter``)."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import numpy as np
import torch
from polymix_core import (
    DeterministicGroupSpec,
    GroupEntry,
    LangevinGroupSpec,
    ModelSpec,
    PolymixTypeError,
    ShapeError,
    check_positive_int,
)

from ._checkpoint import load_checkpoint, save_checkpoint
from ._from_spec import build_group, build_model, build_prior, build_surrogate
from ._validation import torch_dtype
from .parameter_groups import LangevinGroup, ParameterGroup
from .surrogate_models import MixtureOfExperts

__all__ = ["TorchAdapter", "adapter"]


def _tensor(a: Any, dtype: torch.dtype) -> torch.Tensor:
    return torch.as_tensor(np.asarray(a, dtype=np.float64), dtype=dtype)


def _numpy(t: torch.Tensor) -> np.ndarray:
    return t.detach().to("cpu", torch.float64).numpy()


@contextmanager
def _seeded(seed: int) -> Iterator[None]:
    # the caller's global RNG state is restored afterwards
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


class TorchAdapter:
    """``polymix_core.BackendAdapter`` for polymix-torch; every feature is supported.

    Example:
        >>> import numpy as np
        >>> from polymix_core import MLPSpec
        >>> a = adapter()
        >>> a.forward(MLPSpec(2, 1, width=8, depth=2), np.zeros((5, 2)), np.zeros((3, 105)), dtype="float64").shape
        (3, 5, 1)
    """

    name = "torch"
    unsupported: Mapping[str, str] = {}

    # --- surrogates -------------------------------------------------------------------

    def _surrogate(self, spec: Any, dtype: str) -> Any:
        return build_surrogate(spec).to(torch_dtype(dtype))

    def forward(self, spec: Any, x: np.ndarray, params: np.ndarray, *, dtype: str) -> np.ndarray:
        """Surrogate outputs ``(num_samples, batch_size, num_outputs)``."""
        dt = torch_dtype(dtype)
        with torch.no_grad():
            return _numpy(self._surrogate(spec, dtype)(_tensor(x, dt), _tensor(params, dt)))

    def _mixture(self, spec: Any, dtype: str) -> MixtureOfExperts:
        moe = self._surrogate(spec, dtype)
        if not isinstance(moe, MixtureOfExperts):
            raise PolymixTypeError(f"spec: expected a MixtureSpec, received {type(spec).__name__}")
        return moe

    def expert_outputs(self, spec: Any, x: np.ndarray, params: np.ndarray, *, dtype: str) -> np.ndarray:
        """``(num_samples, num_experts, batch_size, num_outputs)``."""
        dt = torch_dtype(dtype)
        with torch.no_grad():
            return _numpy(self._mixture(spec, dtype).get_expert_outputs(_tensor(x, dt), _tensor(params, dt)))

    def gating_weights(self, spec: Any, x: np.ndarray, params: np.ndarray, *, dtype: str) -> np.ndarray:
        """``(num_samples, batch_size, num_experts)``."""
        dt = torch_dtype(dtype)
        with torch.no_grad():
            return _numpy(self._mixture(spec, dtype).get_gating_weights(_tensor(x, dt), _tensor(params, dt)))

    # --- groups -----------------------------------------------------------------------

    def _group(
        self, spec: Any, raw: Mapping[str, np.ndarray], prior: Any, dtype: str, surrogate: Any = None
    ) -> ParameterGroup:
        if isinstance(spec, LangevinGroupSpec) and spec.surrogate is None and surrogate is not None:
            spec = dataclasses.replace(spec, surrogate=surrogate)
        return build_group(GroupEntry("group", spec, prior), raw, dtype=torch_dtype(dtype))

    def sample_transform(
        self, spec: Any, raw: Mapping[str, np.ndarray], noise: np.ndarray, *, dtype: str
    ) -> np.ndarray:
        """The group's public noise -> sample transform: ``(num_samples, num_params)``."""
        group = self._group(spec, raw, None, dtype)
        with torch.no_grad():
            return _numpy(group.sample_transform(_tensor(noise, torch_dtype(dtype))))

    def sample(
        self, spec: Any, raw: Mapping[str, np.ndarray], num_samples: int, *, seed: int, dtype: str
    ) -> np.ndarray:
        """Real sampling with torch's generator seeded with ``seed``: ``(num_samples, num_params)``."""
        group = self._group(spec, raw, None, dtype)
        with _seeded(seed), torch.no_grad():
            return _numpy(group.sample_parameters(check_positive_int("num_samples", num_samples)))

    def log_prob(self, spec: Any, raw: Mapping[str, np.ndarray], theta: np.ndarray, *, dtype: str) -> np.ndarray:
        """Variational log-density at ``theta (n, num_params)``: ``(n,)``."""
        group = self._group(spec, raw, None, dtype)
        with torch.no_grad():
            return _numpy(group.variational_distribution().log_prob(_tensor(np.atleast_2d(theta), torch_dtype(dtype))))

    def prior_log_prob(self, prior: Any, theta: np.ndarray, *, dtype: str) -> np.ndarray:
        """Prior log-density at ``theta (n, d)``: ``(n,)``."""
        module = build_prior(prior).to(torch_dtype(dtype))
        with torch.no_grad():
            return _numpy(module.log_prob(_tensor(np.atleast_2d(theta), torch_dtype(dtype))))

    def kl(self, spec: Any, raw: Mapping[str, np.ndarray], prior: Any, *, dtype: str) -> float:
        """The group's analytic ``KL(q || p)`` (raises where torch would use Monte Carlo)."""
        group = self._group(spec, raw, prior, dtype)
        with torch.no_grad():
            return float(group.kl_divergence())

    def distribution_loss(
        self, spec: Any, raw: Mapping[str, np.ndarray], prior: Any, *, seed: int, dtype: str
    ) -> float:
        """``distribution_loss()`` as a user gets it, with torch's generator seeded with ``seed``."""
        group = self._group(spec, raw, prior, dtype)
        with _seeded(seed), torch.no_grad():
            return float(group.distribution_loss())

    def loss_gradients(
        self,
        surrogate: Any,
        spec: Any,
        raw: Mapping[str, np.ndarray],
        prior: Any,
        x: np.ndarray,
        noise: np.ndarray,
        *,
        dtype: str,
    ) -> dict[str, np.ndarray]:
        """Gradients of ``mean(forward(x, transform(noise)) ** 2) + KL(q || p)`` per raw parameter.

        For a deterministic group the second term is its ``distribution_loss()``, ``-log p(theta)``.
        """
        dt = torch_dtype(dtype)
        group = self._group(spec, raw, prior, dtype)
        model = self._surrogate(surrogate, dtype)
        theta = group.sample_transform(_tensor(noise, dt))
        reg = group.distribution_loss() if isinstance(spec, DeterministicGroupSpec) else group.kl_divergence()
        loss = model(_tensor(x, dt), theta).pow(2).mean() + reg
        names = list(spec.raw_shapes)
        grads = torch.autograd.grad(loss, [getattr(group, n) for n in names])
        return {n: _numpy(g) for n, g in zip(names, grads)}

    def langevin_trajectory(
        self,
        spec: LangevinGroupSpec,
        surrogate: Any,
        raw: Mapping[str, np.ndarray],
        theta0: np.ndarray,
        noise: np.ndarray,
        *,
        dtype: str,
    ) -> np.ndarray:
        """Trajectory ``(num_steps + 1, num_particles, num_params)`` from ``theta0`` and ``noise``."""
        group = self._group(spec, raw, None, dtype, surrogate=surrogate)
        assert isinstance(group, LangevinGroup)
        dt = torch_dtype(dtype)
        return _numpy(group.trajectory(_tensor(theta0, dt), _tensor(noise, dt)))

    # --- checkpoints ------------------------------------------------------------------

    def save_checkpoint(self, spec: ModelSpec, raw: Mapping[str, np.ndarray], path: str | os.PathLike[str]) -> None:
        """Build a model from ``spec``, load ``raw`` (``state_dict``-keyed) and save it."""
        save_checkpoint(build_model(spec, raw, dtype=torch.float64), path)

    def load_checkpoint_forward(
        self, path: str | os.PathLike[str], x: np.ndarray, noises: list[np.ndarray], *, dtype: str
    ) -> np.ndarray:
        """Load with ``load_checkpoint`` and evaluate on ``x``, feeding group ``i`` the noise ``noises[i]``."""
        dt = torch_dtype(dtype)
        model = load_checkpoint(path, dtype=dt)
        groups = [g for g in model.parameter_groups if isinstance(g, ParameterGroup)]
        if len(noises) != len(groups):
            raise ShapeError(f"noises: expected {len(groups)} arrays (one per group), received {len(noises)}")
        theta = torch.cat([g.sample_transform(_tensor(n, dt)) for g, n in zip(groups, noises)], dim=1)
        return _numpy(model.surrogate_model(_tensor(x, dt), theta))


def adapter(device: str | None = None) -> TorchAdapter:
    """The polymix-torch conformance adapter (CPU; ``device`` is reserved and must be ``None`` or ``"cpu"``)."""
    if device not in (None, "cpu"):
        raise PolymixTypeError(f"device: expected None or 'cpu', received {device!r}")
    return TorchAdapter()
