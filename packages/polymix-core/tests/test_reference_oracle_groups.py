"""polymix-core's group layouts, sample transforms, densities, KLs and Langevin steps against the oracle.

The oracle (``specs/polymix_oracle``) imports nothing from polymix-core. Hypothesis draws
the sizes and a seed for the values (derandomised: the same examples every run).
"""

import numpy as np
import polymix_core as pc
from hypothesis import given, settings, strategies as st
from polymix_core import conformance, reference
from polymix_oracle import divergences, groups, langevin, priors

SETTINGS = settings(max_examples=30, deadline=None, derandomize=True)
SEEDS = st.integers(0, 2**32 - 1)
REFERENCE = conformance.adapter()


def _spec(family, d, rank):
    if family == "deterministic":
        return pc.DeterministicGroupSpec(d)
    if family == "iid":
        return pc.IIDGaussianGroupSpec(d)
    if family == "gaussian":
        return pc.GaussianGroupSpec(d, jitter=1e-3)
    return pc.LowRankGaussianGroupSpec(d, rank=min(rank, d), jitter=1e-4)


def _raw(spec, rng):
    return {n: rng.normal(-0.3, 0.6, s) for n, s in spec.raw_shapes.items()}


def _prior(kind, d, rng):
    if kind == "default":
        return None
    if kind == "iid":
        return pc.IIDGaussianPriorSpec(rng.normal(0.0, 1.0, d), rng.uniform(0.3, 2.0, d))
    if kind == "laplace":
        return pc.LaplacePriorSpec(rng.normal(0.0, 1.0, d), rng.uniform(0.3, 2.0, d))
    a = rng.normal(0.0, 0.5, (d, d))
    cov = a @ a.T + np.eye(d)
    if kind == "gaussian-cov":
        return pc.GaussianPriorSpec(rng.normal(0.0, 1.0, d), covariance_matrix=cov)
    return pc.GaussianPriorSpec(rng.normal(0.0, 1.0, d), scale_tril=np.linalg.cholesky(cov))


def _close(actual, expected, scale=1.0):
    np.testing.assert_allclose(actual, expected, rtol=1e-10, atol=1e-11 * max(scale, np.abs(expected).max()))


FAMILIES = st.sampled_from(["deterministic", "iid", "gaussian", "low_rank"])
GAUSSIANS = st.sampled_from(["iid", "gaussian", "low_rank"])
PRIORS = st.sampled_from(["default", "iid", "gaussian-cov", "gaussian-tril"])


@SETTINGS
@given(FAMILIES, st.integers(1, 6), st.integers(1, 3))
def test_layouts(family, d, rank):
    spec = _spec(family, d, rank)
    sd = spec.to_dict()
    assert [(n, tuple(s)) for n, s in spec.raw_shapes.items()] == groups.raw_shapes(sd)
    assert tuple(spec.noise_shape) == groups.noise_shape(sd)
    for (name, init), (o_name, constant, noise_scale) in zip(spec.initial.items(), groups.initial(sd)):
        assert name == o_name
        _close(np.broadcast_to(init.constant, constant.shape), constant)
        assert init.noise_scale == noise_scale
    if family == "gaussian":
        rows, cols = pc.tril_indices(d)
        assert list(zip(rows.tolist(), cols.tolist())) == groups.tril_positions(d)
        assert spec.diag_positions.tolist() == groups.diag_positions(d)


@SETTINGS
@given(FAMILIES, st.integers(1, 5), st.integers(1, 3), SEEDS)
def test_sample_transform_and_moments(family, d, rank, seed):
    rng = np.random.default_rng(seed)
    spec = _spec(family, d, rank)
    raw = _raw(spec, rng)
    noise = rng.normal(0.0, 1.0, (4, *spec.noise_shape))
    _close(reference.sample_transform(spec, raw, noise), groups.sample_transform(spec.to_dict(), raw, noise))
    if family == "deterministic":
        return
    for actual, expected in zip(reference.moments(spec, raw), groups.moments(spec.to_dict(), raw)):
        _close(actual, expected)
    if family == "gaussian":
        _close(reference.scale_tril(spec, raw["raw_tril"]), groups.scale_tril(spec.to_dict(), raw["raw_tril"]))


@SETTINGS
@given(GAUSSIANS, st.integers(1, 5), st.integers(1, 3), SEEDS)
def test_log_prob(family, d, rank, seed):
    rng = np.random.default_rng(seed)
    spec = _spec(family, d, rank)
    raw = _raw(spec, rng)
    theta = rng.normal(0.0, 1.5, (5, d))
    expected = groups.log_prob(spec.to_dict(), raw, theta)
    _close(reference.log_prob(spec, raw, theta), expected, scale=10.0 * d)


@SETTINGS
@given(st.sampled_from(["default", "iid", "laplace", "gaussian-cov", "gaussian-tril"]), st.integers(1, 5), SEEDS)
def test_prior_log_prob(kind, d, seed):
    rng = np.random.default_rng(seed)
    prior = _prior(kind, d, rng)
    theta = rng.normal(0.0, 1.5, (5, d))
    expected = priors.log_prob(None if prior is None else prior.to_dict(), theta)
    actual = reference.prior_log_prob(pc.IIDGaussianPriorSpec() if prior is None else prior, theta)
    _close(actual, expected, scale=10.0 * d)


@SETTINGS
@given(GAUSSIANS, PRIORS, st.integers(1, 5), st.integers(1, 3), SEEDS)
def test_analytic_kl(family, kind, d, rank, seed):
    rng = np.random.default_rng(seed)
    spec = _spec(family, d, rank)
    raw, prior = _raw(spec, rng), _prior(kind, d, rng)
    mean, cov = groups.moments(spec.to_dict(), raw)
    expected = divergences.kl_to_prior(mean, cov, None if prior is None else prior.to_dict())
    actual = REFERENCE.kl(spec, raw, prior, dtype="float64")
    _close(actual, expected, scale=10.0 * d + abs(expected))
    loss = REFERENCE.distribution_loss(spec, raw, prior, seed=0, dtype="float64")
    _close(loss, expected, scale=10.0 * d + abs(expected))


@SETTINGS
@given(st.integers(1, 4), SEEDS)
def test_deterministic_loss_is_negative_log_prior(d, seed):
    rng = np.random.default_rng(seed)
    spec = pc.DeterministicGroupSpec(d)
    raw, prior = _raw(spec, rng), _prior("laplace", d, rng)
    expected = -priors.log_prob(prior.to_dict(), raw["params"][None, :])[0]
    _close(REFERENCE.distribution_loss(spec, raw, prior, seed=0, dtype="float64"), expected, scale=10.0 * d)


LANGEVIN_SURROGATES = [
    ("score", pc.MLPSpec(2, 2, width=3, activation="tanh")),
    ("score", pc.PCESpec(2, 2, degree=2)),
    ("energy", pc.MLPSpec(2, 1, width=4, depth=2, activation="tanh")),
    ("energy", pc.PCESpec(2, 1, degree=3)),
]


@SETTINGS
@given(st.sampled_from(LANGEVIN_SURROGATES), SEEDS)
def test_langevin_trajectory(mode_surrogate, seed):
    mode, surrogate = mode_surrogate
    rng = np.random.default_rng(seed)
    spec = pc.LangevinGroupSpec(
        2, mode=mode, surrogate_num_inputs=2, surrogate_num_outputs=surrogate.num_outputs,
        surrogate_num_params=surrogate.num_params, step_size=0.05, surrogate=surrogate,
    )  # fmt: skip
    raw = {"surrogate_params": rng.normal(0.0, 0.5, surrogate.num_params)}
    theta0, noise = rng.normal(0.0, 1.0, (3, 2)), rng.normal(0.0, 1.0, (4, 3, 2))
    expected = langevin.trajectory(spec.to_dict(), raw["surrogate_params"], theta0, noise)
    actual = REFERENCE.langevin_trajectory(spec, surrogate, raw, theta0, noise, dtype="float64")
    # energy mode: the oracle's score is a fourth-order finite difference (about 1e-10 relative)
    np.testing.assert_allclose(actual, expected, rtol=1e-8, atol=1e-8)
    assert not np.allclose(actual[-1], actual[0])
