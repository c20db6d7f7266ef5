"""Unrolled Langevin dynamics (contract section 6)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .surrogates import forward

#: Relative step of the fourth-order central differences of an energy surrogate's input gradient.
ENERGY_STEP = 1e-3
#: Relative step of the second-order fallback where the stencil straddles a kink (ReLU).
KINK_STEP = 1e-7


def score(spec: dict[str, Any], params: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """The drift ``s(theta) (n, d)`` of a Langevin group spec with surrogate parameters ``params``.

    Score mode: the surrogate's output. Energy mode: ``grad_theta E(theta)`` by fourth-order
    central differences of the surrogate (about ``1e-12`` relative for smooth activations); where
    the steps ``h`` and ``h / 2`` disagree (a kink inside the stencil) a tiny second-order step is used.
    """
    surrogate = spec["surrogate"]
    params = np.asarray(params, dtype=np.float64)[None, :]
    if spec["mode"] == "score":
        return forward(surrogate, theta, params)[0]
    grad = np.zeros_like(theta)
    for i in range(theta.shape[1]):
        size = np.maximum(1.0, np.abs(theta[:, i]))

        def energy(shift: np.ndarray, i: int = i) -> np.ndarray:
            moved = theta.copy()
            moved[:, i] += shift
            return forward(surrogate, moved, params)[0, :, 0]

        def fourth(h: np.ndarray) -> np.ndarray:
            return (energy(-2 * h) - 8 * energy(-h) + 8 * energy(h) - energy(2 * h)) / (12.0 * h)

        coarse, fine = fourth(ENERGY_STEP * size), fourth(0.5 * ENERGY_STEP * size)
        tiny = KINK_STEP * size
        kink = np.abs(coarse - fine) > 1e-7 * (1.0 + np.abs(fine))
        grad[:, i] = np.where(kink, (energy(tiny) - energy(-tiny)) / (2.0 * tiny), fine)
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
