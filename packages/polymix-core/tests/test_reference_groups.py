"""Reference numerics of the groups and priors against closed forms, direct formulas and Monte Carlo."""

import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from polymix_core import (
    DeterministicGroupSpec,
    GaussianGroupSpec,
    GaussianPriorSpec,
    IIDGaussianGroupSpec,
    IIDGaussianPriorSpec,
    LangevinGroupSpec,
    LaplacePriorSpec,
    LowRankGaussianGroupSpec,
    PolymixTypeError,
    PolymixValueError,
    ShapeError,
    reference as ref,
)

# ----------------------------------------------------------------------------- oracles


def softplus(x):
    return np.log1p(np.exp(x))


def oracle_L(d, raw_tril, jitter):
    """Fill L entry by entry in the documented packing order (0,0),(1,0),(1,1),(2,0),..."""
    L = np.zeros((d, d))
    k = 0
    for i in range(d):
        for j in range(i + 1):
            L[i, j] = softplus(raw_tril[k]) + jitter if i == j else raw_tril[k]
            k += 1
    return L


def oracle_moments(spec, raw):
    if isinstance(spec, IIDGaussianGroupSpec):
        return raw["mean"], np.diag(np.exp(raw["log_std"]) ** 2)
    if isinstance(spec, GaussianGroupSpec):
        L = oracle_L(spec.num_params, raw["raw_tril"], spec.jitter)
        return raw["mean"], L @ L.T
    U = raw["cov_factor"]
    return raw["mean"], U @ U.T + np.diag(softplus(raw["raw_cov_diag"]) + spec.jitter)


def oracle_mvn_logpdf(theta, mean, cov):
    d = mean.shape[0]
    inv = np.linalg.inv(cov)
    diff = theta - mean
    quad = np.einsum("ni,ij,nj->n", diff, inv, diff)
    return -0.5 * quad - 0.5 * math.log(np.linalg.det(cov)) - 0.5 * d * math.log(2 * math.pi)


def oracle_kl(m0, S0, m1, S1):
    d = m0.shape[0]
    inv1 = np.linalg.inv(S1)
    diff = m1 - m0
    return 0.5 * (np.trace(inv1 @ S0) + diff @ inv1 @ diff - d + math.log(np.linalg.det(S1) / np.linalg.det(S0)))


def random_raw(spec, rng):
    d = spec.num_params
    if isinstance(spec, IIDGaussianGroupSpec):
        return {"mean": rng.normal(size=d), "log_std": rng.uniform(-1.0, 0.5, size=d)}
    if isinstance(spec, GaussianGroupSpec):
        return {"mean": rng.normal(size=d), "raw_tril": rng.normal(scale=0.5, size=spec.num_tril)}
    if isinstance(spec, LowRankGaussianGroupSpec):
        return {
            "mean": rng.normal(size=d),
            "cov_factor": rng.normal(scale=0.5, size=(d, spec.rank)),
            "raw_cov_diag": rng.normal(size=d),
        }
    return {"params": rng.normal(size=d)}


FAMILIES = [
    IIDGaussianGroupSpec(4),
    GaussianGroupSpec(4, jitter=1e-6),
    GaussianGroupSpec(3, jitter=1e-2),
    LowRankGaussianGroupSpec(5, rank=2),
    LowRankGaussianGroupSpec(3, rank=3, jitter=1e-3),
]
FAMILY_IDS = ["iid-4", "gaussian-4", "gaussian-3-jitter", "lowrank-5-2", "lowrank-3-3"]


# ----------------------------------------------------------------------------- sample transform


def test_iid_transform_is_mean_plus_std_times_noise():
    spec = IIDGaussianGroupSpec(3)
    raw = {"mean": np.array([1.0, -2.0, 0.5]), "log_std": np.log([0.5, 2.0, 1.0])}
    noise = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, -1.0, 2.0]])
    expected = np.array([[1.5, -2.0, 0.5], [1.0, 0.0, 0.5], [1.0, -2.0, 1.5], [1.5, -4.0, 2.5]])
    np.testing.assert_allclose(ref.sample_transform(spec, raw, noise), expected, rtol=1e-15)


@pytest.mark.parametrize("d", [1, 2, 5])
def test_gaussian_transform_with_identity_noise_gives_columns_of_L(d):
    spec = GaussianGroupSpec(d, jitter=1e-4)
    raw = random_raw(spec, np.random.default_rng(d))
    L = oracle_L(d, raw["raw_tril"], 1e-4)
    np.testing.assert_allclose(ref.scale_tril(spec, raw["raw_tril"]), L, rtol=1e-15, atol=0)
    out = ref.sample_transform(spec, raw, np.eye(d))  # row i = mean + L e_i = mean + L[:, i]
    np.testing.assert_allclose(out - raw["mean"], L.T, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(ref.sample_transform(spec, raw, np.zeros((2, d))), np.tile(raw["mean"], (2, 1)))


def test_gaussian_transform_hand_example():
    spec = GaussianGroupSpec(2, jitter=0.0 + 1e-6)
    # raw_tril order (0,0),(1,0),(1,1): L = [[sp(0)+j, 0], [3, sp(0)+j]]
    raw = {"mean": np.array([1.0, 2.0]), "raw_tril": np.array([0.0, 3.0, 0.0])}
    l11 = math.log(2.0) + 1e-6
    out = ref.sample_transform(spec, raw, np.array([[1.0, 1.0]]))
    np.testing.assert_allclose(out, [[1.0 + l11, 2.0 + 3.0 + l11]], rtol=1e-15)


@pytest.mark.parametrize(("d", "rank"), [(3, 1), (4, 2), (2, 2)])
def test_low_rank_transform_with_identity_noise(d, rank):
    spec = LowRankGaussianGroupSpec(d, rank=rank, jitter=1e-3)
    raw = random_raw(spec, np.random.default_rng(10 * d + rank))
    out = ref.sample_transform(spec, raw, np.eye(rank + d)) - raw["mean"]
    # first `rank` noise coordinates drive U's columns, the next d the diagonal part
    np.testing.assert_allclose(out[:rank], raw["cov_factor"].T, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(out[rank:], np.diag(np.sqrt(softplus(raw["raw_cov_diag"]) + 1e-3)), rtol=1e-14)


def test_deterministic_transform_repeats_params():
    spec = DeterministicGroupSpec(3)
    raw = {"params": np.array([1.0, 2.0, 3.0])}
    out = ref.sample_transform(spec, raw, np.zeros((4, 0)))
    assert out.shape == (4, 3)
    assert out.tolist() == [[1.0, 2.0, 3.0]] * 4


@pytest.mark.parametrize("spec", FAMILIES, ids=FAMILY_IDS)
def test_transform_is_affine_in_noise(spec):
    rng = np.random.default_rng(1)
    raw = random_raw(spec, rng)
    noise = rng.normal(size=(6, *spec.noise_shape))
    out = ref.sample_transform(spec, raw, noise)
    base = ref.sample_transform(spec, raw, np.zeros((1, *spec.noise_shape)))[0]
    cols = ref.sample_transform(spec, raw, np.eye(spec.noise_shape[0])) - base  # (noise_dim, d)
    np.testing.assert_allclose(out, base + noise @ cols, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("spec", FAMILIES, ids=FAMILY_IDS)
def test_moments_closed_form(spec):
    raw = random_raw(spec, np.random.default_rng(2))
    m, c = ref.moments(spec, raw)
    m_o, c_o = oracle_moments(spec, raw)
    np.testing.assert_allclose(m, m_o, rtol=1e-15)
    np.testing.assert_allclose(c, c_o, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(c, c.T, atol=0)
    assert np.all(np.linalg.eigvalsh(c) > 0)


@pytest.mark.parametrize("spec", FAMILIES, ids=FAMILY_IDS)
def test_monte_carlo_moments_of_transformed_noise(spec):
    rng = np.random.default_rng(12345)
    raw = random_raw(spec, rng)
    n = 20_000
    samples = ref.sample_transform(spec, raw, rng.standard_normal((n, *spec.noise_shape)))
    m_o, c_o = oracle_moments(spec, raw)
    se_mean = np.sqrt(np.diag(c_o) / n)
    assert np.all(np.abs(samples.mean(axis=0) - m_o) < 5 * se_mean)
    # Var of the sample covariance entry (i, j) of a Gaussian: (S_ii S_jj + S_ij^2) / n
    se_cov = np.sqrt((np.outer(np.diag(c_o), np.diag(c_o)) + c_o**2) / n)
    assert np.all(np.abs(np.cov(samples, rowvar=False) - c_o) < 5 * se_cov)


def test_transform_input_validation():
    spec = GaussianGroupSpec(2)
    raw = {"mean": np.zeros(2), "raw_tril": np.zeros(3)}
    with pytest.raises(ShapeError, match=r"^noise: expected shape \(num_samples, 2\), received shape \(4, 3\)"):
        ref.sample_transform(spec, raw, np.zeros((4, 3)))
    with pytest.raises(PolymixValueError, match=r"^raw: expected exactly the keys .*\(missing \['raw_tril'\]"):
        ref.sample_transform(spec, {"mean": np.zeros(2)}, np.zeros((1, 2)))
    with pytest.raises(ShapeError, match=r"^raw\['raw_tril'\]: expected shape \(3,\), received shape \(4,\)"):
        ref.sample_transform(spec, {"mean": np.zeros(2), "raw_tril": np.zeros(4)}, np.zeros((1, 2)))
    lang = LangevinGroupSpec(2, surrogate_num_inputs=2, surrogate_num_outputs=2, surrogate_num_params=5)
    with pytest.raises(PolymixTypeError, match="langevin_trajectory"):
        ref.sample_transform(lang, {"surrogate_params": np.zeros(5)}, np.zeros((1, 51, 2)))
    with pytest.raises(PolymixTypeError, match="not a Gaussian family"):
        ref.moments(DeterministicGroupSpec(2), {"params": np.zeros(2)})


# ----------------------------------------------------------------------------- log densities


def test_mvn_log_prob_against_direct_formula():
    rng = np.random.default_rng(3)
    A = rng.normal(size=(4, 4))
    cov = A @ A.T + 0.5 * np.eye(4)
    mean = rng.normal(size=4)
    theta = rng.normal(size=(7, 4))
    np.testing.assert_allclose(ref.mvn_log_prob(theta, mean, cov), oracle_mvn_logpdf(theta, mean, cov), rtol=1e-12)


def test_mvn_log_prob_standard_normal_at_zero():
    d = 3
    assert ref.mvn_log_prob(np.zeros((1, d)), np.zeros(d), np.eye(d))[0] == pytest.approx(-1.5 * math.log(2 * math.pi))


@pytest.mark.parametrize("spec", FAMILIES, ids=FAMILY_IDS)
def test_log_prob_against_direct_formula(spec):
    rng = np.random.default_rng(4)
    raw = random_raw(spec, rng)
    theta = rng.normal(size=(5, spec.num_params))
    m, c = oracle_moments(spec, raw)
    np.testing.assert_allclose(ref.log_prob(spec, raw, theta), oracle_mvn_logpdf(theta, m, c), rtol=1e-11)
    # a single 1-D point is promoted to one row
    assert ref.log_prob(spec, raw, theta[0]).shape == (1,)


def test_iid_log_prob_is_sum_of_univariate_normals():
    spec = IIDGaussianGroupSpec(3)
    raw = {"mean": np.array([0.0, 1.0, -1.0]), "log_std": np.log([1.0, 0.5, 2.0])}
    theta = np.array([[0.3, 0.2, 1.0]])
    expected = sum(
        -0.5 * ((t - m) / s) ** 2 - math.log(s) - 0.5 * math.log(2 * math.pi)
        for t, m, s in zip(theta[0], raw["mean"], [1.0, 0.5, 2.0])
    )
    assert ref.log_prob(spec, raw, theta)[0] == pytest.approx(expected, rel=1e-13)


def test_log_prob_of_deterministic_group_is_rejected():
    with pytest.raises(PolymixTypeError):
        ref.log_prob(DeterministicGroupSpec(2), {"params": np.zeros(2)}, np.zeros((1, 2)))


def test_laplace_prior_log_prob_closed_form():
    prior = LaplacePriorSpec([0.0, 1.0, -2.0], 0.5)
    theta = np.array([[0.0, 0.0, 0.0], [1.0, 1.0, -2.0], [-0.25, 3.0, -1.5]])
    expected = [sum(-math.log(2 * 0.5) - abs(t - mu) / 0.5 for t, mu in zip(row, [0.0, 1.0, -2.0])) for row in theta]
    np.testing.assert_allclose(ref.prior_log_prob(prior, theta), expected, rtol=1e-14)
    # one entry by hand: theta=0 under Laplace(0, 1) is log(1/2)
    assert ref.prior_log_prob(LaplacePriorSpec(0.0, 1.0), np.zeros((1, 1)))[0] == pytest.approx(-math.log(2.0))


def test_iid_gaussian_prior_log_prob_closed_form():
    prior = IIDGaussianPriorSpec([0.0, 1.0], [1.0, 3.0])
    theta = np.array([[0.5, -1.0], [0.0, 1.0]])
    expected = [
        sum(-0.5 * ((t - m) / s) ** 2 - math.log(s) - 0.5 * math.log(2 * math.pi) for t, m, s in zip(r, [0, 1], [1, 3]))
        for r in theta
    ]
    np.testing.assert_allclose(ref.prior_log_prob(prior, theta), expected, rtol=1e-14)


@pytest.mark.parametrize("which", ["covariance_matrix", "scale_tril"])
def test_gaussian_prior_log_prob_direct(which):
    L = np.array([[1.5, 0.0, 0.0], [0.3, 0.7, 0.0], [-0.2, 0.4, 1.1]])
    mat = L @ L.T if which == "covariance_matrix" else L
    prior = GaussianPriorSpec([0.1, -0.2, 0.3], **{which: mat})
    theta = np.random.default_rng(5).normal(size=(4, 3))
    expected = oracle_mvn_logpdf(theta, np.array([0.1, -0.2, 0.3]), L @ L.T)
    np.testing.assert_allclose(ref.prior_log_prob(prior, theta), expected, rtol=1e-12)


def test_prior_shape_mismatch_is_rejected():
    with pytest.raises(ShapeError, match=r"^loc: expected a scalar or shape \(3,\), received shape \(2,\)"):
        ref.prior_log_prob(LaplacePriorSpec([0.0, 1.0], 1.0), np.zeros((1, 3)))
    with pytest.raises(ShapeError, match="prior: expected a GaussianPrior over 3 parameters"):
        ref.prior_log_prob(GaussianPriorSpec(np.zeros(2), covariance_matrix=np.eye(2)), np.zeros((1, 3)))
    with pytest.raises(PolymixTypeError, match="LaplacePriorSpec is not Gaussian"):
        ref.prior_moments(LaplacePriorSpec(), 2)


# ----------------------------------------------------------------------------- KL


def dense_kl(m0, S0, m1, S1):
    """``reference.gaussian_kl`` on dense covariances, through their Cholesky factors."""
    L0, L1 = np.linalg.cholesky(S0), np.linalg.cholesky(S1)
    logdet0, logdet1 = 2 * np.log(np.diag(L0)).sum(), 2 * np.log(np.diag(L1)).sum()
    return ref.gaussian_kl(m0, [L0], logdet0, ref.GaussianForm(m1, L1, logdet1))


def spd(rng, d):
    A = rng.normal(size=(d, d))
    return A @ A.T + 0.3 * np.eye(d)


@given(d=st.integers(1, 5), seed=st.integers(0, 2**32 - 1))
@settings(max_examples=80, deadline=None)
def test_kl_is_nonnegative_and_matches_textbook_formula(d, seed):
    rng = np.random.default_rng(seed)
    m0, m1 = rng.normal(size=d), rng.normal(size=d)
    S0, S1 = spd(rng, d), spd(rng, d)
    kl = dense_kl(m0, S0, m1, S1)
    assert kl >= 0.0
    assert kl == pytest.approx(oracle_kl(m0, S0, m1, S1), rel=1e-8, abs=1e-10)


@given(d=st.integers(1, 5), seed=st.integers(0, 2**32 - 1))
@settings(max_examples=60, deadline=None)
def test_kl_is_zero_exactly_for_equal_distributions(d, seed):
    rng = np.random.default_rng(seed)
    m, S = rng.normal(size=d), spd(rng, d)
    assert abs(dense_kl(m, S, m, S)) < 1e-10
    # any change of mean or covariance makes it strictly positive
    i = rng.integers(d)
    shift = np.zeros(d)
    shift[i] = 0.1 * math.sqrt(S[i, i])  # KL = 0.005 * S_ii (S^-1)_ii >= 0.005
    assert dense_kl(m + shift, S, m, S) > 1e-4
    assert dense_kl(m, S * 1.2, m, S) > 1e-4


@pytest.mark.parametrize(
    ("m1", "s1", "m2", "s2"), [(0.0, 1.0, 1.0, 1.0), (0.5, 0.3, -0.2, 2.0), (1.0, 3.0, 1.0, 0.5)], ids=str
)
def test_kl_one_dimensional_closed_form(m1, s1, m2, s2):
    expected = math.log(s2 / s1) + (s1**2 + (m1 - m2) ** 2) / (2 * s2**2) - 0.5
    got = dense_kl(np.array([m1]), np.array([[s1**2]]), np.array([m2]), np.array([[s2**2]]))
    assert got == pytest.approx(expected, rel=1e-13)


@pytest.mark.parametrize("spec", FAMILIES, ids=FAMILY_IDS)
@pytest.mark.parametrize("prior_kind", ["iid", "full"])
def test_kl_divergence_vs_monte_carlo(spec, prior_kind):
    rng = np.random.default_rng(6)
    raw = random_raw(spec, rng)
    d = spec.num_params
    if prior_kind == "iid":
        prior = IIDGaussianPriorSpec(rng.normal(size=d) * 0.3, rng.uniform(0.5, 2.0, size=d))
        m_p, c_p = prior.mean, np.diag(prior.std**2)
    else:
        c_p = spd(rng, d)
        m_p = rng.normal(size=d)
        prior = GaussianPriorSpec(m_p, covariance_matrix=c_p)
    kl = ref.kl_divergence(spec, raw, prior)
    m_q, c_q = oracle_moments(spec, raw)
    assert kl == pytest.approx(oracle_kl(m_q, c_q, m_p, c_p), rel=1e-9)
    n = 20_000
    theta = rng.multivariate_normal(m_q, c_q, size=n)
    log_ratio = oracle_mvn_logpdf(theta, m_q, c_q) - oracle_mvn_logpdf(theta, m_p, c_p)
    assert abs(log_ratio.mean() - kl) < 5 * log_ratio.std() / math.sqrt(n)


def test_kl_with_scalar_iid_prior_broadcasts():
    spec = IIDGaussianGroupSpec(2)
    raw = {"mean": np.zeros(2), "log_std": np.zeros(2)}
    # each coordinate: KL(N(0,1) || N(0, 2^2)) = log 2 + 1/8 - 1/2
    expected = 2 * (math.log(2.0) + 1.0 / 8.0 - 0.5)
    assert ref.kl_divergence(spec, raw, IIDGaussianPriorSpec(0.0, 2.0)) == pytest.approx(expected, rel=1e-13)


def test_kl_against_laplace_prior_is_not_analytic():
    spec = IIDGaussianGroupSpec(2)
    with pytest.raises(PolymixTypeError, match="not Gaussian"):
        ref.kl_divergence(spec, {"mean": np.zeros(2), "log_std": np.zeros(2)}, LaplacePriorSpec())


# ----------------------------------------------------------------------------- Langevin


def test_langevin_linear_score_matches_unrolled_closed_form():
    rng = np.random.default_rng(7)
    d, n, steps, h = 3, 4, 6, 0.05
    A = -spd(rng, d)
    b = rng.normal(size=d)
    theta0 = rng.normal(size=(n, d))
    xi = rng.normal(size=(steps, n, d))
    traj = ref.langevin_trajectory(lambda t: t @ A.T + b, theta0, xi, h)
    assert traj.shape == (steps + 1, n, d)
    np.testing.assert_array_equal(traj[0], theta0)
    M = np.eye(d) + h * A
    # theta_K = M^K theta_0 + sum_k M^(K-1-k) (h b + sqrt(2h) xi_k)
    for K in range(steps + 1):
        expected = theta0 @ np.linalg.matrix_power(M, K).T
        for k in range(K):
            expected = expected + (h * b + math.sqrt(2 * h) * xi[k]) @ np.linalg.matrix_power(M, K - 1 - k).T
        np.testing.assert_allclose(traj[K], expected, rtol=1e-12, atol=1e-12)


def test_langevin_without_noise_is_gradient_ascent():
    traj = ref.langevin_trajectory(lambda t: -t, np.full((1, 1), 2.0), np.zeros((3, 1, 1)), 0.25)
    np.testing.assert_allclose(traj[:, 0, 0], [2.0, 1.5, 1.125, 0.84375], rtol=1e-15)


def test_langevin_ou_stationary_variance():
    # s(theta) = -theta: theta' = (1 - h) theta + sqrt(2h) xi, stationary variance 2h / (1 - (1 - h)^2)
    rng = np.random.default_rng(8)
    h, n, steps = 0.1, 4000, 150
    traj = ref.langevin_trajectory(lambda t: -t, np.zeros((n, 1)), rng.normal(size=(steps, n, 1)), h)
    expected = 2 * h / (1 - (1 - h) ** 2)
    var = traj[-1, :, 0].var()
    se = expected * math.sqrt(2.0 / n)
    assert abs(var - expected) < 5 * se


def test_langevin_noise_shape_is_checked():
    with pytest.raises(ShapeError, match=r"^noise: expected shape \(num_steps, 2, 3\), received shape \(4, 2, 2\)"):
        ref.langevin_trajectory(lambda t: t, np.zeros((2, 3)), np.zeros((4, 2, 2)), 0.1)
