"""The request loop every runner process serves (standard library only).

A runner is started once per (column, workload). It reads one JSON request per line on
stdin and answers one JSON line on a private copy of stdout; anything else a library prints
(to Python's ``sys.stdout`` or to file descriptor 1) goes to stderr, which the orchestrator
logs. Requests:

``hello``                   versions and the RSS after imports
``setup``  job, data        build the model, time the first step and predictive call, warm up
``time``   phase, min_time  time calls of ``step`` or ``predict`` until ``min_time`` has passed
``probe``                   float32 matmul peak (GFLOP/s), where the runner offers it
``finish``                  peak RSS (``ru_maxrss``) of this process, then exit

Every failure is answered ``{"ok": false, "error": <traceback tail>}``; it never kills the loop.
``serve_module`` imports a polymix column's backend module first and, if that import fails,
still serves, answering every ``setup`` with the import error.

This folder (``runners/``) runs inside each column's interpreter, the pypolymix 0.1.9 baseline's
virtualenv included. No module here imports a polymix package unless it serves a polymix column;
the modules the baseline runner uses (this one, ``_build``, ``_torch_session``,
``_pypolymix_patches``) need only the standard library, numpy and torch.
"""

from __future__ import annotations

import gc
import importlib
import json
import os
import resource
import sys
import time
import traceback
from typing import IO, Any, Callable, Protocol


class Session(Protocol):
    """One workload built in one column."""

    def step(self) -> None:
        """One full training step, finished (synchronised) when it returns."""

    def predict(self) -> None:
        """One predictive forward pass without gradients, finished when it returns."""


SessionFactory = Callable[[dict[str, Any], str], Session]
ApiSessionFactory = Callable[[Any, dict[str, Any], str], Session]


def configure_threads() -> int:
    """Pin this process to the first ``POLYMIX_BENCH_THREADS`` CPUs; return the thread count.

    Call before importing torch or jax, so that their thread pools size themselves to it.
    """
    n = int(os.environ.get("POLYMIX_BENCH_THREADS", "2"))
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = str(n)
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) > n:
        os.sched_setaffinity(0, cpus[:n])
    return n


def protocol_channel() -> IO[str]:
    """A private line-buffered copy of stdout; fd 1 and ``sys.stdout`` are redirected to stderr."""
    fd = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return os.fdopen(fd, "w", buffering=1)


def current_rss_mib() -> float:
    """Resident set size now, from ``/proc/self/statm``."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_rss_mib() -> float:
    """High-water RSS of this process (``getrusage(RUSAGE_SELF).ru_maxrss``, KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def time_calls(fn: Callable[[], None], min_time: float, max_iters: int, min_iters: int = 1) -> list[float]:
    """Seconds of each call of ``fn``, calling it until ``min_time`` has passed (within the bounds)."""
    gc.collect()
    times: list[float] = []
    start = time.perf_counter()
    while len(times) < max_iters and (len(times) < min_iters or time.perf_counter() - start < min_time):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


def _first_and_warm(fn: Callable[[], None], warm_time: float, min_calls: int = 2) -> tuple[float, int]:
    """Time the first call (compilation included), then call until warm; return (first, calls)."""
    t0 = time.perf_counter()
    fn()
    first = time.perf_counter() - t0
    start, calls = time.perf_counter(), 1
    while calls < 100 and (calls < min_calls or time.perf_counter() - start < warm_time):
        fn()
        calls += 1
    return first, calls


def _error_text(exc: BaseException) -> str:
    lines = traceback.format_exception(type(exc), exc, exc.__traceback__)
    text = "".join(lines[-6:]).strip()
    return text[-3000:]


def serve(
    make_session: SessionFactory,
    meta: Callable[[], dict[str, Any]],
    probe: Callable[[], dict[str, Any]] | None = None,
) -> None:
    """Answer requests on stdin until ``finish`` or end of input."""
    out = protocol_channel()
    rss_import = current_rss_mib()
    session: Session | None = None

    def reply(obj: dict[str, Any]) -> None:
        out.write(json.dumps(obj) + "\n")
        out.flush()

    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        cmd = req.get("cmd")
        try:
            if cmd == "hello":
                reply({"ok": True, "meta": meta(), "rss_import_mib": rss_import, "pid": os.getpid()})
            elif cmd == "setup":
                t0 = time.perf_counter()
                session = make_session(req["job"], req["data"])
                build_s = time.perf_counter() - t0
                warm = float(req.get("warm_time", 0.5))
                first_step, n_step = _first_and_warm(session.step, warm)
                first_pred, n_pred = _first_and_warm(session.predict, warm)
                reply(
                    {
                        "ok": True,
                        "build_s": build_s,
                        "first_step_s": first_step,
                        "first_predict_s": first_pred,
                        "warmup_calls": [n_step, n_pred],
                        "rss_after_setup_mib": current_rss_mib(),
                    }
                )
            elif cmd == "time":
                if session is None:
                    raise RuntimeError("time before a successful setup")
                fn = session.step if req["phase"] == "step" else session.predict
                times = time_calls(fn, float(req["min_time"]), int(req["max_iters"]))
                reply({"ok": True, "times": times})
            elif cmd == "probe":
                if probe is None:
                    raise RuntimeError("this runner has no matmul probe")
                reply({"ok": True, **probe()})
            elif cmd == "finish":
                reply({"ok": True, "peak_rss_mib": peak_rss_mib(), "rss_import_mib": rss_import})
                return
            else:
                raise ValueError(f"unknown request {cmd!r}")
        except Exception as exc:  # noqa: BLE001 - every failure is reported, never fatal
            reply({"ok": False, "error": _error_text(exc)})


def serve_module(
    api_name: str,
    make_session: ApiSessionFactory,
    meta: Callable[[Any | None], dict[str, Any]],
    probe: Callable[[], dict[str, Any]] | None = None,
) -> None:
    """Import the module ``api_name``, then ``serve`` sessions built from it.

    ``make_session(api, job, data)`` builds a workload in the imported module ``api``;
    ``meta(api)`` describes the runner. If the import fails, the runner still serves: ``hello``
    answers ``meta(None)`` plus ``import_error``, every ``setup`` is answered with the import
    error, and ``probe`` (which needs only the framework) works as usual.
    """
    try:
        api = importlib.import_module(api_name)
    except Exception as exc:  # noqa: BLE001 - reported per request by the loop
        error = exc

        def failing(job: dict[str, Any], data: str) -> Session:
            raise RuntimeError(f"import {api_name} failed: {error!r}")

        serve(failing, lambda: {**meta(None), "import_error": repr(error)}, probe)
        return
    serve(lambda job, data: make_session(api, job, data), lambda: meta(api), probe)
