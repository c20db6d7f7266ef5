"""Surrogate specs: parameter counts, slices tiling the flat vector, validation, round trips."""

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from polymix_core import (
    ACTIVATIONS,
    ConfigurationError,
    GatingSpec,
    MixtureSpec,
    MLPSpec,
    ParamSlice,
    PCESpec,
    PolymixTypeError,
    PolymixValueError,
    surrogate_spec_from_dict,
    total_order_indices,
)


def mlp_count(n_in: int, n_out: int, width: int, depth: int) -> int:
    """Independent count: sum of fan_in * fan_out + fan_out over the layers."""
    sizes = [n_in] + [width] * depth + [n_out]
    return sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))


def assert_tiles(slices, num_params):
    assert slices[0].start == 0
    assert slices[-1].stop == num_params
    for a, b in zip(slices, slices[1:]):
        assert a.stop == b.start
    for s in slices:
        assert isinstance(s, ParamSlice)
        assert s.stop - s.start == math.prod(s.shape) > 0
    assert len({s.name for s in slices}) == len(slices)
    covered = np.concatenate([np.arange(s.start, s.stop) for s in slices])
    np.testing.assert_array_equal(covered, np.arange(num_params))


def test_pypolymix_example_count_is_105():
    spec = MLPSpec(2, 1, width=8, depth=2)
    assert spec.num_params == 105
    assert [(s.name, s.start, s.stop, s.shape) for s in spec.slices] == [
        ("layer0.weight", 0, 16, (2, 8)),
        ("layer0.bias", 16, 24, (8,)),
        ("layer1.weight", 24, 88, (8, 8)),
        ("layer1.bias", 88, 96, (8,)),
        ("layer2.weight", 96, 104, (8, 1)),
        ("layer2.bias", 104, 105, (1,)),
    ]


def test_mlp_defaults_follow_pypolymix():
    spec = MLPSpec(3)
    assert (spec.num_outputs, spec.width, spec.depth, spec.activation) == (1, 16, 1, "relu")
    assert spec.layer_sizes == (3, 16, 1)
    assert spec.num_layers == 2


def test_depth_zero_is_affine():
    spec = MLPSpec(4, 2, width=7, depth=0)
    assert spec.layer_sizes == (4, 2)
    assert [s.name for s in spec.slices] == ["layer0.weight", "layer0.bias"]
    assert spec.num_params == 10


@given(n_in=st.integers(1, 12), n_out=st.integers(1, 6), width=st.integers(1, 40), depth=st.integers(0, 5))
@settings(max_examples=80, deadline=None)
def test_mlp_slices_tile_exactly(n_in, n_out, width, depth):
    spec = MLPSpec(n_in, n_out, width=width, depth=depth)
    assert spec.num_params == mlp_count(n_in, n_out, width, depth)
    assert len(spec.slices) == 2 * (depth + 1)
    assert_tiles(spec.slices, spec.num_params)
    for j, (w, b) in enumerate(zip(spec.slices[0::2], spec.slices[1::2])):
        assert (w.name, b.name) == (f"layer{j}.weight", f"layer{j}.bias")
        assert w.shape == (spec.layer_sizes[j], spec.layer_sizes[j + 1])
        assert b.shape == (spec.layer_sizes[j + 1],)


@given(d=st.integers(1, 8), n_out=st.integers(1, 4), p=st.integers(0, 5))
@settings(max_examples=60, deadline=None)
def test_pce_counts_and_slices(d, n_out, p):
    spec = PCESpec(d, n_out, degree=p)
    assert spec.num_terms == math.comb(d + p, d)
    assert spec.num_params == spec.num_terms * n_out
    assert spec.slices == (ParamSlice("coefficients", 0, spec.num_params, (spec.num_terms, n_out)),)
    assert_tiles(spec.slices, spec.num_params)
    np.testing.assert_array_equal(spec.multi_indices, total_order_indices(d, p))
    assert spec.gather_indices.shape[1] == spec.num_terms


def test_pce_arrays_are_read_only():
    spec = PCESpec(2, 1, degree=3)
    with pytest.raises(ValueError):
        spec.multi_indices[0, 0] = 1
    with pytest.raises(ValueError):
        spec.gather_indices[0, 0] = 1


def test_pce_hyperbolic_option():
    spec = PCESpec(2, 1, degree=2, q=0.5)
    assert spec.multi_indices.tolist() == [[0, 0], [0, 1], [1, 0], [0, 2], [2, 0]]
    assert spec.num_terms == 5
    assert PCESpec(3, 1, degree=3, q=1.0).num_terms == 20


def test_pce_defaults():
    spec = PCESpec(1)
    assert (spec.num_outputs, spec.degree, spec.q) == (1, 3, 1.0)


@given(n_in=st.integers(1, 6), k=st.integers(1, 6), width=st.integers(1, 20), depth=st.integers(0, 3))
@settings(max_examples=40, deadline=None)
def test_gating_is_an_mlp_with_num_experts_outputs(n_in, k, width, depth):
    g = GatingSpec(n_in, k, width=width, depth=depth)
    assert g.network == MLPSpec(n_in, k, width, depth)
    assert g.num_outputs == k
    assert g.num_params == mlp_count(n_in, k, width, depth)
    assert g.slices == g.network.slices
    assert_tiles(g.slices, g.num_params)


def test_gating_pypolymix_example():
    assert GatingSpec(1, 3, width=8).num_params == 1 * 8 + 8 + 8 * 3 + 3


expert_st = st.one_of(
    st.builds(lambda w, dep: ("mlp", w, dep), st.integers(1, 8), st.integers(0, 2)),
    st.builds(lambda p: ("pce", p, 0), st.integers(0, 4)),
)


def _make_expert(kind, a, b, n_in, n_out):
    return MLPSpec(n_in, n_out, width=a, depth=b) if kind == "mlp" else PCESpec(n_in, n_out, degree=a)


@given(
    n_in=st.integers(1, 3),
    n_out=st.integers(1, 3),
    experts=st.lists(expert_st, min_size=1, max_size=5),
    gw=st.integers(1, 8),
)
@settings(max_examples=60, deadline=None)
def test_mixture_slices_tile_and_expert_batches(n_in, n_out, experts, gw):
    es = tuple(_make_expert(k, a, b, n_in, n_out) for k, a, b in experts)
    spec = MixtureSpec(es, GatingSpec(n_in, len(es), width=gw))
    assert spec.num_params == sum(e.num_params for e in es) + spec.gating.num_params
    assert [s.name for s in spec.slices] == [f"experts.{i}" for i in range(len(es))] + ["gating"]
    assert_tiles(spec.slices, spec.num_params)
    for e, s in zip(es, spec.slices):
        assert s.shape == (e.num_params,)
    assert (spec.num_inputs, spec.num_outputs, spec.num_experts) == (n_in, n_out, len(es))
    # expert_batches: a partition of range(num_experts) into groups of equal specs, by first appearance
    batches = spec.expert_batches
    assert sorted(i for b in batches for i in b) == list(range(len(es)))
    assert [b[0] for b in batches] == sorted(b[0] for b in batches)
    for b in batches:
        assert list(b) == sorted(b)
        assert all(es[i] == es[b[0]] for i in b)
    firsts = [es[b[0]] for b in batches]
    assert len(set(firsts)) == len(firsts)
    # expert_param_index gathers exactly each expert's block
    theta = np.arange(spec.num_params)
    for b in batches:
        index = spec.expert_param_index(b)
        assert index.shape == (len(b), es[b[0]].num_params)
        for row, i in zip(index, b):
            np.testing.assert_array_equal(theta[row], np.arange(spec.slices[i].start, spec.slices[i].stop))


def test_mixture_of_identical_experts_is_one_batch():
    e = MLPSpec(1, 1, width=4)
    spec = MixtureSpec([e, e, e], GatingSpec(1, 3))
    assert spec.experts == (e, e, e)
    assert spec.expert_batches == ((0, 1, 2),)
    assert spec.expert_param_index((0, 1, 2)).tolist() == [
        list(range(0, 13)),
        list(range(13, 26)),
        list(range(26, 39)),
    ]


def test_mixture_batches_mixed_experts():
    a, b = MLPSpec(1, 1, width=4), PCESpec(1, 1, degree=3)
    spec = MixtureSpec((a, b, a, b, MLPSpec(1, 1, width=5)), GatingSpec(1, 5))
    assert spec.expert_batches == ((0, 2), (1, 3), (4,))


@pytest.mark.parametrize(
    ("make", "fragments"),
    [
        (
            lambda: MixtureSpec((MLPSpec(1, 1), MLPSpec(2, 1)), GatingSpec(1, 2)),
            ["experts: expected every expert to have the same num_inputs", "[1, 2]"],
        ),
        (
            lambda: MixtureSpec((MLPSpec(1, 1), PCESpec(1, 2)), GatingSpec(1, 2)),
            ["experts: expected every expert to have the same num_outputs", "[1, 2]"],
        ),
        (
            lambda: MixtureSpec((MLPSpec(1, 1),) * 2, GatingSpec(1, 3)),
            ["gating: expected num_experts == 2", "received num_experts=3"],
        ),
        (
            lambda: MixtureSpec((MLPSpec(2, 1),) * 2, GatingSpec(1, 2)),
            ["gating: expected num_inputs == 2", "received num_inputs=1"],
        ),
        (lambda: MixtureSpec((), GatingSpec(1, 1)), ["experts: expected at least one expert"]),
        (
            lambda: MixtureSpec((MLPSpec(1, 1), GatingSpec(1, 2)), GatingSpec(1, 2)),
            ["experts[1]: expected an MLPSpec or PCESpec, received GatingSpec"],
        ),
        (lambda: MixtureSpec((MLPSpec(1, 1),), MLPSpec(1, 1)), ["gating: expected a GatingSpec, received MLPSpec"]),
    ],
    ids=[
        "inputs-mismatch",
        "outputs-mismatch",
        "gating-num-experts",
        "gating-num-inputs",
        "no-experts",
        "bad-expert-type",
        "bad-gating-type",
    ],
)
def test_mixture_validation(make, fragments):
    with pytest.raises(ConfigurationError) as info:
        make()
    for f in fragments:
        assert f in str(info.value)


@pytest.mark.parametrize(
    ("make", "exc", "fragment"),
    [
        (lambda: MLPSpec(0, 1), PolymixValueError, "num_inputs: expected a positive integer, received 0"),
        (lambda: MLPSpec(1, -2), PolymixValueError, "num_outputs: expected a positive integer, received -2"),
        (lambda: MLPSpec(1, 1, width=0), PolymixValueError, "width: expected a positive integer"),
        (lambda: MLPSpec(1, 1, depth=-1), PolymixValueError, "depth: expected a non-negative integer, received -1"),
        (lambda: MLPSpec(1, 1, width=2.5), PolymixTypeError, "width: expected a positive integer, received 2.5"),
        (lambda: MLPSpec(1, 1, activation="swish"), ConfigurationError, "activation: expected one of"),
        (lambda: PCESpec(1, 1, degree=-1), PolymixValueError, "degree: expected a non-negative integer"),
        (lambda: PCESpec(1, 1, degree=2, q=2.0), ConfigurationError, "q: expected a number in (0, 1], received 2.0"),
        (lambda: PCESpec(1, 1, degree=2, q=-0.5), PolymixValueError, "q: expected a positive finite number"),
        (lambda: GatingSpec(1, 0), PolymixValueError, "num_experts: expected a positive integer, received 0"),
        (lambda: GatingSpec(0, 2), PolymixValueError, "num_inputs: expected a positive integer"),
        (lambda: surrogate_spec_from_dict({"kind": "rnn"}), ConfigurationError, "kind: expected one of"),
    ],
    ids=[
        "mlp-inputs",
        "mlp-outputs",
        "mlp-width",
        "mlp-depth",
        "mlp-float-width",
        "mlp-activation",
        "pce-degree",
        "pce-q-high",
        "pce-q-negative",
        "gating-experts",
        "gating-inputs",
        "unknown-kind",
    ],
)
def test_spec_validation(make, exc, fragment):
    with pytest.raises(exc) as info:
        make()
    assert fragment in str(info.value)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_every_activation_is_accepted(activation):
    assert MLPSpec(1, 1, activation=activation).activation == activation


def test_numpy_integers_are_normalised_to_python_ints():
    spec = MLPSpec(np.int64(2), np.int32(1), width=np.int64(8), depth=np.int64(2))
    assert spec.num_params == 105
    assert all(type(v) is int for v in (spec.num_inputs, spec.num_outputs, spec.width, spec.depth))
    g = GatingSpec(np.int64(2), np.int64(3), width=np.int64(4), depth=np.int64(1))
    assert all(type(v) is int for v in (g.num_inputs, g.num_experts, g.width, g.depth))
    json.dumps(g.to_dict())  # JSON-ready


ROUND_TRIP = [
    MLPSpec(2, 1, width=8, depth=2),
    MLPSpec(3, 2, width=4, depth=0, activation="tanh"),
    PCESpec(3, 2, degree=2),
    PCESpec(2, 1, degree=4, q=0.5),
    GatingSpec(1, 3, width=8),
    MixtureSpec((MLPSpec(1, 1, width=4), PCESpec(1, 1, degree=3)), GatingSpec(1, 2, width=5, activation="tanh")),
]


@pytest.mark.parametrize("spec", ROUND_TRIP, ids=lambda s: f"{type(s).__name__}-{s.num_params}")
def test_to_dict_round_trip_through_json(spec):
    d = spec.to_dict()
    back = surrogate_spec_from_dict(json.loads(json.dumps(d)))
    assert back == spec
    assert type(back) is type(spec)
    assert back.slices == spec.slices
    assert back.num_params == spec.num_params
    assert hash(back) == hash(spec)


def test_to_dict_contents():
    assert MLPSpec(2, 1, width=8, depth=2).to_dict() == {
        "kind": "mlp",
        "num_inputs": 2,
        "num_outputs": 1,
        "width": 8,
        "depth": 2,
        "activation": "relu",
    }
    assert PCESpec(3, 2, degree=2).to_dict() == {
        "kind": "pce",
        "num_inputs": 3,
        "num_outputs": 2,
        "degree": 2,
        "q": 1.0,
    }
    m = MixtureSpec((MLPSpec(1, 1, width=4),) * 2, GatingSpec(1, 2)).to_dict()
    assert m["kind"] == "mixture"
    assert [e["kind"] for e in m["experts"]] == ["mlp", "mlp"]
    assert m["gating"]["kind"] == "gating"


def test_specs_are_frozen():
    spec = MLPSpec(1, 1)
    with pytest.raises(AttributeError):
        spec.width = 3
