"""The exception family and the validators' messages (argument, expectation, received value)."""

import math

import numpy as np
import polymix_core
import pytest
from polymix_core import (
    ConfigurationError,
    PolymixError,
    PolymixTypeError,
    PolymixValueError,
    ShapeError,
    check_input_shape,
    check_noise_shape,
    check_nonnegative_int,
    check_params_shape,
    check_positive_float,
    check_positive_int,
)


@pytest.mark.parametrize(
    ("cls", "builtin"),
    [
        (PolymixValueError, ValueError),
        (PolymixTypeError, TypeError),
        (ShapeError, ValueError),
        (ConfigurationError, ValueError),
        (polymix_core.CheckpointError, ValueError),
        (polymix_core.NumericalError, ArithmeticError),
        (polymix_core.ResourceLimitError, MemoryError),
        (polymix_core.DomainError, ValueError),
        (polymix_core.DataError, ValueError),
    ],
    ids=lambda v: v.__name__,
)
def test_hierarchy(cls, builtin):
    assert issubclass(cls, PolymixError)
    assert issubclass(cls, builtin)
    assert issubclass(PolymixError, Exception)
    with pytest.raises(builtin):
        raise cls("x")


def test_shape_and_configuration_errors_are_value_errors_not_type_errors():
    assert issubclass(ShapeError, PolymixValueError)
    assert issubclass(ConfigurationError, PolymixValueError)
    assert not issubclass(ShapeError, TypeError)
    assert not issubclass(PolymixTypeError, ValueError)


def test_every_public_exception_is_in_the_family():
    excs = [v for v in vars(polymix_core).values() if isinstance(v, type) and issubclass(v, Exception)]
    excs = [e for e in excs if not issubclass(e, Warning)]
    assert issubclass(polymix_core.PolymixWarning, UserWarning)
    assert {e.__name__ for e in excs} == {
        "PolymixError",
        "PolymixValueError",
        "PolymixTypeError",
        "ShapeError",
        "ConfigurationError",
        "DistributionUnavailableError",
        "CheckpointError",
        "DomainError",
        "DataError",
        "NumericalError",
        "ResourceLimitError",
    }
    assert all(issubclass(e, PolymixError) for e in excs)


def test_distribution_unavailable_is_a_runtime_error_as_in_pypolymix():
    assert issubclass(polymix_core.DistributionUnavailableError, RuntimeError)


@pytest.mark.parametrize(
    ("fn", "value", "exc", "message"),
    [
        (check_positive_int, 0, PolymixValueError, "width: expected a positive integer, received 0 (type int)"),
        (check_positive_int, -3, PolymixValueError, "width: expected a positive integer, received -3 (type int)"),
        (check_positive_int, 2.0, PolymixTypeError, "width: expected a positive integer, received 2.0 (type float)"),
        (check_positive_int, True, PolymixTypeError, "width: expected a positive integer, received True (type bool)"),
        (check_positive_int, "3", PolymixTypeError, "width: expected a positive integer, received '3' (type str)"),
        (
            check_positive_int,
            None,
            PolymixTypeError,
            "width: expected a positive integer, received None (type NoneType)",
        ),
        (
            check_nonnegative_int,
            -1,
            PolymixValueError,
            "width: expected a non-negative integer, received -1 (type int)",
        ),
        (
            check_nonnegative_int,
            1.5,
            PolymixTypeError,
            "width: expected a non-negative integer, received 1.5 (type float)",
        ),
        (check_positive_float, 0.0, PolymixValueError, "width: expected a positive finite number, received 0.0"),
        (check_positive_float, -2, PolymixValueError, "width: expected a positive finite number, received -2.0"),
        (check_positive_float, math.inf, PolymixValueError, "width: expected a positive finite number, received inf"),
        (check_positive_float, math.nan, PolymixValueError, "width: expected a positive finite number, received nan"),
        (
            check_positive_float,
            "1",
            PolymixTypeError,
            "width: expected a positive finite number, received '1' (type str)",
        ),
        (check_positive_float, False, PolymixTypeError, "width: expected a positive finite number, received False"),
    ],
    ids=[
        "int-zero",
        "int-negative",
        "int-float",
        "int-bool",
        "int-str",
        "int-none",
        "nonneg-negative",
        "nonneg-float",
        "float-zero",
        "float-negative",
        "float-inf",
        "float-nan",
        "float-str",
        "float-bool",
    ],
)
def test_scalar_validators(fn, value, exc, message):
    with pytest.raises(exc) as info:
        fn("width", value)
    assert str(info.value).startswith(message)


@pytest.mark.parametrize(
    ("fn", "value", "expected"),
    [
        (check_positive_int, 3, 3),
        (check_positive_int, np.int64(4), 4),
        (check_nonnegative_int, 0, 0),
        (check_nonnegative_int, np.uint8(2), 2),
        (check_positive_float, 2, 2.0),
        (check_positive_float, np.float32(0.5), 0.5),
        (check_positive_float, 1e-300, 1e-300),
    ],
    ids=["int", "np-int64", "zero", "np-uint8", "int-as-float", "np-float32", "tiny"],
)
def test_scalar_validators_accept_and_normalise(fn, value, expected):
    out = fn("arg", value)
    assert out == expected
    assert type(out) is type(expected)


@pytest.mark.parametrize(
    ("shape", "ok"),
    [((5, 2), True), ((0, 2), True), ((5,), False), ((5, 3), False), ((1, 5, 2), False), ((), False)],
    ids=["ok", "empty-batch", "1-D", "wrong-width", "3-D", "scalar"],
)
def test_check_input_shape(shape, ok):
    if ok:
        assert check_input_shape("x", shape, 2) is None
        return
    with pytest.raises(ShapeError) as info:
        check_input_shape("x", shape, 2)
    assert str(info.value) == f"x: expected a 2-D array of shape (batch_size, 2), received shape {shape}"


@pytest.mark.parametrize(
    ("shape", "ok"),
    [((3, 105), True), ((105,), False), ((3, 104), False), ((1, 3, 105), False)],
    ids=["ok", "1-D", "wrong-count", "3-D"],
)
def test_check_params_shape(shape, ok):
    if ok:
        assert check_params_shape("params", shape, 105) is None
        return
    with pytest.raises(ShapeError) as info:
        check_params_shape("params", shape, 105)
    assert str(info.value) == f"params: expected a 2-D array of shape (num_samples, 105), received shape {shape}"


def test_check_noise_shape():
    check_noise_shape("noise", (4, 3), (3,))
    check_noise_shape("noise", (4, 6, 2), (6, 2))
    check_noise_shape("noise", (4, 0), (0,))
    with pytest.raises(ShapeError) as info:
        check_noise_shape("noise", (4, 5, 2), (6, 2))
    assert str(info.value) == "noise: expected shape (num_samples, 6, 2), received shape (4, 5, 2)"
    with pytest.raises(ShapeError, match=r"received shape \(3,\)"):
        check_noise_shape("noise", (3,), (3,))


def test_shapes_may_be_numpy_integers():
    check_input_shape("x", (np.int64(5), np.int64(2)), 2)
    with pytest.raises(ShapeError, match=r"received shape \(5, 3\)"):
        check_input_shape("x", np.array([5, 3]), 2)
