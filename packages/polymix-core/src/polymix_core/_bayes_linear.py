"""Exact Bayesian linear regression (numpy float64): the conjugate posterior and evidence of a PCE fit.

Model: ``y = X w + eps`` with ``eps ~ N(0, noise_std^2 I)`` and the prior ``w ~ N(m0, S0)``. Writing
``S0 = L0 L0^T`` (Cholesky) and ``Phi = X L0 = U diag(sigma) V^T`` (one SVD), every quantity is a
function of ``sigma``, ``beta = U^T (y - X m0)`` and the residual ``r_perp`` of ``y - X m0`` outside the
column space of ``Phi``:

* ``log p(y) = -(n log 2 pi + (n - k) log s^2 + sum log(s^2 + sigma^2) + |r_perp|^2 / s^2
  + sum beta^2 / (s^2 + sigma^2)) / 2`` with ``s = noise_std``, ``k = len(sigma)``: a sum of terms of one
  sign, O(k) per noise level, so the noise is chosen by a grid over ``log s`` refined by golden section;
* ``mean = m0 + L0 V (sigma beta / (s^2 + sigma^2))``;
* ``cov = F F^T`` with ``F = L0 V diag(s / sqrt(s^2 + sigma^2))`` (``sigma`` padded with zeros to ``p``):
  symmetric positive semi-definite by construction, no inverse of ``S0`` or of ``X^T X`` is formed.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from ._errors import NumericalError, PolymixTypeError, PolymixValueError, ShapeError, check_positive_float

__all__ = ["LinearPosterior", "bayesian_linear_regression"]

_LOG_2PI = math.log(2.0 * math.pi)
_GRID_POINTS = 241  # noise levels of the coarse search over log noise_std
_GOLDEN_TOL = 1e-10  # width in log noise_std at which the golden-section refinement stops


class LinearPosterior(NamedTuple):
    """Gaussian posterior of the weights of a linear model, with its noise level and evidence.

    Attributes:
        mean: ``(p,)`` posterior mean.
        cov: ``(p, p)`` posterior covariance (symmetric positive semi-definite).
        noise_std: The noise standard deviation used (given, or chosen by maximising the evidence).
        log_evidence: ``log p(y)`` under ``N(X m0, X S0 X^T + noise_std^2 I)``.
    """

    mean: np.ndarray
    cov: np.ndarray
    noise_std: float
    log_evidence: float


def _float_array(name: str, value: Any) -> np.ndarray:
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as err:  # e.g. a ragged nested list
        raise PolymixTypeError(f"{name}: expected a real array, received type {type(value).__name__} ({err})") from None
    if array.dtype.kind not in "biuf":
        raise PolymixTypeError(f"{name}: expected a real array, received dtype {array.dtype}")
    array = array.astype(np.float64)
    if not np.all(np.isfinite(array)):
        raise PolymixValueError(
            f"{name}: expected finite values, received {int(np.sum(~np.isfinite(array)))} non-finite"
        )
    return array


def _prior_factor(prior_cov: Any, num_features: int) -> np.ndarray:
    """``L0`` with ``prior_cov = L0 L0^T``: ``(p, p)`` lower triangular."""
    cov = _float_array("prior_cov", prior_cov)
    p = num_features
    if cov.shape == (p,):
        if np.any(cov <= 0):
            raise PolymixValueError(
                f"prior_cov: expected a positive-definite covariance (a diagonal of {p} positive variances), "
                f"received minimum {cov.min()!r}"
            )
        return np.diag(np.sqrt(cov))
    if cov.shape != (p, p):
        raise ShapeError(f"prior_cov: expected shape ({p}, {p}) or the diagonal ({p},), received shape {cov.shape}")
    asymmetry = float(np.max(np.abs(cov - cov.T), initial=0.0))
    if asymmetry > 1e-10 * float(np.max(np.abs(cov), initial=0.0)):
        raise PolymixValueError(f"prior_cov: expected a symmetric matrix, received max |S0 - S0^T| = {asymmetry!r}")
    try:
        return np.linalg.cholesky(cov)
    except np.linalg.LinAlgError:
        eigenvalues = np.linalg.eigvalsh(cov)
        raise PolymixValueError(
            f"prior_cov: expected a positive-definite ({p}, {p}) matrix, received one whose Cholesky factorisation "
            f"fails (smallest eigenvalue {eigenvalues[0]!r})"
        ) from None


def _noise_bounds(noise_bounds: Any) -> tuple[float, float]:
    if isinstance(noise_bounds, (str, bytes)) or not isinstance(noise_bounds, Sequence) or len(noise_bounds) != 2:
        raise PolymixTypeError(f"noise_bounds: expected a pair (low, high), received {noise_bounds!r}")
    low = check_positive_float("noise_bounds[0]", noise_bounds[0])
    high = check_positive_float("noise_bounds[1]", noise_bounds[1])
    if low > high:
        raise PolymixValueError(f"noise_bounds: expected low <= high, received {tuple(noise_bounds)!r}")
    return low, high


def _log_evidence(log_s2: np.ndarray, sigma2: np.ndarray, beta2: np.ndarray, r_perp2: float, n: int) -> np.ndarray:
    """``log p(y)`` at every ``log noise_std^2`` of ``log_s2 (G,)``: ``(G,)``."""
    s2 = np.exp(log_s2)[:, None]  # (G, 1)
    k = sigma2.shape[0]
    total = s2 + sigma2[None, :]  # (G, k)
    return -0.5 * (
        n * _LOG_2PI
        + (n - k) * log_s2
        + np.sum(np.log(total), axis=1)
        + r_perp2 / s2[:, 0]
        + np.sum(beta2[None, :] / total, axis=1)
    )


def _maximise_noise(low: float, high: float, objective: Any) -> float:
    """``log noise_std`` in ``[log low, log high]`` that maximises ``objective(log s^2)``: grid, then golden section."""
    t_low, t_high = math.log(low), math.log(high)
    if t_high - t_low <= _GOLDEN_TOL:
        return t_low
    grid = np.linspace(t_low, t_high, _GRID_POINTS)  # log noise_std
    values = objective(2.0 * grid)
    best = int(np.argmax(values))
    a, b = grid[max(best - 1, 0)], grid[min(best + 1, grid.size - 1)]
    ratio = (math.sqrt(5.0) - 1.0) / 2.0
    c, d = b - ratio * (b - a), a + ratio * (b - a)
    fc, fd = objective(np.array([2.0 * c, 2.0 * d]))
    while b - a > _GOLDEN_TOL:
        if fc >= fd:  # the maximum lies in [a, d]
            b, d, fd = d, c, fc
            c = b - ratio * (b - a)
            fc = objective(np.array([2.0 * c]))[0]
        else:
            a, c, fc = c, d, fd
            d = a + ratio * (b - a)
            fd = objective(np.array([2.0 * d]))[0]
    candidates = np.array([grid[best], 0.5 * (a + b)])
    return float(candidates[int(np.argmax(objective(2.0 * candidates)))])


def bayesian_linear_regression(
    features: Any,
    y: Any,
    *,
    prior_mean: Any,
    prior_cov: Any,
    noise_std: float | None = None,
    noise_bounds: tuple[float, float] = (1e-6, 1e6),
) -> LinearPosterior:
    """Exact posterior ``N(mean, cov)`` of ``w`` in ``y = features @ w + N(0, noise_std^2)``, ``w ~ N(m0, S0)``.

    One output at a time: for several outputs (a PCE's ``num_outputs``), the caller fits each output's column
    of values independently, with its own noise level; the weights of output ``o`` are the PCE coefficients
    at flat indices ``k * num_outputs + o``. The computation is in float64 on numpy (see the module notes).

    Args:
        features: ``(n, p)`` design matrix (e.g. ``pce_basis(x, spec.multi_indices)``).
        y: ``(n,)`` observed values of one output.
        prior_mean: ``(p,)`` prior mean ``m0``.
        prior_cov: ``(p, p)`` symmetric positive-definite prior covariance ``S0``, or its diagonal ``(p,)``.
        noise_std: Noise standard deviation; ``None`` chooses it by maximising the log evidence over
            ``noise_bounds`` (a grid of log noise levels, refined by golden section).
        noise_bounds: ``(low, high)`` range of the noise standard deviation searched when ``noise_std`` is ``None``.

    Returns:
        ``LinearPosterior(mean (p,), cov (p, p), noise_std, log_evidence)``.

    Raises:
        ShapeError: An array has the wrong shape.
        PolymixValueError: Non-finite data, a prior covariance that is not symmetric positive-definite,
            or bad noise settings.
        PolymixTypeError: An argument is not a real array or number.
        NumericalError: The singular value decomposition does not converge.

    Example:
        >>> import numpy as np
        >>> x = np.linspace(-1.0, 1.0, 5)
        >>> features = np.stack([np.ones_like(x), x], axis=1)  # (5, 2)
        >>> post = bayesian_linear_regression(
        ...     features, 1.0 + 2.0 * x, prior_mean=np.zeros(2), prior_cov=np.full(2, 100.0), noise_std=0.1
        ... )
        >>> post.mean.round(3).tolist(), post.cov.shape
        ([1.0, 1.999], (2, 2))
    """
    x = _float_array("features", features)
    if x.ndim != 2 or 0 in x.shape:
        raise ShapeError(f"features: expected a non-empty 2-D array (n, p), received shape {x.shape}")
    n, p = x.shape
    targets = _float_array("y", y)
    if targets.shape != (n,):
        raise ShapeError(
            f"y: expected shape ({n},) (one output; fit several outputs one at a time), received shape {targets.shape}"
        )
    m0 = _float_array("prior_mean", prior_mean)
    if m0.shape != (p,):
        raise ShapeError(f"prior_mean: expected shape ({p},), received shape {m0.shape}")
    l0 = _prior_factor(prior_cov, p)  # (p, p)
    if noise_std is not None:
        if isinstance(noise_std, bool) or not isinstance(noise_std, numbers.Real):
            raise PolymixTypeError(f"noise_std: expected a positive finite number or None, received {noise_std!r}")
        noise_std = check_positive_float("noise_std", noise_std)
    low, high = _noise_bounds(noise_bounds)

    phi = x @ l0  # (n, p): the features of the whitened weights z, w = m0 + L0 z
    residual = targets - x @ m0  # (n,)
    try:
        u, sigma, vt = np.linalg.svd(phi, full_matrices=n < p)  # u (n, k), sigma (k,), vt (p, p); k = min(n, p)
    except np.linalg.LinAlgError as err:
        raise NumericalError(f"features: the SVD of features @ chol(prior_cov) did not converge ({err})") from None
    k = sigma.shape[0]
    u = u[:, :k]  # (n, k)
    beta = u.T @ residual  # (k,)
    r_perp2 = float(np.sum((residual - u @ beta) ** 2)) if n > k else 0.0
    sigma2, beta2 = sigma**2, beta**2

    def objective(log_s2: np.ndarray) -> np.ndarray:
        return _log_evidence(log_s2, sigma2, beta2, r_perp2, n)

    if noise_std is None:
        noise_std = math.exp(_maximise_noise(low, high, objective))
    s2 = noise_std**2
    log_evidence = float(objective(np.array([math.log(s2)]))[0])

    mean = m0 + l0 @ (vt[:k].T @ (sigma * beta / (s2 + sigma2)))  # (p,)
    sigma2_full = np.zeros(p)
    sigma2_full[:k] = sigma2
    factor = l0 @ (vt.T * np.sqrt(s2 / (s2 + sigma2_full)))  # (p, p)
    cov = factor @ factor.T  # (p, p)
    cov = 0.5 * (cov + cov.T)
    return LinearPosterior(mean, cov, float(noise_std), log_evidence)
