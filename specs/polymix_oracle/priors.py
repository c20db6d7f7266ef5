"""Priors read literally from the contract (section 7), densities from ``scipy.stats``.

A prior is the dictionary of ``prior.to_dict()`` (``"kind"``: ``iid_gaussian``, ``laplace``,
``gaussian``), or ``None`` for the default ``IIDGaussianPrior(0, 1)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import stats

Prior = dict[str, Any] | None


def _broadcast(value: Any, d: int) -> np.ndarray:
    """A scalar repeated ``d`` times, or a ``(d,)`` vector as it is (the broadcast rule)."""
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim == 0:
        return np.full(d, float(arr))
    if arr.shape != (d,):
        raise ValueError(f"expected a scalar or shape ({d},), received {arr.shape}")
    return arr


def resolve(prior: Prior) -> dict[str, Any]:
    """The prior dictionary, with ``None`` spelt out as ``IIDGaussianPrior(0, 1)``."""
    return {"kind": "iid_gaussian", "mean": 0.0, "std": 1.0} if prior is None else prior


def gaussian_moments(prior: Prior, d: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean ``(d,)`` and covariance ``(d, d)`` of a Gaussian prior over ``d`` parameters."""
    p = resolve(prior)
    if p["kind"] == "iid_gaussian":
        std = _broadcast(p["std"], d)
        return _broadcast(p["mean"], d), np.diag(std * std)
    if p["kind"] == "gaussian":
        mean = np.asarray(p["mean"], dtype=np.float64)
        if p.get("covariance_matrix") is not None:
            return mean, np.asarray(p["covariance_matrix"], dtype=np.float64)
        L = np.asarray(p["scale_tril"], dtype=np.float64)
        return mean, L @ L.T
    raise ValueError(f"{p['kind']!r} is not a Gaussian prior")


def log_prob(prior: Prior, theta: Any) -> np.ndarray:
    """``log p(theta)`` at ``theta (n, d)``: ``(n,)``."""
    theta = np.atleast_2d(np.asarray(theta, dtype=np.float64))
    d = theta.shape[1]
    p = resolve(prior)
    if p["kind"] == "laplace":
        loc, scale = _broadcast(p["loc"], d), _broadcast(p["scale"], d)
        return np.sum(stats.laplace(loc=loc, scale=scale).logpdf(theta), axis=1)
    if p["kind"] == "iid_gaussian":
        mean, std = _broadcast(p["mean"], d), _broadcast(p["std"], d)
        return np.sum(stats.norm(loc=mean, scale=std).logpdf(theta), axis=1)
    mean, cov = gaussian_moments(p, d)
    return np.atleast_1d(stats.multivariate_normal(mean, cov).logpdf(theta))


def laplace_parameters(prior: Prior, d: int) -> tuple[np.ndarray, np.ndarray]:
    """``loc`` and ``scale`` ``(d,)`` of a Laplace prior."""
    p = resolve(prior)
    if p["kind"] != "laplace":
        raise ValueError(f"{p['kind']!r} is not a Laplace prior")
    return _broadcast(p["loc"], d), _broadcast(p["scale"], d)
