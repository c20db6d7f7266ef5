"""Closed-form ``KL(q || p)`` between a Gaussian family and a Gaussian prior, written once.

Every Gaussian family is described by its mean, a list of covariance factors
``F_i`` with ``Sigma_q = sum_i F_i F_i^T`` and ``log det Sigma_q``:

- IID:       ``[std]`` (a 1-D factor means ``diag(std)``), ``2 sum log std``;
- full:      ``[L]``, ``2 sum log diag L``;
- low rank:  ``[U, sqrt(D)]``, ``log det(D + U U^T)`` from a QR factorisation (``low_rank_logdet``).

The prior is ``N(m_p, S S^T)`` with ``S`` diagonal (IID prior) or lower triangular
(full prior, factorised in float64), its log-determinant computed in float64. Then, with
``W(A) = S^{-1} A``:

``KL = 0.5 * (sum_i ||W(F_i)||_F^2 + ||W(m_p - m_q)||^2 - d + log det(S S^T) - log det Sigma_q)``.

A diagonal prior never materialises a matrix for a diagonal factor, so IID vs IID is O(d).
"""

from __future__ import annotations

from typing import Sequence

import jax
import jax.numpy as jnp
from jax.scipy.linalg import solve_triangular

from .priors._base import GaussianForm

__all__ = ["gaussian_kl", "low_rank_logdet", "normal_laplace_kl"]


def _whiten(scale: jax.Array, a: jax.Array) -> jax.Array:
    """``S^{-1} a`` for ``a`` of shape ``(d,)`` (a vector) or ``(d, k)``."""
    if scale.ndim == 1:
        return a / (scale if a.ndim == 1 else scale[:, None])
    return solve_triangular(scale, a, lower=True)


def _whitened_sq_norm(scale: jax.Array, factor: jax.Array) -> jax.Array:
    """``||S^{-1} F||_F^2``, where a 1-D ``factor`` stands for ``diag(factor)``."""
    if factor.ndim == 1 and scale.ndim == 1:
        return jnp.sum((factor / scale) ** 2)
    if factor.ndim == 1:
        factor = jnp.diag(factor)  # (d, d): a full prior mixes the diagonal's columns
    return jnp.sum(_whiten(scale, factor) ** 2)


def low_rank_logdet(cov_factor: jax.Array, cov_diag: jax.Array) -> jax.Array:
    """``log det(D + U U^T)`` without forming or Cholesky-factorising the capacitance matrix.

    ``log det(D + U U^T) = sum log D + log det(I_r + W^T W)`` with ``W = D^{-1/2} U``, and
    ``I_r + W^T W = R^T R`` for the QR factorisation of the stacked ``[W; I_r]``, so the second
    term is ``2 sum log |diag R|``. QR is backward stable and ``[W; I_r]`` always has full column
    rank, so this stays finite in float32 where a Cholesky factorisation of the capacitance fails
    (large factors over a small diagonal). Costs ``O(d rank^2)``.

    Args:
        cov_factor: ``U``, ``(d, rank)``.
        cov_diag: ``D``'s diagonal, ``(d,)``, positive.

    Returns:
        Scalar.

    Example:
        >>> u, diag = jnp.array([[1.0], [2.0]]), jnp.array([1.0, 3.0])
        >>> round(float(low_rank_logdet(u, diag)), 5)
        2.30259
    """
    rank = cov_factor.shape[1]
    w = cov_factor / jnp.sqrt(cov_diag)[:, None]  # (d, rank)
    stacked = jnp.concatenate([w, jnp.eye(rank, dtype=w.dtype)], axis=0)  # (d + rank, rank)
    r = jnp.linalg.qr(stacked, mode="reduced")[1]  # (rank, rank)
    return 2.0 * jnp.sum(jnp.log(jnp.abs(jnp.diagonal(r)))) + jnp.sum(jnp.log(cov_diag))


def gaussian_kl(mean: jax.Array, factors: Sequence[jax.Array], logdet: jax.Array, prior: GaussianForm) -> jax.Array:
    """``KL(N(mean, sum_i F_i F_i^T) || prior)`` in closed form.

    Args:
        mean: ``(d,)`` mean of ``q``.
        factors: Covariance factors of ``q``; each ``(d,)`` (a diagonal) or ``(d, k)``.
        logdet: ``log det Sigma_q`` (scalar).
        prior: The prior's ``GaussianForm``.

    Returns:
        Scalar KL (non-negative up to round-off).

    Example:
        >>> import jax.numpy as jnp
        >>> from polymix_jax.priors._base import GaussianForm
        >>> prior = GaussianForm(jnp.ones(1), jnp.ones(1), 0.0)
        >>> float(gaussian_kl(jnp.zeros(1), [jnp.ones(1)], jnp.zeros(()), prior))  # 0.5 * (mean difference)^2
        0.5
    """
    d = mean.shape[0]
    trace = sum(_whitened_sq_norm(prior.scale, f) for f in factors)
    z = _whiten(prior.scale, prior.mean - mean)  # (d,)
    return 0.5 * (trace + jnp.sum(z**2) - d + prior.logdet - logdet)


def normal_laplace_kl(mean: jax.Array, log_std: jax.Array, loc: jax.Array, log_scale: jax.Array) -> jax.Array:
    """``KL(N(mean, diag(exp(log_std)^2)) || Laplace(loc, exp(log_scale)))`` summed over ``(num_params,)``.

    ``-H(q) - E_q[log p]`` with ``delta = mean - loc`` and
    ``E|X - loc| = std sqrt(2/pi) exp(-delta^2 / (2 std^2)) + delta erf(delta / (std sqrt 2))``
    (the closed form torch registers for this pair); the logarithms of the scales enter directly.

    Example:
        >>> import jax.numpy as jnp
        >>> z = jnp.zeros(1)
        >>> round(float(normal_laplace_kl(z, z, z, z)), 6)  # log 2 - 0.5 log(2 pi e) + sqrt(2 / pi)
        0.072093
    """
    std = jnp.exp(log_std)
    delta = mean - loc
    abs_moment = std * jnp.sqrt(2.0 / jnp.pi) * jnp.exp(-0.5 * (delta / std) ** 2) + delta * jax.scipy.special.erf(
        delta / (std * jnp.sqrt(2.0))
    )
    entropy = log_std + 0.5 * (1.0 + jnp.log(2.0 * jnp.pi))
    per_param = jnp.log(2.0) + log_scale + abs_moment * jnp.exp(-log_scale) - entropy
    return jnp.sum(per_param)
