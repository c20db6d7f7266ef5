"""Exact Bayesian linear regression against direct dense computations.

* The posterior from the textbook formulas with explicit inverses (well-conditioned cases only):
  ``cov = (S0^-1 + X^T X / s^2)^-1``, ``mean = cov (S0^-1 m0 + X^T y / s^2)``.
* The evidence from ``scipy.stats.multivariate_normal.logpdf`` of ``y`` under ``N(X m0, X S0 X^T + s^2 I)``.
* The chosen noise level against a grid search of that log density.
* A broad prior's posterior mean against numpy's least squares.
"""

import numpy as np
import polymix_core as pc
import pytest
from numpy.polynomial import legendre as npleg
from scipy.stats import multivariate_normal


def dense_posterior(x, y, m0, s0, noise_std):
    """The textbook formulas with explicit inverses."""
    precision = np.linalg.inv(s0) + x.T @ x / noise_std**2
    cov = np.linalg.inv(precision)
    return cov @ (np.linalg.inv(s0) @ m0 + x.T @ y / noise_std**2), cov


def dense_log_evidence(x, y, m0, s0, noise_std):
    return multivariate_normal.logpdf(y, mean=x @ m0, cov=x @ s0 @ x.T + noise_std**2 * np.eye(len(y)))


def problem(n, p, seed, noise_std=0.3):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, p))
    root = rng.normal(size=(p, p))
    s0 = root @ root.T / p + 0.5 * np.eye(p)  # well-conditioned SPD prior covariance
    m0 = rng.normal(size=p)
    w = rng.multivariate_normal(m0, s0)
    return x, x @ w + noise_std * rng.normal(size=n), m0, s0


@pytest.mark.parametrize(("n", "p"), [(50, 5), (4, 10), (7, 7), (1, 3)], ids=["tall", "wide", "square", "one-row"])
def test_posterior_and_evidence_match_dense_formulas(n, p):
    x, y, m0, s0 = problem(n, p, seed=n * 100 + p)
    post = pc.bayesian_linear_regression(x, y, prior_mean=m0, prior_cov=s0, noise_std=0.3)
    mean, cov = dense_posterior(x, y, m0, s0, 0.3)
    np.testing.assert_allclose(post.mean, mean, rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(post.cov, cov, rtol=1e-9, atol=1e-11)
    assert post.noise_std == 0.3
    assert post.log_evidence == pytest.approx(dense_log_evidence(x, y, m0, s0, 0.3), rel=1e-10)
    np.testing.assert_array_equal(post.cov, post.cov.T)
    assert isinstance(post.log_evidence, float) and isinstance(post.noise_std, float)


def test_diagonal_prior_covariance_is_the_diagonal_matrix():
    x, y, m0, _ = problem(30, 4, seed=1)
    variances = np.array([0.5, 2.0, 1.0, 10.0])
    diagonal = pc.bayesian_linear_regression(x, y, prior_mean=m0, prior_cov=variances, noise_std=0.2)
    mean, cov = dense_posterior(x, y, m0, np.diag(variances), 0.2)
    np.testing.assert_allclose(diagonal.mean, mean, rtol=1e-10)
    np.testing.assert_allclose(diagonal.cov, cov, rtol=1e-9, atol=1e-12)
    assert diagonal.log_evidence == pytest.approx(dense_log_evidence(x, y, m0, np.diag(variances), 0.2), rel=1e-10)


@pytest.mark.parametrize("true_noise", [0.05, 0.3, 2.0])
def test_chosen_noise_maximises_the_evidence_of_a_grid_search(true_noise):
    x, y, m0, s0 = problem(40, 6, seed=2, noise_std=true_noise)
    post = pc.bayesian_linear_regression(x, y, prior_mean=m0, prior_cov=s0)
    grid = np.geomspace(1e-3, 1e2, 1501)  # step of 0.77% in noise_std
    values = np.array([dense_log_evidence(x, y, m0, s0, s) for s in grid])
    best = int(np.argmax(values))
    assert 0 < best < grid.size - 1  # an interior maximum
    assert grid[best - 1] <= post.noise_std <= grid[best + 1]
    assert post.log_evidence >= values[best] - 1e-9
    assert post.log_evidence == pytest.approx(dense_log_evidence(x, y, m0, s0, post.noise_std), rel=1e-10)
    assert post.noise_std == pytest.approx(true_noise, rel=0.5)
    mean, cov = dense_posterior(x, y, m0, s0, post.noise_std)
    np.testing.assert_allclose(post.mean, mean, rtol=1e-8, atol=1e-10)


def test_noise_stays_within_its_bounds():
    x, y, m0, s0 = problem(40, 6, seed=3, noise_std=0.3)
    post = pc.bayesian_linear_regression(x, y, prior_mean=m0, prior_cov=s0, noise_bounds=(1.0, 5.0))
    assert post.noise_std == pytest.approx(1.0, rel=1e-8)  # the evidence peaks below the range
    fixed = pc.bayesian_linear_regression(x, y, prior_mean=m0, prior_cov=s0, noise_bounds=(0.7, 0.7))
    assert fixed.noise_std == pytest.approx(0.7)


def legendre_features(x, degree):
    """``(n, (degree + 1)^2)`` tensor-product Legendre basis of two inputs, from numpy.polynomial."""
    p1 = npleg.legvander(x[:, 0], degree)
    p2 = npleg.legvander(x[:, 1], degree)
    return (p1[:, :, None] * p2[:, None, :]).reshape(len(x), -1)


def test_broad_prior_recovers_least_squares_on_an_ill_conditioned_pce_design():
    rng = np.random.default_rng(4)
    x = rng.uniform(-1, 1, (150, 2))
    features = legendre_features(x, 9)  # (150, 100)
    y = np.sin(3 * x[:, 0]) * np.exp(x[:, 1])
    assert np.linalg.cond(features) > 1e4  # X^T X: above 1e9
    post = pc.bayesian_linear_regression(
        features, y, prior_mean=np.zeros(100), prior_cov=np.full(100, 1e8), noise_std=1e-3
    )
    expected, *_ = np.linalg.lstsq(features, y, rcond=None)
    np.testing.assert_allclose(post.mean, expected, rtol=1e-6, atol=1e-8)
    eigenvalues = np.linalg.eigvalsh(post.cov)
    assert eigenvalues.min() > 0 and np.all(np.isfinite(post.cov))
    # noise-free data: the evidence prefers ever smaller noise, down to the fit's own residual
    chosen = pc.bayesian_linear_regression(features, y, prior_mean=np.zeros(100), prior_cov=np.full(100, 1e8))
    residual = np.sqrt(np.mean((features @ expected - y) ** 2))
    assert chosen.noise_std < 10 * residual


def test_noisy_pce_data_recovers_the_noise_level():
    rng = np.random.default_rng(5)
    x = rng.uniform(-1, 1, (2000, 2))
    features = legendre_features(x, 3)  # (2000, 16)
    coefficients = rng.normal(size=16)
    y = features @ coefficients + 0.1 * rng.normal(size=2000)
    post = pc.bayesian_linear_regression(features, y, prior_mean=np.zeros(16), prior_cov=np.ones(16))
    assert post.noise_std == pytest.approx(0.1, rel=0.05)
    assert np.all(np.abs(post.mean - coefficients) < 5 * np.sqrt(np.diag(post.cov)))


GOOD = {"features": np.ones((3, 2)), "y": np.ones(3), "prior_mean": np.zeros(2), "prior_cov": np.eye(2)}


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        ({"features": np.ones(3)}, pc.ShapeError, r"features: expected a non-empty 2-D array \(n, p\), received shape"),
        ({"features": np.ones((0, 2))}, pc.ShapeError, "features: expected a non-empty 2-D array"),
        ({"y": np.ones(4)}, pc.ShapeError, r"y: expected shape \(3,\)"),
        ({"y": np.ones((3, 2))}, pc.ShapeError, "one output"),
        ({"prior_mean": np.zeros(3)}, pc.ShapeError, r"prior_mean: expected shape \(2,\)"),
        ({"prior_cov": np.eye(3)}, pc.ShapeError, r"prior_cov: expected shape \(2, 2\) or the diagonal \(2,\)"),
        ({"features": np.array([[1.0, np.nan]] * 3)}, pc.PolymixValueError, "features: expected finite values"),
        ({"y": np.array([1.0, np.inf, 0.0])}, pc.PolymixValueError, "y: expected finite values"),
        ({"prior_cov": np.array([[1.0, 2.0], [2.0, 1.0]])}, pc.PolymixValueError, "prior_cov: expected a positive-def"),
        ({"prior_cov": np.array([[1.0, 0.5], [0.0, 1.0]])}, pc.PolymixValueError, "prior_cov: expected a symmetric"),
        ({"prior_cov": np.array([1.0, 0.0])}, pc.PolymixValueError, "prior_cov: expected a positive-definite"),
        ({"prior_mean": np.array([1j, 0])}, pc.PolymixTypeError, "prior_mean: expected a real array"),
        ({"y": ["a", "b", "c"]}, pc.PolymixTypeError, "y: expected a real array"),
        ({"noise_std": -1.0}, pc.PolymixValueError, "noise_std: expected a positive finite number"),
        ({"noise_std": "0.1"}, pc.PolymixTypeError, "noise_std"),
        ({"noise_bounds": (2.0, 1.0)}, pc.PolymixValueError, "noise_bounds: expected low <= high"),
        ({"noise_bounds": (0.0, 1.0)}, pc.PolymixValueError, r"noise_bounds\[0\]"),
        ({"noise_bounds": 1.0}, pc.PolymixTypeError, "noise_bounds: expected a pair"),
    ],
)
def test_bad_arguments_raise_the_polymix_family(changes, error, message):
    arguments = {**GOOD, **changes}
    features, y = arguments.pop("features"), arguments.pop("y")
    with pytest.raises(error, match=message):
        pc.bayesian_linear_regression(features, y, **arguments)


def test_lists_are_accepted():
    post = pc.bayesian_linear_regression(
        [[1.0, 0.0], [0.0, 1.0]], [1.0, 2.0], prior_mean=[0.0, 0.0], prior_cov=[1.0, 1.0], noise_std=1.0
    )
    np.testing.assert_allclose(post.mean, [0.5, 1.0])
    np.testing.assert_allclose(post.cov, 0.5 * np.eye(2))
