"""Pickle whole modules with the real pypolymix 0.1.9 (``torch.save(module)``) and record what they compute.

Run it in an environment with the ORIGINAL pypolymix, as ``record_baseline.py``::

    python parity_tests/record_pickles.py OUT_DIR

It writes ``OUT_DIR/{name}.pt`` (the pickled module: every surrogate and group of the parity
table and the full models) and ``OUT_DIR/expected.npz`` with, per module, a forward on fixed
inputs and parameters (surrogates) or seeded samples and ``distribution_loss`` (groups), or a
seeded forward (models). ``test_pickled_modules.py`` unpickles the files with the drop-in and
demands the same numbers.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pypolymix
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import cases  # noqa: E402

SEED = 4321


def _np(t: torch.Tensor) -> np.ndarray:
    return t.detach().cpu().numpy().copy()


def _inputs(model: Any) -> int:
    return int(model.num_inputs)


def main(out_dir: Path) -> None:
    """Write the pickles and the expected outputs."""
    out_dir.mkdir(parents=True, exist_ok=True)
    sm, pg, pr = pypolymix.surrogate_models, pypolymix.parameter_groups, pypolymix.priors
    expected: dict[str, np.ndarray] = {}
    meta: dict[str, Any] = {"pypolymix": pypolymix.__version__ if hasattr(pypolymix, "__version__") else "0.1.9"}
    rng = np.random.default_rng(SEED)
    torch.set_default_dtype(torch.float64)
    for name, (desc, _) in cases.SURROGATES.items():
        torch.manual_seed(SEED)
        model = cases.build_surrogate(desc, sm)
        x = torch.as_tensor(rng.uniform(-1, 1, (6, _inputs(model))))
        params = torch.as_tensor(rng.normal(size=(3, model.num_params())))
        with torch.no_grad():
            expected[f"surrogate.{name}.out"] = _np(model(x, params))
        expected[f"surrogate.{name}.x"], expected[f"surrogate.{name}.params"] = _np(x), _np(params)
        torch.save(model, out_dir / f"surrogate.{name}.pt")
    for name, desc in cases.GROUPS.items():
        torch.manual_seed(SEED)
        group = cases.build_group(desc, pg, sm, pr)
        torch.save(group, out_dir / f"group.{name}.pt")  # pickled fresh, before any sampling
        with torch.no_grad():
            torch.manual_seed(SEED + 1)
            expected[f"group.{name}.samples"] = _np(group.sample_parameters(4))
            torch.manual_seed(SEED + 2)
            expected[f"group.{name}.loss"] = _np(group.distribution_loss())
    for name, model in cases.build_models(sm, pg, pypolymix.StochasticModel).items():
        torch.save(model, out_dir / f"model.{name}.pt")
        x = torch.as_tensor(rng.uniform(-1, 1, (5, _inputs(model.surrogate_model))))
        with torch.no_grad():
            torch.manual_seed(SEED + 3)
            expected[f"model.{name}.out"] = _np(model(x, 3))
        expected[f"model.{name}.x"] = _np(x)
    meta["names"] = sorted(p.stem for p in out_dir.glob("*.pt"))
    expected["__meta__"] = np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)
    np.savez(out_dir / "expected.npz", **expected)  # type: ignore[arg-type]


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: record_pickles.py OUT_DIR")
    main(Path(sys.argv[1]))
