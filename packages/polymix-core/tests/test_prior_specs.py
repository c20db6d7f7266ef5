"""Prior specs: broadcast rule, positivity, the exactly-one rule and shape checks."""

import json

import numpy as np
import pytest
from polymix_core import (
    ConfigurationError,
    GaussianPriorSpec,
    IIDGaussianPriorSpec,
    LaplacePriorSpec,
    PolymixError,
    ShapeError,
    as_float_array,
    prior_spec_from_dict,
)


@pytest.mark.parametrize(
    ("cls", "a", "b"),
    [(IIDGaussianPriorSpec, "mean", "std"), (LaplacePriorSpec, "loc", "scale")],
    ids=["iid-gaussian", "laplace"],
)
class TestElementwisePriors:
    def test_scalar_broadcasts_to_every_parameter(self, cls, a, b):
        spec = cls(0.25, 0.5)
        loc, scale = spec.broadcast(4)
        np.testing.assert_array_equal(loc, np.full(4, 0.25))
        np.testing.assert_array_equal(scale, np.full(4, 0.5))
        assert loc.dtype == np.float64 and scale.dtype == np.float64

    def test_exact_shape_is_kept(self, cls, a, b):
        spec = cls([0.0, 1.0, 2.0], [1.0, 2.0, 3.0])
        loc, scale = spec.broadcast(3)
        assert loc.tolist() == [0.0, 1.0, 2.0] and scale.tolist() == [1.0, 2.0, 3.0]

    def test_mixed_scalar_and_vector(self, cls, a, b):
        loc, scale = cls(np.arange(3.0), 2.0).broadcast(3)
        assert loc.tolist() == [0.0, 1.0, 2.0] and scale.tolist() == [2.0, 2.0, 2.0]

    @pytest.mark.parametrize(
        "bad_shape", [(2,), (4,), (1,), (3, 1), (1, 3)], ids=["short", "long", "length-1", "column", "row"]
    )
    def test_other_shapes_are_rejected_not_broadcast(self, cls, a, b, bad_shape):
        spec = cls(np.zeros(bad_shape), 1.0)
        with pytest.raises(ShapeError) as info:
            spec.broadcast(3)
        assert str(info.value) == f"{a}: expected a scalar or shape (3,), received shape {bad_shape}"
        spec = cls(0.0, np.ones(bad_shape))
        with pytest.raises(ShapeError, match=rf"^{b}: expected a scalar or shape \(3,\)"):
            spec.broadcast(3)

    @pytest.mark.parametrize("bad", [0.0, -1.0, [1.0, 0.0], [1.0, -2.0]], ids=["zero", "neg", "vec-zero", "vec-neg"])
    def test_scale_must_be_positive(self, cls, a, b, bad):
        with pytest.raises(ConfigurationError) as info:
            cls(0.0, bad)
        assert str(info.value).startswith(f"{b}: expected positive values, received")

    @pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf], ids=["nan", "inf", "-inf"])
    def test_non_finite_is_rejected(self, cls, a, b, bad):
        with pytest.raises(ConfigurationError, match=f"^{a}: expected finite values"):
            cls(bad, 1.0)
        with pytest.raises(ConfigurationError, match=f"^{b}: expected finite values"):
            cls(0.0, bad)

    def test_non_numeric_is_rejected(self, cls, a, b):
        with pytest.raises(ConfigurationError, match=f"^{a}: expected a real number or array, received 'zero'"):
            cls("zero", 1.0)

    def test_round_trip(self, cls, a, b):
        spec = cls([0.0, 1.0], 0.5)
        back = prior_spec_from_dict(json.loads(json.dumps(spec.to_dict())))
        assert type(back) is cls
        for x, y in zip(back.broadcast(2), spec.broadcast(2)):
            np.testing.assert_array_equal(x, y)


def test_defaults_are_standard():
    m, s = IIDGaussianPriorSpec().broadcast(2)
    assert m.tolist() == [0.0, 0.0] and s.tolist() == [1.0, 1.0]
    loc, scale = LaplacePriorSpec().broadcast(1)
    assert loc.tolist() == [0.0] and scale.tolist() == [1.0]


def test_gaussian_prior_from_covariance():
    cov = np.array([[4.0, 2.0], [2.0, 3.0]])
    spec = GaussianPriorSpec([1.0, -1.0], covariance_matrix=cov)
    L = spec.lower(2)
    np.testing.assert_allclose(L @ L.T, cov, rtol=1e-14)
    assert np.allclose(np.triu(L, 1), 0.0)
    np.testing.assert_array_equal(spec.covariance(2), cov)
    assert spec.num_params == 2
    assert spec.mean.tolist() == [1.0, -1.0]


def test_gaussian_prior_from_scale_tril():
    L = np.array([[2.0, 0.0], [1.0, 0.5]])
    spec = GaussianPriorSpec(np.zeros(2), scale_tril=L)
    np.testing.assert_array_equal(spec.lower(2), L)
    np.testing.assert_allclose(spec.covariance(2), L @ L.T)


@pytest.mark.parametrize(
    ("kwargs", "word"),
    [({}, "neither"), ({"covariance_matrix": np.eye(2), "scale_tril": np.eye(2)}, "both")],
    ids=["neither", "both"],
)
def test_gaussian_prior_needs_exactly_one(kwargs, word):
    with pytest.raises(ConfigurationError) as info:
        GaussianPriorSpec(np.zeros(2), **kwargs)
    assert str(info.value) == f"covariance_matrix, scale_tril: expected exactly one of them, received {word}"


@pytest.mark.parametrize(
    ("kwargs", "exc", "message"),
    [
        (
            {"covariance_matrix": np.array([[1.0, 2.0], [2.0, 1.0]])},
            ConfigurationError,
            "covariance_matrix: expected a positive-definite matrix, received one that is not",
        ),
        (
            {"covariance_matrix": np.array([[1.0, 0.0], [0.0, 0.0]])},
            ConfigurationError,
            "covariance_matrix: expected a positive-definite matrix, received one that is not",
        ),
        (
            {"covariance_matrix": np.array([[1.0, 0.5], [0.0, 1.0]])},
            ConfigurationError,
            "covariance_matrix: expected a symmetric matrix, received a non-symmetric one",
        ),
        (
            {"covariance_matrix": np.eye(3)},
            ShapeError,
            "covariance_matrix: expected shape (2, 2) to match mean, received shape (3, 3)",
        ),
        (
            {"scale_tril": np.eye(3)},
            ShapeError,
            "scale_tril: expected shape (2, 2) to match mean, received shape (3, 3)",
        ),
        (
            {"scale_tril": np.array([[1.0, 0.1], [0.0, 1.0]])},
            ConfigurationError,
            "scale_tril: expected a lower-triangular matrix with a positive diagonal",
        ),
        (
            {"scale_tril": np.array([[1.0, 0.0], [0.3, -1.0]])},
            ConfigurationError,
            "scale_tril: expected a lower-triangular matrix with a positive diagonal",
        ),
        (
            {"covariance_matrix": np.array([[1.0, np.nan], [np.nan, 1.0]])},
            ConfigurationError,
            "covariance_matrix: expected finite values",
        ),
    ],
    ids=["indefinite", "singular", "non-symmetric", "cov-shape", "tril-shape", "upper-entry", "neg-diag", "nan"],
)
def test_gaussian_prior_rejections(kwargs, exc, message):
    with pytest.raises(exc) as info:
        GaussianPriorSpec(np.zeros(2), **kwargs)
    assert str(info.value).startswith(message)


def test_gaussian_prior_mean_must_be_1d():
    with pytest.raises(ShapeError, match=r"^mean: expected a 1-D array of shape \(num_params,\), received shape \(\)"):
        GaussianPriorSpec(0.0, covariance_matrix=np.eye(1))


def test_gaussian_prior_dimension_mismatch_with_group():
    spec = GaussianPriorSpec(np.zeros(2), covariance_matrix=np.eye(2))
    spec.check(2)
    for call in (spec.check, spec.lower, spec.covariance):
        with pytest.raises(ShapeError) as info:
            call(3)
        msg = str(info.value)
        assert "prior: expected a GaussianPrior over 3 parameters" in msg
        assert "received one over 2" in msg


@pytest.mark.parametrize("which", ["covariance_matrix", "scale_tril"])
def test_gaussian_prior_round_trip(which):
    spec = GaussianPriorSpec([0.5, 1.0], **{which: np.array([[2.0, 0.0], [0.0, 3.0]])})
    back = prior_spec_from_dict(json.loads(json.dumps(spec.to_dict())))
    assert isinstance(back, GaussianPriorSpec)
    np.testing.assert_array_equal(back.mean, spec.mean)
    np.testing.assert_array_equal(back.covariance(2), spec.covariance(2))
    assert (back.scale_tril is None) == (which == "covariance_matrix")


def test_prior_from_dict_rejects_unknown_kind():
    with pytest.raises(ConfigurationError, match="kind: expected one of"):
        prior_spec_from_dict({"kind": "cauchy"})


class _FakeTensor:
    """Duck-typed torch tensor: as_float_array must use .detach().cpu().numpy() without importing torch."""

    def __init__(self, value):
        self.value = np.asarray(value)

    def detach(self):
        return self

    def cpu(self):
        return self

    def numpy(self):
        return self.value


def test_as_float_array_accepts_tensor_like_and_sequences():
    out = as_float_array("std", _FakeTensor([1, 2]))
    assert out.dtype == np.float64 and out.tolist() == [1.0, 2.0]
    assert as_float_array("mean", 3).tolist() == 3.0
    assert as_float_array("mean", [[1, 2]]).shape == (1, 2)
    with pytest.raises(PolymixError):
        as_float_array("mean", [1.0, np.inf])
