"""polymix-torch columns: eager (default) or ``--compile`` (``torch.compile`` of loss and predictive pass).

``POLYMIX_BENCH_TORCH_API`` names the module with the seed API (default ``polymix_torch``);
the harness's own self-test points it at another seed-API module.
"""

from __future__ import annotations

import importlib
import os
import sys

from _runner_loop import configure_threads, serve

THREADS = configure_threads()

import torch  # noqa: E402 - after the thread configuration

torch.set_num_threads(THREADS)
torch.set_num_interop_threads(1)

from _torch_session import TorchSession, torch_matmul_probe, torch_meta  # noqa: E402

API_NAME = os.environ.get("POLYMIX_BENCH_TORCH_API", "polymix_torch")
COMPILE = "--compile" in sys.argv[1:]


def main() -> None:
    """Serve requests; an import failure of the backend is answered on every request."""
    try:
        api = importlib.import_module(API_NAME)
    except Exception as exc:  # noqa: BLE001 - reported per request by the loop
        error = exc

        def failing(job: dict, data: str) -> TorchSession:
            raise RuntimeError(f"import {API_NAME} failed: {error!r}")

        meta = {"api": API_NAME, "import_error": repr(error), "torch": torch.__version__}
        serve(failing, lambda: meta, torch_matmul_probe)
        return

    def meta() -> dict:
        m = torch_meta(API_NAME, api)
        m["torch_compile"] = COMPILE
        return m

    serve(lambda job, data: TorchSession(api, job, data, compile=COMPILE), meta, torch_matmul_probe)


if __name__ == "__main__":
    main()
