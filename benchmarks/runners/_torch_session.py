"""The torch training step and predictive pass, shared by the pypolymix and polymix-torch runners.

Imports torch, numpy and the standard library only (never polymix): the baseline runner
uses it in pypolymix's own virtualenv. The model is built through ``api`` (the real
``pypolymix`` or ``polymix_torch``) exactly as user code would build it.
"""

from __future__ import annotations

import statistics
import time
from typing import Any, Callable

import numpy as np
import torch
from _build import build_model


class TorchSession:
    """A workload in a torch column: Adam on ``MSE(model(x, S), y) + distribution_loss() / N``.

    Args:
        api: Module with the pypolymix 0.1.9 API (``pypolymix`` or ``polymix_torch``).
        job: The workload's JSON description (``Workload.job()``).
        data_path: ``.npz`` with float32 ``x`` and ``y``.
        compile: Wrap the loss closure and the predictive pass in ``torch.compile``
            (AOTAutograd compiles the backward too); Adam stays eager, as in the other torch columns.
    """

    def __init__(self, api: Any, job: dict[str, Any], data_path: str, compile: bool = False) -> None:
        torch.manual_seed(0)
        with np.load(data_path) as data:
            self.x = torch.from_numpy(data["x"]).float()
            self.y = torch.from_numpy(data["y"]).float()
        self.num_samples = int(job["num_samples"])
        self.model = build_model(api, job["model"])
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=float(job["learning_rate"]))
        self._loss: Callable[[], torch.Tensor] = self._loss_eager
        self._predict: Callable[[], torch.Tensor] = self._predict_eager
        if compile:
            self._loss = torch.compile(self._loss_eager)
            self._predict = torch.compile(self._predict_eager)

    def _loss_eager(self) -> torch.Tensor:
        f = self.model(self.x, num_samples=self.num_samples)  # (S, N, O)
        return ((f - self.y) ** 2).mean() + self.model.distribution_loss() / self.x.shape[0]

    def _predict_eager(self) -> torch.Tensor:
        with torch.no_grad():
            return self.model(self.x, num_samples=self.num_samples)

    def step(self) -> None:
        """zero_grad, loss, backward, Adam step."""
        self.optimizer.zero_grad(set_to_none=True)
        loss = self._loss()
        loss.backward()
        self.optimizer.step()

    def predict(self) -> None:
        """Forward pass with ``num_samples`` draws under ``no_grad``."""
        self._predict()


def torch_matmul_probe(sizes: tuple[int, ...] = (512, 1024, 2048), min_time: float = 0.5) -> dict[str, Any]:
    """Median float32 GEMM throughput ``C = A @ B`` (square, ``n``) per size, in GFLOP/s."""
    results: dict[str, float] = {}
    for n in sizes:
        gen = torch.Generator().manual_seed(n)
        a = torch.randn(n, n, generator=gen)
        b = torch.randn(n, n, generator=gen)
        c = torch.empty(n, n)
        for _ in range(3):
            torch.matmul(a, b, out=c)
        times: list[float] = []
        start = time.perf_counter()
        while len(times) < 5 or (time.perf_counter() - start < min_time and len(times) < 200):
            t0 = time.perf_counter()
            torch.matmul(a, b, out=c)
            times.append(time.perf_counter() - t0)
        results[str(n)] = 2 * n**3 / statistics.median(times) / 1e9
    return {"framework": "torch", "gflops_by_size": results, "gflops": max(results.values())}


def torch_meta(api_name: str, api: Any) -> dict[str, Any]:
    """Versions and thread settings of a torch runner."""
    version = getattr(api, "__version__", None)
    if version is None:
        try:
            from importlib.metadata import version as dist_version

            version = dist_version(api_name.replace("_", "-"))
        except Exception:  # noqa: BLE001 - a missing version is reported as unknown
            version = "unknown"
    return {
        "api": api_name,
        "api_version": version,
        "api_file": getattr(api, "__file__", None),
        "torch": torch.__version__,
        "numpy": np.__version__,
        "torch_threads": torch.get_num_threads(),
        "torch_interop_threads": torch.get_num_interop_threads(),
    }
