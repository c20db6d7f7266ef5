"""Memory estimates from specs: the arrays a call allocates, and the check against free memory."""

import math

import pytest
from hypothesis import given, settings, strategies as st
from polymix_core import (
    DeterministicGroupSpec,
    GatingSpec,
    IIDGaussianGroupSpec,
    LangevinGroupSpec,
    LowRankGaussianGroupSpec,
    MixtureSpec,
    MLPSpec,
    PCESpec,
    ResourceLimitError,
    check_memory,
    forward_arrays,
    hyperbolic_cross_indices,
    model_arrays,
    num_hyperbolic_cross_terms,
    sampling_arrays,
)


def test_forward_arrays_name_the_shapes():
    assert forward_arrays(MLPSpec(3, 2, width=8, depth=2), 4, 5) == [
        ("hidden activations (num_samples x batch_size x width)", (4, 5, 8)),
        ("outputs (num_samples x batch_size x num_outputs)", (4, 5, 2)),
    ]
    assert forward_arrays(MLPSpec(3, 2, depth=0), 4, 5) == [
        ("outputs (num_samples x batch_size x num_outputs)", (4, 5, 2))
    ]
    assert forward_arrays(PCESpec(3, 1, degree=2), 4, 5)[0] == ("basis (batch_size x num_terms)", (5, 10))
    moe = MixtureSpec((MLPSpec(1, 1, width=64), PCESpec(1, 1)), GatingSpec(1, 2, width=8))
    arrays = forward_arrays(moe, 4, 5)
    assert arrays[0][1] == (4, 2, 5, 1)
    assert arrays[1] == ("hidden activations (num_samples x batch_size x width)", (4, 5, 64))  # the largest part


def test_sampling_arrays_follow_the_noise_layout():
    assert sampling_arrays(DeterministicGroupSpec(3), 10) == []
    assert sampling_arrays(LowRankGaussianGroupSpec(5, rank=2), 10)[0] == ("noise (num_samples x 7)", (10, 7))
    score = MLPSpec(3, 3, width=4)
    lang = LangevinGroupSpec(3, surrogate_num_inputs=3, surrogate_num_outputs=3, surrogate_num_params=score.num_params,
                             surrogate=score)  # fmt: skip
    arrays = sampling_arrays(lang, 10)
    assert arrays[0][1] == (3, 10, 3) and arrays[1][1] == (1, 10, 4)


def test_model_arrays_add_parameters_sampling_and_forward():
    spec = MLPSpec(2, 1, width=16)
    arrays = model_arrays(spec, (IIDGaussianGroupSpec(spec.num_params),), 7, 3, spec.num_params)
    shapes = [s for _, s in arrays]
    assert shapes == [(7, 65), (7, 65), (7, 65), (7, 3, 16), (7, 3, 1)]
    assert model_arrays(None, (DeterministicGroupSpec(4),), 7, None, 4) == (
        ("parameter samples (num_samples x num_params)", (7, 4)),
    )


def test_check_memory_raises_with_the_request_and_largest_array():
    arrays = [("parameters", (1000, 10)), ("hidden activations", (1000, 100, 50))]
    check_memory("num_samples=1000", arrays, 4, "cpu", available=10**9)
    with pytest.raises(ResourceLimitError) as info:
        check_memory("num_samples=1000", arrays, 4, "cpu", available=10**6)
    message = str(info.value)
    assert message.startswith("num_samples=1000: expected a request that fits in memory")
    assert "hidden activations, is 1000 x 100 x 50 (19.1 MiB)" in message and "976.6 KiB free on cpu" in message


def test_check_memory_reads_free_memory_only_for_large_requests():
    check_memory("small", [("x", (10,))], 8, "cpu")  # far below a quarter of physical memory: no system call
    with pytest.raises(ResourceLimitError, match="free on cpu"):
        check_memory("huge", [("x", (10**8, 10**6))], 8, "cpu")


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 6), st.integers(0, 7), st.sampled_from([0.2, 0.4, 0.5, 0.6, 0.75, 0.9, 0.99, 1.0]))
def test_hyperbolic_count_equals_the_set_size(num_inputs, degree, q):
    assert num_hyperbolic_cross_terms(num_inputs, degree, q) == len(hyperbolic_cross_indices(num_inputs, degree, q))


def test_hyperbolic_count_is_cheap_for_huge_declared_sizes():
    # 4096 inputs at degree 64: the total-order set has about 10^155 terms; counting stops early
    assert num_hyperbolic_cross_terms(4096, 64, 0.5, stop_above=10**6) > 10**6
    assert num_hyperbolic_cross_terms(20, 8, 1.0) == math.comb(28, 8)


def test_hyperbolic_set_keeps_the_order_rule():
    idx = hyperbolic_cross_indices(4, 5, 0.6)
    keys = [(int(r.sum()), tuple(r)) for r in idx]
    assert keys == sorted(keys)
