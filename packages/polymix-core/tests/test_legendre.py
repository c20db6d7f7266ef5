"""Legendre table and PCE basis against numpy.polynomial.legendre."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp
from numpy.polynomial import legendre as npleg
from polymix_core import (
    PolymixTypeError,
    PolymixValueError,
    ShapeError,
    basis_gather_indices,
    hyperbolic_cross_indices,
    legendre_table,
    pce_basis,
    total_order_indices,
)

unit = st.floats(-1.0, 1.0, allow_nan=False)


def oracle_legendre(x: np.ndarray, n: int) -> np.ndarray:
    """P_n(x) from numpy.polynomial (Clenshaw on the unit coefficient vector)."""
    c = np.zeros(n + 1)
    c[n] = 1.0
    return npleg.legval(x, c)


def oracle_basis(x: np.ndarray, multi_indices: np.ndarray) -> np.ndarray:
    """Term-by-term product of numpy.polynomial Legendre values."""
    out = np.ones((x.shape[0], multi_indices.shape[0]))
    for k, alpha in enumerate(multi_indices):
        for i, n in enumerate(alpha):
            out[:, k] *= oracle_legendre(x[:, i], int(n))
    return out


@given(x=hnp.arrays(np.float64, st.integers(1, 20), elements=unit), degree=st.integers(0, 12))
@settings(max_examples=100, deadline=None)
def test_legendre_table_matches_numpy_polynomial(x, degree):
    table = legendre_table(x, degree)
    assert table.shape == (x.shape[0], degree + 1)
    for n in range(degree + 1):
        np.testing.assert_allclose(table[:, n], oracle_legendre(x, n), rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("degree", [0, 1, 5, 12])
def test_legendre_endpoints_and_orthogonality(degree):
    table = legendre_table(np.array([-1.0, 1.0]), degree)
    n = np.arange(degree + 1)
    np.testing.assert_allclose(table[1], np.ones(degree + 1), atol=1e-12)  # P_n(1) = 1
    np.testing.assert_allclose(table[0], (-1.0) ** n, atol=1e-12)  # P_n(-1) = (-1)^n
    # Gauss-Legendre quadrature: int P_m P_n = 2 / (2n + 1) delta_mn
    nodes, weights = npleg.leggauss(degree + 1)
    P = legendre_table(nodes, degree)  # (nodes, degree + 1)
    np.testing.assert_allclose(P.T @ (weights[:, None] * P), np.diag(2.0 / (2 * n + 1)), atol=1e-12)


def test_legendre_table_keeps_any_input_shape():
    x = np.linspace(-1, 1, 24).reshape(2, 3, 4)
    table = legendre_table(x, 3)
    assert table.shape == (2, 3, 4, 4)
    np.testing.assert_allclose(table[..., 3], oracle_legendre(x, 3), rtol=1e-12, atol=1e-14)


def test_legendre_table_extrapolates_like_numpy():
    x = np.array([-3.0, 2.5, 7.0])
    np.testing.assert_allclose(legendre_table(x, 6)[:, 6], oracle_legendre(x, 6), rtol=1e-12)


@pytest.mark.parametrize(("degree", "exc"), [(-1, PolymixValueError), (1.5, PolymixTypeError)], ids=["neg", "float"])
def test_legendre_table_rejects_bad_degree(degree, exc):
    with pytest.raises(exc, match="degree"):
        legendre_table(np.zeros(3), degree)


@given(
    d=st.integers(1, 4),
    p=st.integers(0, 5),
    q=st.sampled_from([1.0, 0.5, 0.8]),
    batch=st.integers(1, 6),
    seed=st.integers(0, 2**32 - 1),
)
@settings(max_examples=60, deadline=None)
def test_pce_basis_matches_term_by_term_product(d, p, q, batch, seed):
    idx = total_order_indices(d, p) if q == 1.0 else hyperbolic_cross_indices(d, p, q)
    x = np.random.default_rng(seed).uniform(-1, 1, size=(batch, d))
    basis = pce_basis(x, idx)
    assert basis.shape == (batch, idx.shape[0])
    np.testing.assert_allclose(basis, oracle_basis(x, idx), rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(pce_basis(x, idx, gather=basis_gather_indices(idx)), basis, rtol=0, atol=0)


def test_pce_basis_one_dimensional_is_legvander():
    x = np.linspace(-1, 1, 11)[:, None]
    np.testing.assert_allclose(pce_basis(x, total_order_indices(1, 7)), npleg.legvander(x[:, 0], 7), atol=1e-13)


def test_pce_basis_of_arbitrary_index_set():
    # Not a downward-closed set and not in contract order: the basis follows the rows given.
    idx = np.array([[3, 0, 2], [0, 0, 0], [1, 1, 1], [0, 4, 0]])
    x = np.random.default_rng(0).uniform(-1, 1, size=(5, 3))
    np.testing.assert_allclose(pce_basis(x, idx), oracle_basis(x, idx), rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_preserved(dtype):
    x = np.linspace(-1, 1, 12, dtype=dtype).reshape(6, 2)
    idx = total_order_indices(2, 4)
    assert legendre_table(x, 4).dtype == dtype
    basis = pce_basis(x, idx)
    assert basis.dtype == dtype
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(basis, oracle_basis(x.astype(np.float64), idx), rtol=rtol, atol=rtol)


@pytest.mark.parametrize("shape", [(6,), (6, 3), (2, 3, 2)], ids=["1-D", "wrong-width", "3-D"])
def test_pce_basis_rejects_wrong_x_shape(shape):
    with pytest.raises(ShapeError) as info:
        pce_basis(np.zeros(shape), total_order_indices(2, 2))
    msg = str(info.value)
    assert msg.startswith("x: expected a 2-D array of shape (batch_size, 2)")
    assert f"received shape {shape}" in msg


@given(
    idx=hnp.arrays(np.int64, st.tuples(st.integers(1, 12), st.integers(1, 5)), elements=st.integers(0, 4)),
)
@settings(max_examples=80, deadline=None)
def test_gather_indices_properties(idx):
    g = basis_gather_indices(idx)
    num_terms, d = idx.shape
    nnz = (idx > 0).sum(axis=1)
    degree = int(idx.max())
    assert g.dtype == np.int64
    assert g.shape == (max(1, int(nnz.max())), num_terms)
    assert g.min() >= 0
    assert g.max() <= degree * d  # flat table has 1 + degree * d columns
    for k in range(num_terms):
        col = g[:, k]
        nonzero = col[col > 0]
        assert len(nonzero) == nnz[k]
        # decode column c = 1 + (n - 1) * d + i back into (input i, degree n)
        decoded = {(int(c - 1) % d, int(c - 1) // d + 1) for c in nonzero}
        assert decoded == {(i, int(idx[k, i])) for i in range(d) if idx[k, i] > 0}
        # inputs ascend within a term, padding (column 0) only at the end
        inputs = [int(c - 1) % d for c in nonzero]
        assert inputs == sorted(inputs)
        assert np.all(col[len(nonzero) :] == 0)


def test_gather_indices_examples():
    assert basis_gather_indices(np.zeros((1, 3), dtype=np.int64)).tolist() == [[0]]
    # 2 inputs: flat columns are [1, P1(x0), P1(x1), P2(x0), P2(x1)]
    g = basis_gather_indices(np.array([[0, 0], [1, 1], [2, 0], [0, 2], [2, 1]]))
    assert g.tolist() == [[0, 1, 3, 4, 3], [0, 2, 0, 0, 2]]
