"""Metrics against independent oracles: scoringrules, properscoring, scipy.stats and small hand-computed cases."""

import math

import numpy as np
import properscoring
import pytest
import scoringrules
from hypothesis import given, settings, strategies as st
from polymix_core import PolymixTypeError, PolymixValueError, Prediction, ShapeError, metrics
from scipy import stats


def rng(seed=0):
    return np.random.default_rng(seed)


def calibrated_case(batch_size, seed, *, num_samples=50, num_outputs=2, noise=0.7):
    """Samples f_s, Gaussian noise, and y drawn from the predictive mixture itself: calibrated by construction."""
    r = rng(seed)
    centre = 3.0 * r.normal(size=(1, batch_size, num_outputs))
    f = centre + r.normal(size=(num_samples, batch_size, num_outputs))
    pick = r.integers(num_samples, size=(batch_size, num_outputs))
    y = np.take_along_axis(f, pick[None], axis=0)[0] + noise * r.normal(size=(batch_size, num_outputs))
    return f, y


# ---------------------------------------------------------------- point metrics and the Gaussian NLL


def test_rmse_and_mae_against_numpy():
    f = rng().normal(size=(9, 6, 3))
    y = rng(1).normal(size=(6, 3))
    err = f.mean(axis=0) - y
    assert metrics.rmse(Prediction(f), y) == pytest.approx(math.sqrt(np.mean(err**2)), rel=1e-14)
    assert metrics.mae(Prediction(f), y) == pytest.approx(np.mean(np.abs(err)), rel=1e-14)
    assert metrics.rmse(f, y) == metrics.rmse(Prediction(f), y)  # a samples array stands for Prediction(samples)
    assert isinstance(metrics.rmse(f, y), float)


@pytest.mark.parametrize("noise", ["none", "per-output", "heteroscedastic", "noise_var"])
def test_gaussian_nll_against_scipy_logpdf(noise):
    r = rng(2)
    f = r.normal(size=(9, 6, 2))
    y = r.normal(size=(6, 2))
    obs = r.normal(size=(4, 6, 2))
    aleatoric = 0.0
    if noise == "none":
        p = Prediction(f)
    elif noise == "per-output":
        p, aleatoric = Prediction(f, noise_std=np.array([0.3, 2.0])), np.array([0.3, 2.0]) ** 2
    elif noise == "heteroscedastic":
        sigma = r.uniform(0.1, 1.0, size=f.shape)
        p, aleatoric = Prediction(f, noise_std=sigma), np.mean(sigma**2, axis=0)
    else:
        p, aleatoric = Prediction(f, noise_var=np.array([0.5, 1.5]), observations=obs), np.array([0.5, 1.5])
    scale = np.sqrt(np.var(f, axis=0) + aleatoric)
    expected = -np.mean(stats.norm.logpdf(y, loc=f.mean(axis=0), scale=scale))
    assert metrics.gaussian_nll(p, y) == pytest.approx(expected, rel=1e-13)


def test_gaussian_nll_refuses_a_zero_variance():
    f = np.ones((3, 2, 1))  # identical samples, no noise
    with pytest.raises(PolymixValueError, match="positive predictive variance"):
        metrics.gaussian_nll(Prediction(f), np.zeros((2, 1)))
    with pytest.raises(PolymixValueError, match="positive predictive variance"):
        metrics.gaussian_nll(Prediction(np.zeros((1, 2, 1))), np.zeros((2, 1)))
    # a tiny but positive variance is used as it is: no floor
    p = Prediction(np.zeros((1, 1, 1)), noise_std=1e-8)
    assert metrics.gaussian_nll(p, np.array([[0.0]])) == pytest.approx(-stats.norm.logpdf(0.0, scale=1e-8), rel=1e-14)


# ---------------------------------------------------------------- CRPS


@given(
    n=st.integers(1, 60),
    batch=st.integers(1, 5),
    outputs=st.integers(1, 3),
    ties=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
@settings(max_examples=100, deadline=None)
def test_crps_nrg_and_fair_match_scoringrules(n, batch, outputs, ties, seed):
    r = rng(seed)
    f = r.normal(size=(n, batch, outputs))
    y = r.normal(size=(batch, outputs))
    if ties:
        f, y = np.round(f), np.round(y)
    expected = scoringrules.crps_ensemble(y, f, m_axis=0, estimator="nrg", backend="numpy")
    assert metrics.crps(f, y) == pytest.approx(float(np.mean(expected)), rel=1e-12, abs=1e-14)
    if n >= 2:
        fair = scoringrules.crps_ensemble(y, f, m_axis=0, estimator="fair", backend="numpy")
        got = metrics.crps(f, y, estimator="fair")
        assert got == pytest.approx(float(np.mean(fair)), rel=1e-12, abs=1e-14)


def test_crps_uses_observations_when_given():
    f = rng().normal(size=(8, 4, 2))
    obs = 2.0 + rng(1).normal(size=(30, 4, 2))
    y = rng(2).normal(size=(4, 2))
    expected = np.mean(scoringrules.crps_ensemble(y, obs, m_axis=0, estimator="nrg", backend="numpy"))
    for p in (
        Prediction(f, observations=obs),
        Prediction(f, noise_std=0.5, observations=obs),
        Prediction(f, noise_var=0.5, observations=obs),
    ):
        assert metrics.crps(p, y) == pytest.approx(float(expected), rel=1e-12)


def test_crps_by_hand():
    # draws {0, 1}, y = 0: E|X - y| = 1/2, sum_ij |x_i - x_j| = 2; nrg: 1/2 - 2 / (2 * 4), fair: 1/2 - 2 / (2 * 2)
    f = np.array([0.0, 1.0]).reshape(2, 1, 1)
    assert metrics.crps(f, np.array([[0.0]])) == 0.25
    assert metrics.crps(f, np.array([[0.0]]), estimator="fair") == 0.0
    # one draw: the absolute error
    assert metrics.crps(np.array([[[2.0]]]), np.array([[-1.0]])) == 3.0


def test_crps_estimator_argument():
    with pytest.raises(PolymixValueError, match="estimator: expected one of"):
        metrics.crps(np.zeros((3, 1, 1)), np.zeros((1, 1)), estimator="pwm")
    with pytest.raises(PolymixValueError, match="'fair' needs at least 2 draws"):
        metrics.crps(np.zeros((1, 1, 1)), np.zeros((1, 1)), estimator="fair")


@pytest.mark.parametrize("source", ["observations", "samples"])
def test_crps_of_many_draws_is_the_closed_form_gaussian_crps(source):
    # N(mu_b, sigma^2) at every point, 4000 draws each. Both estimators differ from the closed form by the
    # Monte Carlo error of mean_i |x_i - y| (plus, for nrg, the O(sigma / n) bias E|X - X'| / (2n)):
    # its variance is at most E(X - y)^2 / n = (sigma^2 + (mu - y)^2) / n per point; 5 standard errors of the mean.
    r = rng(7)
    batch, n, sigma = 200, 4000, 0.8
    mu = r.normal(size=(batch, 1))
    y = mu + 1.5 * r.normal(size=(batch, 1))
    draws = mu[None] + sigma * r.normal(size=(n, batch, 1))
    if source == "observations":
        p = Prediction(np.broadcast_to(mu[None], (1, batch, 1)).copy(), noise_std=sigma, observations=draws)
    else:
        p = Prediction(draws)
    closed = np.mean(scoringrules.crps_normal(y, mu, sigma, backend="numpy"))
    assert closed == pytest.approx(np.mean(properscoring.crps_gaussian(y, mu, sigma)), rel=1e-12)  # oracles agree
    bound = 5.0 * math.sqrt(np.mean(sigma**2 + (mu - y) ** 2) / n / batch) + sigma / (math.sqrt(math.pi) * n)
    for estimator in ("nrg", "fair"):
        assert abs(metrics.crps(p, y, estimator=estimator) - closed) < bound, estimator


def test_crps_over_several_row_chunks():
    # 300 x 4000 draws: several chunks of rows. scoringrules' "qd" (quantile decomposition) estimator is the same
    # empirical-distribution CRPS as "nrg", in O(n log n) where its "nrg" takes the n^2 pairs.
    f = rng().normal(size=(300, 4000, 1))
    y = rng(1).normal(size=(4000, 1))
    expected = np.mean(scoringrules.crps_ensemble(y, f, m_axis=0, estimator="qd", backend="numpy"))
    assert metrics.crps(f, y) == pytest.approx(float(expected), rel=1e-11)


# ---------------------------------------------------------------- coverage, PIT, calibration, sharpness

# Samples 0, 1, ..., 10 at every point: the 80% interval is [1, 9], the 20% interval [4, 6] (numpy "linear").
LADDER = np.arange(11.0).reshape(11, 1, 1) * np.ones((1, 6, 1))
LADDER_Y = np.array([0.5, 1.0, 5.0, 6.5, 9.0, 9.5])


def test_coverage_by_hand():
    assert metrics.coverage(LADDER, LADDER_Y, 0.8) == pytest.approx(4 / 6)  # bounds included: 1, 5, 6.5, 9
    assert metrics.coverage(LADDER, LADDER_Y, 0.2) == pytest.approx(1 / 6)  # 5
    assert metrics.coverages(LADDER, LADDER_Y, levels=(0.2, 0.8)) == pytest.approx({0.2: 1 / 6, 0.8: 4 / 6})
    assert list(metrics.coverages(LADDER, LADDER_Y)) == [0.5, 0.9, 0.95]


def test_coverage_of_a_gaussian_mixture_agrees_with_its_intervals():
    f, y = calibrated_case(300, seed=3)
    p = Prediction(f, noise_std=0.7)
    for level in (0.1, 0.5, 0.9):
        lower, upper = p.interval(level)
        direct = float(np.mean((y >= lower) & (y <= upper)))
        assert metrics.coverage(p, y, level) == direct


def test_pit_by_hand_and_against_scipy():
    p = np.array([0.0, 1.0, 1.0, 2.0]).reshape(4, 1, 1) * np.ones((1, 3, 1))
    np.testing.assert_allclose(metrics.pit(p, np.array([0.5, 1.0, 3.0])), [[0.25], [0.5], [1.0]], rtol=0, atol=0)
    mu, sigma = np.array([[0.0], [1.0]]), 2.0
    got = metrics.pit(Prediction(mu[None], noise_std=sigma), np.array([[1.0], [-1.0]]))
    np.testing.assert_allclose(got, stats.norm.cdf([[1.0], [-1.0]], loc=mu, scale=sigma), rtol=1e-14)


def test_calibration_curve_and_error_by_hand():
    nominal, observed = metrics.calibration_curve(LADDER, LADDER_Y, levels=(0.2, 0.8))
    np.testing.assert_allclose(nominal, [0.2, 0.8])
    np.testing.assert_allclose(observed, [1 / 6, 4 / 6])
    expected = (abs(0.2 - 1 / 6) + abs(0.8 - 4 / 6)) / 2
    assert metrics.calibration_error(LADDER, LADDER_Y, levels=(0.2, 0.8)) == pytest.approx(expected)


def test_default_calibration_grid():
    assert metrics.CALIBRATION_LEVELS == tuple(round(0.05 * k, 2) for k in range(1, 20))
    nominal, observed = metrics.calibration_curve(LADDER, LADDER_Y)
    assert nominal.shape == observed.shape == (19,)
    np.testing.assert_allclose(nominal, np.arange(1, 20) * 0.05)


@pytest.mark.parametrize("kind", ["mixture", "samples"])
def test_calibration_error_of_a_calibrated_prediction_is_small(kind):
    # y is a draw from the predictive distribution itself, so the number of covered points at a level a is
    # Binomial(N, a) and |observed - a| has standard error sqrt(a (1 - a) / N) <= 1 / (2 sqrt(N)). The mean over the
    # grid is at most the largest deviation, bounded by 5 standard errors (also for the samples' own quantile error,
    # of order 1 / sqrt(num_samples) of the spread, independent across points, with num_samples = 2000 here).
    batch, outputs = 1000, 2
    if kind == "mixture":
        f, y = calibrated_case(batch, seed=11, num_outputs=outputs)
        p = Prediction(f, noise_std=0.7)
    else:
        r = rng(12)
        centre = r.normal(size=(batch, outputs))
        p = Prediction(centre[None] + r.normal(size=(2000, batch, outputs)))
        y = centre + r.normal(size=(batch, outputs))
    bound = 5.0 * 0.5 / math.sqrt(batch * outputs)
    assert metrics.calibration_error(p, y) < bound


def test_calibration_error_of_an_overconfident_prediction_is_large():
    # True noise 1, predicted 0.3: the central a-interval covers 2 Phi(0.3 z_a) - 1 of the points.
    r = rng(13)
    batch = 4000
    centre = r.normal(size=(batch, 1))
    y = centre + r.normal(size=(batch, 1))
    p = Prediction(centre[None], noise_std=0.3)
    levels = np.array(metrics.CALIBRATION_LEVELS)
    expected = np.mean(np.abs(levels - (2 * stats.norm.cdf(0.3 * stats.norm.ppf((1 + levels) / 2)) - 1)))
    got = metrics.calibration_error(p, y)
    assert got > 0.25
    assert got == pytest.approx(expected, abs=5.0 * 0.5 / math.sqrt(batch))


def test_sharpness_of_a_gaussian_and_of_a_ladder():
    p = Prediction(np.zeros((1, 3, 2)), noise_std=np.array([1.0, 2.0]))
    width = np.mean(2.0 * stats.norm.ppf(0.95) * np.array([1.0, 2.0]))
    assert metrics.sharpness(p) == pytest.approx(width, rel=1e-6)
    assert metrics.sharpness(LADDER, 0.8) == pytest.approx(8.0)


def test_evaluate_collects_every_metric():
    f, y = calibrated_case(40, seed=5)
    p = Prediction(f, noise_std=0.7, observations=f + 0.7 * rng(6).normal(size=f.shape))
    result = metrics.evaluate(p, y)
    assert list(result) == [
        "rmse",
        "mae",
        "nll",
        "crps",
        "coverage_50",
        "coverage_90",
        "coverage_95",
        "calibration_error",
        "sharpness_90",
    ]
    assert all(isinstance(v, float) for v in result.values())
    assert result["rmse"] == metrics.rmse(p, y)
    assert result["mae"] == metrics.mae(p, y)
    assert result["nll"] == metrics.gaussian_nll(p, y)
    assert result["crps"] == metrics.crps(p, y)
    assert result["coverage_90"] == metrics.coverage(p, y, 0.9)
    assert result["calibration_error"] == metrics.calibration_error(p, y)
    assert result["sharpness_90"] == metrics.sharpness(p, 0.9)
    assert list(metrics.evaluate(p, y, levels=(0.8, 0.975))) == [
        "rmse",
        "mae",
        "nll",
        "crps",
        "coverage_80",
        "coverage_97.5",
        "calibration_error",
        "sharpness_90",
    ]


def test_float32_predictions():
    f, y = calibrated_case(50, seed=8)
    p32, p64 = Prediction(f.astype(np.float32), noise_std=0.7), Prediction(f, noise_std=0.7)
    assert metrics.pit(p32, y).dtype == np.float32
    nominal, observed = metrics.calibration_curve(p32, y)
    assert nominal.dtype == observed.dtype == np.float32
    got, expected = metrics.evaluate(p32, y.astype(np.float32)), metrics.evaluate(p64, y)
    for key in ("rmse", "mae", "nll", "crps", "sharpness_90"):
        assert got[key] == pytest.approx(expected[key], rel=1e-5), key


# ---------------------------------------------------------------- validation


@pytest.mark.parametrize(
    "name",
    ["rmse", "mae", "gaussian_nll", "crps", "pit", "coverages", "calibration_error", "calibration_curve", "evaluate"],
)
def test_every_metric_checks_y(name):
    fn = getattr(metrics, name)
    p = Prediction(rng().normal(size=(5, 4, 2)), noise_std=1.0)
    with pytest.raises(ShapeError, match=r"y: expected a 2-D array of shape \(batch_size, num_outputs\) = \(4, 2\)"):
        fn(p, np.zeros(4))
    with pytest.raises(ShapeError, match="received shape"):
        fn(p, np.zeros((3, 2)))
    with pytest.raises(PolymixValueError, match="y: expected finite values"):
        fn(p, np.full((4, 2), np.nan))


def test_one_output_accepts_a_one_dimensional_y():
    f = rng().normal(size=(5, 4, 1))
    y = rng(1).normal(size=4)
    assert metrics.rmse(f, y) == metrics.rmse(f, y[:, None])
    assert metrics.crps(f, y) == metrics.crps(f, y[:, None])


@pytest.mark.parametrize("level", [0.0, 1.0, -0.5, np.nan])
def test_levels_must_be_in_the_open_unit_interval(level):
    p = Prediction(rng().normal(size=(5, 4, 1)))
    y = np.zeros((4, 1))
    for call in (
        lambda: metrics.coverage(p, y, level),
        lambda: metrics.coverages(p, y, levels=(0.5, level)),
        lambda: metrics.calibration_error(p, y, levels=(level,)),
        lambda: metrics.sharpness(p, level),
        lambda: metrics.evaluate(p, y, levels=(level,)),
    ):
        with pytest.raises(PolymixValueError, match="level"):
            call()


def test_prediction_argument_type():
    with pytest.raises(PolymixTypeError, match="prediction: expected a Prediction"):
        metrics.rmse([[[0.0]]], np.zeros((1, 1)))
