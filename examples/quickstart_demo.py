"""The main job (`nox -s demo`): fit the README quickstart with every installed backend.

Prints a table (backend, training time, held-out MSE of the predictive mean, mean predictive
std, coverage of the 90 % predictive interval) and writes one PNG per backend (data,
predictive mean, 5-95 % band) into the output folder it names.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
import quickstart_problem as qp  # noqa: E402

BACKENDS = {"torch": ("polymix_torch", "quickstart_torch"), "jax": ("polymix_jax", "quickstart_jax")}


def summarize(data: qp.Data, result: dict[str, object]) -> dict[str, float]:
    """Held-out metrics from predictive samples ``(num_samples, batch_size, 1)``."""
    samples = np.asarray(result["test_samples"])[..., 0]  # (num_samples, batch_size)
    lo, hi = np.quantile(samples, [0.05, 0.95], axis=0)
    y = data.y_test[:, 0]
    return {
        "train_time": float(result["train_time"]),  # type: ignore[arg-type]
        "mse": float(np.mean((samples.mean(axis=0) - y) ** 2)),
        "mean_std": float(samples.std(axis=0).mean()),
        "coverage90": float(np.mean((y >= lo) & (y <= hi))),
    }


def plot(data: qp.Data, result: dict[str, object], backend: str, path: Path) -> None:
    """Data, predictive mean and 5-95 % band on the grid."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    grid = np.asarray(result["grid_samples"])[..., 0]  # (num_samples, grid_size)
    lo, mid, hi = np.quantile(grid, [0.05, 0.5, 0.95], axis=0)
    xg = data.x_grid[:, 0]
    fig, ax = plt.subplots(figsize=(6, 4), dpi=120)
    ax.fill_between(xg, lo, hi, color="tab:blue", alpha=0.25, label="5-95 % predictive band")
    ax.plot(xg, grid.mean(axis=0), color="tab:blue", label="predictive mean")
    ax.plot(xg, qp.truth(xg), "k--", lw=1, label="sin(3x)")
    ax.scatter(data.x_train[:, 0], data.y_train[:, 0], s=8, color="tab:orange", label="training data")
    ax.set(xlabel="x", ylabel="y", title=f"polymix-{backend}: degree-5 PCE, 2 stochastic coefficients")
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="output/demo", help="folder for the PNGs")
    args = parser.parse_args(argv)
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    data = qp.make_data()
    rows = []
    for backend, (package, module) in BACKENDS.items():
        if importlib.util.find_spec(package) is None:
            # `nox -s demo` installs every backend, so a missing one is an installation error.
            print(f"[demo] error: {package} is not installed")
            return 1
        result = importlib.import_module(module).fit(data)
        png = out / f"quickstart_{backend}.png"
        plot(data, result, backend, png)
        rows.append((backend, summarize(data, result), png))
    print()
    print(
        f"README quickstart: noisy sin(3x), {qp.NUM_TRAIN} training / {qp.NUM_HELD_OUT} held-out points, "
        f"noise std {qp.NOISE_STD}, {qp.NUM_STEPS} Adam steps"
    )
    print("| backend | training time (s) | held-out MSE of predictive mean | mean predictive std | 90 % coverage |")
    print("|---|---|---|---|---|")
    for backend, m, _ in rows:
        print(f"| {backend} | {m['train_time']:.2f} | {m['mse']:.4f} | {m['mean_std']:.4f} | {m['coverage90']:.1%} |")
    print()
    print(f"(noise variance {qp.NOISE_STD**2:.4f} is the best achievable MSE; ideal coverage is 90 %)")
    for _, _, png in rows:
        print(f"[demo] wrote {png}")
    print(f"[demo] output folder: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
