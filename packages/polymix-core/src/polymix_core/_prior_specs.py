"""Prior specs: validated hyper-parameters and the broadcast rule.

Broadcast rule: a hyper-parameter is a scalar (applied to every parameter) or
an array of exactly the group's shape ``(num_params,)``; anything else is
rejected rather than broadcast silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Union

import numpy as np

from . import defaults
from ._errors import ConfigurationError, PolymixTypeError, ShapeError

__all__ = [
    "IIDGaussianPriorSpec",
    "GaussianPriorSpec",
    "LaplacePriorSpec",
    "PriorSpec",
    "PRIOR_CLASSES",
    "class_name_for",
    "as_float_array",
    "prior_spec_from_dict",
]


def as_float_array(name: str, value: Any) -> np.ndarray:
    """A hyper-parameter (scalar, sequence, numpy/torch/jax array) as a read-only float64 numpy copy."""
    if hasattr(value, "detach"):  # torch tensor without importing torch
        value = value.detach().cpu().numpy()
    try:
        # a private, read-only copy: later writes to the caller's array cannot invalidate a validated spec
        arr = np.array(value, dtype=np.float64, copy=True)
    except (TypeError, ValueError, OverflowError) as err:
        raise ConfigurationError(f"{name}: expected a real number or array, received {value!r}") from err
    if not np.all(np.isfinite(arr)):
        raise ConfigurationError(f"{name}: expected finite values, received {arr!r}")
    arr.setflags(write=False)
    return arr


def _broadcast(name: str, arr: np.ndarray, num_params: int) -> np.ndarray:
    if arr.ndim == 0:
        return np.full(num_params, float(arr))
    if arr.shape == (num_params,):
        return arr
    raise ShapeError(f"{name}: expected a scalar or shape ({num_params},), received shape {arr.shape}")


def _positive(name: str, arr: np.ndarray) -> np.ndarray:
    if np.any(arr <= 0):
        raise ConfigurationError(f"{name}: expected positive values, received {arr!r}")
    return arr


@dataclass(frozen=True, eq=False)
class IIDGaussianPriorSpec:
    """``Normal(mean, std)`` elementwise; ``std > 0``.

    Example:
        >>> IIDGaussianPriorSpec(0.0, 0.5).broadcast(2)
        (array([0., 0.]), array([0.5, 0.5]))
    """

    mean: Any = defaults.PRIOR_MEAN
    std: Any = defaults.PRIOR_STD
    kind = "iid_gaussian"

    def __post_init__(self) -> None:
        object.__setattr__(self, "mean", as_float_array("mean", self.mean))
        object.__setattr__(self, "std", _positive("std", as_float_array("std", self.std)))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description."""
        return {"kind": self.kind, "mean": self.mean.tolist(), "std": self.std.tolist()}

    def init_kwargs(self) -> dict[str, Any]:
        """The keyword arguments that rebuild this prior in any backend (float64 arrays)."""
        return {"mean": self.mean, "std": self.std}

    def broadcast(self, num_params: int) -> tuple[np.ndarray, np.ndarray]:
        """``(mean, std)`` each ``(num_params,)``."""
        return _broadcast("mean", self.mean, num_params), _broadcast("std", self.std, num_params)


@dataclass(frozen=True, eq=False)
class LaplacePriorSpec:
    """``Laplace(loc, scale)`` elementwise; ``scale > 0``.

    Example:
        >>> LaplacePriorSpec(0.0, 0.1).broadcast(1)
        (array([0.]), array([0.1]))
    """

    loc: Any = defaults.LAPLACE_LOC
    scale: Any = defaults.LAPLACE_SCALE
    kind = "laplace"

    def __post_init__(self) -> None:
        object.__setattr__(self, "loc", as_float_array("loc", self.loc))
        object.__setattr__(self, "scale", _positive("scale", as_float_array("scale", self.scale)))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description."""
        return {"kind": self.kind, "loc": self.loc.tolist(), "scale": self.scale.tolist()}

    def init_kwargs(self) -> dict[str, Any]:
        """The keyword arguments that rebuild this prior in any backend (float64 arrays)."""
        return {"loc": self.loc, "scale": self.scale}

    def broadcast(self, num_params: int) -> tuple[np.ndarray, np.ndarray]:
        """``(loc, scale)`` each ``(num_params,)``."""
        return _broadcast("loc", self.loc, num_params), _broadcast("scale", self.scale, num_params)


@dataclass(frozen=True, eq=False)
class GaussianPriorSpec:
    """``N(mean, Sigma)`` from exactly one of ``covariance_matrix`` and ``scale_tril``.

    Example:
        >>> spec = GaussianPriorSpec(np.zeros(2), covariance_matrix=np.eye(2) * 4)
        >>> spec.lower(2).tolist()
        [[2.0, 0.0], [0.0, 2.0]]
    """

    mean: Any
    covariance_matrix: Any | None = None
    scale_tril: Any | None = None
    kind = "gaussian"

    def __post_init__(self) -> None:
        if (self.covariance_matrix is None) == (self.scale_tril is None):
            raise ConfigurationError(
                "covariance_matrix, scale_tril: expected exactly one of them, received "
                f"{'both' if self.covariance_matrix is not None else 'neither'}"
            )
        mean = as_float_array("mean", self.mean)
        if mean.ndim != 1:
            raise ShapeError(f"mean: expected a 1-D array of shape (num_params,), received shape {mean.shape}")
        d = mean.shape[0]
        object.__setattr__(self, "mean", mean)
        if self.scale_tril is not None:
            L = as_float_array("scale_tril", self.scale_tril)
            if L.shape != (d, d):
                raise ShapeError(f"scale_tril: expected shape ({d}, {d}) to match mean, received shape {L.shape}")
            if np.any(np.triu(L, 1) != 0) or np.any(np.diag(L) <= 0):
                raise ConfigurationError("scale_tril: expected a lower-triangular matrix with a positive diagonal")
            object.__setattr__(self, "scale_tril", L)
        else:
            cov = as_float_array("covariance_matrix", self.covariance_matrix)
            if cov.shape != (d, d):
                raise ShapeError(
                    f"covariance_matrix: expected shape ({d}, {d}) to match mean, received shape {cov.shape}"
                )
            if not np.allclose(cov, cov.T, rtol=1e-10, atol=1e-12):
                raise ConfigurationError("covariance_matrix: expected a symmetric matrix, received a non-symmetric one")
            try:
                np.linalg.cholesky(cov)
            except np.linalg.LinAlgError as err:
                raise ConfigurationError(
                    "covariance_matrix: expected a positive-definite matrix, received one that is not"
                ) from err
            object.__setattr__(self, "covariance_matrix", cov)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description."""
        return {
            "kind": self.kind,
            "mean": self.mean.tolist(),
            "covariance_matrix": None if self.covariance_matrix is None else self.covariance_matrix.tolist(),
            "scale_tril": None if self.scale_tril is None else self.scale_tril.tolist(),
        }

    def init_kwargs(self) -> dict[str, Any]:
        """The keyword arguments that rebuild this prior in any backend (float64 arrays)."""
        return {"mean": self.mean, "covariance_matrix": self.covariance_matrix, "scale_tril": self.scale_tril}

    @property
    def num_params(self) -> int:
        """Dimension of the prior."""
        return int(self.mean.shape[0])

    def check(self, num_params: int) -> None:
        """Raise unless the prior's dimension equals the group's ``num_params``."""
        if self.num_params != num_params:
            raise ShapeError(
                f"prior: expected a GaussianPrior over {num_params} parameters (the group's num_params), "
                f"received one over {self.num_params} (mean shape {self.mean.shape})"
            )

    def lower(self, num_params: int) -> np.ndarray:
        """The Cholesky factor ``(num_params, num_params)`` after ``check``."""
        self.check(num_params)
        if self.scale_tril is not None:
            return np.asarray(self.scale_tril)
        return np.linalg.cholesky(np.asarray(self.covariance_matrix))

    def covariance(self, num_params: int) -> np.ndarray:
        """``Sigma`` ``(num_params, num_params)`` after ``check``."""
        self.check(num_params)
        if self.covariance_matrix is not None:
            return np.asarray(self.covariance_matrix)
        L = np.asarray(self.scale_tril)
        return L @ L.T


PriorSpec = Union[IIDGaussianPriorSpec, GaussianPriorSpec, LaplacePriorSpec]

#: The class of every backend that a prior spec describes (each backend's ``priors``).
PRIOR_CLASSES: dict[type, str] = {
    IIDGaussianPriorSpec: "IIDGaussianPrior",
    GaussianPriorSpec: "GaussianPrior",
    LaplacePriorSpec: "LaplacePrior",
}


def class_name_for(spec: Any, table: dict[type, str], what: str) -> str:
    """The backend class name for ``spec`` in one of the ``*_CLASSES`` tables.

    Raises:
        PolymixTypeError: ``spec`` is not one of the table's spec types.

    Example:
        >>> class_name_for(LaplacePriorSpec(), PRIOR_CLASSES, "a prior spec")
        'LaplacePrior'
    """
    name = table.get(type(spec))
    if name is None:
        expected = ", ".join(t.__name__ for t in table)
        raise PolymixTypeError(f"spec: expected {what} ({expected}), received {type(spec).__name__}")
    return name


def prior_spec_from_dict(d: dict[str, Any]) -> PriorSpec:
    """Rebuild a prior spec from ``spec.to_dict()``.

    Example:
        >>> prior_spec_from_dict(LaplacePriorSpec(0.0, 0.1).to_dict()).scale.tolist()
        0.1
    """
    d = dict(d)
    kind = d.pop("kind", None)
    classes = {"iid_gaussian": IIDGaussianPriorSpec, "laplace": LaplacePriorSpec, "gaussian": GaussianPriorSpec}
    if kind not in classes:
        raise ConfigurationError(f"kind: expected one of {sorted(classes)}, received {kind!r}")
    return classes[kind](**d)  # type: ignore[no-any-return]
