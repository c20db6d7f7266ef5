"""Record the outputs of the real pypolymix 0.1.9 for the parity table (``cases.py``).

Run it in an environment with the ORIGINAL pypolymix (never next to polymix-torch,
whose drop-in shares the import name)::

    python packages/polymix-torch/parity/record_baseline.py OUT.npz

It writes one ``.npz``: per surrogate the inputs, flat parameters, forward outputs
(mixtures also expert outputs and gating weights) and ``state_dict``; per group the
seeded initial ``state_dict``, the raw parameters used, seeded samples and
``distribution_loss`` in float32 and float64; per full model its ``torch.save``'d
``state_dict`` and a seeded forward. ``__cases__`` holds the table as JSON.
"""

from __future__ import annotations

import importlib.metadata
import io
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import cases  # noqa: E402

SEED = 1234
BATCH, SAMPLES = 9, 4


def _np(t: torch.Tensor) -> np.ndarray:
    return t.detach().cpu().numpy().copy()


def _state(prefix: str, module: torch.nn.Module, out: dict[str, np.ndarray]) -> list[str]:
    keys = []
    for k, v in module.state_dict().items():
        out[f"{prefix}.sd.{k}"] = _np(v)
        keys.append(k)
    return keys


def record_surrogates(pp: Any, out: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
    """Forward outputs (and mixture parts) of every surrogate on fixed inputs and parameters."""
    rng = np.random.default_rng(SEED)
    for name, (desc, dtype) in cases.SURROGATES.items():
        dt = getattr(torch, dtype)
        torch.set_default_dtype(dt)  # pypolymix's PCE computes its basis in the default dtype
        try:
            model = cases.build_surrogate(desc, pp.surrogate_models)
            x = rng.uniform(-1.0, 1.0, (BATCH, desc_inputs(desc)))
            params = rng.normal(size=(SAMPLES, model.num_params()))
            xt, pt = torch.as_tensor(x, dtype=dt), torch.as_tensor(params, dtype=dt)
            with torch.no_grad():
                out[f"{name}.out"] = _np(model(xt, pt))
                if desc["kind"] == "mixture":
                    out[f"{name}.experts"] = _np(model.get_expert_outputs(xt, pt))
                    out[f"{name}.gating"] = _np(model.get_gating_weights(xt, pt))
            out[f"{name}.x"], out[f"{name}.params"] = x, params
            meta["surrogates"][name] = {"desc": desc, "dtype": dtype, "sd": _state(name, model, out)}
        finally:
            torch.set_default_dtype(torch.float32)


def desc_inputs(desc: dict[str, Any]) -> int:
    """``num_inputs`` of a surrogate description."""
    return desc["experts"][0]["num_inputs"] if desc["kind"] == "mixture" else desc["num_inputs"]


def record_groups(pp: Any, out: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
    """Seeded initial values, perturbed raw parameters, seeded samples and losses of every group."""
    rng = np.random.default_rng(SEED + 1)
    for k, (name, desc) in enumerate(cases.GROUPS.items()):
        seed = SEED + 10 * k
        torch.manual_seed(seed)
        group = cases.build_group(desc, pp.parameter_groups, pp.surrogate_models, pp.priors)
        init_keys = _state(f"{name}.init", group, out)
        # move away from the structured initial values so every raw entry matters
        raw = {}
        with torch.no_grad():
            for key, p in group.named_parameters():
                if key.startswith(("score_model.", "energy_model.")):
                    continue
                value = _np(p) + rng.normal(scale=0.3, size=tuple(p.shape))
                p.copy_(torch.as_tensor(value))
                raw[key] = value
                out[f"{name}.raw.{key}"] = value
        entry = {"desc": desc, "init_keys": init_keys, "raw_keys": list(raw), "seed": seed}
        for dtype in ("float32", "float64"):
            g = group if dtype == "float32" else group.double()
            torch.manual_seed(seed + 1)
            samples = g.sample_parameters(7)
            out[f"{name}.{dtype}.samples"] = _np(samples)
            torch.manual_seed(seed + 2)
            out[f"{name}.{dtype}.loss"] = np.asarray(float(g.distribution_loss().detach()))
        meta["groups"][name] = entry


def record_models(pp: Any, out: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
    """``torch.save``'d ``state_dict`` and a seeded forward of every full model."""
    rng = np.random.default_rng(SEED + 2)
    torch.manual_seed(SEED + 3)
    models = cases.build_models(pp.surrogate_models, pp.parameter_groups, pp.StochasticModel)
    for k, (name, model) in enumerate(models.items()):
        buf = io.BytesIO()
        torch.save(model.state_dict(), buf)
        out[f"{name}.torch_state"] = np.frombuffer(buf.getvalue(), dtype=np.uint8).copy()
        x = rng.uniform(-1.0, 1.0, (BATCH, model.surrogate_model.num_inputs))
        out[f"{name}.x"] = x
        entry: dict[str, Any] = {"keys": list(model.state_dict()), "seed": SEED + 100 + k, "dtypes": ["float32"]}
        torch.manual_seed(SEED + 100 + k)
        with torch.no_grad():
            out[f"{name}.float32.out"] = _np(model(torch.as_tensor(x, dtype=torch.float32), num_samples=5))
        if name == "model_nn":  # pypolymix's PCE cannot run in float64 under a float32 default dtype
            model.double()
            torch.manual_seed(SEED + 100 + k)
            with torch.no_grad():
                out[f"{name}.float64.out"] = _np(model(torch.as_tensor(x), num_samples=5))
            entry["dtypes"].append("float64")
        meta["models"][name] = entry


def main(path: str) -> None:
    """Record everything into ``path``."""
    import pypolymix as pp
    import pypolymix.priors  # noqa: F401  (not imported by pypolymix/__init__)

    try:
        version = importlib.metadata.version("pypolymix")
    except importlib.metadata.PackageNotFoundError:
        version = "missing"
    if version != "0.1.9" or hasattr(pp.StochasticModel, "spec"):
        raise SystemExit(f"expected the original pypolymix 0.1.9 (not the polymix-torch drop-in), found {version}")
    torch.set_default_dtype(torch.float32)
    out: dict[str, np.ndarray] = {}
    meta: dict[str, Any] = {"pypolymix": version, "torch": torch.__version__, "surrogates": {}, "groups": {},
                            "models": {}}  # fmt: skip
    record_surrogates(pp, out, meta)
    record_groups(pp, out, meta)
    record_models(pp, out, meta)
    out["__cases__"] = np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)
    np.savez(path, **out)  # type: ignore[arg-type]
    print(f"recorded {len(meta['surrogates'])} surrogates, {len(meta['groups'])} groups and "
          f"{len(meta['models'])} models from pypolymix {version} into {path}")  # fmt: skip


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: record_baseline.py OUT.npz")
    main(sys.argv[1])
