"""Side-by-side measurement: every column of one workload is alive at once and timed round-robin."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from workloads import Workload

from harness.load import CpuMeter
from harness.procs import RunnerError, RunnerProcess, runner_env


@dataclass(frozen=True)
class Column:
    """One backend column: an id, a label for the report, the runner's argv.

    ``isolated``: run without ``PYTHONPATH`` (the baseline, whose virtualenv holds all it needs).
    ``pythonpath``: run with this ``PYTHONPATH`` (``--before``: the same runner on another checkout).
    """

    id: str
    label: str
    argv: tuple[str, ...]
    isolated: bool = False
    pythonpath: str | None = None


@dataclass(frozen=True)
class Settings:
    """Repeat counts and time limits of a run."""

    threads: int = 2
    rounds: int = 7
    min_time: float = 0.3  # seconds of calls per (column, phase) block per round
    max_iters: int = 1000  # calls per block at most
    warm_time: float = 0.5  # warm-up after the first call, per phase
    setup_timeout: float = 900.0
    time_timeout: float = 600.0
    pause: float = 0.05  # idle gap between blocks, so no thread pool still spins
    extra_env: dict[str, str] = field(default_factory=dict)


@dataclass
class Cell:
    """What one column measured on one workload (or why it could not)."""

    error: str | None = None
    step_times: list[float] = field(default_factory=list)
    predict_times: list[float] = field(default_factory=list)
    setup: dict[str, Any] = field(default_factory=dict)
    rss_import_mib: float | None = None
    peak_rss_mib: float | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def fail(self, where: str, exc: Exception) -> None:
        """Record the first error (later ones are consequences)."""
        if self.error is None:
            self.error = f"{where}: {exc}"


def _say(msg: str) -> None:
    print(msg, flush=True)


@dataclass
class WorkloadRun:
    """Every column's cell of one workload, and the CPUs other processes used meanwhile."""

    cells: dict[str, Cell]
    background_cpus: float


def run_workload(workload: Workload, columns: list[Column], settings: Settings, scratch: Path) -> WorkloadRun:
    """Measure ``workload`` in every column; a failing column records its error, never aborts the run."""
    meter = CpuMeter()
    data_path = scratch / f"{workload.name}.npz"
    x, y = workload.data()
    np.savez(data_path, x=x, y=y)
    cells = {c.id: Cell() for c in columns}
    procs: dict[str, RunnerProcess] = {}
    for col in columns:
        cell = cells[col.id]
        try:
            env = runner_env(settings.threads, settings.extra_env, col.isolated, col.pythonpath)
            proc = RunnerProcess(list(col.argv), env, scratch / "logs" / f"{workload.name}.{col.id}.log")
        except OSError as exc:
            cell.fail("start", exc)
            continue
        procs[col.id] = proc
        try:
            hello = proc.request({"cmd": "hello"}, timeout=settings.setup_timeout)
            cell.meta, cell.rss_import_mib = hello["meta"], hello["rss_import_mib"]
            t0 = time.perf_counter()
            cell.setup = proc.request(
                {"cmd": "setup", "job": workload.job(), "data": str(data_path), "warm_time": settings.warm_time},
                timeout=settings.setup_timeout,
            )
            _say(
                f"  {col.id:<14} setup {time.perf_counter() - t0:6.1f} s "
                f"(first step {cell.setup['first_step_s']:.3f} s, first predict {cell.setup['first_predict_s']:.3f} s)"
            )
        except RunnerError as exc:
            cell.fail("setup", exc)
            _say(f"  {col.id:<14} FAILED at setup: {str(exc).splitlines()[-1] if str(exc) else exc}")

    def live() -> list[Column]:
        return [c for c in columns if c.id in procs and cells[c.id].error is None]

    for r in range(settings.rounds):
        cols = live()
        order = cols[r % len(cols) :] + cols[: r % len(cols)] if cols else []
        for phase in ("step", "predict"):
            for col in order:
                cell = cells[col.id]
                if cell.error is not None:
                    continue
                req = {"cmd": "time", "phase": phase, "min_time": settings.min_time, "max_iters": settings.max_iters}
                try:
                    times = procs[col.id].request(req, timeout=settings.time_timeout)["times"]
                except RunnerError as exc:
                    cell.fail(f"timing ({phase})", exc)
                    continue
                (cell.step_times if phase == "step" else cell.predict_times).extend(times)
                time.sleep(settings.pause)
        _say(f"  round {r + 1}/{settings.rounds} done")

    for col_id, proc in procs.items():
        answer = proc.close()
        if answer is not None:
            cells[col_id].peak_rss_mib = answer["peak_rss_mib"]
    return WorkloadRun(cells, meter.background_cpus())


def run_probe(column: Column, settings: Settings, scratch: Path, tag: str) -> dict[str, Any]:
    """The matmul peak probe of one runner (``{"error": ...}`` if it failed)."""
    proc = RunnerProcess(
        list(column.argv),
        runner_env(settings.threads, settings.extra_env, column.isolated, column.pythonpath),
        scratch / "logs" / f"probe.{tag}.log",
    )
    try:
        return proc.request({"cmd": "probe"}, timeout=settings.setup_timeout)
    except RunnerError as exc:
        return {"error": str(exc)}
    finally:
        proc.close()
