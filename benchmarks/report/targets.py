"""The benchmark targets, evaluated on a results document (PASS / MISS per column).

Training-step speed-up over pypolymix 0.1.9 (median step time of the baseline / of the column):

- geometric mean over all workloads >= 10x for polymix-torch (eager and torch.compile), >= 20x for polymix-jax;
- every PCE workload >= 20x;
- no workload slower than pypolymix (>= 1x);
- ``mlp_large`` reaches >= 60 % of the measured float32 matmul peak (achieved training GFLOP/s);
- ``moe_16`` >= 5x.
"""

from __future__ import annotations

import math
from typing import Any

GEOMEAN_TARGET = {"torch": 10.0, "torch_compile": 10.0, "jax": 20.0}
PCE_TARGET = 20.0
NOT_SLOWER = 1.0
LARGE_MLP = "mlp_large"
LARGE_MLP_PCT = 60.0
MOE16 = "moe_16"
MOE16_TARGET = 5.0


def _speedups(results: dict[str, Any], col: str, category: str | None = None) -> tuple[dict[str, float], list[str]]:
    """Training-step speed-ups of ``col`` per workload, and the workloads without one."""
    got, missing = {}, []
    for w in results["workloads"]:
        if category is not None and w["category"] != category:
            continue
        s = w["cells"].get(col, {}).get("speedup_step")
        if s is None:
            missing.append(w["name"])
        else:
            got[w["name"]] = s
    return got, missing


def _row(target: str, col: str, value: str, ok: bool, detail: str) -> dict[str, Any]:
    return {"target": target, "column": col, "value": value, "status": "PASS" if ok else "MISS", "detail": detail}


def _missing(missing: list[str]) -> str:
    return f"no measurement for {', '.join(missing)}" if missing else ""


def evaluate(results: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per (target, column); a missing measurement is a MISS that says so."""
    cols = [c for c in GEOMEAN_TARGET if c in results["columns"]]
    rows: list[dict[str, Any]] = []
    for col in cols:
        sp, missing = _speedups(results, col)
        gm = math.exp(sum(math.log(v) for v in sp.values()) / len(sp)) if sp else None
        goal = GEOMEAN_TARGET[col]
        value = "n/a" if gm is None else f"{gm:.2f}x over {len(sp)} workloads"
        rows.append(
            _row(
                f"geometric-mean step speed-up >= {goal:g}x",
                col,
                value,
                gm is not None and gm >= goal and not missing,
                _missing(missing),
            )
        )
    for col in cols:
        sp, missing = _speedups(results, col, "pce")
        low = {k: v for k, v in sp.items() if v < PCE_TARGET}
        value = "n/a" if not sp else f"min {min(sp.values()):.2f}x"
        detail = "; ".join(filter(None, [", ".join(f"{k} {v:.2f}x" for k, v in low.items()), _missing(missing)]))
        rows.append(
            _row(f"every PCE workload >= {PCE_TARGET:g}x", col, value, bool(sp) and not low and not missing, detail)
        )
    for col in cols:
        sp, missing = _speedups(results, col)
        slow = {k: v for k, v in sp.items() if v < NOT_SLOWER}
        value = "n/a" if not sp else f"min {min(sp.values()):.2f}x"
        detail = "; ".join(filter(None, [", ".join(f"{k} {v:.2f}x" for k, v in slow.items()), _missing(missing)]))
        rows.append(
            _row("no workload slower than pypolymix", col, value, bool(sp) and not slow and not missing, detail)
        )
    for col in cols:
        w = next((w for w in results["workloads"] if w["name"] == LARGE_MLP), None)
        pct = None if w is None else w["cells"].get(col, {}).get("pct_peak")
        value = "n/a" if pct is None else f"{pct:.1f} % of {results['peak']['gflops']:.1f} GFLOP/s"
        rows.append(
            _row(
                f"{LARGE_MLP} >= {LARGE_MLP_PCT:g} % of matmul peak",
                col,
                value,
                pct is not None and pct >= LARGE_MLP_PCT,
                "" if pct is not None else "no measurement",
            )
        )
    for col in cols:
        w = next((w for w in results["workloads"] if w["name"] == MOE16), None)
        s = None if w is None else w["cells"].get(col, {}).get("speedup_step")
        value = "n/a" if s is None else f"{s:.2f}x"
        rows.append(
            _row(
                f"{MOE16} >= {MOE16_TARGET:g}x",
                col,
                value,
                s is not None and s >= MOE16_TARGET,
                "" if s is not None else "no measurement",
            )
        )
    return rows
