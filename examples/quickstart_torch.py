"""Fit the README quickstart with polymix-torch."""

from __future__ import annotations

import time

import numpy as np
import quickstart_problem as qp
import torch
from polymix_torch import StochasticModel, parameter_groups, surrogate_models


def fit(data: qp.Data, seed: int = 0) -> dict[str, object]:
    """Train, then draw predictive samples on the held-out points and the grid."""
    torch.manual_seed(seed)
    x = torch.as_tensor(data.x_train, dtype=torch.float32)
    y = torch.as_tensor(data.y_train, dtype=torch.float32)
    pce = surrogate_models.PolynomialChaosExpansion(num_inputs=1, num_outputs=1, degree=qp.DEGREE)
    model = StochasticModel(
        pce,
        [
            parameter_groups.IIDGaussianGroup("stochastic", num_params=qp.NUM_STOCHASTIC),
            parameter_groups.DeterministicGroup("deterministic", num_params=qp.NUM_DETERMINISTIC),
        ],
    )
    optimizer = torch.optim.Adam(model.parameters(), lr=qp.LEARNING_RATE)
    start = time.perf_counter()
    for _ in range(qp.NUM_STEPS):
        optimizer.zero_grad()
        f = model(x, num_samples=qp.NUM_SAMPLES)  # (num_samples, batch_size, 1)
        mean, var = f.mean(0), f.var(0) + 1e-6
        nll = 0.5 * (var.log() + (y - mean) ** 2 / var).mean()
        loss = nll + model.distribution_loss() / len(x)
        loss.backward()
        optimizer.step()
    train_time = time.perf_counter() - start
    with torch.no_grad():
        test = model(torch.as_tensor(data.x_test, dtype=torch.float32), num_samples=qp.NUM_PREDICTIVE_SAMPLES)
        grid = model(torch.as_tensor(data.x_grid, dtype=torch.float32), num_samples=qp.NUM_PREDICTIVE_SAMPLES)
    return {
        "train_time": train_time,
        "test_samples": test.numpy().astype(np.float64),
        "grid_samples": grid.numpy().astype(np.float64),
        "final_loss": float(loss.detach()),
    }
