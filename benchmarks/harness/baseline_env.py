"""The pypolymix 0.1.9 baseline's own virtualenv, created on first use and reused afterwards.

The polymix-torch drop-in ships an import package ``pypolymix`` too, so the real one can
never share an environment with it; every command of the baseline's interpreter runs without
``PYTHONPATH``. torch comes pinned from ``constraints.txt`` (the CPU wheel).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BASELINE_REQUIREMENT = "pypolymix==0.1.9"
_CHECK = (
    "import importlib.metadata as m, importlib.util as u, sys; "
    "v = m.version('pypolymix'); "
    "sys.exit(f'pypolymix {v} installed, 0.1.9 expected' if v != '0.1.9' else "
    "'polymix_torch must not be importable in the baseline environment' if u.find_spec('polymix_torch') else 0)"
)


def _isolated_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}


def _run(cmd: list[str]) -> None:
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, env=_isolated_env())


def baseline_python(work_root: Path, repo_root: Path) -> Path:
    """Interpreter of ``<work_root>/_bench_pypolymix`` with torch (pinned), numpy and pypolymix 0.1.9.

    The environment is created with ``python -m venv`` and filled with pip the first time;
    later calls only verify it.
    """
    venv = work_root / "_bench_pypolymix"
    python = venv / "bin" / "python"
    marker = venv / ".polymix-bench-installed"
    constraints = repo_root / "constraints.txt"
    wanted = f"{BASELINE_REQUIREMENT} torch numpy -c {constraints.read_text()}"
    if not (python.exists() and marker.exists() and marker.read_text() == wanted):
        work_root.mkdir(parents=True, exist_ok=True)
        _run([sys.executable, "-m", "venv", str(venv)])
        _run([str(python), "-m", "pip", "install", "-c", str(constraints), "torch", "numpy", BASELINE_REQUIREMENT])
        marker.write_text(wanted)
    subprocess.run([str(python), "-c", _CHECK], check=True, env=_isolated_env())
    return python
