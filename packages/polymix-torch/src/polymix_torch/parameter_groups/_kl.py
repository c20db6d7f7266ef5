"""Closed-form ``KL(q || p)`` between a Gaussian family and a Gaussian prior.

A Gaussian family is described by its mean, the diagonal of its covariance, a
square root ``S`` of its covariance (``Sigma_q = S S^T``, any number of columns) and
its log-determinant; each family computes these in its own cheap way (the low-rank
family's log-determinant by the matrix determinant lemma).
"""

from __future__ import annotations

import torch

__all__ = ["kl_diag_to_iid", "kl_to_iid", "kl_to_full"]


def kl_diag_to_iid(
    mean: torch.Tensor, std: torch.Tensor, prior_mean: torch.Tensor, prior_std: torch.Tensor
) -> torch.Tensor:
    """``KL(N(mean, diag(std^2)) || N(prior_mean, diag(prior_std^2)))`` summed over ``(num_params,)``.

    Example:
        >>> z, o = torch.zeros(1), torch.ones(1)
        >>> float(kl_diag_to_iid(z, o, o, o))
        0.5
    """
    var_ratio = (std / prior_std).pow(2)
    t1 = ((mean - prior_mean) / prior_std).pow(2)
    return 0.5 * (var_ratio + t1 - 1 - var_ratio.log()).sum()


def kl_to_iid(
    mean: torch.Tensor,
    cov_diag: torch.Tensor,
    logdet: torch.Tensor,
    prior_mean: torch.Tensor,
    prior_std: torch.Tensor,
) -> torch.Tensor:
    """``KL(N(mean, Sigma_q) || N(prior_mean, diag(prior_std^2)))`` from ``diag(Sigma_q)`` and ``log|Sigma_q|``.

    Args:
        mean: ``(num_params,)``.
        cov_diag: ``(num_params,)`` diagonal of ``Sigma_q``.
        logdet: Scalar ``log det Sigma_q``.
        prior_mean: ``(num_params,)``.
        prior_std: ``(num_params,)``.

    Returns:
        Scalar tensor.
    """
    prior_var = prior_std.pow(2)
    trace = (cov_diag / prior_var).sum()
    maha = ((mean - prior_mean).pow(2) / prior_var).sum()
    return 0.5 * (trace + maha - mean.shape[0] + prior_var.log().sum() - logdet)


def kl_to_full(
    mean: torch.Tensor,
    cov_root: torch.Tensor,
    logdet: torch.Tensor,
    prior_mean: torch.Tensor,
    prior_tril: torch.Tensor,
) -> torch.Tensor:
    """``KL(N(mean, S S^T) || N(prior_mean, L_p L_p^T))``.

    Args:
        mean: ``(num_params,)``.
        cov_root: ``S`` of shape ``(num_params, k)`` with ``Sigma_q = S S^T``.
        logdet: Scalar ``log det Sigma_q``.
        prior_mean: ``(num_params,)``.
        prior_tril: ``L_p (num_params, num_params)``, lower triangular.

    Returns:
        Scalar tensor.
    """
    m = torch.linalg.solve_triangular(prior_tril, cov_root, upper=False)  # (num_params, k): L_p^{-1} S
    z = torch.linalg.solve_triangular(prior_tril, (prior_mean - mean).unsqueeze(-1), upper=False)  # (num_params, 1)
    prior_logdet = 2.0 * prior_tril.diagonal().log().sum()
    return 0.5 * (m.pow(2).sum() + z.pow(2).sum() - mean.shape[0] + prior_logdet - logdet)
