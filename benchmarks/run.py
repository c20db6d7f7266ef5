"""Run the cross-framework benchmarks and write the report.

    python benchmarks/run.py                           # full run -> benchmarks/reports/latest.{md,json,png}
    python benchmarks/run.py --quick --workloads quickstart   # smoke run -> benchmarks/reports/_scratch/

Columns: pypolymix 0.1.9 (baseline, in its own virtualenv under ``$POLYMIX_NOX_ROOT/_bench_pypolymix``,
created on first use), polymix-torch eager, polymix-torch under ``torch.compile``, polymix-jax
with a jit-compiled step. See ``benchmarks/README.md`` for the methodology.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shlex
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from harness.baseline_env import baseline_python
from harness.load import CpuMeter
from harness.procs import runner_argv
from harness.rounds import Column, Settings, run_probe, run_workload
from report.chart import write_chart
from report.markdown import render
from report.summary import column_metas, settings_dict, summarise_workload
from report.targets import evaluate
from workloads import select

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
REPORTS = BENCH_DIR / "reports"
SCRATCH = REPORTS / "_scratch"
COLUMN_IDS = ("pypolymix", "torch", "torch_compile", "jax")


def _columns(ids: list[str], baseline: Path | None) -> list[Column]:
    py = sys.executable
    table = {
        "pypolymix": lambda: Column(
            "pypolymix", "pypolymix 0.1.9 (baseline)", runner_argv(str(baseline), "runner_pypolymix.py"), isolated=True
        ),
        "torch": lambda: Column("torch", "polymix-torch (eager)", runner_argv(py, "runner_torch.py")),
        "torch_compile": lambda: Column(
            "torch_compile", "polymix-torch (torch.compile)", runner_argv(py, "runner_torch.py", "--compile")
        ),
        "jax": lambda: Column("jax", "polymix-jax (jit)", runner_argv(py, "runner_jax.py")),
    }
    return [table[i]() for i in COLUMN_IDS if i in ids]


def _before_columns(columns: list[Column], checkout: Path) -> list[Column]:
    """A twin of every polymix column running on ``checkout``'s sources: before/after in one interleaved run."""
    src = [checkout / "packages" / f"polymix-{p}" / "src" for p in ("core", "torch", "jax")]
    path = os.pathsep.join(str(s.resolve()) for s in src)
    return [
        Column(f"{c.id}_before", f"{c.label}, before", c.argv, pythonpath=path) for c in columns if c.id != "pypolymix"
    ]


def _machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        kib = next(
            int(ln.split()[1]) for ln in Path("/proc/meminfo").read_text().splitlines() if ln.startswith("MemTotal")
        )
    except (OSError, StopIteration, ValueError):
        kib = 0
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain"], cwd=REPO_ROOT, capture_output=True, text=True
        ).stdout.strip()
        commit = f"{commit}{' + uncommitted changes' if dirty else ''}"
    except OSError:
        commit = "unknown"
    return {
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "memory_gib": kib / 2**20,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "commit": commit,
    }


def _peak(probes: dict[str, dict[str, Any]]) -> dict[str, Any]:
    ok = {k: v for k, v in probes.items() if "gflops" in v}
    parts = [f"{k} {v['gflops']:.1f} GFLOP/s" for k, v in ok.items()] + [f"{k} failed" for k in probes if k not in ok]
    best = max((v["gflops"] for v in ok.values()), default=None)
    summary = ("; ".join(parts) + (f" -> peak {best:.1f} GFLOP/s (the maximum)" if best else "")) or "not measured"
    return {"probes": probes, "gflops": best, "summary": summary}


def _parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="smoke run: 2 short rounds; writes under reports/_scratch/")
    p.add_argument("--workloads", nargs="+", help="workload names (space- or comma-separated); default all")
    p.add_argument("--columns", nargs="+", choices=COLUMN_IDS, help="columns to run; default all")
    p.add_argument(
        "--before",
        type=Path,
        help="another checkout (e.g. a git worktree of an older commit): adds a '<column>_before' twin of every "
        "polymix column on its sources, timed in the same interleaved rounds",
    )
    p.add_argument("--rounds", type=int, help="interleaved rounds (default 7, quick 2)")
    p.add_argument("--min-time", type=float, help="seconds per timed block (default 0.3, quick 0.05)")
    p.add_argument("--threads", type=int, default=1, help="threads of every runner (default 1, see README)")
    p.add_argument("--baseline-python", type=Path, help="use this interpreter (with pypolymix 0.1.9) as the baseline")
    p.add_argument("--out", type=Path, help="output stem (default reports/latest, or reports/_scratch/quick|partial)")
    p.add_argument("--render", type=Path, help="only re-render .md and .png of a results JSON (next to it, or --out)")
    return p.parse_args(argv)


def _write(results: dict[str, Any], stem: Path) -> None:
    stem.parent.mkdir(parents=True, exist_ok=True)
    results["stem"] = stem.name
    stem.with_suffix(".json").write_text(json.dumps(results, indent=1) + "\n")
    stem.with_suffix(".md").write_text(render(results))
    write_chart(results, stem.with_suffix(".png"))
    print(f"wrote {stem.with_suffix('.md')}, .json, .png", flush=True)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark (or re-render a results file); return the exit status."""
    args = _parse(argv)
    if args.render:
        results = json.loads(args.render.read_text())
        _write(results, args.out or args.render.with_suffix(""))
        return 0
    names = [n for item in (args.workloads or []) for n in item.split(",") if n]
    workloads = select(names)
    col_ids = list(args.columns or COLUMN_IDS)
    full = not (args.quick or names or args.columns or args.before)
    stem = args.out or (REPORTS / "latest" if full else SCRATCH / ("quick" if args.quick else "partial"))
    settings = Settings(
        threads=args.threads,
        rounds=args.rounds or (2 if args.quick else 7),
        min_time=args.min_time or (0.05 if args.quick else 0.3),
        max_iters=200 if args.quick else 1000,
        warm_time=0.1 if args.quick else 0.5,
        extra_env={"TORCHINDUCTOR_CACHE_DIR": str(SCRATCH / "run" / "inductor-cache")},
    )
    scratch = SCRATCH / "run"
    scratch.mkdir(parents=True, exist_ok=True)
    subprocess.run(["rm", "-rf", str(scratch / "inductor-cache")], check=False)  # cold compiles every run

    t_start, meter = time.perf_counter(), CpuMeter()
    baseline = None
    if "pypolymix" in col_ids:
        work_root = Path(os.environ.get("POLYMIX_NOX_ROOT", REPO_ROOT / ".nox"))
        baseline = args.baseline_python.absolute() if args.baseline_python else baseline_python(work_root, REPO_ROOT)
    columns = _columns(col_ids, baseline)
    if args.before:
        twins = {c.id.removesuffix("_before"): c for c in _before_columns(columns, args.before)}
        columns = [c for col in columns for c in (col, twins.get(col.id)) if c is not None]
    print(f"columns: {', '.join(c.id for c in columns)}; workloads: {', '.join(w.name for w in workloads)}", flush=True)

    probe_cols = {
        "torch": Column("probe", "", runner_argv(sys.executable, "runner_torch.py")),
        "jax": Column("probe", "", runner_argv(sys.executable, "runner_jax.py")),
    }
    probes = {f"{k} (start)": run_probe(c, settings, scratch, f"{k}-start") for k, c in probe_cols.items()}
    print(f"matmul probe: {_peak(probes)['summary']}", flush=True)

    all_cells = []
    for w in workloads:
        print(f"[{w.name}] {w.title}", flush=True)
        all_cells.append(run_workload(w, columns, settings, scratch))

    probes.update({f"{k} (end)": run_probe(c, settings, scratch, f"{k}-end") for k, c in probe_cols.items()})
    peak = _peak(probes)
    results: dict[str, Any] = {
        "generated": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "command": "python benchmarks/run.py"
        + ("" if argv is None and len(sys.argv) == 1 else " " + shlex.join(argv if argv is not None else sys.argv[1:])),
        "wall_s": time.perf_counter() - t_start,
        "background_cpus": meter.background_cpus(),
        "machine": _machine(),
        "settings": settings_dict(settings),
        "peak": peak,
        "columns": column_metas(columns, all_cells),
        "workloads": [summarise_workload(w, columns, c, peak["gflops"]) for w, c in zip(workloads, all_cells)],
    }
    results["settings"].pop("extra_env", None)
    results["targets"] = evaluate(results)
    _write(results, stem)
    print(f"done in {results['wall_s'] / 60:.1f} min; logs under {scratch / 'logs'}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
