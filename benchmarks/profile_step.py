"""Profile one workload in one column: where does a training step's time go?

    python benchmarks/profile_step.py moe_16 torch            # torch.profiler table (eager)
    python benchmarks/profile_step.py moe_16 pypolymix --baseline-python /path/to/python
    python benchmarks/profile_step.py mlp_large jax            # timing breakdown of jitted pieces

Uses one thread, like the default run; the report's numbers come from ``run.py`` only.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
from harness.procs import RUNNERS_DIR, runner_argv, runner_env
from workloads import select

BENCH_DIR = Path(__file__).resolve().parent
SCRATCH = BENCH_DIR / "reports" / "_scratch" / "profile"


def main() -> int:
    """Write the workload's job and data, then run the profiler under the column's interpreter."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("workload")
    p.add_argument("column", choices=("pypolymix", "torch", "torch_compile", "jax"))
    p.add_argument("--baseline-python", default=None, help="interpreter with pypolymix 0.1.9")
    p.add_argument("--rows", type=int, default=15)
    args = p.parse_args()
    (w,) = select([args.workload])
    SCRATCH.mkdir(parents=True, exist_ok=True)
    job, data = SCRATCH / f"{w.name}.json", SCRATCH / f"{w.name}.npz"
    job.write_text(json.dumps(w.job()))
    x, y = w.data()
    np.savez(data, x=x, y=y)
    work_root = Path(os.environ.get("POLYMIX_NOX_ROOT", BENCH_DIR.parent / ".nox"))
    python = os.path.abspath(args.baseline_python or work_root / "_bench_pypolymix" / "bin" / "python")
    interpreter = python if args.column == "pypolymix" else sys.executable
    cmd = runner_argv(interpreter, "_profile_inner.py", args.column, str(job), str(data), "--rows", str(args.rows))
    env = runner_env(1, isolated=args.column == "pypolymix")
    return subprocess.run(cmd, cwd=RUNNERS_DIR, env=env).returncode


if __name__ == "__main__":
    sys.exit(main())
