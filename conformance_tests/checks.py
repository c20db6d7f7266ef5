"""Comparison helpers and reference statistics shared by the conformance tests.

Tolerances (per precision):

* float64: ``|a - e| <= 1e-10 |e| + 1e-12 * scale``,
* float32: ``|a - e| <= 1e-5 |e| + 1e-5 * scale``,

where ``scale`` is the largest magnitude of the expected array (or a magnitude the
caller passes, e.g. the size of the terms that cancel in a sum). Statistical checks
use five standard errors.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np
from polymix_core import conformance
from polymix_oracle import divergences, groups as oracle_groups, priors as oracle_priors

REFERENCE = conformance.adapter()
#: ``(rtol, atol relative to scale)`` per precision.
TOLERANCES = {"float64": (1e-10, 1e-12), "float32": (1e-5, 1e-5)}
NUM_SE = 5.0


def assert_close(
    actual: Any,
    expected: Any,
    dtype: str,
    *,
    scale: float | None = None,
    factor: float = 1.0,
    what: str = "",
) -> None:
    """Assert ``actual`` equals ``expected`` to the precision's tolerance (``factor`` loosens it)."""
    assert isinstance(actual, np.ndarray), f"{what}: expected a numpy array, received {type(actual).__name__}"
    assert actual.dtype == np.float64, f"{what}: expected a float64 array (the protocol), received {actual.dtype}"
    expected = np.asarray(expected, dtype=np.float64)
    assert actual.shape == expected.shape, f"{what}: expected shape {expected.shape}, received {actual.shape}"
    assert np.all(np.isfinite(actual)), f"{what}: non-finite values"
    rtol, arel = TOLERANCES[dtype]
    if scale is None:
        scale = float(np.max(np.abs(expected), initial=0.0))
    tol = factor * (rtol * np.abs(expected) + arel * max(scale, 1e-300))
    err = np.abs(actual - expected)
    if np.any(err > tol):
        worst = np.unravel_index(np.argmax(err - tol), err.shape)
        raise AssertionError(
            f"{what} ({dtype}): {int(np.sum(err > tol))}/{err.size} entries out of tolerance; worst at {worst}: "
            f"actual {actual[worst]!r}, expected {expected[worst]!r}, |diff| {err[worst]:.3e} > tol {tol[worst]:.3e}"
        )


def assert_scalar_close(actual: Any, expected: float, dtype: str, *, scale: float, what: str) -> None:
    """Scalar version of ``assert_close`` (the protocol returns Python/numpy floats here)."""
    assert np.ndim(actual) == 0, f"{what}: expected a scalar, received shape {np.shape(actual)}"
    assert_close(np.asarray(float(actual), dtype=np.float64), expected, dtype, scale=scale, what=what)


def assert_within_se(estimate: float, expected: float, se: float, *, what: str) -> None:
    """``|estimate - expected| <= 5 se``."""
    assert math.isfinite(estimate), f"{what}: non-finite estimate {estimate!r}"
    dev = abs(estimate - expected)
    assert dev <= NUM_SE * se, (
        f"{what}: estimate {estimate:.6g} vs expected {expected:.6g}: |diff| {dev:.3e} = {dev / se:.2f} standard "
        f"errors (se {se:.3e}) > {NUM_SE}"
    )


def assert_moments(
    samples: np.ndarray,
    mean: np.ndarray,
    cov: np.ndarray,
    *,
    ref_n: int | None = None,
    what: str,
) -> None:
    """Sample mean and covariance of ``samples (n, d)`` within 5 standard errors of ``(mean, cov)``.

    Standard errors: ``sqrt(S_ii / n)`` for mean entries and ``sqrt((S_ii S_jj + S_ij^2) / n)`` for
    covariance entries (Gaussian fourth moments). When the expected moments are themselves Monte Carlo
    estimates from ``ref_n`` samples, their variance is added.
    """
    n, d = samples.shape
    inv_n = 1.0 / n + (0.0 if ref_n is None else 1.0 / ref_n)
    m_hat = samples.mean(axis=0)
    c_hat = np.cov(samples, rowvar=False).reshape(d, d)
    var = np.diag(cov)
    se_mean = np.sqrt(var * inv_n)
    se_cov = np.sqrt((np.outer(var, var) + cov**2) * inv_n)
    z_mean = np.abs(m_hat - mean) / se_mean
    z_cov = np.abs(c_hat - cov) / se_cov
    assert np.all(z_mean <= NUM_SE), f"{what}: mean off by {z_mean.max():.2f} se: {m_hat} vs {mean}"
    assert np.all(z_cov <= NUM_SE), (
        f"{what}: covariance entry {np.unravel_index(np.argmax(z_cov), z_cov.shape)} off by {z_cov.max():.2f} se"
    )


# --------------------------------------------------------------------------- reference statistics


def laplace_kl_exact(spec: Any, raw: Any, prior: Any) -> float:
    """Exact ``KL(q || Laplace)`` of a Gaussian family, by the independent oracle (folded-normal closed form)."""
    mean, cov = oracle_groups.moments(spec.to_dict(), raw)
    return divergences.laplace_kl(mean, cov, prior.to_dict())


@functools.cache
def laplace_kl_term_sd(family: Any, prior_case: Any) -> float:
    """Per-draw standard deviation of the contract's Monte Carlo KL estimator ``log q(theta) - log p(theta)``.

    Computed by the independent oracle from 200,000 draws; the standard error of an estimate
    over ``n`` draws is this over ``sqrt(n)``.
    """
    spec, raw, prior = family.spec, family.raw, prior_case.spec(family.spec.num_params)
    noise = np.random.default_rng(12345).standard_normal((200_000, *spec.noise_shape))
    theta = oracle_groups.sample_transform(spec.to_dict(), raw, noise)
    terms = oracle_groups.log_prob(spec.to_dict(), raw, theta) - oracle_priors.log_prob(prior.to_dict(), theta)
    return float(np.std(terms))


@functools.cache
def langevin_samples(family: Any) -> np.ndarray:
    """40,000 final particles of a Langevin family from the reference (cached)."""
    return REFERENCE.sample(family.spec, family.raw, 40_000, seed=2024, dtype="float64")


@functools.cache
def reference_gradients(case: Any) -> dict[str, np.ndarray]:
    """Central finite differences of the float64 reference for a ``GradientCase`` (cached)."""
    return REFERENCE.loss_gradients(
        case.surrogate, case.family, case.raw, case.prior_spec, case.x(), case.noise(), dtype="float64"
    )
