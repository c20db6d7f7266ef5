"""Total-order and hyperbolic-cross multi-index sets against a brute-force oracle."""

import itertools
import math
import time

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from polymix_core import (
    ConfigurationError,
    PolymixTypeError,
    PolymixValueError,
    _index_sets,
    hyperbolic_cross_indices,
    num_total_order_terms,
    total_order_indices,
)


def brute_force_total_order(d: int, p: int) -> list[tuple[int, ...]]:
    """Oracle: filter the full tensor grid, sort by (total degree, tuple)."""
    grid = [a for a in itertools.product(range(p + 1), repeat=d) if sum(a) <= p]
    return sorted(grid, key=lambda a: (sum(a), a))


def brute_force_hyperbolic(d: int, p: int, q: float) -> list[tuple[int, ...]]:
    grid = [a for a in itertools.product(range(p + 1), repeat=d) if sum(x**q for x in a) ** (1 / q) <= p + 1e-9]
    return sorted(grid, key=lambda a: (sum(a), a))


small_dp = st.tuples(st.integers(1, 5), st.integers(0, 5)).filter(lambda t: (t[1] + 1) ** t[0] <= 8000)


def test_contract_example_three_inputs_degree_two():
    expected = ["000", "001", "010", "100", "002", "011", "020", "101", "110", "200"]
    got = ["".join(map(str, row)) for row in total_order_indices(3, 2).tolist()]
    assert got == expected


@given(d=st.integers(1, 30), p=st.integers(0, 4))
@settings(max_examples=60, deadline=None)
def test_term_count_is_binomial(d, p):
    idx = total_order_indices(d, p)
    assert idx.shape == (math.comb(d + p, d), d)
    assert num_total_order_terms(d, p) == math.comb(d + p, d)
    assert idx.dtype == np.int64


@given(dp=small_dp)
@settings(max_examples=60, deadline=None)
def test_total_order_matches_brute_force_oracle(dp):
    d, p = dp
    assert [tuple(r) for r in total_order_indices(d, p).tolist()] == brute_force_total_order(d, p)


@given(d=st.integers(1, 12), p=st.integers(0, 4))
@settings(max_examples=40, deadline=None)
def test_rows_unique_nonnegative_and_ordered(d, p):
    idx = total_order_indices(d, p)
    rows = [tuple(r) for r in idx.tolist()]
    assert len(set(rows)) == len(rows)
    assert idx.min() >= 0
    assert idx.sum(axis=1).max() == p
    keys = [(sum(r), r) for r in rows]
    assert keys == sorted(keys)
    assert all(a < b for a, b in zip(keys, keys[1:]))


def test_first_input_varies_slowest_within_a_shell():
    # Degree-1 shell of 4 inputs: e_3, e_2, e_1, e_0 (the last input moves first).
    shell = total_order_indices(4, 1)[1:].tolist()
    assert shell == [[0, 0, 0, 1], [0, 0, 1, 0], [0, 1, 0, 0], [1, 0, 0, 0]]


def test_result_is_fresh_and_writable_each_call():
    a = total_order_indices(3, 2)
    a[0, 0] = 99
    b = total_order_indices(3, 2)
    assert b[0, 0] == 0


@pytest.mark.parametrize(
    ("d", "p", "q"),
    [(2, 2, 0.5), (2, 4, 0.5), (3, 3, 0.5), (3, 4, 0.7), (4, 3, 0.4), (5, 4, 0.75), (6, 4, 0.5), (1, 5, 0.3)],
    ids=lambda v: str(v),
)
def test_hyperbolic_matches_brute_force_q_norm_rule(d, p, q):
    got = [tuple(r) for r in hyperbolic_cross_indices(d, p, q).tolist()]
    assert got == brute_force_hyperbolic(d, p, q)


def test_hyperbolic_keeps_exact_boundary_terms():
    # (1, 1): (1 + 1) ** 2 == 4 exactly at q=0.5, p=4.
    got = [tuple(r) for r in hyperbolic_cross_indices(2, 4, 0.5).tolist()]
    assert (1, 1) in got
    assert (1, 2) not in got  # (1 + sqrt 2) ** 2 > 4


@given(d=st.integers(1, 6), p=st.integers(0, 5), q=st.floats(0.1, 1.0))
@settings(max_examples=60, deadline=None)
def test_hyperbolic_is_ordered_subset_of_total_order(d, p, q):
    hc = [tuple(r) for r in hyperbolic_cross_indices(d, p, q).tolist()]
    full = [tuple(r) for r in total_order_indices(d, p).tolist()]
    pos = {r: k for k, r in enumerate(full)}
    assert set(hc) <= set(full)
    assert [pos[r] for r in hc] == sorted(pos[r] for r in hc)  # same ordering rule
    for r in full:  # membership equals the q-norm rule (away from the rounding boundary)
        norm = sum(x**q for x in r) ** (1 / q)
        if abs(norm - p) > 1e-9:
            assert (r in set(hc)) == (norm <= p)
    # every pure power and the constant are always kept
    assert tuple([0] * d) in hc
    for i in range(d):
        for n in range(1, p + 1):
            e = [0] * d
            e[i] = n
            assert tuple(e) in hc


@given(d=st.integers(1, 8), p=st.integers(0, 5))
@settings(max_examples=30, deadline=None)
def test_hyperbolic_with_q_one_is_total_order(d, p):
    np.testing.assert_array_equal(hyperbolic_cross_indices(d, p, 1.0), total_order_indices(d, p))


@pytest.mark.parametrize(
    ("d", "p", "expected_terms"),
    [(20, 4, 10_626), (50, 3, 23_426)],
    ids=["20-inputs-degree-4", "50-inputs-degree-3"],
)
def test_large_index_sets_well_under_100_ms(d, p, expected_terms):
    best = math.inf
    for _ in range(3):
        _index_sets._exact_degree.cache_clear()
        t0 = time.perf_counter()
        idx = total_order_indices(d, p)
        best = min(best, time.perf_counter() - t0)
        assert idx.shape == (expected_terms, d)
    assert best < 0.1, f"{d} inputs at degree {p} took {best * 1e3:.1f} ms"
    # spot-check the order on the big set: totals non-decreasing, shells sorted lexicographically
    totals = idx.sum(axis=1)
    assert np.all(np.diff(totals) >= 0)
    shell = idx[totals == p]
    assert [tuple(r) for r in shell[:200].tolist()] == sorted(tuple(r) for r in shell[:200].tolist())
    assert len({tuple(r) for r in idx.tolist()}) == expected_terms


@pytest.mark.parametrize(
    ("call", "exc", "fragment"),
    [
        (lambda: total_order_indices(0, 2), PolymixValueError, "num_inputs: expected a positive integer, received 0"),
        (lambda: total_order_indices(2, -1), PolymixValueError, "degree: expected a non-negative integer"),
        (lambda: total_order_indices(2.0, 1), PolymixTypeError, "num_inputs: expected a positive integer"),
        (lambda: total_order_indices(2, True), PolymixTypeError, "degree"),
        (lambda: num_total_order_terms(-3, 1), PolymixValueError, "received -3"),
        (
            lambda: hyperbolic_cross_indices(2, 2, 1.5),
            ConfigurationError,
            "q: expected a number in (0, 1], received 1.5",
        ),
        (lambda: hyperbolic_cross_indices(2, 2, 0.0), PolymixValueError, "q: expected a positive finite number"),
        (lambda: hyperbolic_cross_indices(2, 2, float("nan")), PolymixValueError, "q:"),
    ],
    ids=[
        "zero-inputs",
        "negative-degree",
        "float-inputs",
        "bool-degree",
        "count-negative",
        "q-above-1",
        "q-zero",
        "q-nan",
    ],
)
def test_invalid_arguments_are_rejected(call, exc, fragment):
    with pytest.raises(exc) as info:
        call()
    assert fragment in str(info.value)


def test_numpy_integer_arguments_are_accepted():
    np.testing.assert_array_equal(total_order_indices(np.int64(3), np.int32(2)), total_order_indices(3, 2))
