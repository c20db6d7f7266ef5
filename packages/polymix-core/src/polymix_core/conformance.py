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
from typing import Callable, Mapping

import numpy as np

from . import reference
from ._checkpoint import ModelSpec, read_checkpoint, write_checkpoint
from ._errors import PolymixTypeError, PolymixValueError, ShapeError, check_noise_shape
from ._group_specs import (
    DeterministicGroupSpec,
    GaussianGroupSpec,
    GroupSpec,
    IIDGaussianGroupSpec,
    LangevinGroupSpec,
    LowRankGaussianGroupSpec,
)
from ._prior_specs import IIDGaussianPriorSpec, LaplacePriorSpec, PriorSpec
from ._surrogate_specs import MixtureSpec, MLPSpec, PCESpec, SurrogateSpec

__all__ = [
    "ReferenceAdapter",
    "adapter",
    "langevin_from_noise",
    "sample_from_noise",
    "score_function",
]

Raw = Mapping[str, np.ndarray]

_DTYPES = ("float32", "float64")
_GAUSSIAN_FAMILIES = (IIDGaussianGroupSpec, GaussianGroupSpec, LowRankGaussianGroupSpec)
#: Relative step of the central finite differences of the energy gradient.
_FD_STEP = 1e-5
#: Relative step of the fourth-order finite differences of ``loss_gradients``.
_FD_STEP_4 = 1e-3


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
    return IIDGaussianPriorSpec(0.0, 1.0) if prior is None else prior


def _activation_derivative(name: str) -> Callable[[np.ndarray], np.ndarray]:
    """Derivative of a named activation as a function of the pre-activation."""

    def gelu(z: np.ndarray) -> np.ndarray:
        from math import erf

        cdf = 0.5 * (1.0 + np.vectorize(erf)(z / np.sqrt(2.0)))
        return cdf + z * np.exp(-0.5 * z**2) / np.sqrt(2.0 * np.pi)

    def sigmoid(z: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-z))

    table: dict[str, Callable[[np.ndarray], np.ndarray]] = {
        "relu": lambda z: (z > 0).astype(np.float64),
        "tanh": lambda z: 1.0 - np.tanh(z) ** 2,
        "sigmoid": lambda z: sigmoid(z) * (1.0 - sigmoid(z)),
        "gelu": gelu,
        "silu": lambda z: sigmoid(z) * (1.0 + z * (1.0 - sigmoid(z))),
        "softplus": sigmoid,
        "elu": lambda z: np.where(z > 0, 1.0, np.exp(np.minimum(z, 0.0))),
        "identity": np.ones_like,
    }
    if name not in table:
        raise PolymixTypeError(f"activation: expected a named activation, received {name!r}")
    return table[name]


def _mlp_input_gradient(spec: MLPSpec, theta: np.ndarray, params: np.ndarray) -> np.ndarray:
    """Gradient of output 0 of an MLP w.r.t. its input rows ``theta (n, num_inputs)``."""
    act = reference.ACTIVATION_FUNCTIONS[spec.activation]
    dact = _activation_derivative(spec.activation)
    weights, pre = [], []
    h = theta
    for j in range(spec.num_layers):
        w_sl, b_sl = spec.slices[2 * j], spec.slices[2 * j + 1]
        w = params[w_sl.start : w_sl.stop].reshape(w_sl.shape)
        z = h @ w + params[b_sl.start : b_sl.stop]
        weights.append(w)
        pre.append(z)
        h = act(z) if j < spec.num_layers - 1 else z
    grad = np.zeros((theta.shape[0], spec.num_outputs))
    grad[:, 0] = 1.0
    for j in range(spec.num_layers - 1, -1, -1):
        if j < spec.num_layers - 1:
            grad = grad * dact(pre[j])
        grad = grad @ weights[j].T
    return grad


def _pce_input_gradient(spec: PCESpec, theta: np.ndarray, params: np.ndarray) -> np.ndarray:
    """Gradient of output 0 of a PCE w.r.t. its input rows ``theta (n, num_inputs)``."""
    from numpy.polynomial import legendre as npleg

    n, d = theta.shape
    degree = int(spec.multi_indices.max(initial=0))
    values = np.empty((degree + 1, n, d))
    slopes = np.empty((degree + 1, n, d))
    for k in range(degree + 1):
        unit = np.eye(degree + 1)[k]
        values[k] = npleg.legval(theta, unit)
        slopes[k] = npleg.legval(theta, npleg.legder(unit)) if k else 0.0
    coeffs = params.reshape(spec.num_terms, spec.num_outputs)[:, 0]
    grad = np.zeros((n, d))
    for alpha, c in zip(spec.multi_indices, coeffs):
        for i in range(d):
            term = slopes[alpha[i], :, i].copy()
            for j in range(d):
                if j != i:
                    term *= values[alpha[j], :, j]
            grad[:, i] += c * term
    return grad


def _fd_input_gradient(spec: SurrogateSpec, theta: np.ndarray, params: np.ndarray) -> np.ndarray:
    """Central finite-difference gradient of output 0 w.r.t. the input rows."""
    grad = np.zeros_like(theta)
    for i in range(theta.shape[1]):
        h = _FD_STEP * np.maximum(1.0, np.abs(theta[:, i]))
        up, down = theta.copy(), theta.copy()
        up[:, i] += h
        down[:, i] -= h
        f_up = reference.forward(spec, up, params[None])[0, :, 0]
        f_down = reference.forward(spec, down, params[None])[0, :, 0]
        grad[:, i] = (f_up - f_down) / (2.0 * h)
    return grad


def score_function(
    spec: LangevinGroupSpec, surrogate: SurrogateSpec, params: np.ndarray
) -> Callable[[np.ndarray], np.ndarray]:
    """The score field ``(n, num_params) -> (n, num_params)`` of a Langevin group.

    Args:
        spec: The Langevin group spec (``mode`` selects score or energy).
        surrogate: Spec of the score or energy surrogate.
        params: The surrogate's flat parameters ``(surrogate.num_params,)``.

    Returns:
        The score itself (score mode) or the input gradient of the energy (energy mode).

    Example:
        >>> from polymix_core import MLPSpec, LangevinGroupSpec
        >>> s = MLPSpec(2, 1, width=3, depth=0)
        >>> spec = LangevinGroupSpec(2, mode="energy", surrogate_num_inputs=2, surrogate_num_outputs=1,
        ...                          surrogate_num_params=s.num_params, surrogate=s)
        >>> score_function(spec, s, np.array([1.0, -2.0, 0.5]))(np.zeros((1, 2))).tolist()
        [[1.0, -2.0]]
    """
    params = np.asarray(params, dtype=np.float64)
    if spec.mode == "score":
        return lambda theta: reference.forward(surrogate, theta, params[None])[0]
    if isinstance(surrogate, MLPSpec):
        return lambda theta: _mlp_input_gradient(surrogate, theta, params)
    if isinstance(surrogate, PCESpec):
        return lambda theta: _pce_input_gradient(surrogate, theta, params)
    return lambda theta: _fd_input_gradient(surrogate, theta, params)


def _langevin_surrogate(spec: LangevinGroupSpec, surrogate: SurrogateSpec | None) -> SurrogateSpec:
    surrogate = spec.surrogate if surrogate is None else surrogate
    if surrogate is None:
        raise PolymixValueError("surrogate: expected the Langevin group's score/energy surrogate spec, received None")
    return surrogate  # type: ignore[no-any-return]


def langevin_from_noise(
    spec: LangevinGroupSpec, raw: Raw, noise: np.ndarray, surrogate: SurrogateSpec | None = None
) -> np.ndarray:
    """Run a Langevin group from its per-particle noise ``(n, num_diffusion_steps + 1, num_params)``.

    Row 0 of each particle's noise, times ``init_std``, is its initial position; the
    remaining rows drive the steps.

    Args:
        spec: The Langevin group spec.
        raw: ``{"surrogate_params": (surrogate_num_params,)}``.
        noise: Standard normals ``(n, num_diffusion_steps + 1, num_params)``.
        surrogate: Spec of the score/energy surrogate (default ``spec.surrogate``).

    Returns:
        The trajectory ``(num_diffusion_steps + 1, n, num_params)``.
    """
    noise = np.asarray(noise, dtype=np.float64)
    check_noise_shape("noise", noise.shape, spec.noise_shape)
    score = score_function(spec, _langevin_surrogate(spec, surrogate), raw["surrogate_params"])
    theta0 = spec.init_std * noise[:, 0, :]
    return reference.langevin_trajectory(score, theta0, noise[:, 1:, :].transpose(1, 0, 2), spec.step_size)


def sample_from_noise(spec: GroupSpec, raw: Raw, noise: np.ndarray) -> np.ndarray:
    """Samples ``(num_samples, num_params)`` of any group from noise ``(num_samples, *spec.noise_shape)``.

    The Gaussian and deterministic families use ``reference.sample_transform``; a
    Langevin group returns the last particles of ``langevin_from_noise``.

    Example:
        >>> from polymix_core import IIDGaussianGroupSpec
        >>> raw = {"mean": np.zeros(2), "log_std": np.zeros(2)}
        >>> sample_from_noise(IIDGaussianGroupSpec(2), raw, np.full((1, 2), 2.0)).tolist()
        [[2.0, 2.0]]
    """
    if isinstance(spec, LangevinGroupSpec):
        return langevin_from_noise(spec, raw, noise)[-1]
    return reference.sample_transform(spec, raw, noise)


def _deterministic_loss(spec: GroupSpec, raw: Raw, prior: PriorSpec) -> float:
    """The distribution loss where it has no Monte Carlo part."""
    if isinstance(spec, DeterministicGroupSpec):
        return float(-reference.prior_log_prob(prior, np.asarray(raw["params"])[None, :])[0])
    if isinstance(spec, _GAUSSIAN_FAMILIES) and not isinstance(prior, LaplacePriorSpec):
        return reference.kl_divergence(spec, raw, prior)
    raise PolymixTypeError(
        f"spec, prior: expected a deterministic group, or a Gaussian family with a Gaussian prior; received "
        f"{type(spec).__name__} with {type(prior).__name__} (its distribution loss is a Monte Carlo estimate)"
    )


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
        return _cast_out(sample_from_noise(spec, _cast_raw(raw, dtype), noise), dtype)

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
            theta = sample_from_noise(spec, raw, noise)
            value = -np.mean(reference.prior_log_prob(prior, theta))
        elif isinstance(spec, _GAUSSIAN_FAMILIES) and isinstance(prior, LaplacePriorSpec):
            noise = _cast_in(rng.standard_normal((spec.kl_num_mc_samples, *spec.noise_shape)), dtype)
            theta = reference.sample_transform(spec, raw, noise)
            value = np.mean(reference.log_prob(spec, raw, theta) - reference.prior_log_prob(prior, theta))
        else:
            value = _deterministic_loss(spec, raw, prior)
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
        _deterministic_loss(spec, raw64, prior)  # rejects Monte Carlo losses early

        def loss(r: dict[str, np.ndarray]) -> float:
            theta = reference.sample_transform(spec, r, noise64)
            return float(np.mean(reference.forward(surrogate, x64, theta) ** 2)) + _deterministic_loss(spec, r, prior)

        grads: dict[str, np.ndarray] = {}
        for name, value in raw64.items():
            flat = value.reshape(-1)

            def partial(k: int, step: float, order: int, name: str = name, flat: np.ndarray = flat) -> float:
                def at(shift: float) -> float:
                    moved = flat.copy()
                    moved[k] += shift
                    return loss({**raw64, name: moved.reshape(raw64[name].shape)})

                if order == 2:
                    return (at(step) - at(-step)) / (2.0 * step)
                return (at(-2 * step) - 8 * at(-step) + 8 * at(step) - at(2 * step)) / (12.0 * step)

            g = np.zeros(flat.size)
            for k in range(flat.size):
                h = _FD_STEP_4 * max(1.0, abs(float(flat[k])))
                coarse, fine = partial(k, h, 4), partial(k, h / 2, 4)
                # Disagreement means a kink (ReLU) inside the stencil: fall back to a tiny 2nd-order step.
                g[k] = fine if abs(coarse - fine) <= 1e-6 * (1.0 + abs(fine)) else partial(k, 1e-3 * h, 2)
            grads[name] = _cast_out(g.reshape(value.shape), dtype)
        return grads

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
        score = score_function(spec, surrogate, raw64["surrogate_params"])
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
            thetas.append(sample_from_noise(group.spec, raw, _cast_in(noises[i], dtype)))
        if len({t.shape[0] for t in thetas}) != 1:
            raise ShapeError(
                f"noises: expected the same num_samples for every group, received {[len(t) for t in thetas]}"
            )
        params = np.concatenate(thetas, axis=1)
        return _cast_out(reference.forward(spec.surrogate, _cast_in(x, dtype), params), dtype)


def adapter() -> ReferenceAdapter:
    """The numpy float64 reference adapter (``name == "numpy"``)."""
    return ReferenceAdapter()
