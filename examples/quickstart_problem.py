"""The README quickstart problem, shared by every backend's fit: data, model layout, hyper-parameters."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NUM_TRAIN = 200
NUM_HELD_OUT = 500
NOISE_STD = 0.1
DEGREE = 5
NUM_STOCHASTIC = 2  # coefficients of P_0 and P_1
NUM_DETERMINISTIC = DEGREE + 1 - NUM_STOCHASTIC
NUM_SAMPLES = 64  # parameter draws per training step
NUM_STEPS = 1500
LEARNING_RATE = 0.02
NUM_PREDICTIVE_SAMPLES = 2000


def truth(x: np.ndarray) -> np.ndarray:
    """The simulation the surrogate replaces."""
    return np.sin(3.0 * x)


@dataclass(frozen=True)
class Data:
    """Training and held-out data, ``(batch_size, 1)`` each, plus a plotting grid."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    x_grid: np.ndarray


def make_data(seed: int = 0) -> Data:
    """Noisy ``sin(3x)`` on ``[-1, 1]``; the held-out set is an independent draw."""
    rng = np.random.default_rng(seed)
    x_train = rng.uniform(-1.0, 1.0, (NUM_TRAIN, 1))
    x_test = rng.uniform(-1.0, 1.0, (NUM_HELD_OUT, 1))
    return Data(
        x_train=x_train,
        y_train=truth(x_train) + NOISE_STD * rng.standard_normal(x_train.shape),
        x_test=x_test,
        y_test=truth(x_test) + NOISE_STD * rng.standard_normal(x_test.shape),
        x_grid=np.linspace(-1.0, 1.0, 201)[:, None],
    )
