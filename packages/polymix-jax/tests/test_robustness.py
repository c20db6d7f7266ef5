"""polymix-jax under hostile conditions: untrusted checkpoints, rejected calls, keys, extreme values.

Fault classes (the torch-only basis cache has no jax counterpart: jax arrays are immutable and
the basis is recomputed inside every traced computation):

1. ``TestHostileCheckpoints``: every file of the hostile corpus loads or raises a ``PolymixError``,
   within a second and 100 MB.
2. ``TestRejectedCalls``: every argument is checked before any sampling; keys are checked for
   being one key (a batch of keys or a raw array of the wrong shape is refused); arrays given to
   priors are copied.
3. ``TestExtremeValues``: KLs and log-determinants stay finite and exact at extreme raw values;
   impossible allocations raise ``ResourceLimitError``.
"""

from __future__ import annotations

import math
from pathlib import Path

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from polymix_core import CheckpointError, PolymixTypeError, PolymixValueError, ResourceLimitError
from polymix_core.testing import assert_hostile_files_handled, memory_growth_kib
from polymix_jax import StochasticModel, load_checkpoint, parameter_groups, priors, surrogate_models


class TestHostileCheckpoints:
    def test_every_file_loads_or_raises_the_family_within_a_second(self, tmp_path: Path) -> None:
        assert_hostile_files_handled(load_checkpoint, tmp_path)

    def test_memory_stays_below_100_mb(self, tmp_path: Path) -> None:
        assert memory_growth_kib("polymix_jax:load_checkpoint", tmp_path) < 100 * 1024

    def test_pickles_are_refused_with_a_message(self, tmp_path: Path) -> None:
        (tmp_path / "m.pkl").write_bytes(b"\x80\x04\x95" + b"\0" * 32)
        with pytest.raises(CheckpointError, match="never unpickles"):
            load_checkpoint(tmp_path / "m.pkl")


def _model() -> StochasticModel:
    k1, k2 = jax.random.split(jax.random.key(0))
    pce = surrogate_models.PolynomialChaosExpansion(2, 1, 2)  # 6 terms
    score = surrogate_models.NeuralNetwork(3, 3, width=4)
    langevin = parameter_groups.LangevinGroup("l", 3, score_model=score, num_diffusion_steps=3, key=k1)
    return StochasticModel(pce, [langevin, parameter_groups.IIDGaussianGroup("a", 3, key=k2)])


class TestRejectedCalls:
    @pytest.mark.parametrize(
        ("call", "error"),
        [
            (lambda m, k: m(jnp.zeros((3, 5)), 2, key=k), PolymixValueError),
            (lambda m, k: m(jnp.zeros(3), 2, key=k), PolymixValueError),
            (lambda m, k: m(jnp.zeros((3, 2)), 0, key=k), PolymixValueError),
            (lambda m, k: m(jnp.zeros((3, 2)), 2.0, key=k), PolymixTypeError),
            (lambda m, k: m(jnp.zeros((3, 2)), 10**9, key=k), ResourceLimitError),
            (lambda m, k: m.sample_parameters(10**12, key=k), ResourceLimitError),
            (lambda m, k: m(jnp.zeros((3, 2)), 2, key=jax.random.split(k, 2)), PolymixTypeError),
            (lambda m, k: m(jnp.zeros((3, 2)), 2, key=jnp.zeros(4, jnp.uint32)), PolymixTypeError),
            (lambda m, k: m(np.array([["a", "b"]]), 2, key=k), PolymixTypeError),
        ],
    )
    def test_calls_are_checked_before_any_sampling(self, call, error) -> None:
        model = _model()
        leaves = [np.array(a) for a in jax.tree_util.tree_leaves(eqx.filter(model, eqx.is_array))]
        with pytest.raises(error):
            call(model, jax.random.key(1))
        after = [np.array(a) for a in jax.tree_util.tree_leaves(eqx.filter(model, eqx.is_array))]
        assert all(np.array_equal(a, b) for a, b in zip(leaves, after))  # modules are immutable; stated anyway

    def test_every_group_accepts_a_key(self) -> None:
        k = jax.random.key(0)
        for group in (
            parameter_groups.GaussianGroup("g", 2, key=k),
            parameter_groups.IIDGaussianGroup("i", 2, key=k),
            parameter_groups.LowRankGaussianGroup("l", 2, 1, key=k),
            parameter_groups.DeterministicGroup("d", 2, key=k),
        ):
            assert group.num_params == 2
        with pytest.raises(PolymixTypeError, match="batch of keys"):
            parameter_groups.GaussianGroup("g", 2, key=jax.random.split(k, 3))

    def test_prior_arrays_are_copied(self) -> None:
        mean, std = np.zeros(3), np.ones(3)
        cov = np.eye(3)
        iid = priors.IIDGaussianPrior(mean, std)
        gauss = priors.GaussianPrior(mean, covariance_matrix=cov)
        std[:] = -1.0
        cov[:] = 0.0
        mean[:] = 5.0
        assert iid.spec.std.tolist() == [1.0, 1.0, 1.0] and iid.spec.mean.tolist() == [0.0, 0.0, 0.0]
        assert np.array_equal(gauss.spec.covariance(3), np.eye(3))


def _iid_kl_exact(mean: float, log_std: float, d: int) -> float:
    return 0.5 * d * (math.exp(2 * log_std) + mean**2 - 1 - 2 * log_std)


class TestExtremeValues:
    @pytest.mark.parametrize("log_std", [-60.0, -20.0, 0.0, 20.0, 40.0])
    def test_iid_kl_in_float32_matches_the_exact_value(self, log_std: float) -> None:
        group = parameter_groups.IIDGaussianGroup("g", 3, key=jax.random.key(0))
        group = group.with_raw_parameters({"mean": np.full(3, 0.5), "log_std": np.full(3, log_std)})
        kl = float(group.distribution_loss())
        assert kl == pytest.approx(_iid_kl_exact(0.5, log_std, 3), rel=1e-5)
        grad = jax.grad(lambda g: g.distribution_loss())(group).log_std
        np.testing.assert_allclose(np.asarray(grad), np.full(3, math.exp(2 * log_std) - 1), rtol=1e-5, atol=1e-5)

    def test_iid_kl_overflow_is_inf_not_nan(self) -> None:
        group = parameter_groups.IIDGaussianGroup("g", 2, key=jax.random.key(0))
        group = group.with_raw_parameters({"mean": np.zeros(2), "log_std": np.full(2, 100.0)})
        assert float(group.distribution_loss()) == math.inf

    def test_iid_laplace_kl_at_extremes_matches_float64(self) -> None:
        prior = priors.LaplacePrior(0.1, 0.5)
        for log_std in (-60.0, -10.0, 5.0):
            raw = {"mean": np.full(2, 0.3), "log_std": np.full(2, log_std)}
            g32 = parameter_groups.IIDGaussianGroup("g", 2, prior, key=jax.random.key(0)).with_raw_parameters(raw)
            kl32 = float(g32.distribution_loss())
            with jax.enable_x64(True):
                g64 = parameter_groups.IIDGaussianGroup("g", 2, prior, key=jax.random.key(0)).with_raw_parameters(raw)
                kl64 = float(g64.distribution_loss())
            assert math.isfinite(kl32) and kl32 == pytest.approx(kl64, rel=1e-5)

    def test_low_rank_with_large_factors_in_float32(self) -> None:
        rng = np.random.default_rng(0)
        raw = {"mean": np.zeros(40), "cov_factor": rng.normal(size=(40, 4)) * 1e3, "raw_cov_diag": np.full(40, -30.0)}
        group = parameter_groups.LowRankGaussianGroup("u", 40, 4, key=jax.random.key(0)).with_raw_parameters(raw)
        kl32 = float(group.distribution_loss())
        _, _, logdet = group._gaussian_parts()
        diag = np.logaddexp(0.0, raw["raw_cov_diag"]) + 1e-6
        cov = raw["cov_factor"] @ raw["cov_factor"].T + np.diag(diag)
        assert float(logdet) == pytest.approx(np.linalg.slogdet(cov)[1], rel=1e-4)
        with jax.enable_x64(True):
            g64 = parameter_groups.LowRankGaussianGroup("u", 40, 4, key=jax.random.key(0)).with_raw_parameters(raw)
            kl64 = float(g64.distribution_loss())
        assert math.isfinite(kl32) and kl32 == pytest.approx(kl64, rel=1e-4)

    def test_near_singular_gaussian_prior_in_float32(self) -> None:
        a = np.random.default_rng(3).normal(size=(6, 6))
        prior = priors.GaussianPrior(np.zeros(6), covariance_matrix=a @ a.T + 1e-7 * np.eye(6))
        kl32 = float(parameter_groups.GaussianGroup("g", 6, prior).distribution_loss())
        with jax.enable_x64(True):
            kl64 = float(parameter_groups.GaussianGroup("g", 6, prior).distribution_loss())
        assert math.isfinite(kl32) and kl32 == pytest.approx(kl64, rel=1e-3)

    def test_impossible_allocation_names_the_arrays(self) -> None:
        net = surrogate_models.NeuralNetwork(2, 1, width=16)
        model = StochasticModel(net, parameter_groups.IIDGaussianGroup("w", 65, key=jax.random.key(0)))
        with pytest.raises(
            ResourceLimitError, match=r"num_samples=1000000000.*hidden activations.*1000000000 x 32 x 16"
        ):
            model(jnp.zeros((32, 2)), 10**9, key=jax.random.key(1))
        with pytest.raises(ResourceLimitError):  # the check runs at trace time under jit too
            eqx.filter_jit(lambda m, x, k: m(x, 10**9, key=k))(model, jnp.zeros((32, 2)), jax.random.key(1))
