"""Reference numerics of the parameter groups and priors (numpy, float64).

Raw parameters travel as a dict ``{name: array}`` keyed as in ``spec.raw_shapes``.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np

from .._errors import PolymixTypeError, check_noise_shape
from .._group_specs import (
    DeterministicGroupSpec,
    GaussianGroupSpec,
    GroupSpec,
    IIDGaussianGroupSpec,
    LangevinGroupSpec,
    LowRankGaussianGroupSpec,
    check_raw_arrays,
)
from .._prior_specs import GaussianPriorSpec, IIDGaussianPriorSpec, LaplacePriorSpec, PriorSpec

__all__ = [
    "scale_tril",
    "sample_transform",
    "moments",
    "log_prob",
    "prior_log_prob",
    "prior_moments",
    "mvn_log_prob",
    "lowrank_diag",
]

Raw = Mapping[str, np.ndarray]
_LOG_2PI = float(np.log(2.0 * np.pi))


def _softplus(x: np.ndarray) -> np.ndarray:
    return np.logaddexp(0.0, x)


def _raw(spec: GroupSpec, raw: Raw) -> dict[str, np.ndarray]:
    check_raw_arrays(spec.raw_shapes, raw)
    return {name: np.asarray(raw[name], dtype=np.float64) for name in spec.raw_shapes}


def scale_tril(spec: GaussianGroupSpec, raw_tril: np.ndarray) -> np.ndarray:
    """Cholesky factor ``L (d, d)`` of a ``GaussianGroup`` from its packed ``raw_tril``.

    Example:
        >>> spec = GaussianGroupSpec(2, jitter=1e-6)
        >>> np.round(scale_tril(spec, np.array([0.0, 3.0, 0.0])), 6).tolist()
        [[0.693148, 0.0], [3.0, 0.693148]]
    """
    d = spec.num_params
    rows, cols = spec.tril
    L = np.zeros((d, d))
    L[rows, cols] = raw_tril
    L[np.arange(d), np.arange(d)] = _softplus(np.diag(L)) + spec.jitter
    return L


def lowrank_diag(spec: LowRankGaussianGroupSpec, raw: Raw) -> np.ndarray:
    """``softplus(raw_cov_diag) + jitter``: the positive diagonal ``D`` of a low-rank group."""
    return _softplus(raw["raw_cov_diag"]) + spec.jitter


def sample_transform(spec: GroupSpec, raw: Raw, noise: np.ndarray) -> np.ndarray:
    """Map standard-normal ``noise (num_samples, *spec.noise_shape)`` to samples ``(num_samples, num_params)``.

    Deterministic groups ignore the noise (pass ``(num_samples, 0)``); Langevin
    groups have no fixed transform (see ``langevin_trajectory``).

    Example:
        >>> spec = IIDGaussianGroupSpec(2)
        >>> sample_transform(spec, {"mean": np.zeros(2), "log_std": np.zeros(2)}, np.ones((1, 2))).tolist()
        [[1.0, 1.0]]
    """
    r = _raw(spec, raw)
    noise = np.asarray(noise, dtype=np.float64)
    if isinstance(spec, LangevinGroupSpec):
        raise PolymixTypeError("spec: LangevinGroupSpec has no closed-form transform; use langevin_trajectory")
    check_noise_shape("noise", noise.shape, spec.noise_shape)
    if isinstance(spec, DeterministicGroupSpec):
        return np.repeat(r["params"][None, :], noise.shape[0], axis=0)
    if isinstance(spec, IIDGaussianGroupSpec):
        return r["mean"] + np.exp(r["log_std"]) * noise
    if isinstance(spec, GaussianGroupSpec):
        return r["mean"] + noise @ scale_tril(spec, r["raw_tril"]).T
    if isinstance(spec, LowRankGaussianGroupSpec):
        eps_u, eps_d = noise[:, : spec.rank], noise[:, spec.rank :]
        return r["mean"] + eps_u @ r["cov_factor"].T + np.sqrt(lowrank_diag(spec, r)) * eps_d
    raise PolymixTypeError(f"spec: unknown group spec {type(spec).__name__}")


def moments(spec: GroupSpec, raw: Raw) -> tuple[np.ndarray, np.ndarray]:
    """Mean ``(d,)`` and covariance ``(d, d)`` of a Gaussian family.

    Example:
        >>> m, c = moments(IIDGaussianGroupSpec(1), {"mean": np.ones(1), "log_std": np.zeros(1)})
        >>> m.tolist(), c.tolist()
        ([1.0], [[1.0]])
    """
    r = _raw(spec, raw)
    if isinstance(spec, IIDGaussianGroupSpec):
        return r["mean"], np.diag(np.exp(2.0 * r["log_std"]))
    if isinstance(spec, GaussianGroupSpec):
        L = scale_tril(spec, r["raw_tril"])
        return r["mean"], L @ L.T
    if isinstance(spec, LowRankGaussianGroupSpec):
        U = r["cov_factor"]
        return r["mean"], U @ U.T + np.diag(lowrank_diag(spec, r))
    raise PolymixTypeError(f"spec: {type(spec).__name__} is not a Gaussian family")


def mvn_log_prob(theta: np.ndarray, mean: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """``log N(theta; mean, cov)`` for ``theta (n, d)``: ``(n,)``."""
    L = np.linalg.cholesky(cov)
    z = np.linalg.solve(L, (theta - mean).T)  # (d, n)
    d = mean.shape[0]
    return -0.5 * np.sum(z**2, axis=0) - np.sum(np.log(np.diag(L))) - 0.5 * d * _LOG_2PI


def log_prob(spec: GroupSpec, raw: Raw, theta: np.ndarray) -> np.ndarray:
    """Log-density of the variational family at ``theta (n, d)``: ``(n,)``."""
    mean, cov = moments(spec, raw)
    return mvn_log_prob(np.atleast_2d(theta), mean, cov)


def prior_moments(prior: PriorSpec, num_params: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean and covariance of a Gaussian prior."""
    if isinstance(prior, IIDGaussianPriorSpec):
        mean, std = prior.broadcast(num_params)
        return mean, np.diag(std**2)
    if isinstance(prior, GaussianPriorSpec):
        return prior.mean, prior.covariance(num_params)
    raise PolymixTypeError(f"prior: {type(prior).__name__} is not Gaussian")


def prior_log_prob(prior: PriorSpec, theta: np.ndarray) -> np.ndarray:
    """Log-density of a prior at ``theta (n, d)``: ``(n,)``.

    Example:
        >>> float(prior_log_prob(LaplacePriorSpec(0.0, 1.0), np.zeros((1, 1)))[0])  # log(1/2)
        -0.6931471805599453
    """
    theta = np.atleast_2d(np.asarray(theta, dtype=np.float64))
    d = theta.shape[1]
    if isinstance(prior, LaplacePriorSpec):
        loc, scale = prior.broadcast(d)
        return np.sum(-np.log(2.0 * scale) - np.abs(theta - loc) / scale, axis=1)
    mean, cov = prior_moments(prior, d)
    return mvn_log_prob(theta, mean, cov)
