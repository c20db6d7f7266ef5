"""Reference Langevin dynamics: the update rule, the score field and runs from given noise."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Callable

import numpy as np

from .._errors import PolymixValueError, ShapeError, check_noise_shape
from .._group_specs import LangevinGroupSpec
from .._surrogate_specs import SurrogateSpec
from ._derivatives import input_gradient
from ._surrogates import forward

__all__ = ["langevin_trajectory", "score_function", "langevin_from_noise"]


def langevin_trajectory(
    score: Callable[[np.ndarray], np.ndarray], theta0: np.ndarray, noise: np.ndarray, step_size: float
) -> np.ndarray:
    """Unadjusted Langevin: ``theta_{k+1} = theta_k + h s(theta_k) + sqrt(2 h) xi_k``.

    Args:
        score: Maps ``(num_particles, num_params)`` to the score, same shape.
        theta0: Initial particles ``(num_particles, num_params)``.
        noise: ``(num_steps, num_particles, num_params)`` standard normals ``xi_k``.
        step_size: ``h > 0``.

    Returns:
        ``(num_steps + 1, num_particles, num_params)``: the initial particles, then one row per step.

    Example:
        >>> traj = langevin_trajectory(lambda t: -t, np.ones((1, 1)), np.zeros((2, 1, 1)), 0.5)
        >>> traj[:, 0, 0].tolist()
        [1.0, 0.5, 0.25]
    """
    theta0 = np.asarray(theta0, dtype=np.float64)
    noise = np.asarray(noise, dtype=np.float64)
    if noise.ndim != 3 or noise.shape[1:] != theta0.shape:
        raise ShapeError(
            f"noise: expected shape (num_steps, {theta0.shape[0]}, {theta0.shape[1]}), received shape {noise.shape}"
        )
    out = [theta0]
    scale = np.sqrt(2.0 * step_size)
    for xi in noise:
        out.append(out[-1] + step_size * score(out[-1]) + scale * xi)
    return np.stack(out)


def score_function(
    spec: LangevinGroupSpec, surrogate: SurrogateSpec, params: np.ndarray
) -> Callable[[np.ndarray], np.ndarray]:
    """The score field ``(n, num_params) -> (n, num_params)`` of a Langevin group.

    Args:
        spec: The Langevin group spec (``mode`` selects score or energy).
        surrogate: Spec of the score or energy surrogate.
        params: The surrogate's flat parameters ``(surrogate.num_params,)``.

    Returns:
        The score itself (score mode) or the input gradient of the energy (energy mode).

    Example:
        >>> from polymix_core import MLPSpec, LangevinGroupSpec
        >>> s = MLPSpec(2, 1, width=3, depth=0)
        >>> spec = LangevinGroupSpec(2, mode="energy", surrogate_num_inputs=2, surrogate_num_outputs=1,
        ...                          surrogate_num_params=s.num_params, surrogate=s)
        >>> score_function(spec, s, np.array([1.0, -2.0, 0.5]))(np.zeros((1, 2))).tolist()
        [[1.0, -2.0]]
    """
    params = np.asarray(params, dtype=np.float64)
    if spec.mode == "score":
        return lambda theta: forward(surrogate, theta, params[None])[0]
    return lambda theta: input_gradient(surrogate, theta, params)


def langevin_from_noise(
    spec: LangevinGroupSpec, raw: Mapping[str, np.ndarray], noise: np.ndarray, surrogate: SurrogateSpec | None = None
) -> np.ndarray:
    """Run a Langevin group from its per-particle noise ``(n, num_diffusion_steps + 1, num_params)``.

    Row 0 of each particle's noise, times ``init_std``, is its initial position; the
    remaining rows drive the steps.

    Args:
        spec: The Langevin group spec.
        raw: ``{"surrogate_params": (surrogate_num_params,)}``.
        noise: Standard normals ``(n, num_diffusion_steps + 1, num_params)``.
        surrogate: Spec of the score/energy surrogate (default ``spec.surrogate``).

    Returns:
        The trajectory ``(num_diffusion_steps + 1, n, num_params)``.
    """
    noise = np.asarray(noise, dtype=np.float64)
    check_noise_shape("noise", noise.shape, spec.noise_shape)
    surrogate = spec.surrogate if surrogate is None else surrogate
    if surrogate is None:
        raise PolymixValueError("surrogate: expected the Langevin group's score/energy surrogate spec, received None")
    score = score_function(spec, surrogate, raw["surrogate_params"])
    theta0 = spec.init_std * noise[:, 0, :]
    return langevin_trajectory(score, theta0, noise[:, 1:, :].transpose(1, 0, 2), spec.step_size)
