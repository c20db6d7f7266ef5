"""The parity suite: polymix against the real pypolymix 0.1.9, from outputs recorded in its own virtualenv.

Only the tests are collected: the recorders (``record_*.py``) run under the original pypolymix.
"""

import sys
from pathlib import Path

collect_ignore = ["record_baseline.py", "record_pickles.py"]

HERE = Path(__file__).resolve().parent
# cases.py (the parity table) and the independent oracle (specs/polymix_oracle), under --import-mode=importlib
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "specs"))
