"""polymix-torch columns: eager (default) or ``--compile`` (``torch.compile`` of loss and predictive pass).

``POLYMIX_BENCH_TORCH_API`` names the module with the pypolymix 0.1.9 API (default ``polymix_torch``);
the harness's own self-test points it at another module with that API.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from _runner_loop import configure_threads, serve_module

THREADS = configure_threads()

import torch  # noqa: E402 - after the thread configuration

torch.set_num_threads(THREADS)
torch.set_num_interop_threads(1)

from _torch_session import TorchSession, torch_matmul_probe, torch_meta  # noqa: E402

API_NAME = os.environ.get("POLYMIX_BENCH_TORCH_API", "polymix_torch")
COMPILE = "--compile" in sys.argv[1:]


def _meta(api: Any | None) -> dict[str, Any]:
    if api is None:  # the import failed; serve_module adds the error
        return {"api": API_NAME, "torch": torch.__version__}
    return {**torch_meta(API_NAME, api), "torch_compile": COMPILE}


def main() -> None:
    """Serve requests; an import failure of the backend is answered on every request."""

    def session(api: Any, job: dict[str, Any], data: str) -> TorchSession:
        return TorchSession(api, job, data, compile=COMPILE)

    serve_module(API_NAME, session, _meta, torch_matmul_probe)


if __name__ == "__main__":
    main()
