"""Record the outputs of the real pypolymix 0.1.9 for the parity table (``cases.py``).

Run it in an environment with the ORIGINAL pypolymix (never next to polymix-torch,
whose drop-in shares the import name)::

    python parity_tests/record_baseline.py OUT.npz

It writes one ``.npz``: per surrogate the inputs, flat parameters, forward outputs
(mixtures also expert outputs and gating weights) and ``state_dict``; per group the
seeded initial ``state_dict``, the raw parameters used, seeded samples with the noise
that produced them (verified here against pypolymix's own distribution objects),
log-densities at fixed ``theta`` and ``distribution_loss`` in float32 and float64, and
for the groups whose KL pypolymix estimates by Monte Carlo the noise of that estimate
and the losses of 200 further seeds; per full model (MLP, PCE, gating network, mixture)
its ``torch.save``'d ``state_dict`` and a seeded forward in float32 and float64.
``__cases__`` holds the table as JSON.
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
import torch.distributions as td

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


#: Seeds of the per-seed Monte Carlo losses recorded for groups whose KL pypolymix estimates.
NUM_MC_SEEDS = 200


def _draw_noise(desc: dict[str, Any], n: int, dtype: torch.dtype) -> torch.Tensor:
    """The standard normals pypolymix draws right after a seed, in its order, shaped as the contract's noise.

    Normal, MultivariateNormal: ``(n, d)``; LowRankMultivariateNormal: ``eps_W (n, rank)`` then
    ``eps_D (n, d)``; LangevinGroup: the initial ``(n, d)`` then one ``(n, d)`` per step, returned
    per particle as ``(n, num_diffusion_steps + 1, d)``; a deterministic group draws nothing.
    """
    d, family = desc["num_params"], desc["family"]
    if family == "deterministic":
        return torch.zeros(n, 0, dtype=dtype)
    if family == "low_rank":
        eps_w = torch.randn(n, desc["rank"], dtype=dtype)
        return torch.cat([eps_w, torch.randn(n, d, dtype=dtype)], dim=1)
    if family == "langevin":
        rows = [torch.randn(n, d, dtype=dtype) for _ in range(cases.LANGEVIN_STEPS + 1)]
        return torch.stack(rows, dim=1)
    return torch.randn(n, d, dtype=dtype)


def _transform(group: Any, desc: dict[str, Any], noise: torch.Tensor) -> torch.Tensor:
    """Samples from ``noise`` with pypolymix's own distribution objects (to verify the recorded noise)."""
    family = desc["family"]
    if family == "deterministic":
        return group.params.expand(noise.shape[0], -1)
    if family == "langevin":
        h = group.step_size
        theta = group.init_std * noise[:, 0, :]
        for k in range(1, noise.shape[1]):
            theta = theta + h * group._score(theta) + (2.0 * h) ** 0.5 * noise[:, k, :]
        return theta
    q = group.variational_distribution()
    if family == "iid":
        return q.base_dist.loc + q.base_dist.scale * noise
    if family == "gaussian":
        return q.loc + noise @ q.scale_tril.T
    rank = desc["rank"]
    return q.loc + noise[:, :rank] @ q.cov_factor.T + q.cov_diag.sqrt() * noise[:, rank:]


def _prior_distribution(group: Any) -> Any:
    p = next(group.parameters())
    return group.prior.distribution(event_shape=torch.Size([group.num_params]), device=p.device, dtype=p.dtype)


def _is_monte_carlo(group: Any) -> bool:
    """Whether pypolymix's ``distribution_loss`` falls back to its Monte Carlo estimate."""
    try:
        td.kl_divergence(group.variational_distribution(), _prior_distribution(group))
    except NotImplementedError:
        return True
    return False


def _check(actual: torch.Tensor, expected: torch.Tensor, what: str) -> None:
    if not torch.allclose(actual.double(), expected.double(), rtol=1e-5, atol=1e-6):
        raise SystemExit(f"recorded noise does not reproduce pypolymix's {what}: the draw order has changed")


def record_groups(pp: Any, out: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
    """Seeded initial values, perturbed raw parameters, seeded samples with their noise, densities and losses.

    Per dtype: the seeded samples and the noise that produced them, pypolymix's log-densities
    ``log q`` (Gaussian families) and ``log p`` at fixed ``theta``, the seeded loss and, where
    pypolymix estimates it by Monte Carlo, the noise of that estimate; in float64 also the
    losses of ``NUM_MC_SEEDS`` further seeds (for a standard-error comparison with exact values).
    """
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
        theta = rng.normal(scale=1.2, size=(5, desc["num_params"]))
        out[f"{name}.theta"] = theta
        is_langevin = desc["family"] == "langevin"
        entry = {"desc": desc, "init_keys": init_keys, "raw_keys": list(raw), "seed": seed}
        entry["monte_carlo"] = not is_langevin and desc["family"] != "deterministic" and _is_monte_carlo(group)
        for dtype in ("float32", "float64"):
            g = group if dtype == "float32" else group.double()
            dt = getattr(torch, dtype)
            torch.manual_seed(seed + 1)
            samples = g.sample_parameters(7)
            torch.manual_seed(seed + 1)
            noise = _draw_noise(desc, 7, dt)
            _check(_transform(g, desc, noise).detach(), samples.detach(), f"{name} {dtype} samples")
            out[f"{name}.{dtype}.samples"], out[f"{name}.{dtype}.noise"] = _np(samples), _np(noise)
            with torch.no_grad():
                p = _prior_distribution(g)
                out[f"{name}.{dtype}.prior_log_prob"] = _np(p.log_prob(torch.as_tensor(theta, dtype=dt)))
                if desc["family"] not in ("deterministic", "langevin"):
                    q = g.variational_distribution()
                    out[f"{name}.{dtype}.log_prob"] = _np(q.log_prob(torch.as_tensor(theta, dtype=dt)))
            torch.manual_seed(seed + 2)
            loss = g.distribution_loss().detach()
            out[f"{name}.{dtype}.loss"] = np.asarray(float(loss))
            if entry["monte_carlo"]:  # the noise of the estimate, verified against the recorded value
                torch.manual_seed(seed + 2)
                loss_noise = _draw_noise(desc, g.kl_num_mc_samples, dt)
                with torch.no_grad():
                    z = _transform(g, desc, loss_noise)
                    estimate = (g.variational_distribution().log_prob(z) - p.log_prob(z)).mean()
                _check(estimate, loss, f"{name} {dtype} Monte Carlo loss")
                out[f"{name}.{dtype}.loss_noise"] = _np(loss_noise)
        if entry["monte_carlo"]:  # float64 (the group is in float64 now)
            losses = []
            for s in range(NUM_MC_SEEDS):
                torch.manual_seed(seed + 1000 + s)
                losses.append(float(group.distribution_loss().detach()))
            out[f"{name}.float64.mc_losses"] = np.asarray(losses)
        meta["groups"][name] = entry


def record_models(pp: Any, out: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
    """``torch.save``'d ``state_dict`` and a seeded forward of every full model, in float32 and float64."""
    rng = np.random.default_rng(SEED + 2)
    torch.manual_seed(SEED + 3)
    models = cases.build_models(pp.surrogate_models, pp.parameter_groups, pp.StochasticModel)
    for k, (name, model) in enumerate(models.items()):
        buf = io.BytesIO()
        torch.save(model.state_dict(), buf)
        out[f"{name}.torch_state"] = np.frombuffer(buf.getvalue(), dtype=np.uint8).copy()
        x = rng.uniform(-1.0, 1.0, (BATCH, model.surrogate_model.num_inputs))
        out[f"{name}.x"] = x
        entry: dict[str, Any] = {"keys": list(model.state_dict()), "seed": SEED + 100 + k}
        for dtype in ("float32", "float64"):
            dt = getattr(torch, dtype)
            model.to(dt)
            torch.set_default_dtype(dt)  # pypolymix's PCE computes its basis in the default dtype
            try:
                torch.manual_seed(SEED + 100 + k)
                with torch.no_grad():
                    out[f"{name}.{dtype}.out"] = _np(model(torch.as_tensor(x, dtype=dt), num_samples=5))
            finally:
                torch.set_default_dtype(torch.float32)
        entry["dtypes"] = ["float32", "float64"]
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
