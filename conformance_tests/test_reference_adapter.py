"""The numpy reference adapter, one smoke test per adapter method, against the independent oracle.

The other modules take their expected values from ``polymix_core.reference`` and so leave the
numpy backend out; here its adapter (``polymix_core.conformance``) is judged by
``specs/polymix_oracle``, which imports nothing from polymix-core. Where the adapter draws
noise (``sample``, Monte Carlo losses) its documented semantics are rebuilt from
``numpy.random.default_rng(seed)``, so those checks are exact too.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from cases import (
    FAMILY_CASES,
    GATING_CASES,
    GAUSSIAN_FAMILY_CASES,
    GAUSSIAN_PRIOR_CASES,
    LANGEVIN_CASES,
    LAPLACE_PRIOR_CASES,
    MIXTURE_CASES,
    MLP_CASES,
    MODEL_CASES,
    PCE_CASES,
    PRIOR_CASES,
    TRANSFORM_FAMILY_CASES,
    f32,
    rng_for,
)
from checks import assert_close, assert_scalar_close, assert_within_se, laplace_kl_exact, laplace_kl_term_sd
from polymix_core import DeterministicGroupSpec, IIDGaussianGroupSpec, IIDGaussianPriorSpec, PCESpec, PolymixError
from polymix_oracle import divergences, groups, langevin, priors, surrogates

FORWARD_CASES = [MLP_CASES[5], PCE_CASES[3], GATING_CASES[1], MIXTURE_CASES[2]]
FAMILIES = {f.id: f for f in FAMILY_CASES}


def _prior_dict(spec):
    return None if spec is None else spec.to_dict()


def _f32(a):
    return np.asarray(a, dtype=np.float64).astype(np.float32).astype(np.float64)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_forward(reference_backend, dtype):
    for case in FORWARD_CASES:
        x, params = case.x(), case.params()  # float32-representable: both precisions see the same inputs
        expected = surrogates.forward(case.spec.to_dict(), x, params)
        if dtype == "float32":
            expected = _f32(expected)
        actual = reference_backend.forward(case.spec, x, params, dtype=dtype)
        assert_close(actual, expected, dtype, what=f"{case.id} forward")


def test_expert_outputs_and_gating_weights(reference_backend):
    case = MIXTURE_CASES[2]
    spec, x, params = case.spec.to_dict(), case.x(), case.params()
    experts = reference_backend.expert_outputs(case.spec, x, params, dtype="float64")
    assert_close(experts, surrogates.expert_outputs(spec, x, params), "float64", what="expert outputs")
    weights = reference_backend.gating_weights(case.spec, x, params, dtype="float64")
    assert_close(weights, surrogates.gating_weights(spec, x, params), "float64", what="gating weights")


def test_sample_transform(reference_backend):
    for family in TRANSFORM_FAMILY_CASES:
        noise = f32(rng_for("reference-noise", family.id).standard_normal((6, *family.spec.noise_shape)))
        expected = groups.sample_transform(family.spec.to_dict(), family.raw, noise)
        actual = reference_backend.sample_transform(family.spec, family.raw, noise, dtype="float64")
        assert_close(actual, expected, "float64", what=f"{family.id} samples")
    with pytest.raises(PolymixError):
        reference_backend.sample_transform(family.spec, family.raw, np.zeros((2, 1)), dtype="float64")


def _oracle_draws(spec, raw, noise):
    """The documented semantics of ``sample``: noise rows, or Langevin noise (row 0 initial, then steps)."""
    if spec.family != "langevin":
        return groups.sample_transform(spec.to_dict(), raw, noise)
    theta0 = spec.init_std * noise[:, 0, :]
    steps = noise[:, 1:, :].transpose(1, 0, 2)
    return langevin.trajectory(spec.to_dict(), raw["surrogate_params"], theta0, steps)[-1]


def test_sample(reference_backend):
    for family in FAMILY_CASES:
        n = 4 if family.family == "langevin" else 50
        noise = np.random.default_rng(7).standard_normal((n, *family.spec.noise_shape))
        expected = _oracle_draws(family.spec, family.raw, noise)
        actual = reference_backend.sample(family.spec, family.raw, n, seed=7, dtype="float64")
        # the energy-mode oracle differentiates by finite differences (about 1e-10 relative per step)
        assert_close(actual, expected, "float64", factor=1e4, what=f"{family.id} sample")


def test_log_prob(reference_backend):
    for family in GAUSSIAN_FAMILY_CASES:
        theta = f32(rng_for("reference-theta", family.id).normal(0.0, 1.5, (7, family.spec.num_params)))
        expected = groups.log_prob(family.spec.to_dict(), family.raw, theta)
        actual = reference_backend.log_prob(family.spec, family.raw, theta, dtype="float64")
        assert_close(actual, expected, "float64", scale=np.abs(expected).max() + 5, what=f"{family.id} log_prob")


def test_prior_log_prob(reference_backend):
    for prior in PRIOR_CASES[1:]:
        spec = prior.spec(5)
        theta = f32(rng_for("reference-prior-theta", prior.id).normal(0.0, 1.5, (7, 5)))
        expected = priors.log_prob(spec.to_dict(), theta)
        actual = reference_backend.prior_log_prob(spec, theta, dtype="float64")
        assert_close(actual, expected, "float64", scale=np.abs(expected).max() + 5, what=prior.id)


def test_kl(reference_backend):
    for family in GAUSSIAN_FAMILY_CASES:
        mean, cov = groups.moments(family.spec.to_dict(), family.raw)
        for prior in GAUSSIAN_PRIOR_CASES:
            prior_spec = prior.spec(family.spec.num_params)
            expected = divergences.kl_to_prior(mean, cov, _prior_dict(prior_spec))
            actual = reference_backend.kl(family.spec, family.raw, prior_spec, dtype="float64")
            assert_scalar_close(actual, expected, "float64", scale=abs(expected) + 50, what=f"{family.id}|{prior.id}")
        with pytest.raises(PolymixError):  # Laplace: no closed form in the reference
            reference_backend.kl(family.spec, family.raw, LAPLACE_PRIOR_CASES[0].spec(5), dtype="float64")


def test_distribution_loss_closed_forms(reference_backend):
    det = FAMILIES["deterministic"]
    for prior in PRIOR_CASES:
        prior_spec = prior.spec(5)
        expected = -priors.log_prob(_prior_dict(prior_spec), det.raw["params"][None, :])[0]
        actual = reference_backend.distribution_loss(det.spec, det.raw, prior_spec, seed=0, dtype="float64")
        assert_scalar_close(actual, expected, "float64", scale=abs(expected) + 5, what=f"-log p, {prior.id}")
    family, prior_spec = FAMILIES["lowrank-r3"], GAUSSIAN_PRIOR_CASES[3].spec(5)
    mean, cov = groups.moments(family.spec.to_dict(), family.raw)
    expected = divergences.kl_to_prior(mean, cov, prior_spec.to_dict())
    actual = reference_backend.distribution_loss(family.spec, family.raw, prior_spec, seed=3, dtype="float64")
    assert_scalar_close(actual, expected, "float64", scale=abs(expected) + 50, what="analytic KL")


@pytest.mark.parametrize("prior", LAPLACE_PRIOR_CASES, ids=lambda p: p.id)
def test_distribution_loss_laplace_monte_carlo(reference_backend, prior):
    """``mean(log q - log p)`` over the adapter's draws, exactly; and within 5 standard errors of the exact KL."""
    family = FAMILIES["gaussian"]
    spec, raw, prior_spec = family.spec, family.raw, prior.spec(5)
    n = spec.kl_num_mc_samples
    theta = groups.sample_transform(spec.to_dict(), raw, np.random.default_rng(11).standard_normal((n, 5)))
    expected = np.mean(groups.log_prob(spec.to_dict(), raw, theta) - priors.log_prob(prior_spec.to_dict(), theta))
    actual = reference_backend.distribution_loss(spec, raw, prior_spec, seed=11, dtype="float64")
    assert_scalar_close(actual, float(expected), "float64", scale=abs(expected) + 50, what="Monte Carlo KL")
    se = laplace_kl_term_sd(family, prior) / math.sqrt(n)
    assert_within_se(actual, laplace_kl_exact(spec, raw, prior_spec), se, what=f"reference KL({family.id}||{prior.id})")


def test_distribution_loss_langevin_cross_entropy(reference_backend):
    family, prior_spec = FAMILIES["langevin-score"], PRIOR_CASES[2].spec(5)
    spec = family.spec
    noise = np.random.default_rng(5).standard_normal((spec.num_particles, *spec.noise_shape))
    expected = -np.mean(priors.log_prob(prior_spec.to_dict(), _oracle_draws(spec, family.raw, noise)))
    actual = reference_backend.distribution_loss(spec, family.raw, prior_spec, seed=5, dtype="float64")
    assert_scalar_close(actual, float(expected), "float64", scale=abs(expected) + 5, what="cross-entropy")


def _pce_loss_gradients(spec, raw, prior, x, noise):
    """Analytic gradients of ``mean(f(x, theta) ** 2) + KL`` for a PCE with an IID or deterministic group.

    ``f`` is linear in ``theta``: ``df/dtheta[k * O + o] = Psi_k(x)``; ``theta_s = m + exp(log_std) eps_s``;
    ``KL(N(m, s^2) || N(m_p, s_p^2))`` has ``dKL/dm = (m - m_p) / s_p^2`` and ``dKL/dlog_std = s^2 / s_p^2 - 1``;
    a deterministic group's ``-log p`` has ``(theta - m_p) / s_p^2``.
    """
    basis = surrogates.pce_basis(spec.to_dict(), x)  # (B, K)
    m_p, cov_p = priors.gaussian_moments(prior.to_dict(), raw[next(iter(raw))].shape[0])
    var_p = np.diag(cov_p)
    n_out = spec.num_outputs
    if "params" in raw:
        theta = raw["params"][None, :]
        noise = np.zeros((1, 0))
    else:
        theta = raw["mean"] + np.exp(raw["log_std"]) * noise
    f = surrogates.pce_forward(spec.to_dict(), x, theta)  # (S, B, O)
    scale = 2.0 / f.size
    d_theta = np.zeros_like(theta)
    for k in range(basis.shape[1]):
        for o in range(n_out):
            d_theta[:, k * n_out + o] = scale * np.einsum("sb,b->s", f[:, :, o], basis[:, k])
    if "params" in raw:
        return {"params": d_theta[0] + (raw["params"] - m_p) / var_p}
    std = np.exp(raw["log_std"])
    return {
        "mean": d_theta.sum(axis=0) + (raw["mean"] - m_p) / var_p,
        "log_std": (d_theta * noise).sum(axis=0) * std + std**2 / var_p - 1.0,
    }


@pytest.mark.parametrize("family", ["deterministic", "iid"])
def test_loss_gradients(reference_backend, family):
    spec = PCESpec(2, 2, degree=3)
    d = spec.num_params
    group = DeterministicGroupSpec(d) if family == "deterministic" else IIDGaussianGroupSpec(d)
    rng = rng_for("reference-gradients", family)
    raw = {name: f32(rng.normal(-0.3, 0.5, shape)) for name, shape in group.raw_shapes.items()}
    prior = IIDGaussianPriorSpec(f32(rng.normal(0.0, 0.5, d)), f32(rng.uniform(0.5, 2.0, d)))
    x = f32(rng.uniform(-1.0, 1.0, (5, 2)))
    noise = f32(rng.standard_normal((3, *group.noise_shape)))
    expected = _pce_loss_gradients(spec, raw, prior, x, noise)
    actual = reference_backend.loss_gradients(spec, group, raw, prior, x, noise, dtype="float64")
    assert list(actual) == list(expected)
    for name in expected:  # fourth-order finite differences: about 1e-9 relative
        assert_close(actual[name], expected[name], "float64", factor=1e4, what=f"d/d{name}")


@pytest.mark.parametrize("case", [LANGEVIN_CASES[2], LANGEVIN_CASES[3]], ids=lambda c: c.id)
def test_langevin_trajectory(reference_backend, case):
    theta0, noise = case.theta0(), case.noise()
    raw = case.raw
    expected = langevin.trajectory(case.spec.to_dict(), raw["surrogate_params"], theta0, noise)
    actual = reference_backend.langevin_trajectory(case.spec, case.surrogate, raw, theta0, noise, dtype="float64")
    # energy mode: the oracle's score is a fourth-order finite difference
    assert_close(actual, expected, "float64", factor=1e4, what=f"{case.id} trajectory")
    assert not np.allclose(expected[-1], expected[0])


def test_checkpoint(reference_backend, tmp_path):
    case = MODEL_CASES[0]
    path = tmp_path / "model.npz"
    reference_backend.save_checkpoint(case.spec, case.raw, path)
    x, noises = case.x(), case.noises()
    thetas = []
    for i, (group, noise) in enumerate(zip(case.spec.groups, noises)):
        raw = {name: case.raw[f"parameter_groups.{i}.{name}"] for name in group.spec.raw_shapes}
        thetas.append(groups.sample_transform(group.spec.to_dict(), raw, noise))
    expected = surrogates.forward(case.spec.surrogate.to_dict(), x, np.concatenate(thetas, axis=1))
    actual = reference_backend.load_checkpoint_forward(path, x, noises, dtype="float64")
    assert_close(actual, expected, "float64", what=f"{case.id} from its checkpoint")
