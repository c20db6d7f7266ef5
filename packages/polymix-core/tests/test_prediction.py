"""Prediction: moments against numpy, quantiles and CDFs against numpy.quantile and scipy's Gaussian mixture."""

import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from polymix_core import PolymixError, PolymixTypeError, PolymixValueError, Prediction, ShapeError
from scipy import optimize, stats

SHAPE = (7, 5, 2)  # (num_samples, batch_size, num_outputs)


def rng(seed=0):
    return np.random.default_rng(seed)


# ---------------------------------------------------------------- oracles


def oracle_mixture_cdf(t, f, sigma):
    """scipy: mean_s norm.cdf(t, f_s, sigma_s) at one point and output (f, sigma: (num_samples,))."""
    return float(np.mean(stats.norm.cdf(t, loc=f, scale=sigma)))


def oracle_mixture_quantile(q, f, sigma):
    """brentq on the scipy mixture CDF, bracketed by the extreme component quantiles."""
    z = stats.norm.ppf(q)
    lo, hi = np.min(f + sigma * z), np.max(f + sigma * z)
    if lo == hi:
        return lo
    return optimize.brentq(lambda t: oracle_mixture_cdf(t, f, sigma) - q, lo, hi, xtol=1e-14, rtol=1e-14, maxiter=500)


def full_sigma(noise_std, shape):
    return np.broadcast_to(np.asarray(noise_std, dtype=float), shape)


def check_mixture_quantiles(pred, f, sigma, qs, rtol=2e-6):
    """Each quantile within ``rtol`` of the noise scale of brentq's root.

    Where the mixture CDF is flat at exactly q (a gap between components, q = k / num_samples) every point of
    the gap is a q-quantile; there the definition is checked instead: F(t - delta) <= q <= F(t + delta).
    """
    got = pred.quantile(list(qs))
    _, batch, outputs = f.shape
    scale = np.sqrt(np.mean(sigma**2, axis=0))  # the noise scale the tolerance is stated in
    for k, q in enumerate(qs):
        for b in range(batch):
            for o in range(outputs):
                t, delta = got[k, b, o], rtol * scale[b, o]
                expected = oracle_mixture_quantile(q, f[:, b, o], sigma[:, b, o])
                if abs(t - expected) <= delta:
                    continue
                below = oracle_mixture_cdf(t - delta, f[:, b, o], sigma[:, b, o])
                above = oracle_mixture_cdf(t + delta, f[:, b, o], sigma[:, b, o])
                assert below <= q + 1e-14 and above >= q - 1e-14, (q, b, o, t, expected, below, above)


# ---------------------------------------------------------------- construction and validation


def test_sizes_properties_and_repr():
    s = rng().normal(size=SHAPE)
    obs = rng(1).normal(size=(11, 5, 2))
    p = Prediction(s, noise_std=np.array([0.5, 1.0]), observations=obs)
    assert (p.num_samples, p.batch_size, p.num_outputs) == SHAPE
    assert p.samples is s
    assert p.observations is obs
    assert p.noise_std.shape == (1, 1, 2)  # 3-D, broadcastable
    assert p.noise_var is None
    assert repr(p) == (
        "Prediction(num_samples=7, batch_size=5, num_outputs=2, noise_std=(1, 1, 2), num_draws=11, dtype=float64)"
    )
    assert repr(Prediction(s.astype(np.float32))) == (
        "Prediction(num_samples=7, batch_size=5, num_outputs=2, dtype=float32)"
    )


def test_prediction_is_immutable():
    p = Prediction(np.zeros(SHAPE))
    with pytest.raises(AttributeError, match="immutable"):
        p.samples = np.ones(SHAPE)
    with pytest.raises(AttributeError, match="immutable"):
        p._samples = np.ones(SHAPE)
    with pytest.raises(AttributeError, match="immutable"):
        del p._samples
    with pytest.raises(AttributeError):
        p.extra = 1  # no __dict__ either


@pytest.mark.parametrize("shape", [(5, 2), (7, 5, 2, 1), (0, 5, 2), (7, 0, 2), (7, 5, 0), ()])
def test_samples_must_be_three_dimensional_and_non_empty(shape):
    with pytest.raises(ShapeError) as info:
        Prediction(np.zeros(shape))
    msg = str(info.value)
    assert msg.startswith("samples: expected a 3-D array of shape (num_samples, batch_size, num_outputs)")
    assert f"received shape {shape}" in msg


@pytest.mark.parametrize("value", [[[[0.0]]], 1.0, "x"])
def test_samples_must_be_an_array(value):
    with pytest.raises(PolymixTypeError, match="samples"):
        Prediction(value)


def test_samples_must_be_real_floating():
    with pytest.raises(PolymixTypeError, match="samples: expected a real floating array"):
        Prediction(np.zeros(SHAPE, dtype=np.int64))


@pytest.mark.parametrize("shape", [(3,), (5, 3), (2, 5, 2), (1, 1, 1, 2)])
def test_noise_std_must_broadcast(shape):
    with pytest.raises(ShapeError) as info:
        Prediction(np.zeros(SHAPE), noise_std=np.ones(shape))
    msg = str(info.value)
    assert msg.startswith("noise_std: expected an array broadcastable to (num_samples, batch_size, num_outputs)")
    assert f"received shape {shape}" in msg


@pytest.mark.parametrize("shape", [(), (2,), (5, 2), (5, 1), (7, 1, 1), (7, 5, 2), (1, 5, 1)])
def test_noise_std_broadcast_shapes_are_accepted(shape):
    p = Prediction(np.zeros(SHAPE), noise_std=np.full(shape, 2.0))
    np.testing.assert_allclose(p.aleatoric_var, np.full((5, 2), 4.0))


@pytest.mark.parametrize("bad", [0.0, -1.0, np.nan, np.inf])
def test_noise_std_must_be_positive_and_finite(bad):
    with pytest.raises(PolymixValueError, match="noise_std: expected finite positive values"):
        Prediction(np.zeros(SHAPE), noise_std=np.array([1.0, bad]))


def test_noise_var_may_be_zero_but_not_negative():
    obs = np.zeros((3, 5, 2))
    Prediction(np.zeros(SHAPE), noise_var=np.array([0.0, 1.0]), observations=obs)
    with pytest.raises(PolymixValueError, match="noise_var: expected finite non-negative values"):
        Prediction(np.zeros(SHAPE), noise_var=np.array([-1.0, 1.0]), observations=obs)


def test_noise_var_needs_observations_and_excludes_noise_std():
    with pytest.raises(PolymixValueError, match="noise_var: .*observations"):
        Prediction(np.zeros(SHAPE), noise_var=1.0)
    with pytest.raises(PolymixValueError, match="at most one"):
        Prediction(np.zeros(SHAPE), noise_std=1.0, noise_var=1.0, observations=np.zeros((3, 5, 2)))


@pytest.mark.parametrize("shape", [(3, 5), (3, 4, 2), (3, 5, 1), (0, 5, 2)])
def test_observations_shape(shape):
    with pytest.raises(ShapeError) as info:
        Prediction(np.zeros(SHAPE), observations=np.zeros(shape))
    assert str(info.value).startswith("observations: expected a 3-D array of shape (num_draws, 5, 2)")
    assert f"received shape {shape}" in str(info.value)


def test_other_float_dtypes_are_cast_to_the_samples_dtype():
    p = Prediction(
        np.zeros(SHAPE, dtype=np.float32), noise_std=np.ones(2, dtype=np.float64), observations=np.zeros((3, 5, 2))
    )
    assert p.noise_std.dtype == np.float32
    assert p.observations.dtype == np.float32
    assert p.var.dtype == np.float32


def test_errors_are_polymix_errors():
    assert issubclass(ShapeError, PolymixError)
    with pytest.raises(PolymixError):
        Prediction(np.zeros((2, 2)))


# ---------------------------------------------------------------- moments


def test_moments_against_numpy():
    s = rng().normal(size=SHAPE)
    sigma = rng(2).uniform(0.1, 2.0, size=SHAPE)  # heteroscedastic, per sample
    p = Prediction(s, noise_std=sigma)
    np.testing.assert_allclose(p.mean, s.mean(axis=0), rtol=1e-14)
    np.testing.assert_allclose(p.epistemic_var, s.var(axis=0, ddof=0), rtol=1e-13)
    np.testing.assert_allclose(p.aleatoric_var, (sigma**2).mean(axis=0), rtol=1e-14)
    np.testing.assert_allclose(p.var, s.var(axis=0) + (sigma**2).mean(axis=0), rtol=1e-13)
    np.testing.assert_allclose(p.std, np.sqrt(s.var(axis=0) + (sigma**2).mean(axis=0)), rtol=1e-13)
    for value in (p.mean, p.epistemic_var, p.aleatoric_var, p.var, p.std):
        assert value.shape == (5, 2)


def test_aleatoric_var_of_noise_var_and_of_no_noise():
    s = rng().normal(size=SHAPE)
    obs = rng(1).normal(size=(9, 5, 2))
    p = Prediction(s, noise_var=np.array([0.25, 3.0]), observations=obs)
    np.testing.assert_allclose(p.aleatoric_var, np.broadcast_to([0.25, 3.0], (5, 2)))
    np.testing.assert_allclose(p.var, s.var(axis=0) + np.array([0.25, 3.0]), rtol=1e-13)
    p0 = Prediction(s)
    assert np.all(p0.aleatoric_var == 0.0)
    np.testing.assert_allclose(p0.var, s.var(axis=0), rtol=1e-13)
    p0.aleatoric_var[0, 0] = 1.0  # a fresh, writable array
    assert np.all(p0.aleatoric_var == 0.0)


# ---------------------------------------------------------------- empirical quantiles and CDF


@given(
    n=st.integers(1, 40),
    batch=st.integers(1, 4),
    outputs=st.integers(1, 3),
    qs=st.lists(st.floats(1e-6, 1 - 1e-6), min_size=1, max_size=5),
    ties=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
@settings(max_examples=150, deadline=None)
def test_empirical_quantiles_match_numpy_linear(n, batch, outputs, qs, ties, seed):
    s = rng(seed).normal(size=(n, batch, outputs))
    if ties:
        s = np.round(s)
    got = Prediction(s).quantile(qs)
    assert got.shape == (len(qs), batch, outputs)
    np.testing.assert_allclose(got, np.quantile(s, qs, axis=0), rtol=1e-15, atol=1e-15)
    np.testing.assert_allclose(Prediction(s).quantile(qs[0]), np.quantile(s, qs[0], axis=0), rtol=1e-15, atol=1e-15)


def test_quantiles_come_from_observations_when_there_is_no_gaussian_noise():
    s = rng().normal(size=SHAPE)
    obs = rng(1).normal(size=(13, 5, 2)) * 3.0
    qs = [0.1, 0.5, 0.9]
    expected = np.quantile(obs, qs, axis=0)
    np.testing.assert_allclose(Prediction(s, observations=obs).quantile(qs), expected, rtol=1e-15)
    np.testing.assert_allclose(
        Prediction(s, noise_var=9.0, observations=obs).quantile(qs), expected, rtol=1e-15
    )  # Student-t and other noise: the draws of y


def test_empirical_cdf_mid_ranks_by_hand():
    s = np.array([0.0, 1.0, 1.0, 2.0, 5.0]).reshape(5, 1, 1) * np.ones((1, 6, 1))
    y = np.array([-1.0, 0.0, 0.5, 1.0, 2.0, 6.0])
    # #{x < y} + #{x == y} / 2, over 5 draws
    expected = np.array([0.0, 0.5, 1.0, 2.0, 3.5, 5.0]) / 5.0
    np.testing.assert_allclose(Prediction(s).cdf(y)[:, 0], expected, rtol=0, atol=1e-15)


def test_empirical_cdf_of_observations():
    obs = np.array([3.0, 4.0]).reshape(2, 1, 1)
    p = Prediction(np.zeros((4, 1, 1)), observations=obs)
    assert p.cdf(np.array([[3.5]])).tolist() == [[0.5]]


def test_cdf_matches_scipy_percentileofscore():
    s = np.round(rng().normal(size=(30, 4, 3)), 1)  # ties
    y = np.round(rng(1).normal(size=(4, 3)), 1)
    got = Prediction(s).cdf(y)
    for b in range(4):
        for o in range(3):
            expected = stats.percentileofscore(s[:, b, o], y[b, o], kind="mean") / 100
            assert got[b, o] == pytest.approx(expected, abs=1e-15)


# ---------------------------------------------------------------- Gaussian mixture quantiles and CDF


def test_one_component_quantiles_are_normal_ppf():
    mu = rng().normal(size=(1, 4, 2))
    sigma = np.array([0.3, 2.0])
    qs = [1e-6, 0.025, 0.3, 0.5, 0.9, 1 - 1e-6]
    got = Prediction(mu, noise_std=sigma).quantile(qs)
    expected = stats.norm.ppf(np.array(qs)[:, None, None], loc=mu[0], scale=sigma)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize(
    "case",
    ["per-output", "heteroscedastic-per-sample", "per-point", "tiny-noise", "far-modes", "identical-samples"],
)
def test_mixture_quantiles_match_scipy_brentq(case):
    r = rng(3)
    S, B, K = 25, 4, 2  # num_samples, batch_size, num_outputs
    f = r.normal(size=(S, B, K))
    noise_std = {
        "per-output": np.array([0.2, 1.5]),
        "heteroscedastic-per-sample": r.uniform(0.05, 2.0, size=(S, B, K)),
        "per-point": r.uniform(0.1, 1.0, size=(B, K)),
        "tiny-noise": np.array([1e-4, 1e-3]),
        "far-modes": np.array([0.1, 0.1]),
        "identical-samples": np.array([0.7, 0.2]),
    }[case]
    if case == "far-modes":  # two clusters far apart: the CDF is flat at 1/2 between them
        f = np.where(np.arange(S)[:, None, None] % 2 == 0, -50.0, 50.0) + 0.1 * f
    if case == "identical-samples":
        f = np.broadcast_to(f[:1], (S, B, K)).copy()
    sigma = full_sigma(noise_std, (S, B, K))
    check_mixture_quantiles(Prediction(f, noise_std=noise_std), f, sigma, [1e-5, 0.05, 0.3, 0.5, 0.51, 0.95, 0.999])


def test_mixture_quantiles_with_observations_stay_exact():
    f = rng().normal(size=(10, 3, 1))
    obs = rng(1).normal(size=(5, 3, 1))
    check_mixture_quantiles(Prediction(f, noise_std=0.5, observations=obs), f, full_sigma(0.5, f.shape), [0.2, 0.8])


@given(seed=st.integers(0, 2**32 - 1), q=st.floats(1e-4, 1 - 1e-4), spread=st.floats(0.0, 20.0))
@settings(max_examples=40, deadline=None)
def test_mixture_quantile_property(seed, q, spread):
    r = rng(seed)
    f = spread * r.normal(size=(8, 2, 1))
    sigma = r.uniform(0.05, 1.0, size=(8, 2, 1))
    check_mixture_quantiles(Prediction(f, noise_std=sigma), f, sigma, [q])


def test_mixture_cdf_matches_scipy():
    r = rng(4)
    f = r.normal(size=(30, 6, 2))
    sigma = r.uniform(0.1, 1.0, size=(30, 6, 2))
    y = 2.0 * r.normal(size=(6, 2))
    got = Prediction(f, noise_std=sigma).cdf(y)
    expected = stats.norm.cdf(y[None], loc=f, scale=sigma).mean(axis=0)
    np.testing.assert_allclose(got, expected, rtol=1e-13, atol=1e-16)


def test_quantile_then_cdf_round_trip():
    r = rng(5)
    f = r.normal(size=(40, 8, 1))
    p = Prediction(f, noise_std=0.3)
    for q in (0.01, 0.5, 0.97):
        np.testing.assert_allclose(p.cdf(p.quantile(q)), q, rtol=0, atol=1e-6)


def test_interval_is_the_central_quantiles():
    f = rng().normal(size=(20, 3, 2))
    for p in (Prediction(f), Prediction(f, noise_std=0.4)):
        lower, upper = p.interval(0.8)
        np.testing.assert_array_equal(lower, p.quantile((1 - 0.8) / 2))
        np.testing.assert_array_equal(upper, p.quantile((1 + 0.8) / 2))
        assert np.all(lower < upper)


def test_float32_in_float32_out():
    f = rng().normal(size=(20, 3, 2)).astype(np.float32)
    for p in (Prediction(f), Prediction(f, noise_std=np.float32(0.4)), Prediction(f, noise_std=0.4)):
        for value in (p.mean, p.var, p.std, p.quantile(0.3), p.quantile([0.1, 0.2]), *p.interval(0.5)):
            assert value.dtype == np.float32
        assert p.cdf(np.zeros((3, 2), dtype=np.float64)).dtype == np.float32


def test_float32_mixture_quantiles_far_from_zero():
    # The quantile's float32 spacing (1e-3 near 1e4) is coarser than 1e-6 of the noise scale: no endless search.
    f = (1e4 + rng().normal(size=(50, 3, 1))).astype(np.float32)
    got = Prediction(f, noise_std=np.float32(0.01)).quantile([0.05, 0.5, 0.95])
    f64 = f.astype(np.float64)
    for k, q in enumerate([0.05, 0.5, 0.95]):
        for b in range(3):
            expected = oracle_mixture_quantile(q, f64[:, b, 0], np.full(50, 0.01))
            assert abs(float(got[k, b, 0]) - expected) <= 4e-3


# ---------------------------------------------------------------- arguments of quantile, interval, cdf


@pytest.mark.parametrize("q", [0.0, 1.0, -0.1, 1.5, np.nan, [0.5, 1.0]])
def test_q_must_be_in_the_open_unit_interval(q):
    with pytest.raises(PolymixValueError, match="q: expected numbers strictly between 0 and 1"):
        Prediction(np.zeros(SHAPE)).quantile(q)


@pytest.mark.parametrize("q", [True, "0.5", None, [0.5, "a"]])
def test_q_must_be_numbers(q):
    with pytest.raises(PolymixTypeError, match="q: expected"):
        Prediction(np.zeros(SHAPE)).quantile(q)


def test_q_may_be_an_array_or_a_numpy_scalar():
    p = Prediction(rng().normal(size=SHAPE))
    assert p.quantile(np.array([0.2, 0.7])).shape == (2, 5, 2)
    assert p.quantile(np.float32(0.25)).shape == (5, 2)
    assert p.quantile(np.array(0.25)).shape == (5, 2)
    with pytest.raises(PolymixValueError, match="non-empty"):
        p.quantile([])


@pytest.mark.parametrize("level", [0.0, 1.0, 2.0])
def test_level_must_be_in_the_open_unit_interval(level):
    with pytest.raises(PolymixValueError, match="level"):
        Prediction(np.zeros(SHAPE)).interval(level)


def test_interval_takes_one_level():
    with pytest.raises(PolymixTypeError, match="level: expected a single number"):
        Prediction(np.zeros(SHAPE)).interval([0.5, 0.9])


def test_observed_y_shapes():
    one = Prediction(np.zeros((3, 4, 1)))
    assert one.cdf(np.zeros(4)).shape == (4, 1)  # 1-D y: one output only
    assert one.cdf([[0.0]] * 4).shape == (4, 1)  # a nested list is converted
    two = Prediction(np.zeros((3, 4, 2)))
    for shape in [(4,), (4, 1), (2, 4), (4, 2, 1), (5, 2)]:
        with pytest.raises(ShapeError) as info:
            two.cdf(np.zeros(shape))
        assert str(info.value).startswith("y: expected a 2-D array of shape (batch_size, num_outputs) = (4, 2)")
        assert f"received shape {shape}" in str(info.value)
    with pytest.raises(ShapeError, match=r"or \(batch_size,\) for one output"):
        one.cdf(np.zeros(5))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_observed_y_must_be_finite(bad):
    with pytest.raises(PolymixValueError, match="y: expected finite values"):
        Prediction(np.zeros((3, 2, 1))).cdf(np.array([[0.0], [bad]]))


def test_observed_y_integers_are_accepted_and_bools_are_not():
    p = Prediction(np.zeros((3, 2, 1)))
    assert p.cdf(np.array([[0], [1]])).tolist() == [[0.5], [1.0]]
    with pytest.raises(PolymixTypeError, match="y: expected a real array"):
        p.cdf(np.array([[True], [False]]))


# ---------------------------------------------------------------- size


def test_large_mixture_quantile_runs_in_bounded_memory():
    # num_samples=1000, batch_size=2000: the search runs in row chunks of at most CHUNK_ELEMENTS elements, so its
    # working memory stays a small multiple of one chunk, whatever the batch (samples alone are 16 MB).
    f = rng().normal(size=(1000, 2000, 1))
    p = Prediction(f, noise_std=0.5)
    tracemalloc.start()
    try:
        lower, upper = p.interval(0.9)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 64e6, peak  # measured about 40 MB
    # spot checks against the scipy oracle
    for b in (0, 1234, 1999):
        assert abs(lower[b, 0] - oracle_mixture_quantile(0.05, f[:, b, 0], np.full(1000, 0.5))) < 1e-6
        assert abs(upper[b, 0] - oracle_mixture_quantile(0.95, f[:, b, 0], np.full(1000, 0.5))) < 1e-6
