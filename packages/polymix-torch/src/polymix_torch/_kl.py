"""Closed-form ``KL(q || p)`` between a Gaussian family and a Gaussian prior, written once.

Every Gaussian family is described by its mean, a list of covariance factors
``F_i`` with ``Sigma_q = sum_i F_i F_i^T`` and ``log det Sigma_q``:

- IID:       ``[std]`` (a 1-D factor means ``diag(std)``), ``2 sum log_std``;
- full:      ``[L]``, ``2 sum log diag L``;
- low rank:  ``[U, sqrt(D)]``, ``log det(D + U U^T)`` from a QR factorisation (``low_rank_logdet``).

The prior is its ``GaussianForm`` ``N(m_p, S S^T)`` with ``S`` diagonal (IID prior) or lower
triangular (full prior, factorised once in float64), and its log-determinant computed in float64.
Then, with ``W(A) = S^{-1} A``:

``KL = 0.5 * (sum_i ||W(F_i)||_F^2 + ||W(m_p - m_q)||^2 - d + log det(S S^T) - log det Sigma_q)``.

Log-determinants come from logarithms of scales, never from logarithms of products of them, so
extreme scales (``log_std = -60`` in float32) give the exact finite value instead of ``inf``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from .priors._base import GaussianForm

__all__ = ["gaussian_kl", "low_rank_logdet", "normal_laplace_kl"]


def _whiten(scale: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
    """``S^{-1} a`` for ``a`` of shape ``(d,)`` (a vector) or ``(d, k)``."""
    if scale.ndim == 1:
        return a / (scale if a.ndim == 1 else scale.unsqueeze(1))
    if a.ndim == 1:
        return torch.linalg.solve_triangular(scale, a.unsqueeze(1), upper=False).squeeze(1)  # (d,)
    return torch.linalg.solve_triangular(scale, a, upper=False)  # (d, k)


def _whitened_sq_norm(scale: torch.Tensor, factor: torch.Tensor) -> torch.Tensor:
    """``||S^{-1} F||_F^2``, where a 1-D ``factor`` stands for ``diag(factor)``."""
    if factor.ndim == 1 and scale.ndim == 1:
        return (factor / scale).pow(2).sum()
    if factor.ndim == 1:
        factor = torch.diag(factor)  # (d, d): a full prior mixes the diagonal's columns
    return _whiten(scale, factor).pow(2).sum()


def low_rank_logdet(cov_factor: torch.Tensor, cov_diag: torch.Tensor) -> torch.Tensor:
    """``log det(D + U U^T)`` without forming or Cholesky-factorising the capacitance matrix.

    ``log det(D + U U^T) = sum log D + log det(I_r + W^T W)`` with ``W = D^{-1/2} U``, and
    ``I_r + W^T W = R^T R`` for the QR factorisation of the stacked ``[W; I_r]``, so the second
    term is ``2 sum log |diag R|``. QR is backward stable and ``[W; I_r]`` always has full column
    rank, so this never fails, in float32 included, where a Cholesky factorisation of the
    capacitance can (large factors over a small diagonal). Costs ``O(d rank^2)``.

    Args:
        cov_factor: ``U``, ``(d, rank)``.
        cov_diag: ``D``'s diagonal, ``(d,)``, positive.

    Returns:
        Scalar.

    Example:
        >>> u, diag = torch.tensor([[1.0], [2.0]]), torch.tensor([1.0, 3.0])
        >>> round(float(low_rank_logdet(u, diag)), 5), round(float(torch.logdet(torch.diag(diag) + u @ u.T)), 5)
        (2.30259, 2.30259)
    """
    rank = cov_factor.shape[1]
    w = cov_factor / cov_diag.sqrt().unsqueeze(1)  # (d, rank)
    stacked = torch.cat([w, torch.eye(rank, dtype=w.dtype, device=w.device)], dim=0)  # (d + rank, rank)
    r = torch.linalg.qr(stacked, mode="reduced").R  # (rank, rank)
    return 2.0 * r.diagonal().abs().log().sum() + cov_diag.log().sum()


def gaussian_kl(
    mean: torch.Tensor, factors: Sequence[torch.Tensor], logdet: torch.Tensor, prior: GaussianForm
) -> torch.Tensor:
    """``KL(N(mean, sum_i F_i F_i^T) || prior)`` in closed form.

    Args:
        mean: ``(d,)`` mean of ``q``.
        factors: Covariance factors of ``q``; each ``(d,)`` (a diagonal) or ``(d, k)``.
        logdet: ``log det Sigma_q`` (scalar).
        prior: The prior's ``GaussianForm`` in ``mean``'s dtype and device.

    Returns:
        Scalar KL (non-negative up to round-off).

    Example:
        >>> prior = GaussianForm(torch.ones(1), torch.ones(1), 0.0)
        >>> float(gaussian_kl(torch.zeros(1), [torch.ones(1)], torch.zeros(()), prior))  # 0.5 * (mean difference)^2
        0.5
    """
    d = mean.shape[0]
    z = _whiten(prior.scale, prior.mean - mean)  # (d,)
    if prior.scale.ndim == 1 and all(f.ndim == 1 for f in factors):
        # everything diagonal: one elementwise pass and a single reduction
        per_param = z * z
        for f in factors:
            w = f / prior.scale
            per_param = per_param + w * w
        return 0.5 * (per_param.sum() - d + prior.logdet - logdet)
    trace = _whitened_sq_norm(prior.scale, factors[0])
    for f in factors[1:]:
        trace = trace + _whitened_sq_norm(prior.scale, f)
    return 0.5 * (trace + z.pow(2).sum() - d + prior.logdet - logdet)


def normal_laplace_kl(
    mean: torch.Tensor, log_std: torch.Tensor, loc: torch.Tensor, log_scale: torch.Tensor
) -> torch.Tensor:
    """``KL(N(mean, diag(exp(log_std)^2)) || Laplace(loc, exp(log_scale)))`` summed over ``(num_params,)``.

    ``-H(q) - E_q[log p]`` with ``delta = mean - loc`` and
    ``E|X - loc| = std sqrt(2/pi) exp(-delta^2 / (2 std^2)) + delta erf(delta / (std sqrt 2))``;
    the logarithms of the scales enter directly.

    Example:
        >>> z = torch.zeros(1)
        >>> round(float(normal_laplace_kl(z, z, z, z)), 6)  # log 2 - 0.5 log(2 pi e) + sqrt(2 / pi)
        0.072093
    """
    std = log_std.exp()
    delta = mean - loc
    abs_moment = std * math.sqrt(2.0 / math.pi) * torch.exp(-0.5 * (delta / std).pow(2)) + delta * torch.erf(
        delta / (std * math.sqrt(2.0))
    )
    per_param = (
        math.log(2.0) + log_scale - log_std - 0.5 * (1.0 + math.log(2.0 * math.pi)) + abs_moment * (-log_scale).exp()
    )
    return per_param.sum()
