"""Turn raw per-call times into the results document (medians, IQR, speed-ups, GFLOP/s)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import numpy as np
from harness.rounds import Column, WorkloadRun
from workloads import Workload

BASELINE = "pypolymix"


def _stats(times: list[float]) -> dict[str, Any] | None:
    if not times:
        return None
    q1, med, q3 = np.percentile(np.asarray(times), [25, 50, 75])
    return {"median_s": float(med), "q1_s": float(q1), "q3_s": float(q3), "min_s": min(times), "n": len(times)}


def _ratio(base: dict[str, Any] | None, other: dict[str, Any] | None) -> float | None:
    if base is None or other is None:
        return None
    return base["median_s"] / other["median_s"]


def summarise_workload(
    workload: Workload, columns: list[Column], run: WorkloadRun, peak_gflops: float | None
) -> dict[str, Any]:
    """One workload's entry of the results document."""
    cells = run.cells
    stats = {c.id: (_stats(cells[c.id].step_times), _stats(cells[c.id].predict_times)) for c in columns}
    base_step, base_pred = stats.get(BASELINE, (None, None))
    flops = workload.train_flops()
    out_cells: dict[str, Any] = {}
    for col in columns:
        cell = cells[col.id]
        step, pred = stats[col.id]
        gflops = None if (flops is None or step is None) else flops / step["median_s"] / 1e9
        out_cells[col.id] = {
            "error": cell.error,
            "step": step,
            "predict": pred,
            "speedup_step": None if col.id == BASELINE else _ratio(base_step, step),
            "speedup_predict": None if col.id == BASELINE else _ratio(base_pred, pred),
            "first_step_s": cell.setup.get("first_step_s"),
            "first_predict_s": cell.setup.get("first_predict_s"),
            "build_s": cell.setup.get("build_s"),
            "rss_import_mib": cell.rss_import_mib,
            "peak_rss_mib": cell.peak_rss_mib,
            "train_gflops": gflops,
            "pct_peak": None if (gflops is None or not peak_gflops) else 100.0 * gflops / peak_gflops,
        }
    return {
        "name": workload.name,
        "title": workload.title,
        "category": workload.category,
        "num_points": workload.num_points,
        "num_samples": workload.num_samples,
        "num_params": workload.model.surrogate.num_params,
        "train_flops": flops,
        "note": workload.note,
        "background_cpus": run.background_cpus,
        "cells": out_cells,
    }


def column_metas(columns: list[Column], runs: list[WorkloadRun]) -> dict[str, Any]:
    """The first ``hello`` metadata each column reported, with its label."""
    out: dict[str, Any] = {}
    for col in columns:
        meta = next((r.cells[col.id].meta for r in runs if r.cells[col.id].meta), {})
        out[col.id] = {"label": col.label, "meta": meta}
    return out


def settings_dict(settings: Any) -> dict[str, Any]:
    """The run's settings as JSON."""
    return asdict(settings)
