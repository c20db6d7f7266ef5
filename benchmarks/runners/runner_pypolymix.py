"""Baseline column: the real pypolymix 0.1.9, eager torch.

Run by ``run.py`` with the interpreter of pypolymix's own virtualenv (its import name
``pypolymix`` is shared by the polymix-torch drop-in). Imports no polymix package.

``pypolymix`` is imported directly, not through ``serve_module``: ``harness/baseline_env.py``
has verified the virtualenv before the run, so a failing import ends this process, and the
harness records the exit, with the tail of this runner's stderr, as the column's error.
"""

from __future__ import annotations

from _runner_loop import configure_threads, serve

THREADS = configure_threads()

import torch  # noqa: E402 - after the thread configuration

torch.set_num_threads(THREADS)
torch.set_num_interop_threads(1)

import _pypolymix_patches  # noqa: E402
import pypolymix  # noqa: E402
from _torch_session import TorchSession, torch_matmul_probe, torch_meta  # noqa: E402


def _meta() -> dict:
    meta = torch_meta("pypolymix", pypolymix)
    try:
        import polymix_torch  # noqa: F401

        meta["warning"] = "polymix_torch is importable in the baseline environment"
    except ImportError:
        pass
    return meta


def _session(job: dict, data: str) -> TorchSession:
    _pypolymix_patches.apply(job.get("baseline_patches", []), pypolymix, torch)
    return TorchSession(pypolymix, job, data)


if __name__ == "__main__":
    serve(_session, _meta, torch_matmul_probe)
