"""pytest configuration of polymix-torch."""

import torch

# Doctests and tests assume torch's default; set it explicitly so no other plugin changes it.
torch.set_default_dtype(torch.float32)
