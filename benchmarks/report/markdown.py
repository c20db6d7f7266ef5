"""The Markdown report, rendered from the results document alone."""

from __future__ import annotations

from typing import Any

BASELINE = "pypolymix"


def fmt_time(seconds: float) -> str:
    """``12.3 ms`` style, three significant digits."""
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale or unit == "µs":
            v = seconds / scale
            return f"{v:.3g} {unit}" if v < 100 else f"{v:.0f} {unit}"
    raise AssertionError


def _esc(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def short_error(error: str, limit: int = 110) -> str:
    """The exception line of an error text (its last non-empty line), shortened for a table cell."""
    lines = [ln.strip() for ln in error.strip().splitlines() if ln.strip()]
    head = error.split(":", 1)[0] if ":" in error else ""
    last = lines[-1] if lines else error
    text = f"{head}: {last}" if head and not last.startswith(head) else last
    return _esc(text if len(text) <= limit else text[: limit - 1] + "…")


def _time_cell(cell: dict[str, Any], phase: str, speedup_key: str) -> str:
    if cell.get("error") and cell.get(phase) is None:
        return f"ERROR: {short_error(cell['error'])}"
    st = cell.get(phase)
    if st is None:
        return "n/a"
    text = f"{fmt_time(st['median_s'])} ({fmt_time(st['q1_s'])}–{fmt_time(st['q3_s'])})"
    sp = cell.get(speedup_key)
    if sp is not None:
        text += f" · **{sp:.2f}x**" if sp >= 1 else f" · **{sp:.2f}x** (slower)"
    if cell.get("error"):
        text += f" · ERROR later: {short_error(cell['error'])}"
    return text


def _header(cols: list[str], results: dict[str, Any], first: str = "workload") -> list[str]:
    labels = [results["columns"][c]["label"] for c in cols]
    return [f"| {first} | " + " | ".join(labels) + " |", "|---|" + "---|" * len(cols)]


def _time_table(results: dict[str, Any], cols: list[str], phase: str, speedup_key: str) -> list[str]:
    lines = _header(cols, results)
    for w in results["workloads"]:
        cells = [_time_cell(w["cells"][c], phase, speedup_key) for c in cols]
        lines.append(f"| `{w['name']}` | " + " | ".join(cells) + " |")
    return lines


def _setup_table(results: dict[str, Any], cols: list[str]) -> list[str]:
    lines = _header(cols, results)
    for w in results["workloads"]:
        row = []
        for c in cols:
            cell = w["cells"][c]
            if cell.get("first_step_s") is None:
                row.append("ERROR" if cell.get("error") else "n/a")
            else:
                row.append(f"{cell['first_step_s']:.2f} s / {cell['first_predict_s']:.2f} s")
        lines.append(f"| `{w['name']}` | " + " | ".join(row) + " |")
    return lines


def _memory_table(results: dict[str, Any], cols: list[str]) -> list[str]:
    lines = _header(cols, results)
    for w in results["workloads"]:
        row = []
        for c in cols:
            cell = w["cells"][c]
            peak, base = cell.get("peak_rss_mib"), cell.get("rss_import_mib")
            if peak is None or cell.get("first_step_s") is None:
                row.append("ERROR" if cell.get("error") else "n/a")
            else:
                row.append(f"{peak:.0f} (+{peak - base:.0f})" if base is not None else f"{peak:.0f}")
        lines.append(f"| `{w['name']}` | " + " | ".join(row) + " |")
    return lines


def _limit_table(results: dict[str, Any], cols: list[str]) -> list[str]:
    lines = _header(cols, results)
    lines[0] = lines[0].replace("| workload |", "| workload | GFLOP per step |")
    lines[1] = "|---|---|" + "---|" * len(cols)
    for w in results["workloads"]:
        if w["train_flops"] is None:
            continue
        row = []
        for c in cols:
            cell = w["cells"][c]
            g = cell.get("train_gflops")
            row.append(
                "ERROR"
                if g is None and cell.get("error")
                else "n/a"
                if g is None
                else f"{g:.1f} ({cell['pct_peak']:.0f} %)"
            )
        lines.append(f"| `{w['name']}` | {w['train_flops'] / 1e9:.2f} | " + " | ".join(row) + " |")
    return lines


def _targets_table(results: dict[str, Any]) -> list[str]:
    lines = ["| target | column | measured | status | detail |", "|---|---|---|---|---|"]
    for t in results["targets"]:
        label = results["columns"][t["column"]]["label"]
        lines.append(f"| {t['target']} | {label} | {t['value']} | **{t['status']}** | {_esc(t['detail'])} |")
    return lines


def _errors(results: dict[str, Any], cols: list[str]) -> list[str]:
    lines: list[str] = []
    for w in results["workloads"]:
        for c in cols:
            err = w["cells"][c].get("error")
            if err:
                label = results["columns"][c]["label"]
                lines += [f"**{w['name']} · {label}**", "", "```text", err.strip(), "```", ""]
    return lines


def _machine(results: dict[str, Any]) -> list[str]:
    m, s = results["machine"], results["settings"]
    lines = [
        f"- CPU: {m['cpu']} ({m['cpus']} logical CPUs), {m['memory_gib']:.0f} GiB RAM, {m['platform']}",
        f"- Threads: {s['threads']} per runner for every column (process pinned to the first {s['threads']} CPUs; "
        f"OMP/MKL/OpenBLAS_NUM_THREADS={s['threads']}; torch.set_num_threads({s['threads']}), "
        "set_num_interop_threads(1); XLA's default CPU pool on the pinned CPUs); no GPU",
        f"- Repeats: {s['rounds']} interleaved rounds; per round and column a block of calls lasting "
        f">= {s['min_time']} s (>= 1 call, <= {s['max_iters']}); "
        f"warm-up {s['warm_time']} s per phase after the first call",
        f"- Peak float32 matmul: {results['peak']['summary']}",
        f"- Other processes on the machine kept {results['background_cpus']:.2f} of {m['cpus']} CPUs busy on average "
        "during the run (`/proc/stat` busy time minus the harness's own CPU time; per workload below)",
        f"- Harness: `{results['command']}` at commit `{m.get('commit', 'unknown')}`, {results['generated']}, "
        f"wall time {results['wall_s'] / 60:.1f} min",
    ]
    lines.append("- Versions:")
    for cid, col in results["columns"].items():
        meta = col["meta"]
        keys = [
            k for k in ("api_version", "torch", "jax", "jaxlib", "equinox", "optax", "numpyro", "numpy") if k in meta
        ]
        versions = ", ".join(f"{k.replace('api_version', meta.get('api', cid))} {meta[k]}" for k in keys)
        extra = f"; import error: {meta['import_error']}" if "import_error" in meta else ""
        lines.append(f"  - {col['label']}: {versions or 'unknown'}{extra}")
    return lines


def _workload_row(w: dict[str, Any]) -> str:
    cells = [
        f"`{w['name']}`",
        w["title"],
        str(w["num_points"]),
        str(w["num_samples"]),
        str(w["num_params"]),
        f"{w.get('background_cpus', 0.0):.2f}",
        _esc(w.get("note", "")),
    ]
    return "| " + " | ".join(cells) + " |"


def render(results: dict[str, Any]) -> str:
    """The whole report."""
    cols = list(results["columns"])
    out = [
        "# polymix benchmarks: pypolymix 0.1.9 vs polymix-torch vs polymix-jax",
        "",
        "Every number below was measured by `benchmarks/run.py` in one run, the columns side by side. "
        "Each workload is a full training step (forward over `num_samples` draws, MSE loss plus "
        "`distribution_loss() / N`, backward, Adam) and a predictive pass (forward with `num_samples` "
        "draws, no gradients). Times are medians over all timed calls, with the interquartile range in "
        "parentheses; **bold** is the speed-up of the median over pypolymix 0.1.9. See "
        "[the methodology](../README.md).",
        "",
        f"![training-step speed-up over pypolymix 0.1.9]({results.get('stem', 'latest')}.png)",
        "",
        "## Setup",
        "",
        *_machine(results),
        "",
        "## Benchmark targets",
        "",
        "A missing measurement counts as a miss. Why the misses happen, from profiles "
        "(`benchmarks/profile_step.py`): [profile.md](profile.md), written by hand against this report.",
        "",
        *_targets_table(results),
        "",
        "## Training step",
        "",
        *_time_table(results, cols, "step", "speedup_step"),
        "",
        "## Predictive pass",
        "",
        *_time_table(results, cols, "predict", "speedup_predict"),
        "",
        "## Limit: achieved GFLOP/s of the MLP workloads (training step)",
        "",
        "FLOPs per step = 3 x the forward matmul FLOPs (`2 * num_samples * num_points * sum(fan_in * fan_out)`, "
        f"gating network and mixture weighting included), against the measured matmul peak of "
        f"{results['peak']['gflops']:.1f} GFLOP/s.",
        "",
        *_limit_table(results, cols),
        "",
        "## First calls (compilation included): training step / predictive pass",
        "",
        *_setup_table(results, cols),
        "",
        "## Peak memory: RSS high-water mark of the runner process, MiB (+ growth over its RSS after imports)",
        "",
        "`getrusage(RUSAGE_SELF).ru_maxrss` of the process that ran only this workload in this column: framework "
        "import, model, compilation and all timed calls (torch.compile's compile workers are separate processes "
        "and not counted).",
        "",
        *_memory_table(results, cols),
        "",
        "## Workloads",
        "",
        "| workload | description | points | draws | surrogate params | background CPUs | note |",
        "|---|---|---|---|---|---|---|",
        *[_workload_row(w) for w in results["workloads"]],
        "",
    ]
    errors = _errors(results, cols)
    if errors:
        out += ["## Errors (full text)", "", *errors]
    notes = results.get("notes") or []
    if notes:
        out += ["## Notes", "", *[f"- {n}" for n in notes], ""]
    return "\n".join(out).rstrip() + "\n"
