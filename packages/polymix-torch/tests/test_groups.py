"""Gaussian families, the deterministic group and priors against the numpy reference and closed forms."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from polymix_core import (
    DeterministicGroupSpec,
    GaussianGroupSpec,
    GaussianPriorSpec,
    IIDGaussianGroupSpec,
    IIDGaussianPriorSpec,
    LaplacePriorSpec,
    LowRankGaussianGroupSpec,
    reference,
)
from polymix_torch import build_prior
from polymix_torch.parameter_groups import (
    DeterministicGroup,
    GaussianGroup,
    IIDGaussianGroup,
    LowRankGaussianGroup,
    ParameterGroup,
)
from polymix_torch.priors import GaussianPrior, IIDGaussianPrior, LaplacePrior

D = 4
RNG = np.random.default_rng(1)


def _make(family: str, prior: object = None) -> tuple[ParameterGroup, object]:
    if family == "iid":
        return IIDGaussianGroup("g", D, prior), IIDGaussianGroupSpec(D)  # type: ignore[arg-type]
    if family == "gaussian":
        return GaussianGroup("g", D, prior), GaussianGroupSpec(D)  # type: ignore[arg-type]
    if family == "low_rank":
        return LowRankGaussianGroup("g", D, 2, prior), LowRankGaussianGroupSpec(D, rank=2)  # type: ignore[arg-type]
    return DeterministicGroup("g", D, prior), DeterministicGroupSpec(D)  # type: ignore[arg-type]


def _randomise(group: ParameterGroup, spec: object) -> dict[str, np.ndarray]:
    group.double()
    raw = {k: RNG.normal(scale=0.5, size=s) for k, s in spec.raw_shapes.items()}  # type: ignore[attr-defined]
    with torch.no_grad():
        for k, v in raw.items():
            getattr(group, k).copy_(torch.as_tensor(v))
    return raw


FAMILIES = ["deterministic", "iid", "gaussian", "low_rank"]
GAUSSIANS = ["iid", "gaussian", "low_rank"]


@pytest.mark.parametrize("family", FAMILIES)
def test_sample_transform_matches_reference(family: str) -> None:
    group, spec = _make(family)
    raw = _randomise(group, spec)
    noise = RNG.normal(size=(6, *spec.noise_shape))  # type: ignore[attr-defined]
    assert group.noise_shape == spec.noise_shape  # type: ignore[attr-defined]
    out = group.sample_transform(torch.as_tensor(noise))
    np.testing.assert_allclose(
        out.detach().numpy(), reference.sample_transform(spec, raw, noise), rtol=1e-12, atol=1e-12
    )


@pytest.mark.parametrize("family", FAMILIES)
def test_sample_parameters_is_noise_plus_transform(family: str) -> None:
    group, spec = _make(family)
    raw = _randomise(group, spec)
    torch.manual_seed(5)
    samples = group.sample_parameters(3).detach().numpy()
    torch.manual_seed(5)
    if family == "low_rank":  # eps_U then eps_D, as torch's LowRankMultivariateNormal draws them
        noise = torch.cat([torch.randn(3, 2, dtype=torch.float64), torch.randn(3, D, dtype=torch.float64)], 1)
    else:
        noise = torch.randn(3, *spec.noise_shape, dtype=torch.float64)  # type: ignore[attr-defined]
    np.testing.assert_allclose(samples, reference.sample_transform(spec, raw, noise.numpy()), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("family", GAUSSIANS)
def test_sampling_statistics(family: str) -> None:
    group, spec = _make(family)
    raw = _randomise(group, spec)
    torch.manual_seed(0)
    n = 40_000
    samples = group.sample_parameters(n).detach().numpy()
    mean, cov = reference.moments(spec, raw)
    var = np.diag(cov)
    se_mean = np.sqrt(var / n)
    # Gaussian sample covariance: Var(S_ij) = (S_ii S_jj + S_ij^2) / n
    se_cov = np.sqrt((np.outer(var, var) + cov**2) / n)
    assert np.all(np.abs(samples.mean(0) - mean) <= 5 * se_mean)
    z = np.abs(np.cov(samples.T) - cov) / se_cov
    assert np.all(z <= 5), f"covariance entry off by {z.max():.2f} standard errors"


@pytest.mark.parametrize("family", GAUSSIANS)
def test_log_prob_matches_reference(family: str) -> None:
    group, spec = _make(family)
    raw = _randomise(group, spec)
    theta = RNG.normal(size=(5, D))
    out = group.variational_distribution().log_prob(torch.as_tensor(theta)).detach().numpy()
    np.testing.assert_allclose(out, reference.log_prob(spec, raw, theta), rtol=1e-10)


PRIOR_SPECS = {
    "default": None,
    "iid_scalar": IIDGaussianPriorSpec(0.3, 2.0),
    "iid_vector": IIDGaussianPriorSpec(RNG.normal(size=D), RNG.uniform(0.5, 2.0, D)),
    "gaussian_cov": GaussianPriorSpec(RNG.normal(size=D), covariance_matrix=np.eye(D) * 2 + 0.5),
    "gaussian_tril": GaussianPriorSpec(np.zeros(D), scale_tril=np.tril(RNG.uniform(0.1, 0.5, (D, D))) + np.eye(D)),
}


@pytest.mark.parametrize("prior", sorted(PRIOR_SPECS))
@pytest.mark.parametrize("family", GAUSSIANS)
def test_analytic_kl_matches_reference(family: str, prior: str) -> None:
    pspec = PRIOR_SPECS[prior]
    group, spec = _make(family, None if pspec is None else build_prior(pspec))
    raw = _randomise(group, spec)
    expected = reference.kl_divergence(spec, raw, pspec or IIDGaussianPriorSpec())
    assert group.kl_divergence().item() == pytest.approx(expected, rel=1e-10)
    assert group.distribution_loss().item() == pytest.approx(expected, rel=1e-10)  # analytic: no Monte Carlo


@pytest.mark.parametrize("family", GAUSSIANS)
def test_kl_is_zero_against_itself(family: str) -> None:
    group, spec = _make(family)
    raw = _randomise(group, spec)
    mean, cov = reference.moments(spec, raw)
    group.prior = GaussianPrior(torch.as_tensor(mean), covariance_matrix=torch.as_tensor(cov))
    assert abs(group.kl_divergence().item()) < 1e-10


def test_iid_kl_against_laplace_is_analytic_and_matches_numerical_integration() -> None:
    group = IIDGaussianGroup("g", 2, LaplacePrior(0.1, 0.5)).double()
    with torch.no_grad():
        group.mean.copy_(torch.tensor([0.3, -1.0]))
        group.log_std.copy_(torch.tensor([-0.2, 0.4]))
    # KL = sum_i int q_i (log q_i - log p_i), by the trapezoid rule on a fine grid
    expected = 0.0
    for m, s in zip([0.3, -1.0], np.exp([-0.2, 0.4])):
        t = np.linspace(m - 12 * s, m + 12 * s, 400_001)
        q = np.exp(-0.5 * ((t - m) / s) ** 2) / (s * np.sqrt(2 * np.pi))
        log_p = -np.log(2 * 0.5) - np.abs(t - 0.1) / 0.5
        expected += np.trapezoid(q * (np.log(q) - log_p), t)
    assert group.kl_divergence().item() == pytest.approx(expected, rel=1e-7)


@pytest.mark.parametrize("family", ["gaussian", "low_rank"])
def test_laplace_prior_uses_monte_carlo_with_kl_num_mc_samples(family: str) -> None:
    cls = GaussianGroup if family == "gaussian" else LowRankGaussianGroup
    args = (2,) if family == "low_rank" else ()
    group = cls("g", D, *args, LaplacePrior(0.0, 0.5), kl_num_mc_samples=11)  # type: ignore[operator]
    spec = group.spec
    raw = _randomise(group, spec)
    torch.manual_seed(3)
    loss = group.distribution_loss().item()
    torch.manual_seed(3)
    if family == "low_rank":
        noise = torch.cat([torch.randn(11, 2, dtype=torch.float64), torch.randn(11, D, dtype=torch.float64)], 1)
    else:
        noise = torch.randn(11, D, dtype=torch.float64)
    z = reference.sample_transform(spec, raw, noise.numpy())
    expected = np.mean(reference.log_prob(spec, raw, z) - reference.prior_log_prob(LaplacePriorSpec(0.0, 0.5), z))
    assert loss == pytest.approx(expected, rel=1e-10)


def test_deterministic_group_accepts_a_prior_and_its_loss_is_the_negative_log_prior() -> None:
    prior_spec = LaplacePriorSpec(0.2, 0.7)
    group = DeterministicGroup("w", 3, prior=build_prior(prior_spec)).double()
    theta = group.params.detach().numpy()[None]
    assert group.distribution_loss().item() == pytest.approx(-reference.prior_log_prob(prior_spec, theta)[0])
    assert group.sample_parameters(4).shape == (4, 3)


def test_initial_values() -> None:
    torch.manual_seed(0)
    iid = IIDGaussianGroup("a", 3)
    assert torch.equal(iid.log_std, torch.full((3,), -0.5))
    torch.testing.assert_close(iid.std, torch.full((3,), float(np.exp(-0.5))))
    full = GaussianGroup("b", 3, init_scale_diag=0.3)
    torch.testing.assert_close(full.scale_tril, torch.eye(3) * 0.3)
    assert torch.equal(full.mean, torch.zeros(3))
    low = LowRankGaussianGroup("c", 5, 2, init_scale_diag=0.2)
    torch.testing.assert_close(low.cov_diag, torch.full((5,), 0.2))
    assert low.cov_factor.shape == (5, 2)
    assert isinstance(iid.prior, IIDGaussianPrior) and iid.prior.spec.std == 1.0


def test_state_dict_keys_are_pypolymix_keys() -> None:
    assert list(DeterministicGroup("a", 2).state_dict()) == ["params"]
    assert list(IIDGaussianGroup("a", 2).state_dict()) == ["mean", "log_std"]
    assert list(GaussianGroup("a", 2).state_dict()) == ["mean", "raw_tril"]
    assert list(LowRankGaussianGroup("a", 2, 1).state_dict()) == ["mean", "cov_factor", "raw_cov_diag"]
    assert list(GaussianGroup("a", 2, GaussianPrior(torch.zeros(2), scale_tril=torch.eye(2))).state_dict()) == [
        "mean", "raw_tril"]  # fmt: skip


def test_gaussian_packing_order() -> None:
    group = GaussianGroup("g", 3, jitter=1e-6).double()
    with torch.no_grad():
        group.raw_tril.copy_(torch.arange(6, dtype=torch.float64))
    L = group.scale_tril
    # row-major lower triangle: (0,0), (1,0), (1,1), (2,0), (2,1), (2,2)
    assert (L[1, 0].item(), L[2, 0].item(), L[2, 1].item()) == (1.0, 3.0, 4.0)
    sp = torch.nn.functional.softplus(torch.tensor([0.0, 2.0, 5.0], dtype=torch.float64)) + 1e-6
    torch.testing.assert_close(L.diagonal(), sp)
    assert L[0, 1].item() == L[0, 2].item() == L[1, 2].item() == 0.0


@pytest.mark.parametrize(
    ("prior", "spec"),
    [
        (IIDGaussianPrior(0.5, 2.0), IIDGaussianPriorSpec(0.5, 2.0)),
        (LaplacePrior(-0.1, 0.3), LaplacePriorSpec(-0.1, 0.3)),
        (
            GaussianPrior(torch.ones(3), covariance_matrix=torch.eye(3) * 2),
            GaussianPriorSpec(np.ones(3), np.eye(3) * 2),
        ),
    ],
)
def test_prior_log_prob_matches_reference(prior: object, spec: object) -> None:
    theta = RNG.normal(size=(4, 3))
    out = prior.log_prob(torch.as_tensor(theta))  # type: ignore[attr-defined]
    assert out.dtype == torch.float64
    np.testing.assert_allclose(out.numpy(), reference.prior_log_prob(spec, theta), rtol=1e-6)


def test_prior_buffers_are_not_in_the_state_dict_but_follow_double() -> None:
    group = IIDGaussianGroup("g", 2, IIDGaussianPrior(0.0, torch.tensor([1.0, 2.0])))
    assert "prior._std_buf" not in group.state_dict()
    group.double()
    assert group.prior._std_buf.dtype == torch.float64
    assert group.distribution_loss().dtype == torch.float64
