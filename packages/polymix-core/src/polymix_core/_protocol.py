"""The adapter every backend implements for the conformance suite: numpy in, numpy out.

An adapter builds native objects from core specs, runs them, and returns float64
numpy arrays. The suite never imports a backend directly; it only talks to adapters.
A backend that lacks a feature lists it in ``unsupported`` (feature name -> reason)
and the suite turns it into a strict, named xfail.
"""

from __future__ import annotations

import os
from typing import Mapping, Protocol, runtime_checkable

import numpy as np

from ._checkpoint import ModelSpec
from ._group_specs import GroupSpec, LangevinGroupSpec
from ._prior_specs import PriorSpec
from ._surrogate_specs import MixtureSpec, SurrogateSpec

__all__ = ["BackendAdapter", "FEATURES", "Raw"]

Raw = Mapping[str, np.ndarray]

#: Feature names an adapter may list in ``unsupported``.
FEATURES = (
    "forward",
    "float32",
    "float64",
    "sample_transform",
    "sample",
    "log_prob",
    "prior_log_prob",
    "kl",
    "distribution_loss",
    "loss_gradients",
    "langevin_trajectory",
    "checkpoint",
)


@runtime_checkable
class BackendAdapter(Protocol):
    """numpy-in, numpy-out view of one backend.

    ``dtype`` is ``"float32"`` or ``"float64"``: the precision the backend computes in.
    ``prior=None`` means the group's default prior (``IIDGaussianPrior(0, 1)``).
    """

    name: str
    unsupported: Mapping[str, str]

    def forward(self, spec: SurrogateSpec, x: np.ndarray, params: np.ndarray, *, dtype: str) -> np.ndarray:
        """Surrogate outputs ``(num_samples, batch_size, num_outputs)``."""
        ...

    def expert_outputs(self, spec: MixtureSpec, x: np.ndarray, params: np.ndarray, *, dtype: str) -> np.ndarray:
        """``(num_samples, num_experts, batch_size, num_outputs)``."""
        ...

    def gating_weights(self, spec: MixtureSpec, x: np.ndarray, params: np.ndarray, *, dtype: str) -> np.ndarray:
        """``(num_samples, batch_size, num_experts)``."""
        ...

    def sample_transform(self, spec: GroupSpec, raw: Raw, noise: np.ndarray, *, dtype: str) -> np.ndarray:
        """The group's public noise -> sample transform: ``(num_samples, num_params)``."""
        ...

    def sample(self, spec: GroupSpec, raw: Raw, num_samples: int, *, seed: int, dtype: str) -> np.ndarray:
        """Real sampling with the backend's RNG: ``(num_samples, num_params)``."""
        ...

    def log_prob(self, spec: GroupSpec, raw: Raw, theta: np.ndarray, *, dtype: str) -> np.ndarray:
        """Variational log-density at ``theta (n, num_params)``: ``(n,)``."""
        ...

    def prior_log_prob(self, prior: PriorSpec, theta: np.ndarray, *, dtype: str) -> np.ndarray:
        """Prior log-density at ``theta (n, d)``: ``(n,)``."""
        ...

    def kl(self, spec: GroupSpec, raw: Raw, prior: PriorSpec | None, *, dtype: str) -> float:
        """The group's analytic ``KL(q || p)`` (raises if the backend would use Monte Carlo)."""
        ...

    def distribution_loss(self, spec: GroupSpec, raw: Raw, prior: PriorSpec | None, *, seed: int, dtype: str) -> float:
        """The group's ``distribution_loss()`` as a user gets it (Monte Carlo where no closed form exists)."""
        ...

    def loss_gradients(
        self,
        surrogate: SurrogateSpec,
        spec: GroupSpec,
        raw: Raw,
        prior: PriorSpec | None,
        x: np.ndarray,
        noise: np.ndarray,
        *,
        dtype: str,
    ) -> dict[str, np.ndarray]:
        """Gradients of ``mean(forward(x, transform(noise)) ** 2) + KL(q || p)`` w.r.t. every raw parameter."""
        ...

    def langevin_trajectory(
        self,
        spec: LangevinGroupSpec,
        surrogate: SurrogateSpec,
        raw: Raw,
        theta0: np.ndarray,
        noise: np.ndarray,
        *,
        dtype: str,
    ) -> np.ndarray:
        """Trajectory ``(num_steps + 1, num_particles, num_params)`` from ``theta0`` and ``noise (num_steps, n, d)``."""
        ...

    def save_checkpoint(self, spec: ModelSpec, raw: Mapping[str, np.ndarray], path: str | os.PathLike[str]) -> None:
        """Build a native model with ``raw`` (``state_dict``-keyed) and save it with the backend's public API."""
        ...

    def load_checkpoint_forward(
        self, path: str | os.PathLike[str], x: np.ndarray, noises: list[np.ndarray], *, dtype: str
    ) -> np.ndarray:
        """Load with the backend's public API and evaluate on ``x``, feeding group ``i`` the noise ``noises[i]``."""
        ...
