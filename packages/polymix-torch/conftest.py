"""pytest configuration of polymix-torch.

The parity suite needs a baseline recorded with the real pypolymix (``nox -s parity``),
so it is collected only when its folder is named explicitly.
"""

import torch

# Doctests and tests assume torch's default; set it explicitly so no other plugin changes it.
torch.set_default_dtype(torch.float32)

collect_ignore = ["parity"]
