"""The conformance adapter of polymix-jax: numpy in, numpy (float64) out.

``adapter()`` returns an object implementing ``polymix_core.BackendAdapter``. Each call
builds native objects from core specs with the public builders, computes in the requested
precision (``"float64"`` runs under ``jax.enable_x64(True)``) and returns float64 numpy arrays.

Example:
    >>> import numpy as np
    >>> from polymix_core import BackendAdapter, MLPSpec
    >>> a = adapter()
    >>> isinstance(a, BackendAdapter)
    True
    >>> a.forward(MLPSpec(2, 1, width=8, depth=2), np.zeros((5, 2)), np.zeros((3, 105)), dtype="float64").shape
    (3, 5, 1)
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
from typing import Any, Iterator, Mapping

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from polymix_core import GroupEntry, LangevinGroupSpec, ModelSpec, PolymixTypeError, PolymixValueError

from ._checkpoint import load_checkpoint, save_checkpoint
from ._from_spec import build_group, build_model, build_prior, build_surrogate
from .parameter_groups import DeterministicGroup, ParameterGroup
from .surrogate_models import MixtureOfExperts

__all__ = ["JaxAdapter", "adapter"]


@contextlib.contextmanager
def _precision(dtype: str) -> Iterator[np.dtype]:
    """Run the body with float64 enabled iff ``dtype == "float64"``; yields the numpy dtype."""
    if dtype not in ("float32", "float64"):
        raise PolymixValueError(f"dtype: expected 'float32' or 'float64', received {dtype!r}")
    with jax.enable_x64(dtype == "float64"):
        yield np.dtype(dtype)


def _in(value: Any, dtype: np.dtype) -> jax.Array:
    return jnp.asarray(np.asarray(value, dtype=dtype))


def _out(value: Any) -> np.ndarray:
    return np.asarray(value, dtype=np.float64)


def _group(spec: Any, raw: Mapping[str, Any], prior: Any = None, surrogate: Any = None) -> ParameterGroup:
    if isinstance(spec, LangevinGroupSpec) and spec.surrogate is None and surrogate is not None:
        spec = dataclasses.replace(spec, surrogate=surrogate)
    return build_group(GroupEntry("group", spec, prior), raw)


def _regulariser(group: ParameterGroup) -> jax.Array:
    """The group's deterministic regulariser: analytic KL, or a point estimate's ``-log p``."""
    if isinstance(group, DeterministicGroup):
        return group.distribution_loss()
    kl = group.analytic_kl()
    if kl is None:
        raise PolymixTypeError(
            f"spec: expected a family/prior pair with a closed-form KL, received {type(group).__name__} "
            f"with {type(group.prior).__name__}"
        )
    return kl


class JaxAdapter:
    """``polymix_core.BackendAdapter`` for polymix-jax (every feature supported)."""

    name = "jax"
    unsupported: Mapping[str, str] = {}

    def forward(self, spec: Any, x: np.ndarray, params: np.ndarray, *, dtype: str) -> np.ndarray:
        """Surrogate outputs ``(num_samples, batch_size, num_outputs)``."""
        with _precision(dtype) as dt:
            return _out(build_surrogate(spec)(_in(x, dt), _in(params, dt)))

    def expert_outputs(self, spec: Any, x: np.ndarray, params: np.ndarray, *, dtype: str) -> np.ndarray:
        """``(num_samples, num_experts, batch_size, num_outputs)``."""
        with _precision(dtype) as dt:
            moe = build_surrogate(spec)
            assert isinstance(moe, MixtureOfExperts)
            return _out(moe.get_expert_outputs(_in(x, dt), _in(params, dt)))

    def gating_weights(self, spec: Any, x: np.ndarray, params: np.ndarray, *, dtype: str) -> np.ndarray:
        """``(num_samples, batch_size, num_experts)``."""
        with _precision(dtype) as dt:
            moe = build_surrogate(spec)
            assert isinstance(moe, MixtureOfExperts)
            return _out(moe.get_gating_weights(_in(x, dt), _in(params, dt)))

    def sample_transform(
        self, spec: Any, raw: Mapping[str, np.ndarray], noise: np.ndarray, *, dtype: str
    ) -> np.ndarray:
        """The group's public noise -> sample transform: ``(num_samples, num_params)``."""
        with _precision(dtype) as dt:
            return _out(_group(spec, raw).sample_transform(_in(noise, dt)))

    def sample(
        self, spec: Any, raw: Mapping[str, np.ndarray], num_samples: int, *, seed: int, dtype: str
    ) -> np.ndarray:
        """Real sampling with jax's RNG: ``(num_samples, num_params)``."""
        with _precision(dtype):
            return _out(_group(spec, raw).sample_parameters(num_samples, key=jax.random.key(seed)))

    def log_prob(self, spec: Any, raw: Mapping[str, np.ndarray], theta: np.ndarray, *, dtype: str) -> np.ndarray:
        """Variational log-density at ``theta (n, num_params)``: ``(n,)``."""
        with _precision(dtype) as dt:
            return _out(_group(spec, raw).variational_distribution().log_prob(_in(theta, dt)))

    def prior_log_prob(self, prior: Any, theta: np.ndarray, *, dtype: str) -> np.ndarray:
        """Prior log-density at ``theta (n, d)``: ``(n,)``."""
        with _precision(dtype) as dt:
            theta_j = _in(np.atleast_2d(theta), dt)
            return _out(build_prior(prior).distribution((theta_j.shape[1],), dtype=dt).log_prob(theta_j))

    def kl(self, spec: Any, raw: Mapping[str, np.ndarray], prior: Any, *, dtype: str) -> float:
        """The group's closed-form ``KL(q || p)``; raises where polymix-jax would use Monte Carlo."""
        with _precision(dtype):
            group = _group(spec, raw, prior)
            kl = group.analytic_kl()
            if kl is None:
                raise PolymixTypeError(
                    f"spec: expected a family/prior pair with a closed-form KL, received {type(group).__name__} "
                    f"with {type(group.prior).__name__}"
                )
            return float(kl)

    def distribution_loss(
        self, spec: Any, raw: Mapping[str, np.ndarray], prior: Any, *, seed: int, dtype: str
    ) -> float:
        """The group's ``distribution_loss(key=jax.random.key(seed))``."""
        with _precision(dtype):
            return float(_group(spec, raw, prior).distribution_loss(key=jax.random.key(seed)))

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
        """Gradients of ``mean(forward(x, transform(noise)) ** 2) + KL(q || p)`` w.r.t. every raw parameter.

        For a ``DeterministicGroup`` the regulariser is its ``distribution_loss`` (``-log p(params)``).
        """
        with _precision(dtype) as dt:
            model = build_surrogate(surrogate)
            group = _group(spec, raw, prior)
            x_j, noise_j = _in(x, dt), _in(noise, dt)

            def loss(g: ParameterGroup) -> jax.Array:
                return jnp.mean(model(x_j, g.sample_transform(noise_j)) ** 2) + _regulariser(g)

            grads = eqx.filter_grad(loss)(group)
            return {name: _out(getattr(grads, name)) for name in spec.raw_shapes}

    def langevin_trajectory(
        self,
        spec: Any,
        surrogate: Any,
        raw: Mapping[str, np.ndarray],
        theta0: np.ndarray,
        noise: np.ndarray,
        *,
        dtype: str,
    ) -> np.ndarray:
        """Trajectory ``(num_steps + 1, num_particles, num_params)`` from ``theta0`` and ``noise``."""
        with _precision(dtype) as dt:
            group = _group(spec, raw, surrogate=surrogate)
            return _out(group.trajectory(_in(theta0, dt), _in(noise, dt)))  # type: ignore[attr-defined]

    def save_checkpoint(self, spec: ModelSpec, raw: Mapping[str, np.ndarray], path: str | os.PathLike[str]) -> None:
        """Build a model holding ``raw`` (in float64, so nothing is rounded) and save it."""
        with _precision("float64"):
            save_checkpoint(build_model(spec, raw), path)

    def load_checkpoint_forward(
        self, path: str | os.PathLike[str], x: np.ndarray, noises: list[np.ndarray], *, dtype: str
    ) -> np.ndarray:
        """Load with ``load_checkpoint``; evaluate on ``x`` with group ``i`` fed ``noises[i]``."""
        with _precision(dtype) as dt:
            model = load_checkpoint(path)
            if len(noises) != len(model.parameter_groups):
                raise PolymixValueError(
                    f"noises: expected {len(model.parameter_groups)} arrays (one per group), received {len(noises)}"
                )
            thetas = [g.sample_transform(_in(n, dt)) for g, n in zip(model.parameter_groups, noises)]
            return _out(model.surrogate_model(_in(x, dt), jnp.concatenate(thetas, axis=1)))


def adapter() -> JaxAdapter:
    """The polymix-jax conformance adapter."""
    return JaxAdapter()
