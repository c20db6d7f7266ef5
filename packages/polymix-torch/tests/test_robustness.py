"""polymix-torch under hostile conditions: aliasing, untrusted checkpoints, rejected calls, extreme values.

One test class per fault class; each would have caught the fault it names:

1. ``TestBasisCache``: a forward never returns anything but the uncached result, for every way
   of mutating the input's memory and under tracing, compilation and transforms.
2. ``TestHostileCheckpoints``: every file of the hostile corpus loads or raises a ``PolymixError``,
   within a second and 100 MB.
3. ``TestRejectedCalls``: a rejected call leaves raw parameters, particles and the RNG bit-identical.
4. ``TestExtremeValues``: KLs and log-determinants stay finite and exact at extreme raw values;
   factorisations that fail raise ``NumericalError``; impossible allocations ``ResourceLimitError``.
"""

from __future__ import annotations

import copy
import gc
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from polymix_core import (
    CheckpointError,
    ConfigurationError,
    PolymixError,
    PolymixTypeError,
    PolymixValueError,
    ResourceLimitError,
    ShapeError,
)
from polymix_core.testing import assert_hostile_files_handled, memory_growth_kib
from polymix_torch import StochasticModel, load_checkpoint, save_checkpoint
from polymix_torch.parameter_groups import (
    DeterministicGroup,
    GaussianGroup,
    IIDGaussianGroup,
    LangevinGroup,
    LowRankGaussianGroup,
)
from polymix_torch.priors import GaussianPrior, IIDGaussianPrior, LaplacePrior
from polymix_torch.surrogate_models import GatingNetwork, MixtureOfExperts, NeuralNetwork, PolynomialChaosExpansion

# ---------------------------------------------------------------------------------------- 1. cache


def _uncached(pce: PolynomialChaosExpansion, x: torch.Tensor, params: torch.Tensor) -> torch.Tensor:
    """The same module's code on a copy of ``x``, from an empty cache (a deep copy starts without one)."""
    fresh = copy.deepcopy(pce)
    assert fresh._basis_cache is None
    return fresh(x.clone(), params)


def _pce_and_params() -> tuple[PolynomialChaosExpansion, torch.Tensor]:
    pce = PolynomialChaosExpansion(num_inputs=1, num_outputs=1, degree=3)
    return pce, torch.randn(2, pce.num_params(), generator=torch.Generator().manual_seed(0))


class TestBasisCache:
    def test_numpy_buffer_reused_for_the_next_batch(self) -> None:
        pce, params = _pce_and_params()
        buf = np.array([[-1.0], [0.0], [1.0]], np.float32)
        x = torch.from_numpy(buf)
        y1 = pce(x, params)
        buf[:] = 0.5  # torch does not see this write
        y2 = pce(x, params)
        assert not torch.equal(y1, y2)
        torch.testing.assert_close(y2, _uncached(pce, x, params), rtol=0, atol=0)
        y3 = pce(torch.as_tensor(buf), params)  # a new tensor over the same buffer
        torch.testing.assert_close(y3, y2, rtol=0, atol=0)

    @pytest.mark.parametrize(
        "mutate",
        [
            lambda x: x.numpy().__setitem__((0, 0), 0.25),
            lambda x: x.data.mul_(0.5),
            lambda x: x.data.__setitem__(1, 0.125),
            lambda x: torch.empty(0).set_(x.untyped_storage()).fill_(0.75),
            lambda x: np.from_dlpack(x).__iadd__(0.1) if np.from_dlpack(x).flags.writeable else x.data.add_(0.1),
            lambda x: torch.utils.dlpack.from_dlpack(x).sub_(0.3),
        ],
        ids=["numpy-view", "data-inplace", "data-setitem", "storage-alias", "numpy-dlpack", "torch-dlpack"],
    )
    def test_writes_torch_does_not_count(self, mutate: Any) -> None:
        pce, params = _pce_and_params()
        x = torch.linspace(-1, 1, 5).unsqueeze(-1)
        before = pce(x, params)
        mutate(x)
        after = pce(x, params)
        torch.testing.assert_close(after, _uncached(pce, x, params), rtol=0, atol=0)
        assert not torch.equal(before, after)

    def test_mixture_of_pce_experts(self) -> None:
        moe = MixtureOfExperts(
            [PolynomialChaosExpansion(1, 1, 2), PolynomialChaosExpansion(1, 1, 2)], GatingNetwork(1, 2)
        )
        params = torch.randn(3, moe.num_params(), generator=torch.Generator().manual_seed(1))
        buf = np.linspace(-1, 1, 4, dtype=np.float32)[:, None]
        x = torch.from_numpy(buf)
        moe(x, params)
        buf *= 0.5
        fresh = MixtureOfExperts(
            [PolynomialChaosExpansion(1, 1, 2), PolynomialChaosExpansion(1, 1, 2)], GatingNetwork(1, 2)
        )
        torch.testing.assert_close(moe(x, params), fresh(x.clone(), params), rtol=0, atol=0)

    # torch.jit.trace is deprecated, and warns where the argument checks read sizes as Python values
    @pytest.mark.filterwarnings("ignore:`torch.jit.*` is deprecated:DeprecationWarning")
    @pytest.mark.filterwarnings("ignore::torch.jit.TracerWarning")
    def test_jit_trace_after_an_eager_call_does_not_freeze_the_basis(self) -> None:
        pce, params = _pce_and_params()
        x_old, x_new = torch.zeros(4, 1), torch.linspace(-1, 1, 4).unsqueeze(-1)
        pce(x_old, params)  # fills the cache
        traced = torch.jit.trace(pce, (x_old, params), check_trace=False)
        torch.testing.assert_close(traced(x_new, params), _uncached(pce, x_new, params))

    # torch's forward-mode AD loads decompositions written with the deprecated torch.jit.script
    @pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated:DeprecationWarning")
    def test_compile_and_transforms_see_the_current_input(self) -> None:
        pce, params = _pce_and_params()
        x = torch.linspace(-1, 1, 4).unsqueeze(-1)
        pce(x, params)
        x2 = x * 0.5
        compiled = torch.compile(pce, backend="aot_eager", fullgraph=True)
        torch.testing.assert_close(compiled(x2, params), _uncached(pce, x2, params))
        grad_x = torch.func.grad(lambda z: pce(z, params).sum())(x)
        z = x.clone().requires_grad_()
        (ref,) = torch.autograd.grad(copy.deepcopy(pce)(z, params).sum(), z)
        torch.testing.assert_close(grad_x, ref)
        _, tangent = torch.func.jvp(lambda z: pce(z, params), (x,), (torch.ones_like(x),))
        fresh = copy.deepcopy(pce)
        _, ref_tangent = torch.func.jvp(lambda z: fresh(z, params), (x,), (torch.ones_like(x),))
        torch.testing.assert_close(tangent, ref_tangent)
        with torch.autograd.forward_ad.dual_level():
            dual = torch.autograd.forward_ad.make_dual(x, torch.ones_like(x))
            fwd = torch.autograd.forward_ad.unpack_dual(pce(dual, params)).tangent
        torch.testing.assert_close(fwd, ref_tangent)

    def test_cache_is_released_with_its_input(self) -> None:
        pce, params = _pce_and_params()
        x = torch.rand(1000, 1)
        pce(x, params)
        assert pce._basis_cache is not None
        del x
        gc.collect()
        assert pce._basis_cache is None

    def test_cache_still_hits_for_fixed_data(self) -> None:
        pce, params = _pce_and_params()
        x = torch.rand(50, 1)
        pce(x, params)
        entry = pce._basis_cache
        pce(x, params)
        pce(x.clone(), params)  # equal values: reused
        assert pce._basis_cache is entry


# ------------------------------------------------------------------------------------ 2. checkpoints


class TestHostileCheckpoints:
    def test_every_file_loads_or_raises_the_family_within_a_second(self, tmp_path: Path) -> None:
        assert_hostile_files_handled(load_checkpoint, tmp_path)

    def test_memory_stays_below_100_mb(self, tmp_path: Path) -> None:
        assert memory_growth_kib("polymix_torch:load_checkpoint", tmp_path) < 100 * 1024

    def test_torch_save_file_names_what_to_call(self, tmp_path: Path) -> None:
        model = StochasticModel(NeuralNetwork(1, 1, width=2), IIDGaussianGroup("w", 7))
        torch.save(model.state_dict(), tmp_path / "m.pt")
        with pytest.raises(CheckpointError, match=r"torch\.load\(path, weights_only=True\)"):
            load_checkpoint(tmp_path / "m.pt")

    def test_bad_dtype_argument_is_rejected_before_reading(self, tmp_path: Path) -> None:
        with pytest.raises(PolymixTypeError, match="dtype"):
            load_checkpoint(tmp_path / "does-not-exist.npz", dtype=torch.int64)


# --------------------------------------------------------------------------------- 3. rejected calls


def _snapshot(model: torch.nn.Module) -> dict[str, Any]:
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    particles = [g._last_samples for g in model.modules() if isinstance(g, LangevinGroup)]
    return {
        "state": state,
        "particles": [None if p is None else p.clone() for p in particles],
        "rng": torch.random.get_rng_state(),
    }


def _assert_unchanged(model: torch.nn.Module, before: dict[str, Any]) -> None:
    after = _snapshot(model)
    assert after["state"].keys() == before["state"].keys()
    for k in before["state"]:
        assert torch.equal(after["state"][k], before["state"][k]), k
    for p, q in zip(before["particles"], after["particles"]):
        assert (p is None and q is None) or torch.equal(p, q)
    assert torch.equal(after["rng"], before["rng"])


def _model_with_langevin() -> StochasticModel:
    torch.manual_seed(0)
    pce = PolynomialChaosExpansion(2, 1, 2)  # 6 terms
    group = LangevinGroup("l", 3, score_model=NeuralNetwork(3, 3, width=4), num_diffusion_steps=3)
    model = StochasticModel(pce, [group, IIDGaussianGroup("a", 3)])
    model(torch.zeros(2, 2), 2)  # particles exist
    return model


class TestRejectedCalls:
    @pytest.mark.parametrize(
        ("call", "error"),
        [
            (lambda m: m(torch.zeros(3, 2, dtype=torch.float64), 2), PolymixTypeError),
            (lambda m: m(torch.zeros(3, 2, device="meta"), 2), PolymixTypeError),
            (lambda m: m(torch.zeros(3, 5), 2), ShapeError),
            (lambda m: m(torch.zeros(3), 2), ShapeError),
            (lambda m: m(torch.zeros(3, 2, dtype=torch.long), 2), PolymixTypeError),
            (lambda m: m(torch.zeros(3, 2), 0), PolymixValueError),
            (lambda m: m(torch.zeros(3, 2), 2.0), PolymixTypeError),
            (lambda m: m(torch.zeros(3, 2), 10**9), ResourceLimitError),
            (lambda m: m.sample_parameters(10**12), ResourceLimitError),
            (lambda m: m.sample_parameters(-1), PolymixValueError),
        ],
    )
    def test_forward_and_sampling(self, call: Any, error: type[Exception]) -> None:
        model = _model_with_langevin()
        before = _snapshot(model)
        with pytest.raises(error):
            call(model)
        _assert_unchanged(model, before)

    def test_load_state_dict_is_all_or_nothing(self) -> None:
        model = _model_with_langevin()
        before = _snapshot(model)
        bad = {k: torch.full_like(v, 7.0) if v.is_floating_point() else v for k, v in model.state_dict().items()}
        bad["parameter_groups.1.log_std"] = torch.zeros(4)  # one wrong shape, after good entries
        with pytest.raises(ShapeError, match=r"parameter_groups.1.log_std.*\(3,\).*\(4,\)"):
            model.load_state_dict(bad)
        _assert_unchanged(model, before)
        del bad["parameter_groups.1.log_std"]
        with pytest.raises(PolymixValueError, match="missing"):
            model.load_state_dict(bad)
        _assert_unchanged(model, before)

    def test_checkpoint_loading_into_a_model_checks_everything_first(self) -> None:
        from polymix_torch._from_spec import load_raw

        model = _model_with_langevin()
        before = _snapshot(model)
        arrays = {k: np.ones(tuple(v.shape)) for k, v in model.state_dict().items()}
        arrays["parameter_groups.1.mean"] = np.ones(5)
        with pytest.raises(ShapeError):
            load_raw(model, arrays)
        _assert_unchanged(model, before)

    def test_prior_arrays_are_copied(self) -> None:
        std = torch.ones(3)
        mean = np.zeros(3)
        prior = IIDGaussianPrior(torch.as_tensor(mean), std)
        cov = torch.eye(3)
        gauss = GaussianPrior(torch.zeros(3), covariance_matrix=cov)
        std.fill_(-1.0)  # would be an invalid prior now
        mean[:] = 5.0
        cov.fill_(0.0)
        group = IIDGaussianGroup("g", 3, prior=prior)
        torch.testing.assert_close(
            group.distribution_loss(), IIDGaussianGroup("h", 3).distribution_loss() * 0 + group.distribution_loss()
        )
        assert torch.equal(prior._std_buf, torch.ones(3)) and torch.equal(
            prior._mean_buf, torch.zeros(3, dtype=torch.float64)
        )
        assert np.array_equal(gauss.spec.covariance(3), np.eye(3))


# ------------------------------------------------------------------------------------ 4. numerics


def _iid_kl_exact(mean: float, log_std: float, d: int) -> float:
    """Closed form against N(0, 1), in float64 from log_std directly."""
    return 0.5 * d * (math.exp(2 * log_std) + mean**2 - 1 - 2 * log_std)


class TestExtremeValues:
    @pytest.mark.parametrize("log_std", [-60.0, -20.0, 0.0, 20.0, 40.0])
    def test_iid_kl_in_float32_matches_the_exact_value(self, log_std: float) -> None:
        group = IIDGaussianGroup("g", 3)
        with torch.no_grad():
            group.mean.fill_(0.5)
            group.log_std.fill_(log_std)
        kl = group.distribution_loss()
        exact = _iid_kl_exact(0.5, log_std, 3)
        if math.isfinite(exact) and exact < 3e38:
            assert math.isfinite(float(kl.detach()))
            assert float(kl.detach()) == pytest.approx(exact, rel=1e-5)
            kl.backward()
            assert torch.isfinite(group.log_std.grad).all()
            expected_grad = math.exp(2 * log_std) - 1  # d KL / d log_std per parameter
            torch.testing.assert_close(group.log_std.grad, torch.full((3,), expected_grad), rtol=1e-5, atol=1e-5)

    def test_iid_kl_overflow_is_inf_not_nan(self) -> None:
        group = IIDGaussianGroup("g", 2)
        with torch.no_grad():
            group.log_std.fill_(100.0)
        assert float(group.distribution_loss().detach()) == math.inf

    def test_iid_laplace_kl_at_extremes_matches_float64(self) -> None:
        for log_std in (-60.0, -10.0, 5.0):
            groups = [IIDGaussianGroup("g", 2, prior=LaplacePrior(0.1, 0.5)) for _ in range(2)]
            groups[1] = groups[1].double()
            for g in groups:
                with torch.no_grad():
                    g.mean.fill_(0.3)
                    g.log_std.fill_(log_std)
            kl32, kl64 = float(groups[0].distribution_loss().detach()), float(groups[1].distribution_loss().detach())
            assert math.isfinite(kl32) and kl32 == pytest.approx(kl64, rel=1e-5)

    def test_low_rank_with_large_factors_in_float32(self) -> None:
        torch.manual_seed(0)
        g32 = LowRankGaussianGroup("u", 40, rank=4)
        with torch.no_grad():
            g32.cov_factor.copy_(torch.randn(40, 4) * 1e3)
            g32.raw_cov_diag.fill_(-30.0)  # diagonal ~ jitter
        g64 = copy.deepcopy(g32).double()
        kl32, kl64 = float(g32.distribution_loss().detach()), float(g64.distribution_loss().detach())
        assert math.isfinite(kl32) and kl32 == pytest.approx(kl64, rel=1e-4)
        # the logdet against a dense float64 evaluation
        cov = g64.cov_factor @ g64.cov_factor.T + torch.diag(g64.cov_diag)
        _, _, logdet = g32._gaussian_parts()
        assert float(logdet.detach()) == pytest.approx(float(torch.linalg.slogdet(cov.detach()).logabsdet), rel=1e-4)
        try:
            g32.variational_distribution()
        except PolymixError as err:  # either works or says what to do
            assert "float64" in str(err)

    def test_near_singular_gaussian_prior_in_float32(self) -> None:
        d = 6
        a = torch.randn(d, d, dtype=torch.float64, generator=torch.Generator().manual_seed(3))
        cov = a @ a.T + 1e-7 * torch.eye(d, dtype=torch.float64)  # positive definite in float64 only just
        prior = GaussianPrior(torch.zeros(d, dtype=torch.float64), covariance_matrix=cov)
        group = GaussianGroup("g", d, prior=prior)  # float32 parameters
        kl32 = float(group.distribution_loss().detach())
        kl64 = float(copy.deepcopy(group).double().distribution_loss().detach())
        assert math.isfinite(kl32) and kl32 == pytest.approx(kl64, rel=1e-3)

    def test_impossible_allocation_names_the_arrays(self) -> None:
        model = StochasticModel(NeuralNetwork(2, 1, width=16), IIDGaussianGroup("w", 65))
        with pytest.raises(
            ResourceLimitError, match=r"num_samples=1000000000.*hidden activations.* 1000000000 x 32 x 16"
        ):
            model(torch.zeros(32, 2), 10**9)
        with pytest.raises(ResourceLimitError, match="hidden activations"):
            NeuralNetwork(2, 1, width=1 << 20)  # fine to build
            StochasticModel(NeuralNetwork(2, 1, width=1 << 20), DeterministicGroup("w", (1 << 20) * 4 + 1))(
                torch.zeros(100_000, 2), 1
            )

    def test_checkpoint_round_trip_of_every_family_after_the_changes(self, tmp_path: Path) -> None:
        model = StochasticModel(
            PolynomialChaosExpansion(2, 1, 2),
            [
                IIDGaussianGroup("a", 2, prior=LaplacePrior(0.0, 0.3)),
                GaussianGroup("b", 2, prior=GaussianPrior(torch.zeros(2), covariance_matrix=torch.eye(2) * 2)),
                LowRankGaussianGroup("c", 2, rank=1),
            ],
        )
        save_checkpoint(model, tmp_path / "m.npz")
        loaded = load_checkpoint(tmp_path / "m.npz")
        for k, v in model.state_dict().items():
            torch.testing.assert_close(loaded.state_dict()[k], v)
        torch.manual_seed(0)
        a = loaded.distribution_loss()
        torch.manual_seed(0)
        torch.testing.assert_close(a, model.distribution_loss())


def test_custom_activation_refused_before_writing(tmp_path: Path) -> None:
    model = StochasticModel(NeuralNetwork(1, 1, width=2, activation=lambda t: F.relu(t) * 2), IIDGaussianGroup("w", 7))
    with pytest.raises(ConfigurationError):
        save_checkpoint(model, tmp_path / "m.npz")
    assert not (tmp_path / "m.npz").exists()
