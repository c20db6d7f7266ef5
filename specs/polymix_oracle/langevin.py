"""Unrolled Langevin dynamics (contract section 6)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .surrogates import forward

#: Relative step of the central differences of an energy surrogate's input gradient.
ENERGY_STEP = 1e-5


def score(spec: dict[str, Any], params: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """The drift ``s(theta) (n, d)`` of a Langevin group spec with surrogate parameters ``params``.

    Score mode: the surrogate's output. Energy mode: ``grad_theta E(theta)`` by fourth-order
    central differences of the surrogate (accurate to about ``1e-10`` for smooth activations).
    """
    surrogate = spec["surrogate"]
    params = np.asarray(params, dtype=np.float64)[None, :]
    if spec["mode"] == "score":
        return forward(surrogate, theta, params)[0]
    grad = np.zeros_like(theta)
    for i in range(theta.shape[1]):
        h = ENERGY_STEP * np.maximum(1.0, np.abs(theta[:, i]))

        def energy(shift: float, i: int = i, h: np.ndarray = h) -> np.ndarray:
            moved = theta.copy()
            moved[:, i] += shift * h
            return forward(surrogate, moved, params)[0, :, 0]

        grad[:, i] = (energy(-2) - 8 * energy(-1) + 8 * energy(1) - energy(2)) / (12.0 * h)
    return grad


def trajectory(spec: dict[str, Any], params: Any, theta0: Any, noise: Any) -> np.ndarray:
    """``theta_{k+1} = theta_k + h s(theta_k) + sqrt(2 h) xi_k``: ``(num_steps + 1, n, d)``, row 0 ``theta0``."""
    h = float(spec["step_size"])
    theta = np.array(theta0, dtype=np.float64)
    rows = [theta.copy()]
    for xi in np.asarray(noise, dtype=np.float64):
        drift = score(spec, params, theta)
        for p in range(theta.shape[0]):
            for j in range(theta.shape[1]):
                theta[p, j] = theta[p, j] + h * drift[p, j] + math.sqrt(2.0 * h) * xi[p, j]
        rows.append(theta.copy())
    return np.stack(rows)
