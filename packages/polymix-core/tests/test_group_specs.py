"""Group specs: raw shapes, packing order, initial values and validation."""

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from polymix_core import (
    ConfigurationError,
    DeterministicGroupSpec,
    GaussianGroupSpec,
    IIDGaussianGroupSpec,
    LangevinGroupSpec,
    LowRankGaussianGroupSpec,
    MLPSpec,
    PCESpec,
    PolymixTypeError,
    PolymixValueError,
    check_group_total,
    group_spec_from_dict,
    tril_indices,
)


def softplus(x):
    return np.log1p(np.exp(x))


def lang(d=3, mode="score", **kw):
    out = d if mode == "score" else 1
    base = dict(mode=mode, surrogate_num_inputs=d, surrogate_num_outputs=out, surrogate_num_params=7)
    base.update(kw)
    return LangevinGroupSpec(d, **base)


def test_tril_packing_order_is_row_major_lower_triangle():
    rows, cols = tril_indices(4)
    assert list(zip(rows.tolist(), cols.tolist())) == [
        (0, 0),
        (1, 0),
        (1, 1),
        (2, 0),
        (2, 1),
        (2, 2),
        (3, 0),
        (3, 1),
        (3, 2),
        (3, 3),
    ]
    assert rows.dtype == np.int64 and cols.dtype == np.int64


@given(d=st.integers(1, 30))
@settings(max_examples=30, deadline=None)
def test_tril_order_matches_oracle_and_diag_positions(d):
    oracle = [(i, j) for i in range(d) for j in range(i + 1)]
    rows, cols = tril_indices(d)
    assert list(zip(rows.tolist(), cols.tolist())) == oracle
    spec = GaussianGroupSpec(d)
    assert spec.num_tril == d * (d + 1) // 2 == len(oracle)
    assert spec.diag_positions.tolist() == [oracle.index((i, i)) for i in range(d)]
    assert spec.offdiag_mask.tolist() == [i != j for i, j in oracle]


@pytest.mark.parametrize(
    ("spec", "shapes", "noise"),
    [
        (DeterministicGroupSpec(3), {"params": (3,)}, (0,)),
        (IIDGaussianGroupSpec(4), {"mean": (4,), "log_std": (4,)}, (4,)),
        (GaussianGroupSpec(3), {"mean": (3,), "raw_tril": (6,)}, (3,)),
        (LowRankGaussianGroupSpec(8, rank=3), {"mean": (8,), "cov_factor": (8, 3), "raw_cov_diag": (8,)}, (11,)),
        (lang(6, num_diffusion_steps=5), {"surrogate_params": (7,)}, (6, 6)),
    ],
    ids=["deterministic", "iid", "gaussian", "low-rank", "langevin"],
)
def test_raw_shapes_in_state_dict_order_and_noise_shape(spec, shapes, noise):
    assert spec.raw_shapes == shapes
    assert list(spec.raw_shapes) == list(shapes)  # order matters: state_dict order
    assert spec.noise_shape == noise
    assert list(spec.initial) == list(shapes)
    for name, init in spec.initial.items():
        assert init.constant.shape == shapes[name]
        assert init.constant.dtype == np.float64
        assert init.noise_scale >= 0


def test_initial_values_deterministic_and_iid():
    init = DeterministicGroupSpec(3).initial["params"]
    assert init.constant.tolist() == [0.0, 0.0, 0.0] and init.noise_scale == 1.0
    iid = IIDGaussianGroupSpec(2).initial
    assert iid["mean"].constant.tolist() == [0.0, 0.0] and iid["mean"].noise_scale == 1.0
    assert iid["log_std"].constant.tolist() == [-0.5, -0.5] and iid["log_std"].noise_scale == 0.0


@pytest.mark.parametrize(("scale", "jitter"), [(0.1, 1e-6), (1.0, 1e-6), (2.5, 1e-3), (1e-4, 1e-8), (40.0, 1e-6)])
def test_gaussian_initial_diagonal_is_init_scale(scale, jitter):
    spec = GaussianGroupSpec(4, init_scale_diag=scale, jitter=jitter)
    init = spec.initial
    raw = init["raw_tril"].constant
    assert init["raw_tril"].noise_scale == 0.0 and init["mean"].noise_scale == 0.0
    np.testing.assert_array_equal(init["mean"].constant, np.zeros(4))
    # off-diagonal entries zero; softplus(raw) + jitter on the diagonal equals init_scale_diag
    assert np.all(raw[spec.offdiag_mask] == 0.0)
    np.testing.assert_allclose(softplus(raw[spec.diag_positions]) + jitter, scale, rtol=1e-12)


def test_low_rank_initial_values():
    spec = LowRankGaussianGroupSpec(5, rank=2, init_scale_diag=0.3, init_scale_factor=0.2, jitter=1e-5)
    init = spec.initial
    np.testing.assert_array_equal(init["mean"].constant, np.zeros(5))
    assert init["cov_factor"].constant.shape == (5, 2) and init["cov_factor"].noise_scale == 0.2
    np.testing.assert_allclose(softplus(init["raw_cov_diag"].constant) + 1e-5, 0.3, rtol=1e-12)


def test_langevin_initial_and_defaults():
    spec = lang(6)
    assert spec.initial["surrogate_params"].noise_scale == 0.01
    assert spec.initial["surrogate_params"].constant.tolist() == [0.0] * 7
    assert (spec.num_particles, spec.num_diffusion_steps, spec.step_size, spec.init_std) == (32, 50, 1e-3, 1.0)
    assert spec.noise_shape == (51, 6)
    assert lang(4, mode="energy").surrogate_num_outputs == 1


def test_families_and_defaults():
    assert [s.family for s in (DeterministicGroupSpec(1), IIDGaussianGroupSpec(1), GaussianGroupSpec(1))] == [
        "deterministic",
        "iid_gaussian",
        "gaussian",
    ]
    lr = LowRankGaussianGroupSpec(3)
    assert (lr.family, lr.rank, lr.init_scale_diag, lr.init_scale_factor, lr.jitter) == (
        "low_rank_gaussian",
        1,
        0.1,
        0.1,
        1e-6,
    )
    g = GaussianGroupSpec(2)
    assert (g.init_scale_diag, g.jitter, g.kl_num_mc_samples) == (0.1, 1e-6, 64)


@pytest.mark.parametrize(
    ("make", "exc", "fragments"),
    [
        (lambda: DeterministicGroupSpec(0), PolymixValueError, ["num_params", "positive integer", "received 0"]),
        (lambda: IIDGaussianGroupSpec(2.0), PolymixTypeError, ["num_params", "positive integer", "received 2.0"]),
        (
            lambda: IIDGaussianGroupSpec(2, kl_num_mc_samples=0),
            PolymixValueError,
            ["kl_num_mc_samples", "received 0"],
        ),
        (lambda: GaussianGroupSpec(2, jitter=0.0), PolymixValueError, ["jitter", "positive finite", "received 0.0"]),
        (lambda: GaussianGroupSpec(2, init_scale_diag=-1.0), PolymixValueError, ["init_scale_diag", "received -1.0"]),
        (lambda: GaussianGroupSpec(2, jitter=math.inf), PolymixValueError, ["jitter", "received inf"]),
        (lambda: GaussianGroupSpec(2, jitter=math.nan), PolymixValueError, ["jitter", "received nan"]),
        (
            lambda: LowRankGaussianGroupSpec(3, rank=4),
            ConfigurationError,
            ["rank: expected an integer in [1, num_params=3]", "received 4"],
        ),
        (lambda: LowRankGaussianGroupSpec(3, rank=0), PolymixValueError, ["rank", "positive integer", "received 0"]),
        (lambda: LowRankGaussianGroupSpec(3, init_scale_factor=0.0), PolymixValueError, ["init_scale_factor"]),
        (lambda: LowRankGaussianGroupSpec(3, jitter=-1e-6), PolymixValueError, ["jitter", "received -1e-06"]),
        (lambda: lang(3, step_size=0.0), PolymixValueError, ["step_size", "positive finite", "received 0.0"]),
        (lambda: lang(3, step_size=-1e-3), PolymixValueError, ["step_size", "received -0.001"]),
        (lambda: lang(3, init_std=0.0), PolymixValueError, ["init_std"]),
        (lambda: lang(3, num_particles=0), PolymixValueError, ["num_particles", "received 0"]),
        (lambda: lang(3, num_diffusion_steps=0), PolymixValueError, ["num_diffusion_steps", "received 0"]),
        (lambda: lang(3, mode="flow"), ConfigurationError, ["mode: expected 'score' or 'energy'", "'flow'"]),
        (
            lambda: lang(3, surrogate_num_inputs=4),
            ConfigurationError,
            ["score_model: expected num_inputs == num_params (3)", "received num_inputs=4"],
        ),
        (
            lambda: lang(3, surrogate_num_outputs=1),
            ConfigurationError,
            ["score_model: expected num_outputs == 3", "received num_outputs=1"],
        ),
        (
            lambda: lang(3, mode="energy", surrogate_num_outputs=3),
            ConfigurationError,
            ["energy_model: expected num_outputs == 1", "received num_outputs=3"],
        ),
        (
            lambda: lang(3, surrogate_num_params=0),
            PolymixValueError,
            ["score_model.num_params()", "received 0"],
        ),
        (
            lambda: lang(3, surrogate=MLPSpec(3, 3, width=2), surrogate_num_params=7),
            ConfigurationError,
            ["surrogate: expected num_params == surrogate_num_params (7)", "received num_params=17"],
        ),
        (
            lambda: lang(3, surrogate=MLPSpec(2, 3, width=2), surrogate_num_params=MLPSpec(2, 3, width=2).num_params),
            ConfigurationError,
            ["surrogate: expected num_inputs == surrogate_num_inputs (3)", "received num_inputs=2"],
        ),
    ],
    ids=[
        "det-zero",
        "iid-float",
        "kl-samples",
        "jitter-zero",
        "scale-negative",
        "jitter-inf",
        "jitter-nan",
        "rank-too-large",
        "rank-zero",
        "factor-scale",
        "lowrank-jitter",
        "step-zero",
        "step-negative",
        "init-std",
        "particles",
        "steps",
        "mode",
        "score-inputs",
        "score-outputs",
        "energy-outputs",
        "surrogate-size",
        "surrogate-spec-count",
        "surrogate-spec-inputs",
    ],
)
def test_validation_messages(make, exc, fragments):
    with pytest.raises(exc) as info:
        make()
    for f in fragments:
        assert f in str(info.value)


def test_langevin_accepts_a_consistent_surrogate_spec():
    s = MLPSpec(3, 3, width=2)
    spec = lang(3, surrogate=s, surrogate_num_params=s.num_params)
    assert spec.surrogate == s
    e = PCESpec(3, 1, degree=2)
    assert lang(3, mode="energy", surrogate=e, surrogate_num_params=e.num_params).raw_shapes == {
        "surrogate_params": (10,)
    }


def test_check_group_total():
    check_group_total(["a", "b"], [3, 5], 8)
    with pytest.raises(ConfigurationError) as info:
        check_group_total(["weights", "bias"], [3, 4], 8)
    msg = str(info.value)
    assert "parameter_groups" in msg and "num_params() = 8" in msg and "received 7" in msg
    assert "weights: 3, bias: 4" in msg


ROUND_TRIP = [
    DeterministicGroupSpec(3),
    IIDGaussianGroupSpec(4, kl_num_mc_samples=10),
    GaussianGroupSpec(3, init_scale_diag=0.5, jitter=1e-5),
    LowRankGaussianGroupSpec(8, rank=3, init_scale_factor=0.3),
    lang(6, num_particles=4, num_diffusion_steps=3, step_size=0.01, init_std=0.5),
    lang(3, mode="energy", surrogate=MLPSpec(3, 1, width=4), surrogate_num_params=MLPSpec(3, 1, width=4).num_params),
]


@pytest.mark.parametrize("spec", ROUND_TRIP, ids=lambda s: s.family)
def test_round_trip_through_json(spec):
    d = json.loads(json.dumps(spec.to_dict()))
    assert d["family"] == spec.family
    back = group_spec_from_dict(d)
    assert back == spec
    assert type(back) is type(spec)
    assert back.raw_shapes == spec.raw_shapes


def test_from_dict_rejects_unknown_family():
    with pytest.raises(ConfigurationError, match="family: expected one of"):
        group_spec_from_dict({"family": "flow", "num_params": 3})


def test_group_specs_are_frozen():
    with pytest.raises(AttributeError):
        GaussianGroupSpec(2).jitter = 1.0
