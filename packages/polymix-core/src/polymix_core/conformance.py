"""The numpy float64 reference adapter of the conformance suite.

``adapter()`` returns a ``ReferenceAdapter``: the ``BackendAdapter`` view of
``polymix_core.reference``. It is the oracle the other backends are compared
with, and it runs through the very same suite (``conformance_tests/``), so the
suite's own statistics and tolerances are exercised on a known-good backend.

Precision: the reference always computes in float64. With ``dtype="float32"``
it rounds every floating input (``x``, parameters, raw parameters, noise,
initial particles) to float32 first and rounds its outputs to float32, which is
what a float32 backend sees and returns, without float32 arithmetic in between.
Nothing is listed in ``unsupported``.

Semantics fixed here (the suite's reading of the protocol):

* ``sample`` draws standard-normal noise of shape ``(num_samples, *spec.noise_shape)``
  with ``numpy.random.default_rng(seed)`` and applies the family's transform; a
  Langevin group uses noise row 0 (times ``init_std``) as initial particles and the
  remaining rows as the step noise, returning the last particles.
* ``distribution_loss``: deterministic group ``-log p(params)``; Gaussian families
  against Gaussian priors the analytic KL; Gaussian families against a Laplace prior
  the Monte Carlo KL ``mean(log q(theta) - log p(theta))`` over ``kl_num_mc_samples``
  draws; a Langevin group the cross-entropy ``-mean(log p(theta))`` over
  ``num_particles`` fresh particles.
* ``loss_gradients``: the loss is ``mean(forward(x, transform(noise)) ** 2)`` plus the
  deterministic distribution loss (analytic KL, or ``-log p(params)`` for a deterministic
  group); its gradient is taken by fourth-order central finite differences in float64
  (relative step 1e-3, checked against half the step; a second-order step of 1e-6 where
  the two disagree, i.e. where a ReLU kink lies inside the stencil). Groups whose
  distribution loss is a Monte Carlo estimate (Laplace prior on a Gaussian family,
  Langevin) have no deterministic loss and are rejected with ``PolymixTypeError``.
* ``langevin_trajectory``: the score of an energy surrogate is the analytic input
  gradient for MLP and PCE energies, a central finite difference otherwise.
"""

from __future__ import annotations

import os
from types import MappingProxyType
from typing import Mapping

import numpy as np

from . import reference
from ._checkpoint import ModelSpec, read_checkpoint, write_checkpoint
from ._errors import PolymixTypeError, PolymixValueError, ShapeError
from ._group_specs import GroupSpec, LangevinGroupSpec
from ._prior_specs import IIDGaussianPriorSpec, LaplacePriorSpec, PriorSpec
from ._surrogate_specs import MixtureSpec, SurrogateSpec

__all__ = ["ReferenceAdapter", "adapter"]

Raw = Mapping[str, np.ndarray]

_DTYPES = ("float32", "float64")
_GAUSSIAN_FAMILIES = reference._losses.GAUSSIAN_FAMILIES


def _check_dtype(dtype: str) -> str:
    if dtype not in _DTYPES:
        raise PolymixValueError(f"dtype: expected 'float32' or 'float64', received {dtype!r}")
    return dtype


def _cast_in(value: np.ndarray, dtype: str) -> np.ndarray:
    """Float64 copy of ``value`` as a backend computing in ``dtype`` would receive it."""
    arr = np.asarray(value, dtype=np.float64)
    if dtype == "float32":
        arr = arr.astype(np.float32).astype(np.float64)
    return arr


def _cast_raw(raw: Raw, dtype: str) -> dict[str, np.ndarray]:
    return {name: _cast_in(value, dtype) for name, value in raw.items()}


def _cast_out(value: np.ndarray, dtype: str) -> np.ndarray:
    """Round a float64 result to ``dtype`` and return it as float64."""
    arr = np.asarray(value, dtype=np.float64)
    if dtype == "float32":
        arr = arr.astype(np.float32).astype(np.float64)
    return arr


def _default_prior(prior: PriorSpec | None) -> PriorSpec:
    return IIDGaussianPriorSpec() if prior is None else prior


class ReferenceAdapter:
    """``BackendAdapter`` of the numpy float64 reference (``polymix_core.reference``).

    Attributes:
        name: ``"numpy"``.
        unsupported: Empty: every feature is provided (float32 by rounding float64 results).

    Example:
        >>> from polymix_core import BackendAdapter, MLPSpec
        >>> a = adapter()
        >>> isinstance(a, BackendAdapter), a.name
        (True, 'numpy')
        >>> a.forward(MLPSpec(1, 1, width=2, depth=0), np.ones((1, 1)), np.ones((1, 2)), dtype="float64").tolist()
        [[[2.0]]]
    """

    name: str = "numpy"
    unsupported: Mapping[str, str] = MappingProxyType({})

    def forward(self, spec: SurrogateSpec, x: np.ndarray, params: np.ndarray, *, dtype: str) -> np.ndarray:
        """Surrogate outputs ``(num_samples, batch_size, num_outputs)``."""
        _check_dtype(dtype)
        return _cast_out(reference.forward(spec, _cast_in(x, dtype), _cast_in(params, dtype)), dtype)

    def expert_outputs(self, spec: MixtureSpec, x: np.ndarray, params: np.ndarray, *, dtype: str) -> np.ndarray:
        """``(num_samples, num_experts, batch_size, num_outputs)``."""
        _check_dtype(dtype)
        return _cast_out(reference.expert_outputs(spec, _cast_in(x, dtype), _cast_in(params, dtype)), dtype)

    def gating_weights(self, spec: MixtureSpec, x: np.ndarray, params: np.ndarray, *, dtype: str) -> np.ndarray:
        """``(num_samples, batch_size, num_experts)``."""
        _check_dtype(dtype)
        return _cast_out(reference.gating_weights(spec, _cast_in(x, dtype), _cast_in(params, dtype)), dtype)

    def sample_transform(self, spec: GroupSpec, raw: Raw, noise: np.ndarray, *, dtype: str) -> np.ndarray:
        """The noise -> sample transform ``(num_samples, num_params)`` of a non-Langevin group."""
        _check_dtype(dtype)
        out = reference.sample_transform(spec, _cast_raw(raw, dtype), _cast_in(noise, dtype))
        return _cast_out(out, dtype)

    def sample(self, spec: GroupSpec, raw: Raw, num_samples: int, *, seed: int, dtype: str) -> np.ndarray:
        """Draw noise with ``numpy.random.default_rng(seed)`` and transform it: ``(num_samples, num_params)``."""
        _check_dtype(dtype)
        rng = np.random.default_rng(seed)
        noise = _cast_in(rng.standard_normal((num_samples, *spec.noise_shape)), dtype)
        return _cast_out(reference.sample_from_noise(spec, _cast_raw(raw, dtype), noise), dtype)

    def log_prob(self, spec: GroupSpec, raw: Raw, theta: np.ndarray, *, dtype: str) -> np.ndarray:
        """Variational log-density ``(n,)`` of a Gaussian family at ``theta (n, num_params)``."""
        _check_dtype(dtype)
        if not isinstance(spec, _GAUSSIAN_FAMILIES):
            raise PolymixTypeError(f"spec: {type(spec).__name__} has no variational density")
        return _cast_out(reference.log_prob(spec, _cast_raw(raw, dtype), _cast_in(theta, dtype)), dtype)

    def prior_log_prob(self, prior: PriorSpec, theta: np.ndarray, *, dtype: str) -> np.ndarray:
        """Prior log-density ``(n,)`` at ``theta (n, d)``."""
        _check_dtype(dtype)
        return _cast_out(reference.prior_log_prob(prior, _cast_in(theta, dtype)), dtype)

    def kl(self, spec: GroupSpec, raw: Raw, prior: PriorSpec | None, *, dtype: str) -> float:
        """Analytic ``KL(q || p)`` of a Gaussian family against a Gaussian prior (``None``: ``N(0, 1)``)."""
        _check_dtype(dtype)
        prior = _default_prior(prior)
        if not isinstance(spec, _GAUSSIAN_FAMILIES) or isinstance(prior, LaplacePriorSpec):
            raise PolymixTypeError(
                f"spec, prior: no closed-form KL for {type(spec).__name__} against {type(prior).__name__}"
            )
        return float(_cast_out(np.float64(reference.kl_divergence(spec, _cast_raw(raw, dtype), prior)), dtype))

    def distribution_loss(self, spec: GroupSpec, raw: Raw, prior: PriorSpec | None, *, seed: int, dtype: str) -> float:
        """The group's ``distribution_loss()`` (see the module docstring for each family)."""
        _check_dtype(dtype)
        prior = _default_prior(prior)
        raw = _cast_raw(raw, dtype)
        rng = np.random.default_rng(seed)
        if isinstance(spec, LangevinGroupSpec):
            noise = _cast_in(rng.standard_normal((spec.num_particles, *spec.noise_shape)), dtype)
            theta = reference.sample_from_noise(spec, raw, noise)
            value = -np.mean(reference.prior_log_prob(prior, theta))
        elif isinstance(spec, _GAUSSIAN_FAMILIES) and isinstance(prior, LaplacePriorSpec):
            noise = _cast_in(rng.standard_normal((spec.kl_num_mc_samples, *spec.noise_shape)), dtype)
            theta = reference.sample_transform(spec, raw, noise)
            value = np.mean(reference.log_prob(spec, raw, theta) - reference.prior_log_prob(prior, theta))
        else:
            value = reference.deterministic_loss(spec, raw, prior)
        return float(_cast_out(np.float64(value), dtype))

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
        """Finite differences of ``mean(forward(x, transform(noise)) ** 2) + distribution loss``.

        The distribution loss must be deterministic (analytic KL, or ``-log p(params)``).
        """
        _check_dtype(dtype)
        prior = _default_prior(prior)
        raw64 = _cast_raw(raw, dtype)
        x64, noise64 = _cast_in(x, dtype), _cast_in(noise, dtype)
        if isinstance(spec, LangevinGroupSpec):
            raise PolymixTypeError("spec: a LangevinGroup has no deterministic loss to differentiate")
        reference.deterministic_loss(spec, raw64, prior)  # rejects Monte Carlo losses early

        def loss(r: dict[str, np.ndarray]) -> float:
            theta = reference.sample_transform(spec, r, noise64)
            data = float(np.mean(reference.forward(surrogate, x64, theta) ** 2))
            return data + reference.deterministic_loss(spec, r, prior)

        grads = reference.finite_difference_gradients(loss, raw64)
        return {name: _cast_out(g, dtype) for name, g in grads.items()}

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
        _check_dtype(dtype)
        raw64 = _cast_raw(raw, dtype)
        score = reference.score_function(spec, surrogate, raw64["surrogate_params"])
        traj = reference.langevin_trajectory(score, _cast_in(theta0, dtype), _cast_in(noise, dtype), spec.step_size)
        return _cast_out(traj, dtype)

    def save_checkpoint(self, spec: ModelSpec, raw: Mapping[str, np.ndarray], path: str | os.PathLike[str]) -> None:
        """Write ``raw`` (``state_dict``-keyed) and ``spec`` with ``polymix_core.write_checkpoint``."""
        write_checkpoint(path, spec, raw)

    def load_checkpoint_forward(
        self, path: str | os.PathLike[str], x: np.ndarray, noises: list[np.ndarray], *, dtype: str
    ) -> np.ndarray:
        """Read a checkpoint and evaluate the model on ``x``, group ``i`` sampling from ``noises[i]``."""
        _check_dtype(dtype)
        spec, arrays = read_checkpoint(path)
        if len(noises) != len(spec.groups):
            raise ShapeError(f"noises: expected {len(spec.groups)} arrays (one per group), received {len(noises)}")
        thetas = []
        for i, group in enumerate(spec.groups):
            raw = {name: _cast_in(arrays[f"parameter_groups.{i}.{name}"], dtype) for name in group.spec.raw_shapes}
            thetas.append(reference.sample_from_noise(group.spec, raw, _cast_in(noises[i], dtype)))
        if len({t.shape[0] for t in thetas}) != 1:
            raise ShapeError(
                f"noises: expected the same num_samples for every group, received {[len(t) for t in thetas]}"
            )
        params = np.concatenate(thetas, axis=1)
        return _cast_out(reference.forward(spec.surrogate, _cast_in(x, dtype), params), dtype)


def adapter() -> ReferenceAdapter:
    """The numpy float64 reference adapter (``name == "numpy"``)."""
    return ReferenceAdapter()
