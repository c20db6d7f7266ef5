"""Closed-form ``KL(q || p)`` of the reference: the one decomposition every backend uses, in numpy.

A Gaussian family gives its mean, covariance factors ``F_i`` (``Sigma_q = sum_i F_i F_i^T``;
a 1-D factor stands for a diagonal) and ``log det Sigma_q`` (``gaussian_parts``); a Gaussian
prior gives its ``GaussianForm`` ``N(m_p, S S^T)`` (``prior_gaussian_form``). Then, with
``W(A) = S^{-1} A``::

    KL = 0.5 * (sum_i ||W(F_i)||_F^2 + ||W(m_p - m_q)||^2 - d + log det(S S^T) - log det Sigma_q)

``polymix_torch`` and ``polymix_jax`` have the same functions, with the same names, in their ``_kl.py``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

import numpy as np

from .._errors import PolymixTypeError
from .._group_specs import GaussianGroupSpec, GroupSpec, IIDGaussianGroupSpec, LowRankGaussianGroupSpec
from .._prior_specs import GaussianPriorSpec, IIDGaussianPriorSpec, PriorSpec

__all__ = [
    "GaussianForm",
    "gaussian_parts",
    "prior_gaussian_form",
    "low_rank_logdet",
    "gaussian_kl",
    "kl_divergence",
]


class GaussianForm(NamedTuple):
    """A Gaussian prior ``N(mean, S S^T)``: ``scale`` is ``(d,)`` (diagonal) or ``(d, d)`` lower triangular."""

    mean: np.ndarray
    scale: np.ndarray
    logdet: float


def prior_gaussian_form(prior: PriorSpec, num_params: int) -> GaussianForm:
    """The prior as ``N(mean, S S^T)`` with its log-determinant.

    Raises:
        PolymixTypeError: the prior is not Gaussian.

    Example:
        >>> prior_gaussian_form(IIDGaussianPriorSpec(0.0, 2.0), 2).scale.tolist()
        [2.0, 2.0]
    """
    if isinstance(prior, IIDGaussianPriorSpec):
        mean, std = prior.broadcast(num_params)
        return GaussianForm(mean, std, 2.0 * float(np.log(std).sum()))
    if isinstance(prior, GaussianPriorSpec):
        lower = prior.lower(num_params)
        return GaussianForm(np.asarray(prior.mean), lower, 2.0 * float(np.log(np.diag(lower)).sum()))
    raise PolymixTypeError(f"prior: {type(prior).__name__} is not Gaussian")


def low_rank_logdet(cov_factor: np.ndarray, cov_diag: np.ndarray) -> float:
    """``log det(D + U U^T) = sum log D + 2 sum log |diag R|`` with ``[D^{-1/2} U; I_r] = QR``.

    Example:
        >>> bool(abs(low_rank_logdet(np.array([[1.0], [2.0]]), np.array([1.0, 3.0])) - np.log(10.0)) < 1e-12)
        True
    """
    rank = cov_factor.shape[1]
    w = cov_factor / np.sqrt(cov_diag)[:, None]  # (d, rank)
    r = np.linalg.qr(np.concatenate([w, np.eye(rank)], axis=0), mode="r")  # (rank, rank)
    return float(2.0 * np.log(np.abs(np.diag(r))).sum() + np.log(cov_diag).sum())


def gaussian_parts(spec: GroupSpec, raw: Mapping[str, np.ndarray]) -> tuple[np.ndarray, list[np.ndarray], float]:
    """Mean ``(d,)``, covariance factors and ``log det Sigma_q`` of a Gaussian family.

    Example:
        >>> raw = {"mean": np.zeros(2), "log_std": np.ones(2)}
        >>> gaussian_parts(IIDGaussianGroupSpec(2), raw)[2]
        4.0
    """
    from ._groups import lowrank_diag, scale_tril

    if isinstance(spec, IIDGaussianGroupSpec):
        log_std = np.asarray(raw["log_std"], dtype=np.float64)
        return np.asarray(raw["mean"], dtype=np.float64), [np.exp(log_std)], float(2.0 * log_std.sum())
    if isinstance(spec, GaussianGroupSpec):
        lower = scale_tril(spec, np.asarray(raw["raw_tril"], dtype=np.float64))
        return np.asarray(raw["mean"], dtype=np.float64), [lower], float(2.0 * np.log(np.diag(lower)).sum())
    if isinstance(spec, LowRankGaussianGroupSpec):
        u = np.asarray(raw["cov_factor"], dtype=np.float64)
        diag = lowrank_diag(spec, raw)
        return np.asarray(raw["mean"], dtype=np.float64), [u, np.sqrt(diag)], low_rank_logdet(u, diag)
    raise PolymixTypeError(f"spec: {type(spec).__name__} is not a Gaussian family")


def _whiten(scale: np.ndarray, a: np.ndarray) -> np.ndarray:
    if scale.ndim == 1:
        return a / (scale if a.ndim == 1 else scale[:, None])
    return np.linalg.solve(scale, a)  # a triangular system; solved densely, the reference favours clarity


def gaussian_kl(mean: np.ndarray, factors: Sequence[np.ndarray], logdet: float, prior: GaussianForm) -> float:
    """``KL(N(mean, sum_i F_i F_i^T) || prior)`` in closed form.

    Example:
        >>> gaussian_kl(np.zeros(1), [np.ones(1)], 0.0, GaussianForm(np.ones(1), np.ones(1), 0.0))
        0.5
    """
    d = mean.shape[0]
    trace = 0.0
    for f in factors:
        if f.ndim == 1 and prior.scale.ndim == 1:
            trace += float(np.sum((f / prior.scale) ** 2))
        else:
            trace += float(np.sum(_whiten(prior.scale, np.diag(f) if f.ndim == 1 else f) ** 2))
    z = _whiten(prior.scale, prior.mean - mean)
    return float(0.5 * (trace + z @ z - d + prior.logdet - logdet))


def kl_divergence(spec: GroupSpec, raw: Mapping[str, np.ndarray], prior: PriorSpec) -> float:
    """Analytic ``KL(q || p)`` of a Gaussian family against a Gaussian prior."""
    return gaussian_kl(*gaussian_parts(spec, raw), prior_gaussian_form(prior, spec.num_params))
