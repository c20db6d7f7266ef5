"""Make the contract's independent oracle (``specs/polymix_oracle``) importable by the tests."""

import sys
from pathlib import Path

SPECS = Path(__file__).resolve().parents[3] / "specs"
if str(SPECS) not in sys.path:
    sys.path.insert(0, str(SPECS))
