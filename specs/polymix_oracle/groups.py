"""Parameter groups read literally from the contract (sections 4, 5 and 8).

A group spec is the dictionary of ``spec.to_dict()`` (``"family"``: ``deterministic``,
``iid_gaussian``, ``gaussian``, ``low_rank_gaussian``, ``langevin``). The Cholesky factor is
unpacked by walking the row-major lower triangle; samples are ``mean + L eps`` and
``mean + U eps_U + sqrt(D) eps_D`` with the explicit ``L`` and ``U``;
log-densities come from ``scipy.stats.multivariate_normal``.
"""

from __future__ import annotations

import math
from typing import Any, Mapping

import numpy as np
from scipy import stats

from .surrogates import num_params as surrogate_num_params

Spec = dict[str, Any]
Raw = Mapping[str, Any]


def softplus(r: float) -> float:
    """``log(1 + exp(r))``, computed without overflow."""
    return max(r, 0.0) + math.log1p(math.exp(-abs(r)))


def softplus_inverse(y: float) -> float:
    """``log(exp(y) - 1)`` for ``y > 0``."""
    return y + math.log(-math.expm1(-y))


def tril_positions(d: int) -> list[tuple[int, int]]:
    """``(row, col)`` of each packed ``raw_tril`` entry: ``(0,0), (1,0), (1,1), (2,0), ...``."""
    return [(i, j) for i in range(d) for j in range(i + 1)]


def diag_positions(d: int) -> list[int]:
    """Packed positions of the diagonal entries ``(i, i)``."""
    return [k for k, (i, j) in enumerate(tril_positions(d)) if i == j]


def raw_shapes(spec: Spec) -> list[tuple[str, tuple[int, ...]]]:
    """Raw parameter names and shapes in ``state_dict`` order (section 4's table)."""
    d, family = spec["num_params"], spec["family"]
    if family == "deterministic":
        return [("params", (d,))]
    if family == "iid_gaussian":
        return [("mean", (d,)), ("log_std", (d,))]
    if family == "gaussian":
        return [("mean", (d,)), ("raw_tril", (d * (d + 1) // 2,))]
    if family == "low_rank_gaussian":
        return [("mean", (d,)), ("cov_factor", (d, spec["rank"])), ("raw_cov_diag", (d,))]
    if family == "langevin":
        return [("surrogate_params", (surrogate_num_params(spec["surrogate"]),))]
    raise ValueError(f"unknown family {family!r}")


def noise_shape(spec: Spec) -> tuple[int, ...]:
    """Per-sample noise shape (section 5's table)."""
    d, family = spec["num_params"], spec["family"]
    if family == "deterministic":
        return (0,)
    if family == "low_rank_gaussian":
        return (spec["rank"] + d,)
    if family == "langevin":
        return (spec["num_diffusion_steps"] + 1, d)
    return (d,)


def initial(spec: Spec) -> list[tuple[str, np.ndarray, float]]:
    """``(name, constant, noise_scale)`` of each raw parameter's initial value (section 4)."""
    d, family = spec["num_params"], spec["family"]
    if family == "deterministic":
        return [("params", np.zeros(d), 1.0)]
    if family == "iid_gaussian":
        return [("mean", np.zeros(d), 1.0), ("log_std", np.full(d, -0.5), 0.0)]
    if family == "langevin":
        return [("surrogate_params", np.zeros(surrogate_num_params(spec["surrogate"])), 0.01)]
    diag = softplus_inverse(max(spec["init_scale_diag"] - spec["jitter"], 1e-12))
    if family == "gaussian":
        packed = np.zeros(d * (d + 1) // 2)
        packed[diag_positions(d)] = diag
        return [("mean", np.zeros(d), 0.0), ("raw_tril", packed, 0.0)]
    return [
        ("mean", np.zeros(d), 0.0),
        ("cov_factor", np.zeros((d, spec["rank"])), spec["init_scale_factor"]),
        ("raw_cov_diag", np.full(d, diag), 0.0),
    ]


def scale_tril(spec: Spec, raw_tril: Any) -> np.ndarray:
    """The Cholesky factor ``L``: packed row-major, diagonal ``softplus(raw) + jitter``."""
    d = spec["num_params"]
    packed = np.asarray(raw_tril, dtype=np.float64)
    L = np.zeros((d, d))
    for k, (i, j) in enumerate(tril_positions(d)):
        L[i, j] = softplus(float(packed[k])) + spec["jitter"] if i == j else packed[k]
    return L


def low_rank_parts(spec: Spec, raw: Raw) -> tuple[np.ndarray, np.ndarray]:
    """``U (d, rank)`` and the diagonal ``D = softplus(raw_cov_diag) + jitter`` of a low-rank family."""
    U = np.asarray(raw["cov_factor"], dtype=np.float64)
    D = np.array([softplus(float(r)) + spec["jitter"] for r in np.asarray(raw["raw_cov_diag"], dtype=np.float64)])
    return U, D


def moments(spec: Spec, raw: Raw) -> tuple[np.ndarray, np.ndarray]:
    """Mean ``(d,)`` and covariance ``(d, d)`` of a Gaussian family."""
    mean = np.asarray(raw["mean"], dtype=np.float64)
    family = spec["family"]
    if family == "iid_gaussian":
        std = np.exp(np.asarray(raw["log_std"], dtype=np.float64))
        return mean, np.diag(std * std)
    if family == "gaussian":
        L = scale_tril(spec, raw["raw_tril"])
        return mean, L @ L.T
    if family == "low_rank_gaussian":
        U, D = low_rank_parts(spec, raw)
        return mean, U @ U.T + np.diag(D)
    raise ValueError(f"{family!r} is not a Gaussian family")


def sample_transform(spec: Spec, raw: Raw, noise: Any) -> np.ndarray:
    """Samples ``(num_samples, num_params)`` from standard-normal ``noise (num_samples, *noise_shape)``."""
    noise = np.asarray(noise, dtype=np.float64)
    family = spec["family"]
    if family == "deterministic":
        return np.tile(np.asarray(raw["params"], dtype=np.float64), (noise.shape[0], 1))
    mean = np.asarray(raw["mean"], dtype=np.float64)
    if family == "iid_gaussian":
        return mean[None, :] + np.exp(np.asarray(raw["log_std"], dtype=np.float64))[None, :] * noise
    if family == "gaussian":
        L = scale_tril(spec, raw["raw_tril"])
        return mean[None, :] + np.einsum("ij,sj->si", L, noise)  # row s: mean + L eps_s
    if family == "low_rank_gaussian":
        U, D = low_rank_parts(spec, raw)
        rank = U.shape[1]
        eps_u, eps_d = noise[:, :rank], noise[:, rank:]
        return mean[None, :] + np.einsum("ik,sk->si", U, eps_u) + np.sqrt(D)[None, :] * eps_d
    raise ValueError(f"{family!r} has no closed-form sample transform")


def log_prob(spec: Spec, raw: Raw, theta: Any) -> np.ndarray:
    """``log q(theta)`` of a Gaussian family at ``theta (n, d)``: ``(n,)``."""
    mean, cov = moments(spec, raw)
    theta = np.atleast_2d(np.asarray(theta, dtype=np.float64))
    return np.atleast_1d(stats.multivariate_normal(mean, cov).logpdf(theta))
