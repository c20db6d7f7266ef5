"""The parity suite: only its tests are collected (``record_baseline.py`` runs under the original pypolymix)."""

import sys
from pathlib import Path

collect_ignore = ["record_baseline.py"]

# The contract's independent oracle (specs/polymix_oracle), which imports nothing from polymix-core.
sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "specs"))
