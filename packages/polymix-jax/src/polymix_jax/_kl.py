"""Closed-form ``KL(q || p)`` between a Gaussian family and a Gaussian prior, written once.

Every Gaussian family is described by its mean, a list of covariance factors
``F_i`` with ``Sigma_q = sum_i F_i F_i^T`` and ``log det Sigma_q``:

- IID:       ``[std]`` (a 1-D factor means ``diag(std)``), ``2 sum log std``;
- full:      ``[L]``, ``2 sum log diag L``;
- low rank:  ``[U, sqrt(D)]``, ``log det(D + U U^T)`` by the matrix determinant lemma.

The prior is ``N(m_p, S S^T)`` with ``S`` diagonal (IID prior) or lower triangular
(full prior). Then, with ``W(A) = S^{-1} A``:

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


def _prior_logdet(scale: jax.Array) -> jax.Array:
    diag = scale if scale.ndim == 1 else jnp.diagonal(scale)
    return 2.0 * jnp.sum(jnp.log(diag))


def low_rank_logdet(cov_factor: jax.Array, cov_diag: jax.Array) -> jax.Array:
    """``log det(D + U U^T)`` by the matrix determinant lemma: ``log det(I_r + U^T D^{-1} U) + sum log D``.

    Args:
        cov_factor: ``U``, ``(d, rank)``.
        cov_diag: ``D``'s diagonal, ``(d,)``, positive.

    Returns:
        Scalar; costs ``O(d rank^2)`` instead of ``O(d^3)``.
    """
    rank = cov_factor.shape[1]
    capacitance = jnp.eye(rank, dtype=cov_factor.dtype) + cov_factor.T @ (cov_factor / cov_diag[:, None])  # (r, r)
    chol = jnp.linalg.cholesky(capacitance)  # (rank, rank)
    return 2.0 * jnp.sum(jnp.log(jnp.diagonal(chol))) + jnp.sum(jnp.log(cov_diag))


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
        >>> prior = GaussianForm(jnp.ones(1), jnp.ones(1))
        >>> float(gaussian_kl(jnp.zeros(1), [jnp.ones(1)], jnp.zeros(()), prior))  # 0.5 * (mean difference)^2
        0.5
    """
    d = mean.shape[0]
    trace = sum(_whitened_sq_norm(prior.scale, f) for f in factors)
    z = _whiten(prior.scale, prior.mean - mean)  # (d,)
    return 0.5 * (trace + jnp.sum(z**2) - d + _prior_logdet(prior.scale) - logdet)


def normal_laplace_kl(mean: jax.Array, std: jax.Array, loc: jax.Array, scale: jax.Array) -> jax.Array:
    """``KL(N(mean, diag(std^2)) || Laplace(loc, scale))`` summed over ``(num_params,)``.

    ``-H(q) - E_q[log p]`` with ``delta = mean - loc`` and
    ``E|X - loc| = std sqrt(2/pi) exp(-delta^2 / (2 std^2)) + delta erf(delta / (std sqrt 2))``
    (the same closed form torch registers for this pair).

    Example:
        >>> import jax.numpy as jnp
        >>> o = jnp.ones(1)
        >>> round(float(normal_laplace_kl(0 * o, o, 0 * o, o)), 6)  # log 2 - 0.5 log(2 pi e) + sqrt(2 / pi)
        0.072093
    """
    delta = mean - loc
    abs_moment = std * jnp.sqrt(2.0 / jnp.pi) * jnp.exp(-0.5 * (delta / std) ** 2) + delta * jax.scipy.special.erf(
        delta / (std * jnp.sqrt(2.0))
    )
    per_param = jnp.log(2.0 * scale / std) - 0.5 * (1.0 + jnp.log(2.0 * jnp.pi)) + abs_moment / scale
    return jnp.sum(per_param)
