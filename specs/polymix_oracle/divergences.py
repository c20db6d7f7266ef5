"""KL divergences by their textbook formulas (contract section 8)."""

from __future__ import annotations

import math

import numpy as np
from scipy import special

from .priors import Prior, gaussian_moments, laplace_parameters


def gaussian_kl(m_q: np.ndarray, cov_q: np.ndarray, m_p: np.ndarray, cov_p: np.ndarray) -> float:
    """``KL(N(m_q, cov_q) || N(m_p, cov_p))`` with ``numpy.linalg.inv`` and ``det``.

    ``1/2 [tr(cov_p^-1 cov_q) + (m_p - m_q)^T cov_p^-1 (m_p - m_q) - d + log det cov_p - log det cov_q]``.
    """
    inv_p = np.linalg.inv(cov_p)
    diff = m_p - m_q
    d = m_q.shape[0]
    return 0.5 * float(
        np.trace(inv_p @ cov_q) + diff @ inv_p @ diff - d + math.log(np.linalg.det(cov_p) / np.linalg.det(cov_q))
    )


def kl_to_prior(mean: np.ndarray, cov: np.ndarray, prior: Prior) -> float:
    """``KL(N(mean, cov) || p)`` for a Gaussian prior (``None``: the standard normal)."""
    m_p, c_p = gaussian_moments(prior, mean.shape[0])
    return gaussian_kl(mean, cov, m_p, c_p)


def laplace_kl(mean: np.ndarray, cov: np.ndarray, prior: Prior) -> float:
    """Exact ``KL(N(mean, cov) || prod_i Laplace(loc_i, scale_i))``.

    ``-H(q) + sum_i [log(2 b_i) + E|theta_i - loc_i| / b_i]``, where ``E|X|`` of a normal
    ``X ~ N(mu, s^2)`` is the folded-normal mean ``s sqrt(2/pi) exp(-mu^2 / 2 s^2) + mu erf(mu / s sqrt 2)``.
    """
    d = mean.shape[0]
    loc, scale = laplace_parameters(prior, d)
    entropy = 0.5 * d * (1.0 + math.log(2.0 * math.pi)) + 0.5 * math.log(np.linalg.det(cov))
    mu, s = mean - loc, np.sqrt(np.diag(cov))
    folded = s * math.sqrt(2.0 / math.pi) * np.exp(-(mu**2) / (2.0 * s**2))
    folded += mu * special.erf(mu / (s * math.sqrt(2.0)))
    return float(np.sum(np.log(2.0 * scale) + folded / scale) - entropy)
