"""The PNG chart: training-step speed-up over pypolymix per workload and backend, log scale."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 - after selecting the backend

COLOURS = {"torch": "#ee4c2c", "torch_compile": "#8c2d19", "jax": "#5e97f6"}


def write_chart(results: dict[str, Any], path: Path) -> None:
    """Grouped bars, one group per workload, one bar per non-baseline column; failed cells marked."""
    cols = [c for c in results["columns"] if c != "pypolymix"]
    names = [w["name"] for w in results["workloads"]]
    width = 0.8 / max(len(cols), 1)
    fig, ax = plt.subplots(figsize=(max(8.0, 1.1 * len(names) + 2), 5.0))
    ymin = 0.1
    for i, col in enumerate(cols):
        xs, ys, failed = [], [], []
        for j, w in enumerate(results["workloads"]):
            s = w["cells"].get(col, {}).get("speedup_step")
            pos = j - 0.4 + width * (i + 0.5)
            if s is None:
                failed.append(pos)
            else:
                xs.append(pos)
                ys.append(s)
                ymin = min(ymin, s / 2)
        ax.bar(xs, ys, width=width, color=COLOURS.get(col), label=results["columns"][col]["label"])
        for pos in failed:
            ax.text(pos, 1.0, "×", ha="center", va="bottom", color=COLOURS.get(col), fontsize=12, fontweight="bold")
    ax.set_yscale("log")
    ax.set_ylim(bottom=ymin)
    ax.axhline(1.0, color="black", linewidth=1.0)
    for level, style in ((10.0, ":"), (20.0, "--")):
        ax.axhline(level, color="grey", linewidth=0.8, linestyle=style)
    ax.set_xticks(range(len(names)))
    ax.set_xticklabels(names, rotation=30, ha="right")
    ax.set_ylabel("training-step speed-up over pypolymix 0.1.9 (x, log scale)")
    ax.set_title("polymix vs pypolymix 0.1.9 (median step time; × = failed; lines at 1x, 10x, 20x)")
    ax.legend(loc="upper left", fontsize="small")
    ax.grid(axis="y", which="both", alpha=0.2)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
